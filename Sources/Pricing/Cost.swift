import LLMLog

/// The cost of a row from its tokens. The registry says input tokens include cached ones and output
/// tokens reasoning ones; Anthropic reports cache reads and writes apart from input, and Gemini its
/// thinking apart from output. Each kind is priced at its own rate: cache reads and writes at the
/// input rate where the table gives none, reasoning at the output rate.
public enum Cost {
    public static func usd(_ record: LLMLogRecord, rates: TokenRates) -> Double? {
        guard record.inputTokens != nil || record.outputTokens != nil else { return nil }
        let input = Double(max(0, record.inputTokens ?? 0))
        let read = Double(max(0, record.cacheReadTokens ?? 0))
        let write = Double(max(0, record.cacheWriteTokens ?? 0))
        let output = Double(max(0, record.outputTokens ?? 0))
        let reasoning = Double(max(0, record.reasoningTokens ?? 0))
        let names = ((record.provider ?? "") + " " + (record.model ?? "")).lowercased()
        let cacheApart = mentions(names, "anthropic") || mentions(names, "claude") || input < read + write
        let reasoningApart = mentions(names, "gemini") || mentions(names, "gcp.")

        guard let inputRate = rates.input ?? (input + read + write == 0 ? 0 : nil),
              let outputRate = rates.output ?? (output + reasoning == 0 ? 0 : nil) else { return nil }
        let uncached = cacheApart ? input : input - read - write
        var dollars = uncached * inputRate + read * (rates.cacheRead ?? inputRate) + write * (rates.cacheWrite ?? inputRate)
        dollars += output * outputRate
        if reasoningApart { dollars += reasoning * (rates.reasoning ?? outputRate) }
        return dollars / 1_000_000
    }

    /// Whether `text` holds `word`, byte for byte. Foundation's `contains` bridges both to
    /// NSString, which cost more than the rest of pricing a row (`make bench-instructions`).
    static func mentions(_ text: String, _ word: StaticString) -> Bool {
        var text = text
        return text.withUTF8 { haystack in
            word.withUTF8Buffer { needle in
                guard needle.count <= haystack.count else { return false }
                return (0...(haystack.count - needle.count)).contains { start in
                    haystack[start] == needle[0] && (1..<needle.count).allSatisfy { haystack[start + $0] == needle[$0] }
                }
            }
        }
    }

    /// Gives each record without a reported cost its cost at `table`'s prices (`cost_source`
    /// `prices`); a model the table does not know keeps NULL, never 0. A record whose span named
    /// no vendor (Strands and MLflow name only themselves, or nothing) gets the provider that the
    /// table lists the model under.
    public static func price(_ records: inout [LLMLogRecord], with table: PriceTable) {
        for index in records.indices where records[index].costUSD == nil || records[index].provider == nil {
            let record = records[index]
            guard let model = record.model ?? record.responseModel,
                  let match = table.lookup(model: model, provider: record.provider) else { continue }
            if record.provider == nil { records[index].provider = PriceTable.semconvProvider(match.provider) }
            guard record.costUSD == nil, let dollars = usd(records[index], rates: match.rates) else { continue }
            records[index].costUSD = dollars
            records[index].costSource = "prices"
        }
    }
}
