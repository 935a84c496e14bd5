import sys
from strands import Agent
from strands.models.openai import OpenAIModel
from strands.telemetry import StrandsTelemetry
from common import INSTRUCTIONS, QUESTION, print_trace_id, root_span, tracer_provider

provider = tracer_provider()
StrandsTelemetry(tracer_provider=provider)
model = OpenAIModel(client_args={"api_key": "sk-fake", "base_url": sys.argv[1]}, model_id="gpt-4o-mini")
agent = Agent(model=model, system_prompt=INSTRUCTIONS, name="capitals", callback_handler=None)
with root_span(provider) as root:
    result = agent(QUESTION)
    assert "Paris." in str(result), str(result)
    print_trace_id(root)
provider.shutdown()
