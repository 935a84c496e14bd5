import Foundation
import LLMLog

/// Rates in USD per million tokens; nil where the table gives none.
public struct TokenRates: Equatable, Sendable {
    public var input: Double?
    public var cacheRead: Double?
    public var cacheWrite: Double?
    public var output: Double?
    /// Only where a table states it; otherwise reasoning tokens are priced as output.
    public var reasoning: Double?

    public init(input: Double?, cacheRead: Double?, cacheWrite: Double?, output: Double?, reasoning: Double?) {
        self.input = input
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
        self.output = output
        self.reasoning = reasoning
    }
}

/// A model name as a price table matches it (genai-prices' clauses, applied to the lowercased name).
indirect enum MatchClause: Sendable {
    case equals(String), startsWith(String), endsWith(String), contains(String), regex(String)
    case or([MatchClause]), and([MatchClause])

    func matches(_ name: String) -> Bool {
        switch self {
        case .equals(let text): name == text
        case .startsWith(let text): name.hasPrefix(text)
        case .endsWith(let text): name.hasSuffix(text)
        case .contains(let text): name.contains(text)
        case .regex(let pattern): (try? Regex(pattern)).map { name.firstMatch(of: $0) != nil } ?? false
        case .or(let clauses): clauses.contains { $0.matches(name) }
        case .and(let clauses): clauses.allSatisfy { $0.matches(name) }
        }
    }

    init?(_ json: JSONValue?) {
        guard let json, case .object(let members) = json, let (key, value) = members.first else { return nil }
        if let list = value.array {
            let clauses = list.compactMap { MatchClause($0) }
            switch key {
            case "or": self = .or(clauses)
            case "and": self = .and(clauses)
            default: return nil
            }
            return
        }
        guard let text = value.string else { return nil }
        switch key {
        case "equals": self = .equals(text)
        case "starts_with": self = .startsWith(text)
        case "ends_with": self = .endsWith(text)
        case "contains": self = .contains(text)
        case "regex": self = .regex(text)
        default: return nil
        }
    }
}

/// How a model name found its prices: `prices lookup` shows it.
public struct PriceMatch: Equatable, Sendable {
    public var source: String
    public var provider: String
    public var model: String
    /// The form of the name that matched (after dropping a provider prefix, a date suffix…).
    public var matchedName: String
    /// What was dropped from the name to match, or "exact".
    public var how: String
    public var rates: TokenRates
}

/// Model prices by provider, in the format `make prices` writes (and `serve --prices FILE` reads):
/// `{"source", "providers": [{"id", "provider_match", "model_match", "models": [{"id", "match",
/// "prices": {"input", "cache_read", "cache_write", "output", "reasoning"}}]}]}`, in USD per million tokens.
public struct PriceTable: Sendable {
    struct Model: Sendable {
        var id: String
        var match: MatchClause
        var rates: TokenRates
    }
    struct Provider: Sendable {
        var id: String
        var providerMatch: MatchClause?
        var modelMatch: MatchClause?
        var models: [Model]
    }

    public let source: String
    let providers: [Provider]
    /// Consulted when this table has no price: the shipped table under an operator's.
    let fallback: [PriceTable]
    /// Answers already found: a service sends few model names, and matching scans thousands.
    private let cache = LookupCache()

    /// The table shipped in the binary (genai-prices, see `make prices`).
    public static let shipped: PriceTable = (try? PriceTable(json: PriceData.json)) ?? PriceTable(source: "none", providers: [], fallback: [])

    init(source: String, providers: [Provider], fallback: [PriceTable]) {
        self.source = source
        self.providers = providers
        self.fallback = fallback
    }

    public struct FormatError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(json: String) throws {
        let document: JSONValue
        do {
            document = try JSONParser.parse(Array(json.utf8), maxDepth: 64)
        } catch {
            throw FormatError(description: "the price table is not JSON: \(error)")
        }
        guard let providers = document["providers"]?.array else { throw FormatError(description: "the price table has no \"providers\" array") }
        self.source = document["source"]?.string ?? "prices file"
        self.fallback = []
        self.providers = providers.compactMap { provider -> Provider? in
            guard let id = provider["id"]?.string else { return nil }
            let models = (provider["models"]?.array ?? []).compactMap { model -> Model? in
                guard let id = model["id"]?.string, let prices = model["prices"] else { return nil }
                let match = MatchClause(model["match"]) ?? .equals(id.lowercased())
                func rate(_ key: String) -> Double? {
                    if case .number(let text)? = prices[key] { return Double(text) }
                    return nil
                }
                return Model(id: id, match: match, rates: TokenRates(input: rate("input"), cacheRead: rate("cache_read"),
                                                                      cacheWrite: rate("cache_write"), output: rate("output"),
                                                                      reasoning: rate("reasoning")))
            }
            return Provider(id: id, providerMatch: MatchClause(provider["provider_match"]), modelMatch: MatchClause(provider["model_match"]),
                            models: models)
        }
    }

