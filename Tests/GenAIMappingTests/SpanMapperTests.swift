import LLMLog
import Foundation
import Testing
@testable import GenAIMapping
import OTLPCodec
import TestSupport

@Suite struct SpanMapperTests {
    func mapOne(_ span: Span, service: String = "checkout") throws -> LLMLogRecord {
        let mapped = SpanMapper.map(OTLP.export(service: service, spans: [span]))
        #expect(mapped.records.count == 1)
        return try #require(mapped.records.first)
    }

    /// The decoder's filter keeps a span by a key that starts with a GenAI prefix or is a GenAI key,
    /// and by no other, whatever byte it starts with.
    @Test func theKeyFilterKeepsExactlyTheGenAIKeys() {
        var keys = ["", "g", "gen_ai", "gen_ai.", "gen_ai.x", "llm.", "llm", "ai.model.id", "ai.model.idx", "ai.model",
                    "mlflow.spanType", "mlflow.span", "openinference.span.kind", "http.request.method", "Gen_ai.x", "é.gen_ai."]
        keys += (0..<256).map { String(decoding: [UInt8($0)] + Array("en_ai.x".utf8), as: UTF8.self) }
        for key in keys {
            let expected = FieldSources.genAIPrefixes.contains { key.hasPrefix($0) } || FieldSources.genAIKeys.contains(key)
            let kept = Array(key.utf8).withUnsafeBufferPointer { SpanMapper.genAIKeyFilter($0) }
            #expect(kept == expected, "\(key)")
        }
    }

