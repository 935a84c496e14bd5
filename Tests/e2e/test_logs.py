"""POST /v1/logs with GenAI events built by hand, as SDKs of other languages send them: one log
record per message (`gen_ai.user.message`, `gen_ai.choice`, …), joined onto the span's row
whichever arrives first."""
import json
import os

import pytest
import requests
from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest, ExportLogsServiceResponse
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue, KeyValueList

from spans import chat_attributes, hex_span, hex_trace, make_spans

PROTOBUF = "application/x-protobuf"


def kvlist(**fields) -> AnyValue:
    values = []
    for key, value in fields.items():
        if isinstance(value, dict):
            values.append(KeyValue(key=key, value=kvlist(**value)))
        elif isinstance(value, int):
            values.append(KeyValue(key=key, value=AnyValue(int_value=value)))
        else:
            values.append(KeyValue(key=key, value=AnyValue(string_value=value)))
    return AnyValue(kvlist_value=KeyValueList(values=values))


def events_for(span, name_as_attribute=False) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    scope = request.resource_logs.add().scope_logs.add()
    scope.scope.name = "other-language-sdk"
    events = [
        ("gen_ai.system.message", kvlist(content="Answer briefly.")),
        ("gen_ai.user.message", kvlist(content="Capital of France?")),
        ("gen_ai.choice", kvlist(index=1, finish_reason="length", message={"content": "Paris is the"})),
        ("gen_ai.choice", kvlist(index=0, finish_reason="stop", message={"role": "assistant", "content": "Paris."})),
    ]
    for offset, (name, body) in enumerate(events):
        record = scope.log_records.add()
        record.time_unix_nano = span.start_time + offset
        record.trace_id = span.context.trace_id.to_bytes(16, "big")
        record.span_id = span.context.span_id.to_bytes(8, "big")
        record.body.CopyFrom(body)
        record.attributes.append(KeyValue(key="gen_ai.system", value=AnyValue(string_value="openai")))
        if name_as_attribute:
            record.attributes.append(KeyValue(key="event.name", value=AnyValue(string_value=name)))
        else:
            record.event_name = name
    other = scope.log_records.add()   # an ordinary log line: dropped
    other.body.string_value = "GET /health 200"
    return request


def as_json(request: ExportLogsServiceRequest) -> bytes:
    tree = MessageToDict(request, use_integers_for_enums=True)
    for resource in tree["resourceLogs"]:
        for scope in resource["scopeLogs"]:
            for record in scope["logRecords"]:
                for key in ("traceId", "spanId"):
                    if key in record:
                        import base64
                        record[key] = base64.b64decode(record[key]).hex().upper()
    return json.dumps(tree).encode()


EXPECTED_PROMPT = [
    {"role": "system", "parts": [{"type": "text", "content": "Answer briefly."}]},
    {"role": "user", "parts": [{"type": "text", "content": "Capital of France?"}]},
]
EXPECTED_COMPLETION = [
    {"role": "assistant", "parts": [{"type": "text", "content": "Paris."}], "finish_reason": "stop"},
    {"role": "assistant", "parts": [{"type": "text", "content": "Paris is the"}], "finish_reason": "length"},
]


def post(stack, path, body, content_type=PROTOBUF, key=None):
    return requests.post(stack.url + path, data=body, verify=stack.cert,
                         headers={"Content-Type": content_type, "X-Ingate-Key": key or stack.key})


def chat_span(n):
    [span] = make_spans([("chat gpt-4o", chat_attributes(n), 1_000_000)])
    return span


def row_of(stack, span):
    [row] = stack.rows("trace_id = ? AND span_id = ?", (hex_trace(span), hex_span(span)))
    return row


@pytest.mark.parametrize("order", ["logs first", "spans first"])
@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_per_message_events_are_joined_in_either_order(stack, order, encoding):
    span = chat_span(11 if order == "logs first" else 12)
    logs = events_for(span, name_as_attribute=(encoding == "json"))
    logs_body, logs_type = (logs.SerializeToString(), PROTOBUF) if encoding == "protobuf" else (as_json(logs), "application/json")
    steps = [("/v1/logs", logs_body, logs_type), ("/v1/traces", encode_spans([span]).SerializeToString(), PROTOBUF)]
    if order == "spans first":
        steps.reverse()
    for path, body, content_type in steps:
        response = post(stack, path, body, content_type)
        assert response.status_code == 200, response.content
    row = row_of(stack, span)
    assert json.loads(row["prompt"]) == EXPECTED_PROMPT
    assert json.loads(row["completion"]) == EXPECTED_COMPLETION


def test_a_retried_logs_export_adds_nothing_and_partial_success_is_reported(stack):
    span = chat_span(13)
    body = events_for(span).SerializeToString()
    assert post(stack, "/v1/traces", encode_spans([span]).SerializeToString()).status_code == 200
    assert post(stack, "/v1/logs", body).status_code == 200
    assert post(stack, "/v1/logs", body).status_code == 200
    row = row_of(stack, span)
    assert json.loads(row["prompt"]) == EXPECTED_PROMPT
    assert json.loads(row["completion"]) == EXPECTED_COMPLETION

    unplaced = events_for(span)
    unplaced.resource_logs[0].scope_logs[0].log_records[0].span_id = b""
    response = post(stack, "/v1/logs", unplaced.SerializeToString())
    answer = ExportLogsServiceResponse()
    answer.ParseFromString(response.content)
    assert response.status_code == 200
    assert answer.partial_success.rejected_log_records == 1


def test_content_never_crosses_keys(stack):
    other = stack.cli("keys", "create", "--name", "other-tenant").stdout.strip().splitlines()[-1]
    span = chat_span(14)
    assert post(stack, "/v1/traces", encode_spans([span]).SerializeToString()).status_code == 200
    assert post(stack, "/v1/logs", events_for(span).SerializeToString(), key=other).status_code == 200
    row = row_of(stack, span)
    assert (row["prompt"], row["completion"]) == (None, None)


def test_logs_endpoint_statuses(stack):
    assert post(stack, "/v1/logs", b"{}", "application/json").content == b"{}"
    assert post(stack, "/v1/logs", b"", PROTOBUF, key="sk-ingate-unknown-key-000000").status_code == 401
    assert post(stack, "/v1/logs", b"x", "text/plain").status_code == 415
    assert post(stack, "/v1/logs", b"\\xff\\xff\\xff", PROTOBUF).status_code == 400
