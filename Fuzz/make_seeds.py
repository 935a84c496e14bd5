"""Writes the fuzzers' seed corpus: small valid exports, one per GenAI dialect plus plain spans,
in protobuf, OTLP/JSON and gzip.   python Fuzz/make_seeds.py OUT_DIR"""
import base64
import gzip
import json
import os
import sys
import zlib

import zstandard

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList


def value(v) -> AnyValue:
    if isinstance(v, bool):
        return AnyValue(bool_value=v)
    if isinstance(v, int):
        return AnyValue(int_value=v)
    if isinstance(v, float):
        return AnyValue(double_value=v)
    if isinstance(v, bytes):
        return AnyValue(bytes_value=v)
    if isinstance(v, list):
        return AnyValue(array_value=ArrayValue(values=[value(x) for x in v]))
    if isinstance(v, dict):
        return AnyValue(kvlist_value=KeyValueList(values=[KeyValue(key=k, value=value(x)) for k, x in v.items()]))
    return AnyValue(string_value=v)


DIALECTS = {
    "semconv-v137": {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
                     "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
                     "gen_ai.output.messages": [{"role": "assistant", "parts": [{"type": "text", "content": "hello"}], "finish_reason": "stop"}],
                     "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 1},
    "semconv-v126": {"gen_ai.system": "openai", "gen_ai.prompt": '[{"role":"user","content":"hi"}]', "gen_ai.usage.prompt_tokens": 3},
    "openllmetry": {"llm.request.type": "chat", "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "hi",
                    "gen_ai.completion.0.tool_calls.0.name": "f", "gen_ai.completion.0.tool_calls.0.arguments": "{}"},
    "openinference": {"openinference.span.kind": "LLM", "llm.input_messages.0.message.contents.0.message_content.text": "hi",
                      "input.value": '{"messages":[{"role":"user","content":"hi"}]}', "llm.token_count.prompt": 2.0},
    "vercel": {"ai.model.id": "gpt-4o", "ai.model.provider": "openai.chat", "ai.prompt": '{"system":"s","prompt":"p"}',
               "ai.usage.promptTokens": "7", "ai.response.text": "ok"},
    "plain": {"http.request.method": "GET", "bytes": b"\x00\x01", "nested": [1, [2, {"k": True}]]},
    # The shapes of the abuse review (issue 15): a long dotted key, control bytes and NULs that
    # escape to six bytes each, many tiny attributes, an integer string with a tail.
    "dotted-key": {"gen_ai.prompt.0" + ".a" * 2_000: "x", "gen_ai.completion.0.content": "y"},
    "control-bytes": {"gen_ai.prompt": "\x01\x1b]0;t\x07" * 500 + "visible\x00hidden", "gen_ai.request.model": "m\n\u202e"},
    "many-attributes": {**{f"gen_ai.x{i}": i for i in range(600)}, "gen_ai.request.model": "gpt-4o"},
}


def export(name: str, attributes: dict) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    resource.resource.attributes.append(KeyValue(key="service.name", value=value("seed")))
    scope = resource.scope_spans.add()
    scope.scope.name = "seed"
    span = scope.spans.add()
    span.trace_id = bytes(range(1, 17))
    span.span_id = bytes(range(1, 9))
    span.name = name
    span.start_time_unix_nano = 1_700_000_000_000_000_000
    span.end_time_unix_nano = 1_700_000_000_250_000_000
    span.attributes.extend(KeyValue(key=k, value=value(v)) for k, v in attributes.items())
    event = span.events.add()
    event.name = "gen_ai.choice"
    event.attributes.append(KeyValue(key="message", value=value({"content": "x"})))
    return request


def to_json(request) -> bytes:
    tree = MessageToDict(request, use_integers_for_enums=True)
    for rs in tree.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for span in ss.get("spans", []):
                for key in ("traceId", "spanId"):
                    span[key] = base64.b64decode(span[key]).hex()
    return json.dumps(tree).encode()


def main(out: str):
    for target in ("protobuf", "json", "gzip", "deflate", "zstd"):
        os.makedirs(f"{out}/{target}", exist_ok=True)
    for name, attributes in DIALECTS.items():
        request = export(name, attributes)
        open(f"{out}/protobuf/{name}.pb", "wb").write(request.SerializeToString())
        open(f"{out}/json/{name}.json", "wb").write(to_json(request))
        open(f"{out}/gzip/{name}.pb.gz", "wb").write(gzip.compress(request.SerializeToString()))
        open(f"{out}/deflate/{name}.pb.z", "wb").write(zlib.compress(request.SerializeToString()))
        open(f"{out}/zstd/{name}.pb.zst", "wb").write(zstandard.ZstdCompressor().compress(request.SerializeToString()))
    # Gzip framing: concatenated members, and bytes after the last member.
    body = export("plain", DIALECTS["plain"]).SerializeToString()
    open(f"{out}/gzip/members.pb.gz", "wb").write(gzip.compress(body[:20]) + gzip.compress(body[20:]))
    open(f"{out}/gzip/trailing.pb.gz", "wb").write(gzip.compress(body) + b"junk")
    # An intValue that is not an integer, and many spans to skip.
    open(f"{out}/json/int-tail.json", "wb").write(to_json(export("semconv-v137", DIALECTS["semconv-v137"]))
                                                   .replace(b'"intValue": "3"', b'"intValue": "3abc"'))
    # Message lists on their own, for the canonical reader the JSON run also checks.
    lists = {"canonical": [{"role": "system", "parts": [{"type": "text", "content": "Be brief.\n\u00e9"}]},
                           {"role": "user", "parts": [{"type": "text", "content": "hi \"there\""}], "name": "u"},
                           {"role": "assistant", "parts": [], "finish_reason": "stop"}],
             "tool": [{"role": "assistant", "parts": [{"type": "tool_call", "id": "1", "name": "f", "arguments": {}}]}]}
    for name, messages in lists.items():
        open(f"{out}/json/messages-{name}.json", "wb").write(json.dumps(messages).encode())
    many = export("plain", DIALECTS["plain"])
    template = many.resource_spans[0].scope_spans[0].spans[0]
    for n in range(2_000):
        span = many.resource_spans[0].scope_spans[0].spans.add()
        span.CopyFrom(template)
        span.span_id = (n + 10).to_bytes(8, "big")
    open(f"{out}/gzip/many-spans.pb.gz", "wb").write(gzip.compress(many.SerializeToString()))


if __name__ == "__main__":
    main(sys.argv[1])
