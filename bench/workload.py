"""Writes the benchmark's request bodies: workload W1 of issue 5 and its variants.

Each request is one ExportTraceServiceRequest (1 resource, 1 scope) of N spans in traces of 10
spans: half GenAI chat spans (provider, model, ~1 KiB prompt, ~512 B completion, token counts),
half HTTP and database spans. With N = 100 the protobuf body is ~160 KiB. The load generator
gives every request fresh trace ids by writing a scrambled request counter into the last 8 bytes
of each trace id (random-looking, as SDKs make them), and moves the spans' times to the present;
this file lists where those ids and times are (byte offsets) in the body.

    python bench/workload.py OUT_DIR   -> OUT_DIR/{w1,w10,w1000}.{pb,json} + .offsets
"""
import json
import os
import random
import struct
import sys

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

random.seed(7)
WORDS = "the a model answer question data system user cloud latency token stream cache request policy".split()


def text(size: int) -> str:
    out = []
    while sum(len(w) + 1 for w in out) < size:
        out.append(random.choice(WORDS))
    return " ".join(out)[:size]


def kv(key, value) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def genai_attributes(i: int) -> list:
    prompt = json.dumps([{"role": "system", "parts": [{"type": "text", "content": text(200)}]},
                         {"role": "user", "parts": [{"type": "text", "content": text(760)}]}])
    completion = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": text(440)}],
                              "finish_reason": "stop"}])
    return [kv("gen_ai.operation.name", "chat"), kv("gen_ai.provider.name", "openai"),
            kv("gen_ai.request.model", "gpt-4o-mini"), kv("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
            kv("gen_ai.request.temperature", 0.7), kv("gen_ai.usage.input_tokens", 200 + i),
            kv("gen_ai.usage.output_tokens", 90 + i), kv("gen_ai.response.id", f"chatcmpl-{i:08d}"),
            kv("gen_ai.input.messages", prompt), kv("gen_ai.output.messages", completion),
            kv("server.address", "api.openai.com"), kv("server.port", 443)]


def other_attributes(i: int) -> list:
    if i % 2:
        return [kv("http.request.method", "POST"), kv("url.full", "https://shop.example.com/api/v2/orders/" + "x" * 80),
                kv("http.response.status_code", 200), kv("user_agent.original", text(300)),
                kv("server.address", "shop.example.com"), kv("network.protocol.version", "1.1"),
                kv("http.request.header.accept", text(400))]
    return [kv("db.system.name", "postgresql"), kv("db.namespace", "orders"),
            kv("db.operation.name", "SELECT"), kv("db.query.text", "SELECT " + text(900) + " FROM orders WHERE id = $1"),
            kv("server.address", "db.internal"), kv("server.port", 5432)]


def build(spans: int):
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend([kv("service.name", "bench-app"), kv("service.version", "1.2.3"),
                                               kv("deployment.environment.name", "bench")])
    scope = resource_spans.scope_spans.add()
    scope.scope.name = "bench"
    trace_ids = []
    start = 1_764_000_000_000_000_000
    for i in range(spans):
        if i % 10 == 0:
            trace_ids.append(os.urandom(8) + b"\0" * 8)
        span = scope.spans.add()
        span.trace_id = trace_ids[-1]
        span.span_id = (i + 1).to_bytes(8, "big")
        if i % 10:
            span.parent_span_id = (i // 10 * 10 + 1).to_bytes(8, "big")
        span.kind = 3
        span.start_time_unix_nano = start + i * 1_000_000
        span.end_time_unix_nano = span.start_time_unix_nano + 250_000_000
        genai = i % 2 == 0
        span.name = "chat gpt-4o-mini" if genai else ("POST /api/v2/orders" if i % 4 == 1 else "SELECT orders")
        span.attributes.extend(genai_attributes(i) if genai else other_attributes(i))
    return request, trace_ids


def to_otlp_json(request) -> bytes:
    def fix(node):
        if isinstance(node, dict):
            for key in ("traceId", "spanId", "parentSpanId"):
                if key in node:
                    import base64
                    node[key] = base64.b64decode(node[key]).hex()
            for value in node.values():
                fix(value)
        elif isinstance(node, list):
            for value in node:
                fix(value)
    tree = MessageToDict(request, preserving_proto_field_name=False, use_integers_for_enums=True)
    fix(tree)
    return json.dumps(tree, separators=(",", ":")).encode()


def offsets(body: bytes, needles: list) -> list:
    found = []
    for needle in needles:
        at = body.find(needle)
        while at >= 0:
            found.append(at)
            at = body.find(needle, at + 1)
    return sorted(found)


def main(out: str):
    os.makedirs(out, exist_ok=True)
    for name, spans in (("w1", 100), ("w10", 10), ("w1000", 1000)):
        request, trace_ids = build(spans)
        protobuf = request.SerializeToString()
        with open(f"{out}/{name}.pb", "wb") as f:
            f.write(protobuf)
        times = sorted({t for s in request.resource_spans[0].scope_spans[0].spans
                        for t in (s.start_time_unix_nano, s.end_time_unix_nano)})
        with open(f"{out}/{name}.pb.offsets", "w") as f:
            # raw ids: the counter goes in the last 8 of the 16 bytes
            f.writelines(f"{at + 8} r\n" for at in offsets(protobuf, trace_ids))
            # times (fixed64 fields 7 and 8 of a span, after their tag byte), moved to the present
            f.writelines(f"{at + 1} t\n" for at in offsets(protobuf, [bytes([tag]) + struct.pack("<Q", t)
                                                                      for tag in (0x39, 0x41) for t in times]))
        document = to_otlp_json(request)
        with open(f"{out}/{name}.json", "wb") as f:
            f.write(document)
        with open(f"{out}/{name}.json.offsets", "w") as f:
            # hex ids: the counter goes in the last 16 of the 32 hex digits
            f.writelines(f"{at + 16} h\n" for at in offsets(document, [t.hex().encode() for t in trace_ids]))
            # times as the decimal strings of OTLP/JSON, 19 digits
            f.writelines(f"{at + len(key) + 4} d\n" for key in ("startTimeUnixNano", "endTimeUnixNano")
                         for at in offsets(document, [f'"{key}":"{t}"'.encode() for t in times]))
        print(f"{name}: {spans} spans, {len(protobuf) / 1024:.0f} KiB protobuf, {len(document) / 1024:.0f} KiB JSON, "
              f"{len(trace_ids)} traces")


if __name__ == "__main__":
    main(sys.argv[1])
