"""The agent frameworks and gateways people run, each the real library from PyPI (in a venv of
its own, `.venv-frameworks/NAME`, from Tests/e2e/frameworks/requirements/NAME.txt) calling the
local fake model and exporting to our nginx over TLS as its documentation says. Each must give
exactly one counted model call with the vendor as provider, its tokens and cost, and its prompt
and completion as chat messages; no framework words as operations; no empty echo rows."""
import json
import subprocess
import uuid

import pytest

from fake_model import ANSWER, fake_model_server
from framework_catalog import APPS, FRAMEWORKS, app_env
from test_instrumentation import otel_env

QUESTION = "What is the capital of France?"
MODEL_CALLS = {"chat", "text_completion", "generate_content", "embeddings"}
REGISTRY_OPERATIONS = MODEL_CALLS | {"retrieval", "execute_tool", "create_agent", "invoke_agent", "invoke_workflow", "rerank"}


@pytest.fixture(scope="module")
def fake_model():
    with fake_model_server() as url:
        yield url


def run_app(stack, name: str, fake_model: str) -> tuple[str, str]:
    """Runs the framework's app; returns its service name and the trace id it printed."""
    framework = FRAMEWORKS[name]
    service = f"{name}-{uuid.uuid4().hex[:8]}"
    env = app_env(framework, otel_env(stack), stack.traces_url, service)
    done = subprocess.run([str(framework.python), str(framework.script), fake_model], env=env, cwd=APPS,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Failed to export" not in done.stderr, done.stderr
    return service, done.stdout.split()[-1]


def texts(message: dict) -> list[str]:
    return [part["content"].strip() for part in message["parts"] if part.get("type") == "text"]


def holds_nothing(row: dict) -> bool:
    return all(row[column] is None for column in ("operation", "model", "input_tokens", "output_tokens", "prompt", "completion"))


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_framework_gives_one_counted_call_with_its_content(stack, fake_model, name):
    service, trace_id = run_app(stack, name, fake_model)
    rows = stack.rows("trace_id = ?", (trace_id,))
    assert rows, f"no row for trace {trace_id}"
    by_span = {row["span_id"]: row for row in rows}
    calls = [row for row in rows if row["operation"] in MODEL_CALLS]
    # A call that is the parent of a call with usage repeats its child's tokens (ADK schema 1).
    counted = [row for row in calls
               if not any(child["parent_span_id"] == row["span_id"] and child["input_tokens"] is not None for child in calls)]
    assert len(counted) == 1, [(r["span_name"], r["operation"]) for r in rows]
    call = counted[0]
    assert call["provider"] == "openai", call
    assert call["model"] in ("gpt-4o-mini", "openai/gpt-4o-mini", "gpt-4o-mini-2024-07-18"), call["model"]
    assert (call["input_tokens"], call["output_tokens"]) == (21, 3)
    assert call["cost_usd"] is not None and call["cost_usd"] > 0
    assert call["cost_source"] == FRAMEWORKS[name].cost_source

    # The receiver's own totals agree: one call, its tokens, its cost.
    done = stack.cli("stats", "--since", "36500d", "--by", "service", "--json")
    line = next(json.loads(l) for l in done.stdout.splitlines() if json.loads(l)["service"] == service)
    assert (line["calls"], line["input_tokens"], line["output_tokens"]) == (1, 21, 3)
    assert line["cost_usd"] == pytest.approx(call["cost_usd"])

    # The prompt and completion of the call, as chat messages, wherever the library put them.
    with_content = [row for row in calls if row["prompt"] and row["completion"]]
    assert with_content, [(r["span_name"], r["prompt"], r["completion"]) for r in calls]
    for row in with_content:
        prompt, completion = json.loads(row["prompt"]), json.loads(row["completion"])
        assert [m["role"] for m in prompt] == ["system", "user"], prompt
        assert texts(prompt[0])[0].startswith("Answer briefly."), prompt
        assert texts(prompt[1]) == [QUESTION], prompt
        assert [m["role"] for m in completion] == ["assistant"] and texts(completion[0]) == [ANSWER], completion

    for row in rows:
        assert row["operation"] in REGISTRY_OPERATIONS | {None}, (row["span_name"], row["operation"])
        parent = by_span.get(row["parent_span_id"])
        assert not (holds_nothing(row) and parent and parent["model"]), f"empty echo row {row['span_name']}"
    if FRAMEWORKS[name].agent:
        agents = [row for row in rows if row["operation"] == "invoke_agent" and row["agent_name"] == "capitals"]
        assert agents, [(r["span_name"], r["operation"], r["agent_name"]) for r in rows]