    /// This table first, `table` where this one has no price: an operator's prices over the shipped ones.
    public func over(_ table: PriceTable) -> PriceTable {
        PriceTable(source: source, providers: providers, fallback: [table] + fallback)
    }

    /// Our provider names (semconv's) that genai-prices spells otherwise.
    static let providerAliases = ["x_ai": "x-ai", "mistral_ai": "mistral", "aws.bedrock": "aws", "gcp.gemini": "google",
                                  "gcp.vertex_ai": "google", "azure.ai.openai": "azure"]

    /// A provider id of the table as `gen_ai.provider.name` spells it.
    public static func semconvProvider(_ id: String) -> String {
        ["x-ai": "x_ai", "mistral": "mistral_ai", "aws": "aws.bedrock", "google": "gcp.gemini", "azure": "azure.ai.openai"][id] ?? id
    }

    /// The prices of `model` as sent by `provider` (which may be missing): the provider's own
    /// models first, then those of a provider the name says it is (`claude…`), then any that lists it.
    public func lookup(model: String, provider: String? = nil) -> PriceMatch? {
        let key = LookupKey(provider: provider, model: model)
        if let known = cache.get(key) { return known }
        let found = search(model: model, provider: provider)
        cache.put(key, found)
        return found
    }

    private func search(model: String, provider: String?) -> PriceMatch? {
        for (name, how) in Self.candidates(model) {
            if let found = find(name, provider: provider?.lowercased()) {
                return PriceMatch(source: source, provider: found.0, model: found.1.id, matchedName: name, how: how, rates: found.1.rates)
            }
        }
        for table in fallback {
            if let found = table.lookup(model: model, provider: provider) { return found }
        }
        return nil
    }

    private func find(_ name: String, provider: String?) -> (String, Model)? {
        var ordered: [Provider] = []
        if let provider {
            let alias = Self.providerAliases[provider] ?? provider
            ordered += providers.filter { $0.id == alias || $0.id == provider }
            ordered += providers.filter { p in p.id != alias && p.id != provider && (p.providerMatch?.matches(provider) ?? false) }
        }
        ordered += providers.filter { $0.modelMatch?.matches(name) ?? false }
        // Last, any provider of the table: a name only one of them lists.
        ordered += providers.filter { $0.modelMatch == nil }
        for candidate in ordered {
            if let model = candidate.models.first(where: { $0.match.matches(name) }) { return (candidate.id, model) }
        }
        return nil
    }

    /// The forms of a model name to try, each with what was dropped: the name, then without a
    /// provider prefix (`openai/gpt-4o`), a Bedrock region and vendor (`us.anthropic.`), a version
    /// tail (`-v1:0`), a date (`-2024-08-06`, `-20240806`, `@20240620`).
    static func candidates(_ model: String) -> [(String, String)] {
        var name = model.lowercased().trimmingCharacters(in: .whitespaces)
        var out = [(name, "exact")]
        var dropped: [String] = []
        func step(_ what: String, _ transform: (String) -> String) {
            let next = transform(name)
            guard next != name, !next.isEmpty else { return }
            name = next
            dropped.append(what)
            out.append((name, "without " + dropped.joined(separator: ", ")))
        }
        step("provider prefix") { $0.split(separator: "/").last.map(String.init) ?? $0 }
        step("region prefix") { name in
            for region in ["us.", "eu.", "apac.", "global.", "us-gov."] where name.hasPrefix(region) { return String(name.dropFirst(region.count)) }
            return name
        }
        step("vendor prefix") { name in
            for vendor in ["anthropic.", "meta.", "amazon.", "mistral.", "cohere.", "ai21."] where name.hasPrefix(vendor) {
                return String(name.dropFirst(vendor.count))
            }
            return name
        }
        step("version tail") { $0.replacing(/-v\d+(:\d+)?$/, with: "").replacing(/:\d+$/, with: "") }
        step("date") {
            $0.replacing(/@\d{8}$/, with: "").replacing(/-\d{4}-\d{2}-\d{2}$/, with: "").replacing(/-\d{8}$/, with: "")
        }
        return out
    }
}

/// The two names a lookup was asked for, as they came: joining them into one string cost an
/// allocation per row.
private struct LookupKey: Hashable {
    let provider: String?
    let model: String
}

/// Lookups by provider and model name; emptied when full rather than grown without bound.
private final class LookupCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [LookupKey: PriceMatch?] = [:]

    func get(_ key: LookupKey) -> PriceMatch?? {
        lock.withLock { entries[key] }
    }

    func put(_ key: LookupKey, _ value: PriceMatch?) {
        lock.withLock {
            if entries.count >= 10_000 { entries.removeAll(keepingCapacity: true) }
            entries[key] = value
        }
    }
}
