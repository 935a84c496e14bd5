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
        func named(_ word: StaticString) -> Bool { mentions(record.provider, word) || mentions(record.model, word) }
        let cacheApart = named("anthropic") || named("claude") || input < read + write
        let reasoningApart = named("gemini") || named("gcp.")

        guard let inputRate = rates.input ?? (input + read + write == 0 ? 0 : nil),
              let outputRate = rates.output ?? (output + reasoning == 0 ? 0 : nil) else { return nil }
        let uncached = cacheApart ? input : input - read - write
        var dollars = uncached * inputRate + read * (rates.cacheRead ?? inputRate) + write * (rates.cacheWrite ?? inputRate)
        dollars += output * outputRate
        if reasoningApart { dollars += reasoning * (rates.reasoning ?? outputRate) }
        return dollars / 1_000_000
    }

    /// Whether `text` holds `word` (lowercase ASCII), ignoring ASCII case. Joining and lowercasing
    /// the names first, or Foundation's `contains`, cost more than the rest of pricing a row
    /// (`make bench-instructions`).
    static func mentions(_ text: String?, _ word: StaticString) -> Bool {
        guard var text else { return false }
        return text.withUTF8 { haystack in
            word.withUTF8Buffer { needle in
                guard let first = needle.first, needle.count <= haystack.count else { return false }
                for start in 0...(haystack.count - needle.count) where asciiLowercase(haystack[start]) == first {
                    var matched = 1
                    while matched < needle.count, asciiLowercase(haystack[start + matched]) == needle[matched] { matched += 1 }
                    if matched == needle.count { return true }
                }
                return false
            }
        }
    }

    private static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// Gives each record without a reported cost its cost at `table`'s prices (`cost_source`
    /// `prices`); a model the table does not know keeps NULL, never 0. A record whose span named
    /// no vendor (Strands and MLflow name only themselves, or nothing) gets the provider that the
    /// table lists the model under.
    public static func price(_ records: inout [LLMLogRecord], with table: PriceTable) {
        for index in records.indices where records[index].costUSD == nil || records[index].provider == nil {
            records[index].price(with: table)
        }
    }
}

extension LLMLogRecord {
    /// `Cost.price` for one record, in place: copying a record out of its array to read it
    /// retained each of its strings.
    fileprivate mutating func price(with table: PriceTable) {
        guard let model = model ?? responseModel, let match = table.lookup(model: model, provider: provider) else { return }
        if provider == nil { provider = PriceTable.semconvProvider(match.provider) }
        guard costUSD == nil, let dollars = Cost.usd(self, rates: match.rates) else { return }
        costUSD = dollars
        costSource = "prices"
    }
}
