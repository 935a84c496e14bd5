"""Captures what each framework of framework_catalog.py really sends, as small OTLP/JSON
fixtures for the Swift mapping tests (Tests/GenAIMappingTests/Fixtures/NAME.json):
`make framework-fixtures`. Runs every app against the fake model and a local OTLP/HTTP sink
(plain HTTP on 127.0.0.1), converts the protobuf exports to OTLP/JSON (hex ids), and leaves
out attributes that only add bulk (LiteLLM's empty metadata.*, logfire's schemas, source
locations). Needs the main venv (opentelemetry-proto) and the framework venvs."""
import base64
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fake_model import fake_model_server  # noqa: E402
from framework_catalog import APPS, FRAMEWORKS, ROOT, app_env  # noqa: E402

FIXTURES = ROOT / "Tests" / "GenAIMappingTests" / "Fixtures"
BULK_PREFIXES = ("metadata.", "langsmith.metadata.", "code.", "logfire.json_schema", "logfire.msg_template",
                 "hidden_params", "model_request_parameters", "request_data", "model_config", "gen_ai.cost.margin",
                 "gen_ai.cost.discount", "process.", "telemetry.")


class Sink(BaseHTTPRequestHandler):
    exports: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.endswith("/v1/traces"):
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            Sink.exports.append(request)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def hex_id(value: str) -> str:
    return base64.b64decode(value).hex()


def trimmed(export: dict) -> dict:
    for resource_spans in export.get("resourceSpans", []):
        resource = resource_spans.get("resource", {})
        resource["attributes"] = [a for a in resource.get("attributes", []) if a["key"] == "service.name"]
        for scope_spans in resource_spans.get("scopeSpans", []):
            scope_spans.get("scope", {}).pop("attributes", None)
            for span in scope_spans.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = hex_id(span[key])
                span.pop("flags", None)
                span["attributes"] = [a for a in span.get("attributes", []) if not a["key"].startswith(BULK_PREFIXES)]
    return export


def capture(name: str, model_url: str, sink_url: str) -> dict:
    framework = FRAMEWORKS[name]
    Sink.exports.clear()
    base = dict(__import__("os").environ, OTEL_EXPORTER_OTLP_ENDPOINT=sink_url,
                OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf")
    env = app_env(framework, base, sink_url + "/v1/traces", f"{name}-app")
    subprocess.run([str(framework.python), str(framework.script), model_url], env=env, cwd=APPS, check=True,
                   capture_output=True, timeout=180)
    merged = ExportTraceServiceRequest()
    for export in Sink.exports:
        merged.resource_spans.extend(export.resource_spans)
    return trimmed(MessageToDict(merged))


def main(names: list[str]) -> None:
    sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    FIXTURES.mkdir(parents=True, exist_ok=True)
    with fake_model_server() as model_url:
        for name in names or FRAMEWORKS:
            export = capture(name, model_url, f"http://127.0.0.1:{sink.server_address[1]}")
            (FIXTURES / f"{name}.json").write_text(json.dumps(export, indent=1) + "\n")
            print(f"{name}: {sum(len(s['spans']) for r in export['resourceSpans'] for s in r['scopeSpans'])} spans")
    sink.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
