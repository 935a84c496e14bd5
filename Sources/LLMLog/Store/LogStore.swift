/// Where active API keys come from, for checking presented keys.
public protocol KeySource: Sendable {
    /// Every key that is not revoked.
    func activeKeys() throws(StoreError) -> [ActiveKey]
    /// The active key with this SHA-256, looked up directly.
    func activeKey(hash: [UInt8]) throws(StoreError) -> ActiveKey?
}

/// Where the records of a request go, durably and all or none.
public protocol LogSink: Sendable {
    /// Stores the records; returns how many were new (a retried export's spans are skipped).
    func insert(_ records: [LLMLogRecord], apiKeyID: Int64, receivedAt: Int64) throws(StoreError) -> Int
    /// Stores content events and joins them onto their spans' rows (with the `ContentJoinRule` the
    /// store was given); returns how many were new.
    func insertEvents(_ events: [GenAIContentEvent], apiKeyID: Int64, receivedAt: Int64) throws(StoreError) -> Int
    /// Commits a tiny write, to show that writes are accepted now (`GET /healthz`).
    func checkWrites() throws(StoreError)
}

/// The LLM log and its API keys, whatever engine holds them: what ingestion and every command
/// need, and all a backend implements. SQLite (`SQLiteLogStore`) is the embedded one.
public protocol LogStore: KeySource, LogSink, ViewerStore, AnyObject {
    /// Adds a key given in clear (stored as its SHA-256 only); returns its id. A read key sees the
    /// rows of `readable`.
    func addKey(name: String, key: String, contentPolicy: ContentPolicy, scope: KeyScope,
                readable: ReadableKeys) throws(StoreError) -> Int64
    /// Changes what the key's future requests may store of prompts and completions.
    func setContentPolicy(id: Int64, _ policy: ContentPolicy) throws(StoreError)
    /// The id of the key with this value, revoked or not.
    func keyID(forKey key: String) throws(StoreError) -> Int64?
    func listKeys() throws(StoreError) -> [APIKeyInfo]
    /// Revokes a key; revoking twice keeps the first time. A key that does not exist is permanent.
    func revokeKey(id: Int64) throws(StoreError)
    /// The newest rows, newest first.
    func recentLogs(limit: Int) throws(StoreError) -> [StoredLog]
    /// GenAI spans started at or after `sinceUnixNano` that were kept without a model, tokens or
    /// content, per scope and span name, with the attribute keys they carried.
    func unmappedSpans(sinceUnixNano: UInt64) throws(StoreError) -> [UnmappedSpans]
    /// Deletes content events received before `cutoff` (unix ms) that still wait for their span,
    /// in transactions of `batch`; returns how many went.
    func deleteExpiredEvents(before cutoff: Int64, batch: Int) throws(StoreError) -> Int
    /// Retention, one transaction: deletes up to `limit` rows whose span started before
    /// `cutoffUnixNano`. When fewer were left, also the resources no row uses any more, and gives
    /// free pages back where the engine can do that in small steps. Callers repeat it until
    /// `PruneResult.isDone`, pausing between calls so that ingestion never waits long.
    func prune(startedBefore cutoffUnixNano: UInt64, limit: Int) throws(StoreError) -> PruneResult
    /// Rewrites the database to give every free page back (SQLite's VACUUM): for a database made
    /// before incremental vacuum was on, and after a large first prune. Blocks writers meanwhile.
    func compact() throws(StoreError)
    /// Closes the store; later calls fail. Called on shutdown after the last request.
    func close()
}

/// What one call of `LogStore.prune` removed.
public struct PruneResult: Equatable, Sendable {
    public var rows: Int
    public var resources: Int
    /// Pages given back to the file system.
    public var freedPages: Int
    /// No row older than the cutoff is left.
    public var isDone: Bool

    public init(rows: Int, resources: Int = 0, freedPages: Int = 0, isDone: Bool) {
        self.rows = rows
        self.resources = resources
        self.freedPages = freedPages
        self.isDone = isDone
    }
}

/// What a span's row holds of prompt and completion, and which of it came from content events
/// (rather than from the span itself, whose own content always wins).
public struct SpanContent: Equatable, Sendable {
    public var prompt: String?
    public var completion: String?
    public var promptFromEvents: Bool
    public var completionFromEvents: Bool

    public init(prompt: String?, completion: String?, promptFromEvents: Bool = false, completionFromEvents: Bool = false) {
        self.prompt = prompt
        self.completion = completion
        self.promptFromEvents = promptFromEvents
        self.completionFromEvents = completionFromEvents
    }
}

/// How a span's content events join its row: given what the row holds and every event of its
/// span, what the row holds after. Pure; the mapping layer owns it (`ContentJoin.join`), and a
/// store applies it inside the transaction that stores the span or the events.
public typealias ContentJoinRule = @Sendable (_ row: SpanContent, _ events: [GenAIContentEvent]) -> SpanContent

