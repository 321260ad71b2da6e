"""Runner: a pydantic-ai Agent with one tool, instrumented with pydantic-ai's
built-in OpenTelemetry instrumentation (InstrumentationSettings), talking to
the real ``openai`` AsyncOpenAI client whose HTTP transport replays the
two-turn tool-call cassette ``test_chat_completion_tool_calls_with_content.yaml``
from opentelemetry-instrumentation-openai-v2's sdist.

pydantic-ai builds its own request bodies (its tool schema, no
``tool_choice``), so requests are matched on method + path only; the
responses are the recorded ones (turn 1: two ``get_current_weather`` tool
calls, turn 2: the final answer).  The tool returns the same strings the
recording used ("50 degrees and raining", "70 degrees and sunny").

    python run_pydantic_ai.py --cassettes DIR --fixture-name NAME --out FILE [--version 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from otel_common import Capture, CassetteTransport, async_http_client  # noqa: E402

CASSETTE = "test_chat_completion_tool_calls_with_content.yaml"
WEATHER = {"Seattle, WA": "50 degrees and raining", "San Francisco, CA": "70 degrees and sunny"}


def _deterministic_uuid7(seed: str) -> None:
    """pydantic-ai stamps runs with UUIDv7 ids (gen_ai.agent.call.id,
    gen_ai.conversation.id).  Make them reproducible: same UUIDv7 layout, but
    the timestamp is fixed and the random bits come from a seeded PRNG."""
    import random
    import uuid

    import pydantic_ai._agent_graph as graph

    rng = random.Random("uuid7:" + seed)
    state = {"ms": 1_750_000_000_000}

    def uuid7() -> uuid.UUID:
        state["ms"] += 1
        n = (state["ms"] & ((1 << 48) - 1)) << 80
        n |= rng.getrandbits(80)
        n &= ~(0xF << 76)
        n |= 0x7 << 76  # version 7
        n &= ~(0x3 << 62)
        n |= 0x2 << 62  # RFC 4122 variant
        return uuid.UUID(int=n)

    graph.uuid7 = uuid7


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cassettes", required=True)
    ap.add_argument("--fixture-name", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--version", type=int, default=None, help="InstrumentationSettings(version=...)")
    ap.add_argument("--no-content", action="store_true", help="include_content=False")
    a = ap.parse_args()

    from openai import AsyncOpenAI
    from pydantic_ai import Agent
    from pydantic_ai.models.instrumented import InstrumentationSettings
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    _deterministic_uuid7(a.fixture_name)
    cap = Capture(a.fixture_name, service_name="guardctl-fixture")
    transport = CassetteTransport(os.path.join(a.cassettes, CASSETTE), strict=False)
    client = AsyncOpenAI(api_key="test_openai_api_key", http_client=async_http_client(transport), max_retries=0)
    model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(openai_client=client))

    kw = dict(tracer_provider=cap.tracer_provider, meter_provider=cap.meter_provider)
    if a.version is not None:
        kw["version"] = a.version
    if a.no_content:
        kw["include_content"] = False
    settings = InstrumentationSettings(**kw)

    agent = Agent(model, name="weather_agent", system_prompt="You're a helpful assistant.")
    # Agent(instrument=...) was replaced by the `instrument` property /
    # Instrumentation capability in pydantic-ai 2.x; both do the same.
    agent.instrument = settings

    @agent.tool_plain
    def get_current_weather(location: str) -> str:
        """Get the current weather in a given location

        Args:
            location: The city and state, e.g. Boston, MA
        """
        return WEATHER.get(location, "unknown")

    result = asyncio.run(agent.run("What's the weather in Seattle and San Francisco today?"))
    print("  agent output:", result.output, file=sys.stderr)
    transport.assert_all_used()
    summary = cap.write(a.out)
    print(json.dumps({"fixture": a.fixture_name, **summary}))


if __name__ == "__main__":
    main()
