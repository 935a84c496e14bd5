"""What the framework apps share: a tracer provider exporting OTLP/HTTP protobuf as the standard
OTEL_* variables say (endpoint, headers, certificate, OTEL_SERVICE_NAME), and the question that
the fake model answers. Each app prints the trace id of its call, for the test to find its rows."""
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

QUESTION = "What is the capital of France?"
INSTRUCTIONS = "Answer briefly."


def tracer_provider() -> TracerProvider:
    """Also the global provider: most frameworks trace through it."""
    provider = TracerProvider(resource=Resource.create())
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def root_span(provider: TracerProvider):
    """The application's own span around the call (not GenAI: the receiver drops it)."""
    return provider.get_tracer("app").start_as_current_span("handle question")


def print_trace_id(span) -> None:
    print(format(span.get_span_context().trace_id, "032x"), flush=True)
