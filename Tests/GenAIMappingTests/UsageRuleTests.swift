import GenAIMapping
import LLMLog
import OTLPCodec
import Testing
import TestSupport

/// Which spans are model calls, and which of them a bill counts.
@Suite struct UsageRuleTests {
    func mapOne(_ name: String, _ attributes: KeyValuePairs<String, AnyValue>) -> LLMLogRecord? {
        SpanMapper.map(OTLP.export(spans: [OTLP.span(name, attributes: attributes)])).records.first
    }

    @Test func theSeedsExampleWithoutAnOperationIsAChat() {
        let record = mapOne("llm call", [
            "gen_ai.system": OTLP.string("openai"), "gen_ai.request.model": OTLP.string("gpt-4o"),
            "gen_ai.prompt": OTLP.string("Hello"), "gen_ai.completion": OTLP.string("Hi"),
            "gen_ai.usage.prompt_tokens": OTLP.int(12), "gen_ai.usage.completion_tokens": OTLP.int(4),
        ])
        #expect(record?.operation == "chat")
    }

    @Test func embeddingsCompletionsAndAgentsAreToldApart() {
        let usage: KeyValuePairs<String, AnyValue> = ["gen_ai.system": OTLP.string("openai"), "gen_ai.request.model": OTLP.string("m"),
                                                      "gen_ai.usage.input_tokens": OTLP.int(3)]
        #expect(mapOne("openai.embeddings", usage)?.operation == "embeddings")
        #expect(mapOne("openai.completion", usage)?.operation == "text_completion")
        #expect(mapOne("agent run", usage)?.operation == "invoke_agent")
        #expect(mapOne("step", ["gen_ai.agent.name": OTLP.string("a"), "gen_ai.request.model": OTLP.string("m")])?.operation == "invoke_agent")
        // Nothing of a call: no model, or a model and nothing else.
        #expect(mapOne("llm", ["gen_ai.system": OTLP.string("openai"), "gen_ai.usage.input_tokens": OTLP.int(3)])?.operation == nil)
        #expect(mapOne("llm", ["gen_ai.system": OTLP.string("openai"), "gen_ai.request.model": OTLP.string("m")])?.operation == nil)
    }

    @Test func aCallWhoseChildIsACallIsNotCountedInEitherOrder() {
        func record(_ id: String, parent: String?, operation: String, tokens: Int64?) -> LLMLogRecord {
            LLMLogRecord(traceID: "t", spanID: id, parentSpanID: parent, spanName: id, operation: operation,
                         inputTokens: tokens, latencyMs: 1, startTimeUnixNano: 1, endTimeUnixNano: 2)
        }
        let parent = record("p", parent: nil, operation: "chat", tokens: 10)
        let child = record("c", parent: "p", operation: "chat", tokens: 10)
        let tool = record("t", parent: "p", operation: "execute_tool", tokens: 5)
        #expect(UsageRule.counted([parent, child, tool]).map(\.spanID) == ["c"])
        #expect(UsageRule.counted([child, parent]).map(\.spanID) == ["c"])
        // A child without usage does not make its parent a wrapper.
        #expect(UsageRule.counted([parent, record("c", parent: "p", operation: "chat", tokens: nil)]).map(\.spanID) == ["p", "c"])
    }
}

/// Every token name in the wild, each into its own column.
@Suite struct TokenNameTests {
    nonisolated(unsafe) static let cases: [(String, String, KeyPath<LLMLogRecord, Int64?>)] = [
        ("gen_ai.usage.cache_creation.input_tokens", "semconv", \.cacheWriteTokens),
        ("gen_ai.usage.cache_write.input_tokens", "pending semconv", \.cacheWriteTokens),
        ("gen_ai.usage.cache_write_input_tokens", "Strands", \.cacheWriteTokens),
        ("gen_ai.usage.details.cache_write_tokens", "Pydantic AI", \.cacheWriteTokens),
        ("llm.token_count.prompt_details.cache_write", "OpenInference", \.cacheWriteTokens),
        ("gen_ai.usage.cache_read_input_tokens", "Strands", \.cacheReadTokens),
        ("gen_ai.usage.input_tokens.cached", "Sentry", \.cacheReadTokens),
        ("gen_ai.usage.details.cache_read_tokens", "Pydantic AI", \.cacheReadTokens),
        ("gen_ai.usage.output_tokens.reasoning", "Sentry", \.reasoningTokens),
        ("gen_ai.usage.details.reasoning_tokens", "Pydantic AI", \.reasoningTokens),
        ("input_tokens", "Anthropic-style", \.inputTokens),
        ("cache_creation_tokens", "Anthropic-style", \.cacheWriteTokens),
    ]

    @Test(arguments: 0..<cases.count)
    func aTokenNameFillsItsColumn(index: Int) throws {
        let (key, _, column) = Self.cases[index]
        let span = OTLP.span("chat", attributes: ["gen_ai.system": OTLP.string("openai"), "gen_ai.request.model": OTLP.string("m"),
                                                  key: OTLP.int(41)])
        let record = try #require(SpanMapper.map(OTLP.export(spans: [span])).records.first)
        #expect(record[keyPath: column] == 41)
    }

    @Test func conversationAgentAndResponseIDs() throws {
        let span = OTLP.span("chat", attributes: [
            "gen_ai.operation.name": OTLP.string("chat"), "gen_ai.request.model": OTLP.string("m"),
            "session.id": OTLP.string("s-1"), "agent_name": OTLP.string("support"), "gen_ai.response.id": OTLP.string("resp_9"),
        ])
        let record = try #require(SpanMapper.map(OTLP.export(spans: [span])).records.first)
        #expect((record.conversationID, record.agentName, record.responseID) == ("s-1", "support", "resp_9"))
    }
}

/// A cost the instrumentation sent is read, and wins over any price table.
@Suite struct ReportedCostTests {
    @Test(arguments: ["gen_ai.usage.cost", "llm.cost.total", "operation.cost", "gen_ai.cost.total_cost"])
    func aReportedTotalIsTheCost(key: String) throws {
        let span = OTLP.span("chat", attributes: ["gen_ai.request.model": OTLP.string("m"), "gen_ai.usage.input_tokens": OTLP.int(3),
                                                  key: OTLP.double(0.0125)])
        let record = try #require(SpanMapper.map(OTLP.export(spans: [span])).records.first)
        #expect(record.costUSD == 0.0125)
        #expect(record.costSource == "reported")
    }

    @Test func partsAreSummedWhereNoTotalIsSent() throws {
        let span = OTLP.span("chat", attributes: ["gen_ai.request.model": OTLP.string("m"),
                                                  "gen_ai.usage.input_cost": OTLP.double(0.5), "gen_ai.usage.output_cost": OTLP.string("0.25")])
        let record = try #require(SpanMapper.map(OTLP.export(spans: [span])).records.first)
        #expect(record.costUSD == 0.75)
        let none = try #require(SpanMapper.map(OTLP.export(spans: [OTLP.chatSpan()])).records.first)
        #expect(none.costUSD == nil && none.costSource == nil)
    }
}
