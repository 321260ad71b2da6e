"""Runner: replay OpenAI chat-completions cassettes through the real ``openai``
client with one OpenAI instrumentation enabled, write one OTLP/JSON fixture.

Run inside the matching venv (make_fixtures.py does this):

    python run_openai_client.py --instrumentation openai-v2 \
        --cassettes DIR --fixture-name openai-v2-span-only --out FILE.jsonl

The content-capture mode is chosen by the environment variables the caller
sets (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
OTEL_SEMCONV_STABILITY_OPT_IN, TRACELOOP_TRACE_CONTENT, OPENINFERENCE_*),
exactly like a user would configure the instrumentation.

Each scenario replays one cassette; every recorded request body is sent
verbatim (``client.chat.completions.create(**recorded_body)``), so the
requests match the recordings byte-for-byte after JSON parsing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from otel_common import Capture, CassetteTransport, load_cassette, sync_http_client  # noqa: E402

# (scenario, cassette file from opentelemetry-instrumentation-openai-v2's sdist)
SCENARIOS = [
    ("chat", "test_chat_completion_with_content.yaml"),
    ("tool_calls", "test_chat_completion_tool_calls_with_content.yaml"),
    ("streaming", "test_chat_completion_streaming.yaml"),
    ("tools_streaming", "test_chat_completion_multiple_tools_streaming_with_content.yaml"),
    ("error_404", "test_chat_completion_404.yaml"),
]


def instrument(name: str, cap: Capture, events: bool):
    kw = dict(
        tracer_provider=cap.tracer_provider,
        logger_provider=cap.logger_provider,
        meter_provider=cap.meter_provider,
    )
    if name == "openai-v2":
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        inst = OpenAIInstrumentor()
    elif name == "openllmetry":
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor

        # use_legacy_attributes / use_attributes: True (default) = content as
        # span attributes, False = content as log events.
        try:
            inst = OpenAIInstrumentor(use_attributes=not events)
        except TypeError:
            inst = OpenAIInstrumentor(use_legacy_attributes=not events)
        # OpenLLMetry emits events through the (deprecated) Events API on
        # older versions; give it an event logger provider built on ours.
        try:
            from opentelemetry.sdk._events import EventLoggerProvider

            kw["event_logger_provider"] = EventLoggerProvider(cap.logger_provider)
        except ImportError:
            pass
    elif name == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor

        inst = OpenAIInstrumentor()
        kw = dict(tracer_provider=cap.tracer_provider)
    else:
        raise SystemExit(f"unknown instrumentation {name}")
    inst.instrument(**kw)
    return inst


def run_scenarios(cassette_dir: str, cap: Capture, only: list | None) -> None:
    import openai

    for scenario, cassette in SCENARIOS:
        if only and scenario not in only:
            continue
        path = os.path.join(cassette_dir, cassette)
        transport = CassetteTransport(path, strict=True)
        client = openai.OpenAI(
            api_key="test_openai_api_key",
            http_client=sync_http_client(transport),
            max_retries=0,
        )
        for it in load_cassette(path):
            body = json.loads(it["request"]["body"])
            try:
                resp = client.chat.completions.create(**body)
                if body.get("stream"):
                    for _chunk in resp:
                        pass
            except openai.APIStatusError as e:
                if scenario != "error_404":
                    raise
                print(f"  {scenario}: expected error {e.status_code}", file=sys.stderr)
        transport.assert_all_used()
        cap.flush_batch()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--instrumentation", required=True, choices=["openai-v2", "openllmetry", "openinference"])
    ap.add_argument("--cassettes", required=True)
    ap.add_argument("--fixture-name", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--events", action="store_true", help="OpenLLMetry: use_attributes=False (content in log events)")
    ap.add_argument("--only", nargs="*", help="subset of scenarios")
    a = ap.parse_args()

    cap = Capture(a.fixture_name, service_name="guardctl-fixture")
    instrument(a.instrumentation, cap, a.events)
    run_scenarios(a.cassettes, cap, a.only)
    summary = cap.write(a.out)
    print(json.dumps({"fixture": a.fixture_name, **summary}))


if __name__ == "__main__":
    main()
