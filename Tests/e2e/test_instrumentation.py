"""A real instrumentation library from PyPI (opentelemetry-instrumentation-openai-v2 with the
openai client) calling the fake model (fake_model.py), exporting through nginx."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from fake_model import fake_model_server


@pytest.fixture()
def fake_openai():
    with fake_model_server() as url:
        yield url


APP = textwrap.dedent("""
    import sys
    from openai import OpenAI
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    provider = TracerProvider(resource=Resource.create({"service.name": "openai-app"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    client = OpenAI(base_url=sys.argv[1], api_key="sk-fake")
    tracer = provider.get_tracer("app")
    with tracer.start_as_current_span("handle question") as root:
        client.chat.completions.create(model="gpt-4o-mini", messages=[
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "What is the capital of France?"},
        ])
        print(format(root.get_span_context().trace_id, "032x"))
    provider.shutdown()
""")


def otel_env(stack, **settings) -> dict:
    """The environment of an application pointed at the stack as the README says."""
    return dict(os.environ,
                OTEL_EXPORTER_OTLP_ENDPOINT=stack.url,
                OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
                OTEL_EXPORTER_OTLP_HEADERS=f"X-Ingate-Key={stack.key}",
                OTEL_EXPORTER_OTLP_CERTIFICATE=stack.cert,
                OTEL_SEMCONV_STABILITY_OPT_IN="gen_ai_latest_experimental",
                **settings)


def test_openai_v2_instrumentation_row_has_every_column(stack, fake_openai):
    env = otel_env(stack, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="span_only")
    done = subprocess.run([sys.executable, "-c", APP, fake_openai], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    trace_id = done.stdout.strip()
    rows = stack.rows("trace_id = ?", (trace_id,))
    assert len(rows) == 1, rows   # the app's own "handle question" span is not GenAI
    row = rows[0]
    assert (row["operation"], row["provider"], row["model"], row["response_model"]) == (
        "chat", "openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18")
    assert (row["input_tokens"], row["output_tokens"]) == (21, 3)
    assert row["service_name"] == "openai-app"
    assert row["scope_name"].startswith("opentelemetry.")   # the instrumentation's tracer
    assert json.loads(row["finish_reasons"]) == ["stop"]
    prompt = json.loads(row["prompt"])
    assert [m["role"] for m in prompt] == ["system", "user"]
    assert prompt[0]["parts"] == [{"type": "text", "content": "Answer briefly."}]
    assert prompt[1]["parts"] == [{"type": "text", "content": "What is the capital of France?"}]
    assert json.loads(row["completion"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Paris."}], "finish_reason": "stop"}]
    assert json.loads(row["resource"])["service.name"] == "openai-app"


APP_WITH_EVENTS = textwrap.dedent("""
    import sys
    from openai import OpenAI
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    resource = Resource.create({"service.name": "openai-events-app"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
    OpenAIInstrumentor().instrument(tracer_provider=tracer_provider, logger_provider=logger_provider)
    client = OpenAI(base_url=sys.argv[1], api_key="sk-fake")
    with tracer_provider.get_tracer("app").start_as_current_span("handle question") as root:
        client.chat.completions.create(model="gpt-4o-mini", messages=[
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "What is the capital of France?"},
        ])
        print(format(root.get_span_context().trace_id, "032x"))
    # Logs first, then spans: the receiver must join them in either order.
    logger_provider.shutdown()
    tracer_provider.shutdown()
""")


def test_openai_v2_content_sent_as_log_events_is_joined_onto_the_span(stack, fake_openai):
    env = otel_env(stack, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="event_only",
                   OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT="true")
    done = subprocess.run([sys.executable, "-c", APP_WITH_EVENTS, fake_openai], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Failed to export" not in done.stderr, done.stderr
    rows = stack.rows("trace_id = ?", (done.stdout.strip(),))
    assert len(rows) == 1
    row = rows[0]
    assert (row["model"], row["input_tokens"], row["output_tokens"]) == ("gpt-4o-mini", 21, 3)
    prompt = json.loads(row["prompt"])
    assert [m["role"] for m in prompt] == ["system", "user"]
    assert prompt[1]["parts"] == [{"type": "text", "content": "What is the capital of France?"}]
    completion = json.loads(row["completion"])
    assert completion[0]["role"] == "assistant"
    assert completion[0]["parts"] == [{"type": "text", "content": "Paris."}]


def test_content_uploaded_elsewhere_is_stored_as_its_reference(stack, fake_openai, tmp_path):
    """opentelemetry-util-genai's upload hook writes the messages to storage of the application's
    and puts only `gen_ai.*_ref` on the span: the row holds the references, not fetched."""
    env = otel_env(stack, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="NO_CONTENT",
                   OTEL_INSTRUMENTATION_GENAI_COMPLETION_HOOK="upload",
                   OTEL_INSTRUMENTATION_GENAI_UPLOAD_BASE_PATH=tmp_path.as_uri())
    done = subprocess.run([sys.executable, "-c", APP, fake_openai], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    row = stack.rows("trace_id = ?", (done.stdout.strip(),))[0]
    assert row["prompt"].startswith(tmp_path.as_uri()) and row["prompt"].endswith("_inputs.json"), row["prompt"]
    assert row["completion"].startswith(tmp_path.as_uri()) and row["completion"].endswith("_outputs.json")
    assert (row["input_tokens"], row["output_tokens"]) == (21, 3)
    uploaded = json.loads((tmp_path / row["prompt"].rsplit("/", 1)[1]).read_text())
    assert uploaded[-1]["parts"][0]["content"] == "What is the capital of France?"
