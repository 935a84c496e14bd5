"""Builds real SDK spans (ReadableSpan) with chosen attributes, so that tests can hand them to
the real OTLP exporters and know exactly what each stored row must hold."""
import random

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

BASE_NS = 1_764_000_000_000_000_000


def chat_attributes(n: int) -> dict:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 100 + n,
        "gen_ai.usage.output_tokens": 20 + n,
    }


def legacy_attributes(n: int) -> dict:
    return {
        "gen_ai.system": "anthropic",
        "gen_ai.request.model": "claude-3-5-sonnet",
        "gen_ai.usage.prompt_tokens": 300 + n,
        "gen_ai.usage.completion_tokens": 40 + n,
        "gen_ai.prompt": f"question {n}",
        "gen_ai.completion": f"answer {n}",
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.stop_sequences": ("END", "STOP"),
    }


def make_spans(specs: list[tuple[str, dict, int]], service: str = "e2e-app", error_on: str | None = None,
               start_ns: int | None = None):
    """specs: (name, attributes, duration_ns). Every span is a child of the first one, in one new
    trace, starting at `start_ns` (default: a random time in late 2025); returns the finished ReadableSpans."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("e2e-tests", "1.0")
    start = start_ns if start_ns is not None else BASE_NS + random.randrange(10**12)
    root_name, root_attributes, root_duration = specs[0]
    root = tracer.start_span(root_name, kind=SpanKind.CLIENT, attributes=root_attributes, start_time=start)
    from opentelemetry import trace
    context = trace.set_span_in_context(root)
    for offset, (name, attributes, duration) in enumerate(specs[1:], start=1):
        child = tracer.start_span(name, context=context, kind=SpanKind.CLIENT, attributes=attributes,
                                  start_time=start + offset * 1000)
        if name == error_on:
            child.set_status(Status(StatusCode.ERROR, "provider said no"))
        child.end(end_time=start + offset * 1000 + duration)
    root.end(end_time=start + root_duration)
    spans = memory.get_finished_spans()
    provider.shutdown()
    return list(spans)


def hex_trace(span) -> str:
    return format(span.context.trace_id, "032x")


def hex_span(span) -> str:
    return format(span.context.span_id, "016x")
