"""The real OpenTelemetry exporters from PyPI, sending to our nginx over TLS."""
import json
import os
import subprocess
import sys
import textwrap
import threading
import zlib

import pytest
import requests
import zstandard
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.common.http import Compression as JSONCompression
from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter as JSONSpanExporter
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult

from spans import chat_attributes, hex_span, hex_trace, legacy_attributes, make_spans


def mixed_trace(n: int = 1):
    """A trace as an instrumented app sends it: an HTTP server span, a database span, and two
    GenAI spans of two convention generations (one failing)."""
    return make_spans([
        ("POST /checkout", {"http.request.method": "POST", "url.path": "/checkout"}, 900_000_000),
        ("chat gpt-4o", chat_attributes(n), 250_000_000),
        ("SELECT orders", {"db.system.name": "postgresql", "db.query.text": "SELECT 1"}, 3_000_000),
        ("anthropic.chat", legacy_attributes(n), 1_234_567_891),
    ], error_on="anthropic.chat")


def check_rows(stack, spans):
    """Exactly the GenAI spans are stored, each column as the span says."""
    by_name = {s.name: s for s in spans}
    trace_id = hex_trace(spans[0])
    rows = {r["span_name"]: r for r in stack.rows("trace_id = ?", (trace_id,))}
    assert sorted(rows) == ["anthropic.chat", "chat gpt-4o"]
    root_id = hex_span(by_name["POST /checkout"])
    for name, row in rows.items():
        span = by_name[name]
        assert row["trace_id"] == trace_id
        assert row["span_id"] == hex_span(span)
        assert row["parent_span_id"] == root_id
        assert row["service_name"] == "e2e-app"
        assert row["start_time_unix_nano"] == span.start_time
        assert row["end_time_unix_nano"] == span.end_time
        assert row["latency_ms"] == pytest.approx((span.end_time - span.start_time) / 1e6, abs=1e-9)
        assert row["api_key_id"] == 1
        sent = {k: list(v) if isinstance(v, tuple) else v for k, v in span.attributes.items()}
        # A value stored verbatim as the prompt or completion is not repeated among the attributes.
        kept = {k: v for k, v in sent.items() if not (isinstance(v, str) and v in (row["prompt"], row["completion"]))}
        assert json.loads(row["attributes"]) == kept

    new = rows["chat gpt-4o"]
    n_new = new["input_tokens"] - 100
    assert (new["provider"], new["model"], new["operation"]) == ("openai", "gpt-4o", "chat")
    assert (new["input_tokens"], new["output_tokens"]) == (100 + n_new, 20 + n_new)
    assert (new["prompt"], new["completion"], new["status_code"], new["status_message"]) == (None, None, 0, None)

    old = rows["anthropic.chat"]
    n_old = old["input_tokens"] - 300
    assert (old["provider"], old["model"], old["operation"]) == ("anthropic", "claude-3-5-sonnet", "chat")
    assert (old["input_tokens"], old["output_tokens"]) == (300 + n_old, 40 + n_old)
    assert (old["prompt"], old["completion"]) == (f"question {n_old}", f"answer {n_old}")
    assert (old["status_code"], old["status_message"]) == (2, "provider said no")
    assert old["latency_ms"] == pytest.approx(1234.567891)


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip, Compression.Deflate],
                         ids=["plain", "gzip", "deflate"])
def test_protobuf_exporter_built_in_code_stores_exactly_the_genai_spans(stack, compression):
    exporter = OTLPSpanExporter(endpoint=stack.traces_url, headers={"X-Ingate-Key": stack.key},
                                certificate_file=stack.cert, compression=compression)
    spans = mixed_trace(3)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    check_rows(stack, spans)


@pytest.mark.parametrize("compression", [JSONCompression.NONE, JSONCompression.GZIP], ids=["plain", "gzip"])
def test_json_exporter_stores_exactly_the_genai_spans(stack, compression):
    exporter = JSONSpanExporter(endpoint=stack.traces_url, headers={"X-Ingate-Key": stack.key},
                                certificate_file=stack.cert, compression=compression)
    spans = mixed_trace(5)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    check_rows(stack, spans)