/// An API key as listed; the key itself is never stored, only its SHA-256.
public struct APIKeyInfo: Equatable, Sendable {
    public var id: Int64
    public var name: String
    /// Unix milliseconds.
    public var createdAt: Int64
    public var revokedAt: Int64?
    public var contentPolicy: ContentPolicy
    /// Nil for a scope this version does not know.
    public var scope: KeyScope?
    /// For a read key: whose rows it sees.
    public var readable: ReadableKeys

    public init(id: Int64, name: String, createdAt: Int64, revokedAt: Int64?, contentPolicy: ContentPolicy = .full,
                scope: KeyScope? = .ingest, readable: ReadableKeys = .all) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.contentPolicy = contentPolicy
        self.scope = scope
        self.readable = readable
    }
}

/// What a key's requests may store of prompt and completion text: all of it, with personal data
/// and secrets replaced by `[REDACTED:kind]`, or none at all. Applied before anything is written.
public enum ContentPolicy: String, Sendable, CaseIterable {
    case full, redact, none

    /// A policy as a store keeps it; one this version does not know stores nothing rather than everything.
    public init(stored text: String?) {
        self = text.flatMap(ContentPolicy.init(rawValue:)) ?? .none
    }
}

/// An active key's id and the SHA-256 of the key string.
public struct ActiveKey: Sendable {
    public var id: Int64
    public var hash: [UInt8]
    public var contentPolicy: ContentPolicy
    /// Nil for a scope this version does not know: such a key may do nothing.
    public var scope: KeyScope?

    public init(id: Int64, hash: [UInt8], contentPolicy: ContentPolicy = .full, scope: KeyScope? = .ingest) {
        self.id = id
        self.hash = hash
        self.contentPolicy = contentPolicy
        self.scope = scope
    }
}

/// A stored row as read back: the record plus what the store added.
public struct StoredLog: Equatable, Sendable {
    public var id: Int64
    public var apiKeyID: Int64
    /// Unix milliseconds.
    public var receivedAt: Int64
    public var record: LLMLogRecord

    public init(id: Int64, apiKeyID: Int64, receivedAt: Int64, record: LLMLogRecord) {
        self.id = id
        self.apiKeyID = apiKeyID
        self.receivedAt = receivedAt
        self.record = record
    }
}

/// What usage is summed per: `stats --by`.
public enum UsageGrouping: String, CaseIterable, Sendable {
    /// Provider and model together, the default.
    case providerModel = "provider-model"
    case provider, model, service, key
    /// The UTC day of the span's start, `YYYY-MM-DD`.
    case day
    /// Day, provider and model together: both the viewer's usage tables from one pass over the rows.
    case dayModel = "day-model"

    /// Groups by day, and so ordered by it.
    public var isByDay: Bool { self == .day || self == .dayModel }
}

/// Kept GenAI spans of one scope and name from which nothing of a call was read: what the
/// mapping did not understand (`ingate-otel unmapped`).
public struct UnmappedSpans: Equatable, Sendable {
    public var scopeName: String?
    public var spanName: String
    public var count: Int64
    /// The attribute keys of (a sample of) those spans, sorted.
    public var attributeKeys: [String]

    public init(scopeName: String?, spanName: String, count: Int64, attributeKeys: [String]) {
        self.scopeName = scopeName
        self.spanName = spanName
        self.count = count
        self.attributeKeys = attributeKeys
    }
}

/// Calls and tokens of one group (by default a provider and model) over a time window.
public struct UsageStat: Equatable, Sendable {
    public var provider: String?
    public var model: String?
    /// The group's value when grouped by service, key or day (nil for the other groupings).
    public var group: String?
    public var calls: Int64
    public var inputTokens: Int64
    public var outputTokens: Int64
    public var cacheReadTokens: Int64
    public var reasoningTokens: Int64
    public var cacheWriteTokens: Int64
    /// USD of the calls whose cost is known; nil when none is.
    public var costUSD: Double?

    public init(provider: String?, model: String?, calls: Int64, inputTokens: Int64, outputTokens: Int64,
                cacheReadTokens: Int64, reasoningTokens: Int64, cacheWriteTokens: Int64 = 0, group: String? = nil, costUSD: Double? = nil) {
        self.costUSD = costUSD
        self.cacheWriteTokens = cacheWriteTokens
        self.group = group
        self.provider = provider
        self.model = model
        self.calls = calls
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.reasoningTokens = reasoningTokens
    }
}

extension LogStore {
    /// Rows of `operations` of every key started at or after `sinceUnixNano`, summed per group of `grouping`.
    public func usageStats(sinceUnixNano: UInt64, operations: Set<String>,
                           by grouping: UsageGrouping = .providerModel) throws(StoreError) -> [UsageStat] {
        try usageStats(sinceUnixNano: sinceUnixNano, untilUnixNano: nil, readable: .all, operations: operations, by: grouping)
    }

    /// An ingest key that sees no rows of its own (the scope of every key before the viewer).
    public func addKey(name: String, key: String, contentPolicy: ContentPolicy = .full) throws(StoreError) -> Int64 {
        try addKey(name: name, key: key, contentPolicy: contentPolicy, scope: .ingest, readable: .all)
    }
}
