import sys
import threading
import litellm
from litellm.integrations.opentelemetry import OpenTelemetry, OpenTelemetryConfig
from opentelemetry.sdk.trace import SpanProcessor
from common import INSTRUCTIONS, QUESTION, tracer_provider


class RawSpanEnded(SpanProcessor):
    """LiteLLM records its spans from a callback thread after the call returns, the
    `litellm_request` span and then its `raw_gen_ai_request` child: wait for the second."""
    def __init__(self):
        self.done = threading.Event()

    def on_end(self, span):
        if span.name == "litellm_request":
            print(format(span.context.trace_id, "032x"), flush=True)
        if span.name == "raw_gen_ai_request":
            self.done.set()


provider = tracer_provider()
ended = RawSpanEnded()
provider.add_span_processor(ended)
litellm.callbacks = [OpenTelemetry(config=OpenTelemetryConfig(exporter="otlp_http"), tracer_provider=provider)]
response = litellm.completion(model="openai/gpt-4o-mini", api_base=sys.argv[1], api_key="sk-fake",
                              messages=[{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": QUESTION}])
assert response.choices[0].message.content == "Paris."
assert ended.done.wait(30), "LiteLLM recorded no raw request span"
provider.shutdown()
