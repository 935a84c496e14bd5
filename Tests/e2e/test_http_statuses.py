"""Every error status of the contract, as a client sees it through nginx, and nothing stored."""
import gzip
import json

import pytest
import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from google.rpc.status_pb2 import Status

from spans import chat_attributes, make_spans
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans


def valid_body() -> bytes:
    return encode_spans(make_spans([("chat gpt-4o", chat_attributes(1), 1_000_000)])).SerializeToString()


PROTOBUF = "application/x-protobuf"

CASES = [
    # name, method, path, headers (key added unless "no-key"), body, status, body check
    ("unknown path", "POST", "/v2/traces", {"Content-Type": PROTOBUF}, valid_body, 404, "json"),
    ("other OTLP path", "POST", "/v1/metrics", {"Content-Type": PROTOBUF}, valid_body, 404, "protobuf"),
    ("GET", "GET", "/v1/traces", {"Content-Type": PROTOBUF}, lambda: b"", 405, "protobuf"),
    # nginx answers a refused key itself, before and without reading the body, in the request's encoding.
    ("missing key", "POST", "/v1/traces", {"Content-Type": PROTOBUF, "no-key": "1"}, valid_body, 401, "protobuf"),
    ("unknown key", "POST", "/v1/traces", {"Content-Type": "application/json", "X-Ingate-Key": "sk-ingate-nope"}, lambda: b"{}", 401, "json"),
    ("text/plain", "POST", "/v1/traces", {"Content-Type": "text/plain"}, lambda: b"hello", 415, "json"),
    ("brotli", "POST", "/v1/traces", {"Content-Type": PROTOBUF, "Content-Encoding": "br"}, valid_body, 415, "protobuf"),
    ("5 MiB body", "POST", "/v1/traces", {"Content-Type": PROTOBUF}, lambda: b"\0" * (5 << 20), 413, "protobuf"),
    ("5 MiB JSON body", "POST", "/v1/traces", {"Content-Type": "application/json"}, lambda: b" " * (5 << 20), 413, "json"),
    ("gzip bomb", "POST", "/v1/traces", {"Content-Type": PROTOBUF, "Content-Encoding": "gzip"},
     lambda: gzip.compress(b"\0" * (80 << 20), 9), 413, "protobuf"),
    ("garbage protobuf", "POST", "/v1/traces", {"Content-Type": PROTOBUF}, lambda: b"\xff\xff\xff\xff\x0f", 400, "protobuf"),
    ("garbage JSON", "POST", "/v1/traces", {"Content-Type": "application/json; charset=utf-8"}, lambda: b'{"resourceSpans":', 400, "json"),
]


@pytest.mark.parametrize("name,method,path,headers,body,status,encoding", CASES, ids=[c[0] for c in CASES])
def test_error_statuses_through_nginx_store_nothing(stack, name, method, path, headers, body, status, encoding):
    headers = dict(headers)
    if headers.pop("no-key", None) is None:
        headers.setdefault("X-Ingate-Key", stack.key)
    before = stack.count()
    response = requests.request(method, stack.url + path, headers=headers, data=body(), verify=stack.cert, timeout=60)
    assert response.status_code == status, response.content[:300]
    if encoding == "json":
        assert response.headers["Content-Type"].startswith("application/json")
        assert json.loads(response.content)["message"]
    else:
        assert response.headers["Content-Type"] == PROTOBUF
        message = Status()
        message.ParseFromString(response.content)
        assert message.message
    if status == 405:
        assert response.headers["Allow"] == "POST"
    assert stack.count() == before


def test_success_bodies_are_empty_protobuf_and_empty_json_object(stack):
    body = valid_body()
    response = requests.post(stack.traces_url, data=body, verify=stack.cert,
                             headers={"Content-Type": PROTOBUF, "Authorization": f"Bearer {stack.key}"})
    assert (response.status_code, response.content, response.headers["Content-Type"]) == (200, b"", PROTOBUF)
    response = requests.post(stack.traces_url, data=b'{"resourceSpans":[]}', verify=stack.cert,
                             headers={"Content-Type": "application/json", "X-Ingate-Key": stack.key})
    assert (response.status_code, response.content) == (200, b"{}")


def test_partial_success_reports_rejected_spans_and_keeps_the_rest(stack):
    request = encode_spans(make_spans([("chat a", chat_attributes(1), 1000), ("chat b", chat_attributes(2), 1000)]))
    spans = {s.name: s for s in request.resource_spans[0].scope_spans[0].spans}
    good_trace = spans["chat b"].trace_id.hex()
    spans["chat a"].trace_id = b"\x01\x02"
    response = requests.post(stack.traces_url, data=request.SerializeToString(), verify=stack.cert,
                             headers={"Content-Type": PROTOBUF, "X-Ingate-Key": stack.key})
    assert response.status_code == 200
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
    answer = ExportTraceServiceResponse()
    answer.ParseFromString(response.content)
    assert answer.partial_success.rejected_spans == 1
    assert "trace_id" in answer.partial_success.error_message
    assert [r["span_name"] for r in stack.rows("trace_id = ?", (good_trace,))] == ["chat b"]


def test_the_key_never_reaches_a_log(stack):
    requests.post(stack.traces_url, data=valid_body(), verify=stack.cert,
                  headers={"Content-Type": PROTOBUF, "X-Ingate-Key": stack.key})
    # The banner shows the development key on purpose; every line after it is a log line.
    logs = stack.text().split("Stop with Ctrl-C.", 1)[1] + (stack.data / "access.log").read_text()
    assert "/v1/traces" in logs
    assert stack.key not in logs
