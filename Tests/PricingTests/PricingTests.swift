import LLMLog
import Pricing
import Testing

/// The shipped table, name matching, an operator's table over it, and the arithmetic of cost.
@Suite struct PricingTests {
    @Test(arguments: [
        ("gpt-4o", nil, "gpt-4o"), ("openai/gpt-4o", nil, "gpt-4o"), ("gpt-4o-2024-08-06", "openai", "gpt-4o"),
        ("us.anthropic.claude-3-5-sonnet-20240620-v1:0", "aws.bedrock", "claude-3-5-sonnet"),
        ("claude-3-5-sonnet@20240620", nil, "claude-3-5-sonnet"), ("GPT-4o", "azure.ai.openai", "gpt-4o"),
    ] as [(String, String?, String)])
    func namesInTheWildFindTheirModel(name: String, provider: String?, expected: String) throws {
        let match = try #require(PriceTable.shipped.lookup(model: name, provider: provider))
        #expect(match.model.contains(expected))   // Bedrock prices its regional profiles itself
        #expect(match.source.hasPrefix("genai-prices "))
        #expect(match.rates.input != nil && match.rates.output != nil)
    }

    @Test func anUnknownModelHasNoPrice() {
        #expect(PriceTable.shipped.lookup(model: "my-own-finetune-xyz", provider: "nobody") == nil)
    }

    @Test func anOperatorsPricesWinAndTheShippedOnesFillTheRest() throws {
        let mine = try PriceTable(json: #"""
            {"source": "ours", "providers": [{"id": "openai", "models": [
                {"id": "gpt-4o", "match": {"equals": "gpt-4o"}, "prices": {"input": 1, "output": 2}},
                {"id": "house-model", "prices": {"input": 0.5, "output": 0.5}}]}]}
            """#).over(.shipped)
        #expect(mine.lookup(model: "gpt-4o", provider: "openai")?.rates.input == 1)
        #expect(mine.lookup(model: "house-model")?.source == "ours")
        #expect(mine.lookup(model: "gpt-4o-mini", provider: "openai")?.source.hasPrefix("genai-prices") == true)
        #expect(throws: PriceTable.FormatError.self) { try PriceTable(json: "[1]") }
    }

    func record(provider: String, model: String, input: Int64?, output: Int64?, read: Int64? = nil, write: Int64? = nil,
                reasoning: Int64? = nil) -> LLMLogRecord {
        LLMLogRecord(traceID: "t", spanID: "s", spanName: "chat", provider: provider, model: model, inputTokens: input,
                     outputTokens: output, cacheReadTokens: read, reasoningTokens: reasoning, latencyMs: 1,
                     startTimeUnixNano: 1, endTimeUnixNano: 2, cacheWriteTokens: write)
    }

    @Test func eachTokenKindAtItsOwnRate() throws {
        let rates = TokenRates(input: 2, cacheRead: 1, cacheWrite: 4, output: 10, reasoning: nil)
        // OpenAI: input includes the 400 cached, output the reasoning.
        let openai = try #require(Cost.usd(record(provider: "openai", model: "gpt-4o", input: 1_000, output: 100, read: 400, reasoning: 50), rates: rates))
        let openaiExpected: Double = (600 * 2 + 400 * 1 + 100 * 10) / 1e6
        #expect(abs(openai - openaiExpected) < 1e-12)
        // Anthropic reports cache reads and writes apart from input.
        let claude = try #require(Cost.usd(record(provider: "anthropic", model: "claude-3-5-sonnet", input: 1_000, output: 100, read: 400, write: 200), rates: rates))
        let claudeExpected: Double = (1_000 * 2 + 400 * 1 + 200 * 4 + 100 * 10) / 1e6
        #expect(abs(claude - claudeExpected) < 1e-12)
        // Gemini reports thinking apart from output.
        let gemini = try #require(Cost.usd(record(provider: "gcp.gemini", model: "gemini-2.5-flash", input: 10, output: 10, reasoning: 30), rates: rates))
        let geminiExpected: Double = (10 * 2 + 10 * 10 + 30 * 10) / 1e6
        #expect(abs(gemini - geminiExpected) < 1e-12)
        #expect(Cost.usd(record(provider: "openai", model: "m", input: nil, output: nil), rates: rates) == nil)
    }

    @Test func vendorsAreRecognisedInAnyCaseInProviderOrModel() throws {
        let rates = TokenRates(input: 2, cacheRead: 1, cacheWrite: 4, output: 10, reasoning: nil)
        let apart: Double = (1_000 * 2 + 400 * 1 + 100 * 10) / 1e6
        let included: Double = (600 * 2 + 400 * 1 + 100 * 10) / 1e6
        for (provider, model, expected) in [("Anthropic", "x", apart), ("aws.bedrock", "us.anthropic.CLAUDE-3", apart),
                                            ("openai", "gpt-4o", included), ("anthropi", "c", included)] {
            let dollars = try #require(Cost.usd(record(provider: provider, model: model, input: 1_000, output: 100, read: 400), rates: rates))
            #expect(abs(dollars - expected) < 1e-12, "\(provider) \(model)")
        }
        // Thinking is billed apart for Gemini however the name is spelled.
        let gemini = try #require(Cost.usd(record(provider: "GCP.Vertex_AI", model: "m", input: 0, output: 10, reasoning: 30), rates: rates))
        #expect(abs(gemini - (10 * 10 + 30 * 10) / 1e6) < 1e-12)
    }

    @Test func pricingLeavesReportedCostsAndUnknownModelsAlone() {
        var records = [record(provider: "openai", model: "gpt-4o", input: 1_000_000, output: 0),
                       record(provider: "x", model: "unknown-model-q", input: 5, output: 5),
                       LLMLogRecord(traceID: "t", spanID: "r", spanName: "chat", model: "gpt-4o", inputTokens: 9, latencyMs: 1,
                                    startTimeUnixNano: 1, endTimeUnixNano: 2, reportedCost: 0.25)]
        Cost.price(&records, with: .shipped)
        #expect(records[0].costSource == "prices")
        #expect(records[0].costUSD == PriceTable.shipped.lookup(model: "gpt-4o", provider: "openai")?.rates.input)
        #expect(records[1].costUSD == nil && records[1].costSource == nil)
        #expect(records[2].costUSD == 0.25 && records[2].costSource == "reported")
    }
}
