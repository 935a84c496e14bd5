"""Every model call counted once, whichever instrumentation sent it (issue: usage you can trust)."""
import datetime
import json
import subprocess
import uuid

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult

from conftest import BIN
from spans import chat_attributes, make_spans


def export(stack, spans):
    exporter = OTLPSpanExporter(endpoint=stack.traces_url, headers={"X-Ingate-Key": stack.key},
                                certificate_file=stack.cert)
    assert exporter.export(spans) == SpanExportResult.SUCCESS


def usage(stack, model: str) -> dict | None:
    """This model's line of `stats --json`, over a window that holds the test spans."""
    done = stack.cli("stats", "--since", "36500d", "--json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    return next((line for line in lines if line["model"] == model), None)


def test_the_seeds_own_example_is_a_counted_call(stack):
    model = f"gpt-seed-{uuid.uuid4().hex[:8]}"
    # The span of the page users read: no gen_ai.operation.name.
    seed = {"gen_ai.system": "openai", "gen_ai.request.model": model, "gen_ai.prompt": "Hello",
            "gen_ai.completion": "Hi there", "gen_ai.usage.prompt_tokens": 12, "gen_ai.usage.completion_tokens": 4}
    export(stack, make_spans([("llm call", seed, 1_000_000)]))
    [row] = stack.rows("model = ?", (model,))
    assert row["operation"] == "chat"
    assert usage(stack, model) == {"provider": "openai", "model": model, "calls": 1, "input_tokens": 12, "output_tokens": 4,
                                   "cache_read_tokens": 0, "cache_write_tokens": 0, "reasoning_tokens": 0,
                                   "cost_usd": None}   # a model no price table knows: unknown, not 0
    table = stack.cli("logs", "--limit", "1").stdout
    assert "model calls: 1, input tokens: 12, output tokens: 4" in table


@pytest.mark.parametrize("order", ["child first", "parent first", "one export"])
def test_a_call_recorded_by_two_stacked_instrumentations_counts_once(stack, order):
    model = f"gpt-stacked-{uuid.uuid4().hex[:8]}"
    outer = dict(chat_attributes(0), **{"gen_ai.request.model": model, "gen_ai.usage.input_tokens": 50, "gen_ai.usage.output_tokens": 7})
    inner = dict(chat_attributes(0), **{"gen_ai.request.model": model, "gen_ai.usage.input_tokens": 50, "gen_ai.usage.output_tokens": 7})
    parent, child = make_spans([("chat outer", outer, 5_000_000), ("chat inner", inner, 4_000_000)])
    if order == "one export":
        export(stack, [parent, child])
    else:
        for span in ([child, parent] if order == "child first" else [parent, child]):
            export(stack, [span])
    assert len(stack.rows("model = ?", (model,))) == 2
    line = usage(stack, model)
    assert (line["calls"], line["input_tokens"], line["output_tokens"]) == (1, 50, 7)


def test_an_agent_span_that_sums_its_calls_is_not_counted(stack):
    model = f"gpt-agent-{uuid.uuid4().hex[:8]}"
    agent = {"gen_ai.agent.name": "support", "gen_ai.request.model": model, "gen_ai.system": "openai",
             "gen_ai.usage.input_tokens": 30, "gen_ai.usage.output_tokens": 6}
    call = dict(chat_attributes(0), **{"gen_ai.request.model": model, "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 2})
    spans = make_spans([("agent run", agent, 9_000_000), ("chat a", call, 1_000_000), ("chat b", call, 1_000_000),
                        ("chat c", call, 1_000_000)])
    export(stack, spans)
    rows = {r["span_name"]: r for r in stack.rows("model = ?", (model,))}
    assert rows["agent run"]["operation"] == "invoke_agent"
    line = usage(stack, model)
    assert (line["calls"], line["input_tokens"], line["output_tokens"]) == (3, 30, 6)


def test_stats_by_day_and_by_service_through_the_cli(stack):
    model = f"gpt-days-{uuid.uuid4().hex[:8]}"
    service = f"svc-{uuid.uuid4().hex[:8]}"
    attributes = dict(chat_attributes(0), **{"gen_ai.request.model": model, "gen_ai.usage.input_tokens": 5})
    spans = make_spans([("chat x", attributes, 1_000_000)], service=service)
    export(stack, spans)
    day = datetime.datetime.fromtimestamp(spans[0].start_time / 1e9, datetime.timezone.utc).strftime("%Y-%m-%d")
    by_service = [json.loads(line) for line in stack.cli("stats", "--since", "36500d", "--by", "service", "--json").stdout.splitlines()]
    line = next(s for s in by_service if s["service"] == service)
    assert (line["calls"], line["input_tokens"]) == (1, 5)
    by_day = [json.loads(line) for line in stack.cli("stats", "--since", "36500d", "--by", "day", "--json").stdout.splitlines()]
    assert any(line["day"] == day and line["calls"] >= 1 for line in by_day)
    by_key = [json.loads(line) for line in stack.cli("stats", "--since", "36500d", "--by", "key", "--json").stdout.splitlines()]
    assert [line["key"] for line in by_key] == ["1"]
    table = stack.cli("stats", "--since", "36500d", "--by", "service").stdout
    assert service in table and "TOTAL" in table.splitlines()[-1]


def test_cost_from_the_price_table_and_as_reported(stack):
    model = "gpt-4o"
    rates = json.loads(subprocess.run([BIN, "prices", "lookup", model, "--provider", "openai", "--json"],
                                      capture_output=True, text=True, check=True).stdout)
    assert rates["found"] and rates["source"].startswith("genai-prices ")
    service = f"svc-cost-{uuid.uuid4().hex[:8]}"
    priced = dict(chat_attributes(0), **{"gen_ai.usage.input_tokens": 1_000_000, "gen_ai.usage.output_tokens": 1_000})
    reported = dict(chat_attributes(0), **{"gen_ai.usage.cost": 0.42})
    unknown = dict(chat_attributes(0), **{"gen_ai.request.model": f"no-such-model-{uuid.uuid4().hex[:6]}"})
    spans = make_spans([("POST /ask", {"http.request.method": "POST"}, 9_000_000), ("chat priced", priced, 1_000_000),
                        ("chat reported", reported, 1_000_000),
                        ("chat unknown", unknown, 1_000_000)], service=service)
    export(stack, spans)
    rows = {r["span_name"]: r for r in stack.rows("service_name = ?", (service,))}
    assert rows["chat priced"]["cost_source"] == "prices"
    assert rows["chat priced"]["cost_usd"] == pytest.approx(rates["input"] + 1_000 * rates["output"] / 1e6)
    assert (rows["chat reported"]["cost_usd"], rows["chat reported"]["cost_source"]) == (0.42, "reported")
    assert (rows["chat unknown"]["cost_usd"], rows["chat unknown"]["cost_source"]) == (None, None)
    by_service = [json.loads(line) for line in stack.cli("stats", "--since", "36500d", "--by", "service", "--json").stdout.splitlines()]
    line = next(s for s in by_service if s["service"] == service)
    assert line["cost_usd"] == pytest.approx(rows["chat priced"]["cost_usd"] + 0.42)
    assert subprocess.run([BIN, "prices", "lookup", "no-such-model-at-all"], capture_output=True).returncode == 2


def test_unmapped_names_the_spans_kept_without_anything_of_a_call(stack):
    name = f"execute_event_loop_cycle {uuid.uuid4().hex[:6]}"
    export(stack, make_spans([("POST /run", {"http.request.method": "POST"}, 5_000_000),
                              (name, {"gen_ai.system": "strands-agents", "gen_ai.event_loop.cycle_id": "c1"}, 1_000_000)]))
    lines = [json.loads(line) for line in stack.cli("unmapped", "--since", "36500d", "--json").stdout.splitlines()]
    line = next(l for l in lines if l["span_name"] == name)
    assert line["count"] == 1 and line["scope_name"] == "e2e-tests"
    assert line["attribute_keys"] == ["gen_ai.event_loop.cycle_id", "gen_ai.system"]
    assert name in stack.cli("unmapped", "--since", "36500d").stdout
