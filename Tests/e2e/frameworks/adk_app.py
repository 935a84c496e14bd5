import asyncio
import sys
from google.adk.agents import LlmAgent
from google.adk.models.lite_llm import LiteLlm
from google.adk.runners import InMemoryRunner
from google.genai import types
from common import INSTRUCTIONS, QUESTION, print_trace_id, root_span, tracer_provider

provider = tracer_provider()   # ADK traces through the global tracer provider
model = LiteLlm(model="openai/gpt-4o-mini", api_base=sys.argv[1], api_key="sk-fake")
agent = LlmAgent(name="capitals", model=model, instruction=INSTRUCTIONS)


async def ask() -> str:
    runner = InMemoryRunner(agent=agent, app_name="capitals")
    session = await runner.session_service.create_session(app_name="capitals", user_id="user")
    text = ""
    async for event in runner.run_async(user_id="user", session_id=session.id,
                                        new_message=types.Content(role="user", parts=[types.Part(text=QUESTION)])):
        if event.content and event.content.parts:
            text += "".join(part.text or "" for part in event.content.parts)
    return text


with root_span(provider) as root:
    answer = asyncio.run(ask())
    assert "Paris." in answer, answer
    print_trace_id(root)
provider.shutdown()