    /// What the keys decide is remembered from span to span of an export (`AttributeKeys.Memo`):
    /// a span whose keys come in another order, or are other keys, still gets its own sorted and
    /// its own values looked up.
    @Test func eachSpanOfAnExportGetsItsOwnKeysInOrder() throws {
        func value(_ key: String) -> String { key == "gen_ai.operation.name" ? "chat" : key.uppercased() }
        func span(_ number: UInt8, _ keys: [String]) -> Span {
            var span = OTLP.chatSpan(number: number)
            span.attributes = keys.map { key in
                var attribute = KeyValue()
                attribute.key = key
                attribute.value = OTLP.string(value(key))
                return attribute
            }
            return span
        }
        let lists = [["gen_ai.request.model", "app.z", "gen_ai.operation.name"],
                     ["gen_ai.request.model", "app.z", "gen_ai.operation.name"],
                     ["gen_ai.operation.name", "gen_ai.request.model", "app.z"],
                     ["gen_ai.request.model", "app.a", "gen_ai.operation.name"],
                     ["gen_ai.request.model", "app.z", "gen_ai.operation.name", "app.b"],
                     ["gen_ai.operation.name", "app.z"],
                     ["app.z", "gen_ai.operation.name", "gen_ai.request.model"]]
        let mapped = SpanMapper.map(OTLP.export(spans: lists.indices.map { span(UInt8($0 + 1), lists[$0]) }))
        #expect(mapped.records.count == lists.count)
        for (record, keys) in zip(mapped.records, lists) {
            let expected = "{" + keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
                .map { #""\#($0)":"\#(value($0))""# }.joined(separator: ",") + "}"
            #expect(record.attributesJSON == expected)
            #expect(record.model == (keys.contains("gen_ai.request.model") ? "GEN_AI.REQUEST.MODEL" : nil), "\(keys)")
            #expect(record.operation == "chat", "\(keys)")
        }
    }

    /// Several reasons, from the attribute or from the output messages, as a JSON array of strings.
    @Test func finishReasonsAreAJSONArrayOfEveryReason() throws {
        var span = OTLP.chatSpan()
        span.attributes += OTLP.attributes(["gen_ai.response.finish_reasons":
            OTLP.array([OTLP.string("stop"), OTLP.string("len\"gth"), OTLP.int(3), OTLP.string("tool_calls")])])
        #expect(try mapOne(span).finishReasons == #"["stop","len\"gth","tool_calls"]"#)

        var messages = OTLP.chatSpan()
        messages.attributes += OTLP.attributes(["gen_ai.output.messages": OTLP.string(
            #"[{"role":"assistant","parts":[{"type":"text","content":"a"}],"finish_reason":"stop"},"#
                + #"{"role":"assistant","parts":[],"finish_reason":"content_filter"}]"#)])
        #expect(try mapOne(messages).finishReasons == #"["stop","content_filter"]"#)

        // One reason is escaped as several are.
        var one = OTLP.chatSpan()
        one.attributes += OTLP.attributes(["gen_ai.response.finish_reasons": OTLP.string("len\"gth\n")])
        #expect(try mapOne(one).finishReasons == #"["len\"gth\n"]"#)
    }

    @Test func currentConventionNamesFillEveryColumn() throws {
        let record = try mapOne(OTLP.chatSpan())
        #expect(record == LLMLogRecord(
            traceID: "5b8efff798038103d269b633813fc60c",
            spanID: "eee19b7ec3c1b101",
            parentSpanID: nil,
            serviceName: "checkout",
            scopeName: "test-scope",
            spanName: "chat gpt-4o",
            operation: "chat",
            provider: "openai",
            model: "gpt-4o",
            prompt: nil,
            completion: nil,
            inputTokens: 12,
            outputTokens: 7,
            latencyMs: 250,
            startTimeUnixNano: 1_700_000_000_000_000_000,
            endTimeUnixNano: 1_700_000_000_250_000_000,
            statusCode: 0,
            statusMessage: nil,
            attributesJSON: #"{"gen_ai.operation.name":"chat","gen_ai.provider.name":"openai","gen_ai.request.model":"gpt-4o","gen_ai.usage.input_tokens":12,"gen_ai.usage.output_tokens":7}"#,
            resourceJSON: #"{"service.name":"checkout"}"#
        ))
    }

    @Test func olderConventionNamesAreReadToo() throws {
        let record = try mapOne(OTLP.span("openai.chat", attributes: [
            "gen_ai.system": OTLP.string("anthropic"),
            "gen_ai.response.model": OTLP.string("claude-3-5-sonnet"),
            "gen_ai.usage.prompt_tokens": OTLP.int(100),
            "gen_ai.usage.completion_tokens": OTLP.string("25"),
            "gen_ai.prompt": OTLP.string("[{\"role\":\"user\",\"content\":\"hi\"}]"),
            "gen_ai.completion": OTLP.string("hello"),
        ]))
        #expect(record.provider == "anthropic")
        #expect(record.model == "claude-3-5-sonnet")
        #expect(record.inputTokens == 100)
        #expect(record.outputTokens == 25)
        // A message list in the old OpenAI shape is stored in the canonical form.
        #expect(record.prompt == #"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#)
        #expect(record.completion == "hello")
        #expect(record.operation == "chat")   // inferred: a model with usage is a call
    }

    @Test func newerNameWinsWhenBothGenerationsArePresent() throws {
        let record = try mapOne(OTLP.span("chat", attributes: [
            "gen_ai.system": OTLP.string("az.ai.openai"),
            "gen_ai.provider.name": OTLP.string("azure.ai.openai"),
            "gen_ai.usage.prompt_tokens": OTLP.int(1),
            "gen_ai.usage.input_tokens": OTLP.int(2),
            "gen_ai.response.model": OTLP.string("gpt-4o-2024-08-06"),
            "gen_ai.request.model": OTLP.string("gpt-4o"),
        ]))
        #expect(record.provider == "azure.ai.openai")
        #expect(record.inputTokens == 2)
        #expect(record.model == "gpt-4o")
    }

    @Test func promptAndCompletionFromSpanEvents() throws {
        let record = try mapOne(OTLP.span("chat", attributes: ["gen_ai.system": OTLP.string("openai")], events: [
            OTLP.event("gen_ai.content.prompt", ["gen_ai.prompt": OTLP.string("question")]),
            OTLP.event("gen_ai.content.completion", ["gen_ai.completion": OTLP.string("answer")]),
        ]))
        #expect(record.prompt == "question")
        #expect(record.completion == "answer")
    }

    @Test func nonGenAISpansAreDroppedSilently() {
        let mapped = SpanMapper.map(OTLP.export(spans: [OTLP.httpSpan(number: 1), OTLP.chatSpan(number: 2), OTLP.httpSpan(number: 3)]))
        #expect(mapped.records.map(\.spanID) == ["eee19b7ec3c1b102"])
        #expect(mapped.droppedSpans == 2)
        #expect(mapped.rejectedSpans == 0)
        #expect(mapped.rejectionMessage == nil)
    }

    @Test func spansWithMalformedIdsAreRejectedAndTheRestKept() {
        var shortTrace = OTLP.chatSpan(number: 1)
        shortTrace.traceID = Data([1, 2, 3])
        var zeroSpan = OTLP.chatSpan(number: 2)
        zeroSpan.spanID = Data(count: 8)
        var badParent = OTLP.chatSpan(number: 3)
        badParent.parentSpanID = Data([9])
        let good = OTLP.chatSpan(number: 4)
        let mapped = SpanMapper.map(OTLP.export(spans: [shortTrace, zeroSpan, badParent, good]))
        #expect(mapped.records.map(\.spanID) == ["eee19b7ec3c1b104"])
        #expect(mapped.rejectedSpans == 3)
        #expect(mapped.rejectionMessage == "span \"chat gpt-4o\": trace_id must be 16 bytes and not all zero, got 3 bytes")
    }

    @Test func attributeValuesAreRenderedFaithfully() throws {
        let record = try mapOne(OTLP.span("chat", attributes: [
            "gen_ai.system": OTLP.string("openai"),
            "int": OTLP.int(-9_007_199_254_740_993),
            "double": OTLP.double(0.5),
            "bool": OTLP.bool(false),
            "bytes": OTLP.bytes([0, 1, 254, 255]),
            "nested": OTLP.array([OTLP.int(1), OTLP.array([OTLP.string("a\"b")]), OTLP.kvlist(["k": OTLP.string("v\n")])]),
            "empty": AnyValue(),
            "gen_ai.system": OTLP.string("ignored duplicate"),
        ]))
        #expect(record.attributesJSON == #"{"bool":false,"bytes":"AAH+/w==","double":0.5,"empty":null,"gen_ai.system":"openai","int":-9007199254740993,"nested":[1,["a\"b"],{"k":"v\n"}]}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(record.attributesJSON.utf8)) as? [String: Any]
        #expect(parsed?["bool"] as? Bool == false)
    }

    /// A value the prompt or completion column holds as it was sent is not stored twice; one the
    /// mapping rewrote (messages in another shape) stays among the attributes, as sent.
    @Test func valuesStoredVerbatimAsContentAreLeftOutOfTheAttributes() throws {
        let canonical = #"[{"role":"assistant","parts":[{"type":"text","content":"Hi"}]}]"#
        let record = try mapOne(OTLP.span("chat gpt-4o", attributes: [
            "gen_ai.operation.name": OTLP.string("chat"),
            "gen_ai.request.model": OTLP.string("gpt-4o"),
            "gen_ai.input.messages": OTLP.string(#"[{"role": "user", "content": "Hello"}]"#),
            "gen_ai.output.messages": OTLP.string(canonical),
            "app.copy": OTLP.string(canonical),
        ]))
        #expect(record.completion == canonical)
        #expect(!record.attributesJSON.contains("gen_ai.output.messages"))
        // Not a content attribute: the same text stays.
        #expect(record.attributesJSON.contains("\"app.copy\""))
        #expect(record.prompt != #"[{"role": "user", "content": "Hello"}]"#)
        #expect(record.attributesJSON.contains(#""gen_ai.input.messages":"[{\"role\": \"user\", \"content\": \"Hello\"}]""#))
    }

    @Test func theSameJSONWithOtherWhitespaceCountsAsStored() {
        let stored = #"[{"role":"user","parts":[{"type":"text","content":"a b\" c"}]}]"#
        #expect(AttributeJSON.sameJSONText(stored, stored))
        #expect(AttributeJSON.sameJSONText(#"[{"role": "user", "parts": [{"type": "text", "content": "a b\" c"}]}]"#, stored))
        #expect(AttributeJSON.sameJSONText("[\n  " + #"{"role":"user","parts":[{"type":"text","content":"a b\" c"}]}"# + "\n]", stored))
        // Whitespace inside a string is content.
        #expect(!AttributeJSON.sameJSONText(#"[{"role":"user","parts":[{"type":"text","content":"a  b\" c"}]}]"#, stored))
        #expect(!AttributeJSON.sameJSONText(#"[{"role": "user"}]"#, #"[{"role":"user"}]x"#))
        #expect(!AttributeJSON.sameJSONText("hello  world", "helloworld"))
        let escapes = #"{"a":"x\n\\ \"y\"","b":[1,2]}"#
        #expect(AttributeJSON.sameJSONText(#"{ "a": "x\n\\ \"y\"", "b": [1, 2] }"#, escapes))
        #expect(!AttributeJSON.sameJSONText(#"{ "a": "x\n\\ \"z\"", "b": [1, 2] }"#, escapes))
        #expect(!AttributeJSON.sameJSONText(#"{ "a": "x\n\\ \"y\"", "b": [1, 2] "#, escapes))
    }

    /// The canonical reader's source (`Content.source`) is left out as it is, not compared with
    /// its column again; other attributes holding it stay.
    @Test func aKnownSourceIsLeftOutWithoutBeingComparedAgain() {
        let attributes = OTLP.attributes(["gen_ai.input.messages": OTLP.string("as sent"), "app.copy": OTLP.string("as sent")])
        let json = AttributeJSON.object(attributes, leavingOut: ["stored"], sources: ["as sent"], contentKeys: ["gen_ai.input.messages"])
        #expect(json == #"{"app.copy":"as sent"}"#)
        #expect(AttributeJSON.object(attributes, leavingOut: ["stored"], contentKeys: ["gen_ai.input.messages"])
            == #"{"app.copy":"as sent","gen_ai.input.messages":"as sent"}"#)
    }

    /// Attributes and messages are written by one writer: the same value comes out the same.
    @Test func attributesAndMessageContentRenderAValueAlike() {
        let value = OTLP.kvlist(["z": OTLP.double(.nan), "a": OTLP.double(-.infinity), "m": OTLP.array([OTLP.double(1.5)])])
        #expect(AttributeJSON.value(value) == #"{"a":"-Infinity","m":[1.5],"z":"NaN"}"#)
        #expect(JSONValue(value).serialized == AttributeJSON.value(value))
    }

    @Test func idsTimesStatusAndParentAreCarriedOver() throws {
        var span = OTLP.span("chat", parentSpanID: "00f067aa0ba902b7", start: 1_000, durationNanos: 1_500_000,
                             attributes: ["gen_ai.operation.name": OTLP.string("chat")])
        span.status.code = .error
        span.status.message = "rate limited"
        let record = try mapOne(span, service: "billing")
        #expect(record.parentSpanID == "00f067aa0ba902b7")
        #expect(record.latencyMs == 1.5)
        #expect(record.startTimeUnixNano == 1_000)
        #expect(record.endTimeUnixNano == 1_501_000)
        #expect(record.statusCode == 2)
        #expect(record.statusMessage == "rate limited")
        #expect(record.serviceName == "billing")
    }

    @Test func structuredPromptIsStoredInCanonicalForm() throws {
        let record = try mapOne(OTLP.span("chat", attributes: [
            "gen_ai.prompt": OTLP.array([OTLP.kvlist(["role": OTLP.string("user"), "content": OTLP.string("hi")])]),
        ]))
        #expect(record.prompt == #"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#)
    }

    @Test func tokenCountsAbsentOrNotIntegersAreNull() throws {
        let record = try mapOne(OTLP.span("chat", attributes: [
            "gen_ai.system": OTLP.string("openai"),
            "gen_ai.usage.output_tokens": OTLP.string("many"),
        ]))
        #expect(record.inputTokens == nil)
        #expect(record.outputTokens == nil)
    }
}
