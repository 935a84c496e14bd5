"""An OpenAI client call under an instrumentor: OpenLLMetry's or OpenInference's, as
INGATE_INSTRUMENTOR says (both libraries name theirs OpenAIInstrumentor)."""
import importlib
import os
import sys
from openai import OpenAI
from common import INSTRUCTIONS, QUESTION, print_trace_id, root_span, tracer_provider

MODULES = {"openllmetry": "opentelemetry.instrumentation.openai", "openinference": "openinference.instrumentation.openai"}

provider = tracer_provider()
importlib.import_module(MODULES[os.environ["INGATE_INSTRUMENTOR"]]).OpenAIInstrumentor().instrument(tracer_provider=provider)
client = OpenAI(base_url=sys.argv[1], api_key="sk-fake")
with root_span(provider) as root:
    client.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": QUESTION}])
    print_trace_id(root)
provider.shutdown()
