"""Shared helpers for the fixture runners (imported inside each venv).

* ``Capture``: sets up an OpenTelemetry SDK TracerProvider / LoggerProvider /
  MeterProvider with in-memory exporters, a deterministic id generator and a
  fixed resource, and turns what was captured into OTLP/JSON lines exactly as
  the OpenTelemetry Collector ``file`` exporter writes them (one export
  request per line: ``{"resourceSpans":[...]}``, ``{"resourceLogs":[...]}``,
  ``{"resourceMetrics":[...]}``; lowerCamelCase names, hex ids, int64 as
  decimal strings, enums as integers).
* ``CassetteTransport``: an httpx transport that replays the responses of a
  vcrpy YAML cassette (match on method + path, in recorded order), so the real
  ``openai`` client does real response parsing and the real instrumentation
  sees real responses.

Normalisation (documented in tests/fixtures/otel/VERSIONS.md):
* trace/span ids come from a seeded PRNG (seed = fixture name), so they are
  stable across runs but otherwise look like ordinary random ids;
* wall-clock timestamps come from a fake clock: importing this module
  replaces ``time.time_ns`` (before the SDK is imported, so the SDK's
  ``from time import time_ns`` binds it) with a counter that starts at
  BASE_TIME_NS and advances 1 ms per call.  Every timestamp the SDK stamps
  (span start/end, event time, log observed time, metric start/time) is thus
  strictly increasing in call order and identical across runs.
Attribute content, bodies, names and metric values are untouched (so the
duration histogram values, measured with a monotonic timer, still vary
between runs).  Set GUARDCTL_FIXTURE_KEEP_TIMES=1 to keep the real clock.
"""

from __future__ import annotations

import base64
import json
import os
import random
import sys
from typing import Any
from urllib.parse import urlparse

import time

BASE_TIME_NS = 1_750_000_000_000_000_000  # 2025-06-15T15:06:40Z
STEP_NS = 1_000_000

if not os.environ.get("GUARDCTL_FIXTURE_KEEP_TIMES"):
    _fake_now = [BASE_TIME_NS]

    def _fake_time_ns() -> int:
        _fake_now[0] += STEP_NS
        return _fake_now[0]

    time.time_ns = _fake_time_ns

import yaml

try:  # the openai>=3 line moved to "httpx2"
    import httpx2 as httpx  # type: ignore
except ImportError:  # pragma: no cover
    import httpx  # type: ignore

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator

try:
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
except ImportError:  # older SDKs
    from opentelemetry.sdk._logs.export import InMemoryLogExporter as InMemoryLogRecordExporter

ID_KEYS = {"traceId", "spanId", "parentSpanId"}


class SeededIdGenerator(IdGenerator):
    def __init__(self, seed: str):
        self._rng = random.Random(seed)

    def generate_span_id(self) -> int:
        return self._rng.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self._rng.getrandbits(128) or 1


class Capture:
    """SDK providers with in-memory exporters; flush() turns them into lines."""

    def __init__(self, fixture_name: str, service_name: str):
        import opentelemetry.sdk.version as sdkv

        # Fixed resource (no host/process detectors) so the fixture is stable.
        self.resource = Resource(
            {
                "service.name": service_name,
                "telemetry.sdk.language": "python",
                "telemetry.sdk.name": "opentelemetry",
                "telemetry.sdk.version": sdkv.__version__,
            }
        )
        self.span_exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider(
            resource=self.resource, id_generator=SeededIdGenerator(fixture_name)
        )
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.span_exporter))
        self.log_exporter = InMemoryLogRecordExporter()
        self.logger_provider = LoggerProvider(resource=self.resource)
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.log_exporter))
        self.metric_reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(resource=self.resource, metric_readers=[self.metric_reader])
        self.lines: list[dict] = []

    def install_globals(self) -> None:
        """For libraries that only use the global providers."""
        from opentelemetry import _logs, metrics, trace

        trace.set_tracer_provider(self.tracer_provider)
        _logs.set_logger_provider(self.logger_provider)
        metrics.set_meter_provider(self.meter_provider)
        try:  # events API (deprecated, still used by some instrumentations)
            from opentelemetry import _events
            from opentelemetry.sdk._events import EventLoggerProvider

            _events.set_event_logger_provider(EventLoggerProvider(self.logger_provider))
        except Exception:  # pragma: no cover
            pass

    def flush_batch(self) -> None:
        """Emit what was exported since the last call as one spans line and one logs line
        (like a batch processor flushing at the end of a scenario)."""
        self.tracer_provider.force_flush()
        self.logger_provider.force_flush()
        spans = self.span_exporter.get_finished_spans()
        if spans:
            self.lines.append(_to_dict(encode_spans(spans)))
            self.span_exporter.clear()
        logs = self.log_exporter.get_finished_logs()
        if logs:
            self.lines.append(_to_dict(encode_logs(logs)))
            self.log_exporter.clear()

    def flush_metrics(self) -> None:
        data = self.metric_reader.get_metrics_data()
        if data is not None and data.resource_metrics:
            self.lines.append(_to_dict(encode_metrics(data)))

    def write(self, path: str) -> dict:
        self.flush_batch()
        self.flush_metrics()
        with open(path, "w", encoding="utf-8") as fh:
            for line in self.lines:
                fh.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
                fh.write("\n")
        return summarise(self.lines)