APP = textwrap.dedent("""
    # An application configured only through the standard environment variables, as the README says.
    import json, sys
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": "env-app"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    tracer = provider.get_tracer("env-app")
    with tracer.start_as_current_span("chat gpt-4o-mini", attributes={
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 11,
        "gen_ai.usage.output_tokens": 5}) as span:
        with tracer.start_as_current_span("GET /weather", attributes={"http.request.method": "GET"}):
            pass
        trace_id = format(span.get_span_context().trace_id, "032x")
    provider.shutdown()
    print(trace_id)
""")


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_exporter_configured_by_environment_in_its_own_process(stack, compression):
    env = dict(os.environ,
               OTEL_EXPORTER_OTLP_ENDPOINT=stack.url,
               OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
               OTEL_EXPORTER_OTLP_HEADERS=f"X-Ingate-Key={stack.key}",
               OTEL_EXPORTER_OTLP_CERTIFICATE=stack.cert,
               OTEL_EXPORTER_OTLP_COMPRESSION=compression)
    done = subprocess.run([sys.executable, "-c", APP], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Failed to export" not in done.stderr, done.stderr
    trace_id = done.stdout.strip()
    rows = stack.rows("trace_id = ?", (trace_id,))
    assert [(r["span_name"], r["service_name"], r["model"], r["input_tokens"], r["output_tokens"]) for r in rows] == [
        ("chat gpt-4o-mini", "env-app", "gpt-4o-mini", 11, 5)]


def test_a_retried_export_is_stored_once(stack):
    exporter = OTLPSpanExporter(endpoint=stack.traces_url, headers={"X-Ingate-Key": stack.key},
                                certificate_file=stack.cert)
    spans = mixed_trace(7)
    before = stack.count()
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    assert stack.count() == before + 2
    assert len(stack.rows("trace_id = ?", (hex_trace(spans[0]),))) == 2


def test_parallel_exporters_store_every_span_exactly_once(stack):
    exporters, batches, genai_per_batch = 8, 10, 2
    before = stack.count()
    results = []
    lock = threading.Lock()

    def client(index):
        exporter = OTLPSpanExporter(endpoint=stack.traces_url, headers={"X-Ingate-Key": stack.key},
                                    certificate_file=stack.cert,
                                    compression=Compression.Gzip if index % 2 else Compression.NoCompression)
        for batch in range(batches):
            outcome = exporter.export(mixed_trace(index * 100 + batch))
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(exporters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert results == [SpanExportResult.SUCCESS] * (exporters * batches)
    assert stack.count() == before + exporters * batches * genai_per_batch


def test_logs_cli_shows_what_arrived(stack):
    exporter = OTLPSpanExporter(endpoint=stack.traces_url, headers={"X-Ingate-Key": stack.key},
                                certificate_file=stack.cert)
    spans = mixed_trace(9)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    table = stack.cli("logs", "--limit", "2")
    assert table.returncode == 0
    assert "PROVIDER" in table.stdout.splitlines()[0]
    assert "claude-3-5-sonnet" in table.stdout and "gpt-4o" in table.stdout
    lines = stack.cli("logs", "--limit", "2", "--json").stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert {r["trace_id"] for r in rows} == {hex_trace(spans[0])}
    assert {r["span_name"] for r in rows} == {"chat gpt-4o", "anthropic.chat"}


def test_a_deflate_bomb_is_refused_at_the_inflated_limit(stack):
    bomb = zlib.compress(b"\0" * (80 << 20), 9)
    assert len(bomb) < 200_000
    headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "deflate", "X-Ingate-Key": stack.key}
    refused = requests.post(stack.traces_url, data=bomb, headers=headers, verify=stack.cert, timeout=30)
    assert refused.status_code == 413


def test_a_zstd_body_is_read_and_a_zstd_bomb_refused(stack):

    spans = mixed_trace(12)
    headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "zstd", "X-Ingate-Key": stack.key}
    body = zstandard.ZstdCompressor(level=19).compress(encode_spans(spans).SerializeToString())
    response = requests.post(stack.traces_url, data=body, headers=headers, verify=stack.cert, timeout=30)
    assert response.status_code == 200, response.content
    check_rows(stack, spans)
    bomb = zstandard.ZstdCompressor(level=19).compress(b"\0" * (80 << 20))
    assert len(bomb) < 100_000
    refused = requests.post(stack.traces_url, data=bomb, headers=headers, verify=stack.cert, timeout=30)
    assert refused.status_code == 413
