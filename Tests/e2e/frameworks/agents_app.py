import os
import sys
import logfire
from agents import Agent, OpenAIChatCompletionsModel, Runner, set_trace_processors
from openai import AsyncOpenAI
from common import INSTRUCTIONS, QUESTION

# The SDK's own processor would send traces to OpenAI: off. Logfire is the OTel bridge and exports
# through the standard OTEL_EXPORTER_OTLP_* settings only (nothing to logfire's service).
set_trace_processors([])
logfire.configure(send_to_logfire=False, service_name=os.environ["OTEL_SERVICE_NAME"], console=False)
logfire.instrument_openai_agents()
model = OpenAIChatCompletionsModel(model="gpt-4o-mini", openai_client=AsyncOpenAI(base_url=sys.argv[1], api_key="sk-fake"))
agent = Agent(name="capitals", instructions=INSTRUCTIONS, model=model)
with logfire.span("handle question") as root:
    result = Runner.run_sync(agent, QUESTION)
    assert result.final_output == "Paris.", result.final_output
    print(format(root.get_span_context().trace_id, "032x"), flush=True)
logfire.force_flush()