def _to_dict(msg) -> dict:
    d = MessageToDict(msg, use_integers_for_enums=True)
    _ids_to_hex(d)
    return d


def _ids_to_hex(node: Any) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ID_KEYS and isinstance(v, str):
                node[k] = base64.b64decode(v).hex()
            else:
                _ids_to_hex(v)
    elif isinstance(node, list):
        for v in node:
            _ids_to_hex(v)


def summarise(lines: list) -> dict:
    s = {"span_lines": 0, "log_lines": 0, "metric_lines": 0, "spans": 0, "logs": 0, "metrics": 0}
    for line in lines:
        for rs in line.get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                s["spans"] += len(ss.get("spans", []))
        for rl in line.get("resourceLogs", []):
            for sl in rl.get("scopeLogs", []):
                s["logs"] += len(sl.get("logRecords", []))
        for rm in line.get("resourceMetrics", []):
            for sm in rm.get("scopeMetrics", []):
                s["metrics"] += len(sm.get("metrics", []))
        s["span_lines"] += "resourceSpans" in line
        s["log_lines"] += "resourceLogs" in line
        s["metric_lines"] += "resourceMetrics" in line
    return s


# ---------------------------------------------------------------- cassettes


def load_cassette(path: str) -> list:
    with open(path, encoding="utf-8") as fh:
        # The opentelemetry-python-contrib cassettes are written by a custom
        # serializer (pretty-printed JSON bodies); plain yaml loading is what
        # their conftest's deserializer does too.
        data = yaml.load(fh, Loader=yaml.Loader)
    return data["interactions"]


DROP_RESPONSE_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


class CassetteTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Replays vcrpy cassette interactions (record_mode=none semantics).

    Requests are matched on method + path, each interaction is used once, in
    order.  The request body is compared with the recorded one and any
    difference is reported on stderr (strict=True turns it into an error).
    """

    def __init__(self, *cassette_paths: str, strict: bool = False, label: str = ""):
        self.interactions = []
        for p in cassette_paths:
            self.interactions.extend(load_cassette(p))
        self.used = [False] * len(self.interactions)
        self.strict = strict
        self.label = label or ",".join(os.path.basename(p) for p in cassette_paths)
        self.body_mismatches = 0

    def _respond(self, request) -> Any:
        for i, it in enumerate(self.interactions):
            if self.used[i]:
                continue
            rq = it["request"]
            if rq["method"].upper() == request.method.upper() and urlparse(rq["uri"]).path == request.url.path:
                self.used[i] = True
                self._check_body(rq, request)
                return self._response(it["response"])
        raise RuntimeError(
            f"[{self.label}] no unused cassette interaction for {request.method} {request.url}"
        )

    def _check_body(self, rq, request) -> None:
        recorded = rq.get("body")
        try:
            want = json.loads(recorded) if recorded else None
            got = json.loads(request.content) if request.content else None
        except ValueError:
            return
        if want != got:
            self.body_mismatches += 1
            msg = f"[{self.label}] request body differs from cassette (matched on method+path)"
            if self.strict:
                raise RuntimeError(msg + f"\n want={want}\n got={got}")
            print("note: " + msg, file=sys.stderr)

    @staticmethod
    def _response(resp):
        headers = []
        for k, vs in (resp.get("headers") or {}).items():
            if k.lower() in DROP_RESPONSE_HEADERS:
                continue
            for v in vs if isinstance(vs, list) else [vs]:
                headers.append((k, str(v)))
        body = resp["body"]["string"]
        if isinstance(body, str):
            body = body.encode("utf-8")
        return httpx.Response(resp["status"]["code"], headers=headers, content=body)

    def handle_request(self, request):
        request.read()
        return self._respond(request)

    async def handle_async_request(self, request):
        await request.aread()
        return self._respond(request)

    def assert_all_used(self) -> None:
        if not all(self.used):
            raise RuntimeError(f"[{self.label}] {self.used.count(False)} cassette interactions not replayed")


def sync_http_client(transport: CassetteTransport):
    return httpx.Client(transport=transport)


def async_http_client(transport: CassetteTransport):
    return httpx.AsyncClient(transport=transport)
