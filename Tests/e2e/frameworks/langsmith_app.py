import sys
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from common import INSTRUCTIONS, QUESTION, print_trace_id, root_span, tracer_provider

# LANGSMITH_TRACING and LANGSMITH_TRACING_MODE=otel (set by the caller) send the runs as OTel spans
# through the global tracer provider, and nothing to LangSmith's service.
provider = tracer_provider()
llm = ChatOpenAI(model="gpt-4o-mini", base_url=sys.argv[1], api_key="sk-fake")
with root_span(provider) as root:
    answer = llm.invoke([SystemMessage(INSTRUCTIONS), HumanMessage(QUESTION)])
    assert answer.content == "Paris.", answer.content
    print_trace_id(root)
from langchain_core.tracers.langchain import wait_for_all_tracers
wait_for_all_tracers()
provider.shutdown()
