import LLMLog
import Foundation
import Testing
@testable import GenAIMapping
import OTLPCodec
import TestSupport

/// One fixture per instrumentation dialect and convention generation, each checked column by
/// column. The fixtures carry what those libraries really emit (see otlp-genai-facts §4–§5).
@Suite struct DialectTests {
    func map(_ span: Span) throws -> LLMLogRecord {
        try #require(SpanMapper.map(OTLP.export(spans: [span])).records.first)
    }

    static let userHi = #"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#
    static let assistantHello = #"[{"role":"assistant","parts":[{"type":"text","content":"hello"}],"finish_reason":"stop"}]"#

    @Test func semconv126SpanEvents() throws {
        let record = try map(OTLP.span("chat.completions", attributes: [
            "gen_ai.system": OTLP.string("openai"),
            "gen_ai.request.model": OTLP.string("gpt-4"),
            "gen_ai.usage.prompt_tokens": OTLP.int(9),
            "gen_ai.usage.completion_tokens": OTLP.int(3),
        ], events: [
            OTLP.event("gen_ai.content.prompt", ["gen_ai.prompt": OTLP.string(#"[{"role": "user", "content": "hi"}]"#)]),
            OTLP.event("gen_ai.content.completion", ["gen_ai.completion": OTLP.string(#"[{"role": "assistant", "content": "hello", "finish_reason": "stop"}]"#)]),
        ]))
        #expect(record.provider == "openai")
        #expect(record.model == "gpt-4")
        #expect(record.inputTokens == 9)
        #expect(record.outputTokens == 3)
        #expect(record.prompt == Self.userHi)
        #expect(record.completion == Self.assistantHello)
        #expect(record.finishReasons == #"["stop"]"#)
        #expect(record.operation == "chat")   // inferred: a model with usage is a call
    }

    @Test func semconv127to136AttributesAndPerMessageEvents() throws {
        let record = try map(OTLP.span("chat gpt-4o", attributes: [
            "gen_ai.operation.name": OTLP.string("chat"),
            "gen_ai.system": OTLP.string("az.ai.openai"),
            "gen_ai.request.model": OTLP.string("gpt-4o"),
            "gen_ai.response.model": OTLP.string("gpt-4o-2024-08-06"),
            "gen_ai.usage.input_tokens": OTLP.int(20),
            "gen_ai.usage.output_tokens": OTLP.int(4),
            "gen_ai.response.finish_reasons": OTLP.array([OTLP.string("tool_calls")]),
            "error.type": OTLP.string("timeout"),
        ], events: [
            OTLP.event("gen_ai.system.message", ["content": OTLP.string("be brief")]),
            OTLP.event("gen_ai.user.message", ["content": OTLP.string("weather?")]),
            OTLP.event("gen_ai.choice", ["index": OTLP.int(1), "finish_reason": OTLP.string("stop"),
                                         "message": OTLP.kvlist(["content": OTLP.string("second")])]),
            OTLP.event("gen_ai.choice", ["index": OTLP.int(0), "finish_reason": OTLP.string("tool_calls"),
                                         "message": OTLP.kvlist(["role": OTLP.string("assistant")]),
                                         "tool_calls": OTLP.array([OTLP.kvlist([
                                            "id": OTLP.string("call_1"), "type": OTLP.string("function"),
                                            "function": OTLP.kvlist(["name": OTLP.string("get_weather"), "arguments": OTLP.string(#"{"city":"Paris"}"#)]),
                                         ])])]),
        ]))
        #expect(record.provider == "azure.ai.openai")
        #expect(record.model == "gpt-4o")
        #expect(record.responseModel == "gpt-4o-2024-08-06")
        #expect(record.operation == "chat")
        #expect(record.errorType == "timeout")
        #expect(record.prompt == #"[{"role":"system","parts":[{"type":"text","content":"be brief"}]},{"role":"user","parts":[{"type":"text","content":"weather?"}]}]"#)
        #expect(record.completion == #"[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}],"finish_reason":"tool_calls"},{"role":"assistant","parts":[{"type":"text","content":"second"}],"finish_reason":"stop"}]"#)
        #expect(record.finishReasons == #"["tool_calls"]"#)
    }

    @Test func semconv137MessagesAsJSONString() throws {
        let record = try map(OTLP.span("chat claude", attributes: [
            "gen_ai.operation.name": OTLP.string("chat"),
            "gen_ai.provider.name": OTLP.string("anthropic"),
            "gen_ai.request.model": OTLP.string("claude-sonnet-4"),
            "gen_ai.system_instructions": OTLP.string(#"[{"type":"text","content":"be brief"}]"#),
            "gen_ai.input.messages": OTLP.string(#"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#),
            "gen_ai.output.messages": OTLP.string(#"[{"role":"assistant","parts":[{"type":"text","content":"hello"}],"finish_reason":"stop"}]"#),
            "gen_ai.usage.input_tokens": OTLP.int(30),
            "gen_ai.usage.cache_read.input_tokens": OTLP.int(25),
            "gen_ai.usage.output_tokens": OTLP.int(8),
            "gen_ai.usage.reasoning.output_tokens": OTLP.int(5),
        ]))
        #expect(record.prompt == #"[{"role":"system","parts":[{"type":"text","content":"be brief"}]},{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#)
        #expect(record.completion == Self.assistantHello)
        #expect(record.finishReasons == #"["stop"]"#)
        #expect((record.inputTokens, record.cacheReadTokens, record.outputTokens, record.reasoningTokens) == (30, 25, 8, 5))
    }

    @Test func semconv137MessagesAsStructuredValues() throws {
        let record = try map(OTLP.span("chat", attributes: [
            "gen_ai.provider.name": OTLP.string("openai"),
            "gen_ai.input.messages": OTLP.array([OTLP.kvlist([
                "role": OTLP.string("user"),
                "parts": OTLP.array([OTLP.kvlist(["type": OTLP.string("text"), "content": OTLP.string("hi")])]),
            ])]),
            "gen_ai.output.messages": OTLP.array([OTLP.kvlist([
                "role": OTLP.string("assistant"),
                "parts": OTLP.array([OTLP.kvlist(["type": OTLP.string("text"), "content": OTLP.string("hello")])]),
                "finish_reason": OTLP.string("stop"),
            ])]),
        ]))
        #expect(record.prompt == Self.userHi)
        #expect(record.completion == Self.assistantHello)
    }

    @Test func semconv137OperationDetailsEvent() throws {
        let record = try map(OTLP.span("chat", attributes: ["gen_ai.operation.name": OTLP.string("chat")], events: [
            OTLP.event("gen_ai.client.inference.operation.details", [
                "gen_ai.input.messages": OTLP.string(#"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#),
                "gen_ai.output.messages": OTLP.string(#"[{"role":"assistant","parts":[{"type":"text","content":"hello"}],"finish_reason":"stop"}]"#),
            ]),
        ]))
        #expect(record.prompt == Self.userHi)
        #expect(record.completion == Self.assistantHello)
    }

    @Test func openLLMetryIndexedAttributes() throws {
        let record = try map(OTLP.span("openai.chat", attributes: [
            "llm.request.type": OTLP.string("chat"),
            "gen_ai.system": OTLP.string("openai"),
            "gen_ai.request.model": OTLP.string("gpt-4o-mini"),
            "gen_ai.usage.prompt_tokens": OTLP.int(14),
            "gen_ai.usage.completion_tokens": OTLP.int(6),
            "gen_ai.usage.cache_read_input_tokens": OTLP.int(2),
            "llm.usage.total_tokens": OTLP.int(20),
            "gen_ai.prompt.0.role": OTLP.string("system"),
            "gen_ai.prompt.0.content": OTLP.string("be brief"),
            "gen_ai.prompt.1.role": OTLP.string("user"),
            "gen_ai.prompt.1.content": OTLP.string("hi"),
            "gen_ai.completion.0.role": OTLP.string("assistant"),
            "gen_ai.completion.0.content": OTLP.string("hello"),
            "gen_ai.completion.0.finish_reason": OTLP.string("stop"),
        ]))
        #expect(record.operation == "chat")
        #expect(record.provider == "openai")
        #expect(record.model == "gpt-4o-mini")
        #expect((record.inputTokens, record.outputTokens, record.cacheReadTokens) == (14, 6, 2))
        #expect(record.prompt == #"[{"role":"system","parts":[{"type":"text","content":"be brief"}]},{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#)
        #expect(record.completion == Self.assistantHello)
        #expect(record.finishReasons == #"["stop"]"#)
    }

    @Test func openLLMetryToolCallsAndTenMessagesInOrder() throws {
        var pairs: [(String, AnyValue)] = [("gen_ai.system", OTLP.string("openai"))]
        for index in 0..<11 {
            pairs.append(("gen_ai.prompt.\(index).role", OTLP.string("user")))
            pairs.append(("gen_ai.prompt.\(index).content", OTLP.string("m\(index)")))
        }
        pairs += [
            ("gen_ai.completion.0.role", OTLP.string("assistant")),
            ("gen_ai.completion.0.finish_reason", OTLP.string("tool_calls")),
            ("gen_ai.completion.0.tool_calls.0.id", OTLP.string("call_9")),
            ("gen_ai.completion.0.tool_calls.0.name", OTLP.string("search")),
            ("gen_ai.completion.0.tool_calls.0.arguments", OTLP.string(#"{"q":"x"}"#)),
        ]
        var span = OTLP.span("openai.chat")
        span.attributes = pairs.map { key, value in
            var attribute = KeyValue()
            attribute.key = key
            attribute.value = value
            return attribute
        }
        let record = try map(span)
        let prompt = try #require(record.prompt)
        let texts = try #require(JSONValue.parse(prompt)?.array).compactMap { $0["parts"]?.array?.first?["content"]?.string }
        #expect(texts == (0..<11).map { "m\($0)" })
        #expect(record.completion == #"[{"role":"assistant","parts":[{"type":"tool_call","id":"call_9","name":"search","arguments":{"q":"x"}}],"finish_reason":"tool_calls"}]"#)
    }

    @Test func openInferenceFlattenedMessages() throws {
        let record = try map(OTLP.span("ChatCompletion", attributes: [
            "openinference.span.kind": OTLP.string("LLM"),
            "llm.provider": OTLP.string("azure"),
            "llm.system": OTLP.string("openai"),
            "llm.model_name": OTLP.string("gpt-4o"),
            "llm.token_count.prompt": OTLP.int(40),
            "llm.token_count.completion": OTLP.int(10),
            "llm.token_count.prompt_details.cache_read": OTLP.int(32),
            "llm.token_count.completion_details.reasoning": OTLP.int(7),
            "llm.input_messages.0.message.role": OTLP.string("user"),
            "llm.input_messages.0.message.contents.0.message_content.type": OTLP.string("text"),
            "llm.input_messages.0.message.contents.0.message_content.text": OTLP.string("hi"),
            "llm.output_messages.0.message.role": OTLP.string("assistant"),
            "llm.output_messages.0.message.content": OTLP.string("hello"),
            "input.value": OTLP.string(#"{"messages":[{"role":"user","content":"ignored: flattened messages win"}]}"#),
        ]))
        #expect(record.operation == "chat")
        #expect(record.provider == "azure.ai.openai")
        #expect(record.model == "gpt-4o")
        #expect((record.inputTokens, record.outputTokens, record.cacheReadTokens, record.reasoningTokens) == (40, 10, 32, 7))
        #expect(record.prompt == Self.userHi)
        #expect(record.completion == #"[{"role":"assistant","parts":[{"type":"text","content":"hello"}]}]"#)
    }

    @Test func openInferenceInputAndOutputValue() throws {
        let record = try map(OTLP.span("ChatCompletion", attributes: [
            "openinference.span.kind": OTLP.string("LLM"),
            "input.value": OTLP.string(#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#),
            "output.value": OTLP.string("hello"),
        ]))
        #expect(record.prompt == Self.userHi)
        #expect(record.completion == "hello")
    }

    @Test(arguments: [
        ("TOOL", "execute_tool"), ("AGENT", "invoke_agent"), ("CHAIN", "invoke_workflow"), ("EMBEDDING", "embeddings"),
    ])
    func openInferenceKindsBecomeOperations(kind: String, operation: String) throws {
        let record = try map(OTLP.span("step", attributes: ["openinference.span.kind": OTLP.string(kind)]))
        #expect(record.operation == operation)
    }

    @Test func vercelLegacyInnerCall() throws {
        let record = try map(OTLP.span("ai.generateText.doGenerate", attributes: [
            "operation.name": OTLP.string("ai.generateText.doGenerate my-function"),
            "ai.model.id": OTLP.string("gpt-4o-mini"),
            "ai.model.provider": OTLP.string("openai.chat"),
            "ai.prompt.messages": OTLP.string(#"[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi"}]}]"#),
            "ai.response.text": OTLP.string("hello"),
            "ai.response.finishReason": OTLP.string("stop"),
            "ai.response.model": OTLP.string("gpt-4o-mini-2024-07-18"),
            "ai.usage.promptTokens": OTLP.int(12),
            "ai.usage.completionTokens": OTLP.int(2),
        ]))
        #expect(record.operation == "chat")
        #expect(record.provider == "openai")
        #expect(record.model == "gpt-4o-mini")
        #expect(record.responseModel == "gpt-4o-mini-2024-07-18")
        #expect((record.inputTokens, record.outputTokens) == (12, 2))
        #expect(record.prompt == #"[{"role":"system","parts":[{"type":"text","content":"be brief"}]},{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#)
        #expect(record.completion == "hello")
        #expect(record.finishReasons == #"["stop"]"#)
    }

    @Test func vercelCurrentUsageNamesAndOuterSpan() throws {
        let inner = try map(OTLP.span("ai.streamText.doStream", attributes: [
            "ai.model.id": OTLP.string("gemini-2.0-flash"),
            "ai.model.provider": OTLP.string("google.vertex.chat"),
            "ai.usage.inputTokens": OTLP.int(50),
            "ai.usage.outputTokens": OTLP.int(9),
            "ai.usage.cachedInputTokens": OTLP.int(40),
            "ai.usage.reasoningTokens": OTLP.int(3),
        ]))
        #expect(inner.operation == "chat")
        #expect(inner.provider == "gcp.vertex_ai")
        #expect((inner.inputTokens, inner.outputTokens, inner.cacheReadTokens, inner.reasoningTokens) == (50, 9, 40, 3))

        let outer = try map(OTLP.span("ai.generateText", attributes: [
            "ai.model.id": OTLP.string("gpt-4o"),
            "ai.model.provider": OTLP.string("openai.chat"),
            "ai.prompt": OTLP.string(#"{"system":"be brief","prompt":"hi"}"#),
            "ai.usage.promptTokens": OTLP.int(12),
        ]))
        #expect(outer.operation == "invoke_agent")
        #expect(outer.prompt == #"[{"role":"system","parts":[{"type":"text","content":"be brief"}]},{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#)
        #expect(!OperationRules.modelCalls.contains(outer.operation!))
    }

    @Test func newerConventionWinsWhenDialectsShareASpan() throws {
        let record = try map(OTLP.span("chat", attributes: [
            "llm.model_name": OTLP.string("from-openinference"),
            "llm.provider": OTLP.string("anthropic"),
            "llm.token_count.prompt": OTLP.int(1),
            "gen_ai.prompt.0.role": OTLP.string("user"),
            "gen_ai.prompt.0.content": OTLP.string("indexed"),
            "gen_ai.request.model": OTLP.string("gpt-4o"),
            "gen_ai.provider.name": OTLP.string("openai"),
            "gen_ai.usage.input_tokens": OTLP.int(2),
            "gen_ai.input.messages": OTLP.string(#"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#),
            "gen_ai.prompt": OTLP.string("legacy"),
        ]))
        #expect(record.model == "gpt-4o")
        #expect(record.provider == "openai")
        #expect(record.inputTokens == 2)
        #expect(record.prompt == Self.userHi)
    }

    @Test(arguments: [
        ("gen_ai.system", "vertex_ai", "gcp.vertex_ai"), ("gen_ai.system", "gemini", "gcp.gemini"),
        ("gen_ai.system", "xai", "x_ai"), ("gen_ai.system", "az.ai.inference", "azure.ai.inference"),
        ("llm.provider", "mistralai", "mistral_ai"), ("ai.model.provider", "anthropic.messages", "anthropic"),
        ("ai.model.provider", "amazon-bedrock", "aws.bedrock"), ("gen_ai.provider.name", "OpenAI", "openai"),
    ])
    func providerNamesAreNormalised(key: String, value: String, expected: String) throws {
        var span = OTLP.span("chat", attributes: ["gen_ai.operation.name": OTLP.string("chat")])
        var attribute = KeyValue()
        attribute.key = key
        attribute.value = OTLP.string(value)
        span.attributes.append(attribute)
        #expect(try map(span).provider == expected)
    }

    @Test func otherDialectKeysMakeASpanGenAIAndPlainSpansStayOut() {
        let spans = [
            OTLP.span("a", number: 1, attributes: ["openinference.span.kind": OTLP.string("CHAIN")]),
            OTLP.span("b", number: 2, attributes: ["llm.model_name": OTLP.string("m")]),
            OTLP.span("c", number: 3, attributes: ["ai.model.id": OTLP.string("m")]),
            OTLP.span("d", number: 4, attributes: ["ai.telemetry.functionId": OTLP.string("x"), "http.method": OTLP.string("GET")]),
        ]
        let mapped = SpanMapper.map(OTLP.export(spans: spans))
        #expect(mapped.records.map(\.spanName) == ["a", "b", "c"])
        #expect(mapped.droppedSpans == 1)
    }

    @Test func plainStringsStayPlainEvenWhenTheyLookLikeNumbers() throws {
        let record = try map(OTLP.span("chat", attributes: [
            "gen_ai.prompt": OTLP.string("42"), "gen_ai.completion": OTLP.string("{not json"),
        ]))
        #expect(record.prompt == "42")
        #expect(record.completion == "{not json")
    }
}
