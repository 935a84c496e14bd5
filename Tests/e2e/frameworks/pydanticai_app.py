import sys
from pydantic_ai import Agent
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider
from common import INSTRUCTIONS, QUESTION, print_trace_id, root_span, tracer_provider

provider = tracer_provider()
model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(base_url=sys.argv[1], api_key="sk-fake"))
Agent.instrument_all(InstrumentationSettings(tracer_provider=provider, include_content=True))
agent = Agent(model, instructions=INSTRUCTIONS, name="capitals")
with root_span(provider) as root:
    result = agent.run_sync(QUESTION)
    assert result.output == "Paris.", result.output
    print_trace_id(root)
provider.shutdown()
