/// What a key may do: send telemetry (`ingest`, every key made before scopes existed) or look at it
/// in the viewer (`read`). A key of one scope can never do the other.
public enum KeyScope: String, Sendable, CaseIterable {
    case ingest, read

    /// A scope as a store keeps it; one this version does not know allows nothing (nil).
    public init?(stored text: String?) {
        guard let text, let scope = KeyScope(rawValue: text) else { return nil }
        self = scope
    }
}

/// The keys whose rows a read key may see: every key's, or only those it was created for.
public enum ReadableKeys: Equatable, Sendable {
    case all
    case only([Int64])

    /// The ids to filter on; nil for every key.
    public var ids: [Int64]? {
        if case .only(let ids) = self { return ids }
        return nil
    }
}

/// A signed-in viewer: the read key it was opened with and what that key may see.
public struct ViewerSession: Equatable, Sendable {
    public var keyID: Int64
    /// Unix milliseconds.
    public var expiresAt: Int64
    public var readable: ReadableKeys

    public init(keyID: Int64, expiresAt: Int64, readable: ReadableKeys) {
        self.keyID = keyID
        self.expiresAt = expiresAt
        self.readable = readable
    }
}

/// Where the viewer's list of calls starts: after the row with this start time and id, in the
/// order newest first (keyset pagination: a page costs the same however deep it is).
public struct LogCursor: Equatable, Sendable {
    public var startTimeUnixNano: UInt64
    public var id: Int64

    public init(startTimeUnixNano: UInt64, id: Int64) {
        self.startTimeUnixNano = startTimeUnixNano
        self.id = id
    }

    /// As it travels in a link: `START-ID`.
    public var text: String { "\(startTimeUnixNano)-\(id)" }

    public init?(text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let start = UInt64(parts[0]), let id = Int64(parts[1]) else { return nil }
        self.init(startTimeUnixNano: start, id: id)
    }
}

/// The viewer's filters over the calls; nil or empty means no filter.
public struct LogQuery: Equatable, Sendable {
    public var readable: ReadableKeys = .all
    public var sinceUnixNano: UInt64?
    public var untilUnixNano: UInt64?
    public var service: String?
    public var provider: String?
    public var model: String?
    public var apiKeyID: Int64?
    public var operation: String?
    public var errorsOnly = false
    public var conversationID: String?
    /// Words found in the prompt or completion (case-insensitive for ASCII letters).
    public var text: String?
    public var after: LogCursor?
    /// The row a search reads down to (inclusive), where `searchBoundary` put the end of one
    /// page's reading.
    public var notBefore: LogCursor?
    public var limit = 50

    public init() {}
}

/// What the built-in viewer reads and writes: sessions, pages of calls, one call and its trace,
/// usage per group for the keys a session may see. Every backend implements it.
public protocol ViewerStore: AnyObject {
    /// Opens a session for a read key; only the SHA-256 of its token is stored.
    func createSession(tokenHash: String, keyID: Int64, expiresAt: Int64) throws(StoreError)
    /// The session with this token hash if it has not expired (at `now`, unix ms) and its key is
    /// an unrevoked read key.
    func session(tokenHash: String, now: Int64) throws(StoreError) -> ViewerSession?
    func deleteSession(tokenHash: String) throws(StoreError)
    /// One page of calls, newest first (by span start, then id).
    func searchLogs(_ query: LogQuery) throws(StoreError) -> [StoredLog]
    /// The `rows`-th row, newest first, that the filters of `query` other than its text match, or
    /// nil when fewer match: how far a text search can read for one page within its time.
    func searchBoundary(_ query: LogQuery, rows: Int) throws(StoreError) -> LogCursor?
    /// How many rows a text search reads for one page, so that it answers within 100 ms
    /// (`make bench-viewer`).
    var textSearchRowsPerPage: Int { get }
    /// One row, if `readable` covers its key.
    func log(id: Int64, readable: ReadableKeys) throws(StoreError) -> StoredLog?
    /// The rows of one trace sent with one key, by start time.
    func traceLogs(traceID: String, apiKeyID: Int64) throws(StoreError) -> [StoredLog]
    /// `usageStats` over a window and the keys a session may see.
    func usageStats(sinceUnixNano: UInt64, untilUnixNano: UInt64?, readable: ReadableKeys, operations: Set<String>,
                    by grouping: UsageGrouping) throws(StoreError) -> [UsageStat]
    /// What `usageStats(by: .dayModel)` of the model calls (`UsageRule`) gives from the UTC day of
    /// `sinceUnixNano` on, read from per-day sums the store keeps as it writes: the cost of the
    /// usage page no longer grows with the rows in its window.
    func dailyUsage(sinceUnixNano: UInt64, readable: ReadableKeys) throws(StoreError) -> [UsageStat]
}

/// How long a viewer session lasts from sign-in.
public enum ViewerSessionLifetime {
    public static let milliseconds: Int64 = 12 * 3600 * 1000
}
