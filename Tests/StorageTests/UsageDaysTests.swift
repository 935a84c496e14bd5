import Foundation
import GenAIMapping
import LLMLog
import Testing
@testable import Storage
import TestSupport

/// The per-day sums (`UsageDays`) always equal what the live query (`usageStats`) computes from
/// the rows, however the rows of a trace arrive, are retried or are pruned.
@Suite struct UsageDaysTests {
    static let day: UInt64 = 86_400 * 1_000_000_000
    static let firstDay: UInt64 = 20_400 * day

    @Test func theOperationsAreTheUsageRules() {
        #expect(Set(UsageDays.operations) == UsageRule.countedOperations)
    }

    /// Deterministic: the same seed gives the same traces on every run.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
        mutating func pick<T>(_ options: [T]) -> T { options[next(options.count)] }
    }

    /// Traces of stacked instrumentations, agents over calls, calls over calls, tools, spans
    /// without usage or cost, spread over four UTC days.
    static func traces(seed: UInt64, count: Int) -> [[LLMLogRecord]] {
        var random = Generator(state: seed)
        return (0..<count).map { trace in
            let traceID = String(format: "%032x", trace + 1)
            var spans: [LLMLogRecord] = []
            for index in 0..<(1 + random.next(6)) {
                var row = record(String(format: "%016x", trace * 100 + index + 1), spanName: "span")
                row.traceID = traceID
                // A parent among the trace's earlier spans, or one never sent.
                row.parentSpanID = index == 0 || random.next(5) == 0 ? random.pick([nil, "00000000000000ff"]) : spans[random.next(index)].spanID
                row.operation = random.pick(["chat", "chat", "text_completion", "embeddings", "invoke_agent", "execute_tool", nil])
                row.provider = random.pick(["openai", "anthropic", nil])
                row.model = random.pick(["gpt-4o", "claude-sonnet-4", "text-embedding-3-small", nil])
                let hasUsage = random.next(4) != 0
                row.inputTokens = hasUsage ? Int64(random.next(1_000)) : nil
                row.outputTokens = hasUsage && random.next(3) != 0 ? Int64(random.next(500)) : nil
                row.cacheReadTokens = random.next(2) == 0 ? Int64(random.next(100)) : nil
                row.reasoningTokens = random.next(3) == 0 ? Int64(random.next(50)) : nil
                row.cacheWriteTokens = random.next(4) == 0 ? Int64(random.next(20)) : nil
                row.costUSD = random.next(3) == 0 ? nil : Double(random.next(10_000)) / 1_000_000
                row.costSource = row.costUSD == nil ? nil : "priced"
                row.startTimeUnixNano = firstDay + UInt64(random.next(4 * 86_400)) * 1_000_000_000 + UInt64(index)
                row.endTimeUnixNano = row.startTimeUnixNano + 1_000
                spans.append(row)
            }
            return spans
        }
    }

    /// Cost sums in another order differ in the last bits.
    static func rounded(_ stats: [UsageStat]) -> [UsageStat] {
        stats.map { stat in
            var stat = stat
            stat.costUSD = stat.costUSD.map { ($0 * 1e9).rounded() / 1e9 }
            return stat
        }
    }

    static func expectSumsMatchRows(_ store: any LogStore, readable: ReadableKeys = .all, since: UInt64 = 0,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        let live = try store.usageStats(sinceUnixNano: since, untilUnixNano: nil, readable: readable,
                                        operations: UsageRule.countedOperations, by: .dayModel)
        let kept = try store.dailyUsage(sinceUnixNano: since, readable: readable)
        #expect(!live.isEmpty, sourceLocation: sourceLocation)
        #expect(rounded(kept) == rounded(live), sourceLocation: sourceLocation)
    }

    /// Requests of a few spans each, shuffled so that children come before or after their parents,
    /// in one transaction or another, with some sent twice (a retried export).
    static func requests(of traces: [[LLMLogRecord]], seed: UInt64) -> [[LLMLogRecord]] {
        var random = Generator(state: seed)
        var rows = traces.flatMap { $0 }
        for index in rows.indices.reversed() { rows.swapAt(index, random.next(index + 1)) }
        var requests: [[LLMLogRecord]] = []
        var start = 0
        while start < rows.count {
            let end = min(rows.count, start + 1 + random.next(6))
            requests.append(Array(rows[start..<end]))
            if random.next(5) == 0 { requests.append(Array(rows[start..<end])) }
            start = end
        }
        return requests
    }

    /// The store of `fixture` with one key's shuffled requests of `count` traces.
    static func storeWithTraces(_ fixture: StoreFixture, seed: UInt64, count: Int) throws -> any LogStore {
        let store = try fixture.store()
        let key = try store.createKey(name: "a").id
        for request in requests(of: traces(seed: seed, count: count), seed: seed + 1) {
            try store.insert(request, apiKeyID: key, receivedAt: 1)
        }
        return store
    }

    @Test(arguments: Backend.allCases) func sumsEqualTheRowsWhateverTheOrderOfArrival(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let keys = [try store.createKey(name: "a").id, try store.createKey(name: "b").id]
        let requests = Self.requests(of: Self.traces(seed: 7, count: 120), seed: 11)
        for (offset, request) in requests.enumerated() {
            try store.insert(request, apiKeyID: keys[offset % 3 == 0 ? 1 : 0], receivedAt: 1)
        }
        try Self.expectSumsMatchRows(store)
        try Self.expectSumsMatchRows(store, readable: .only([keys[1]]))
        try Self.expectSumsMatchRows(store, since: Self.firstDay + 2 * Self.day + 5)
    }

    /// Two receivers on one database, each committing batches of concurrent requests.
    @Test(arguments: Backend.allCases) func sumsEqualTheRowsWhenWritersRaceOnOneDatabase(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let stores = [try fixture.store(), try fixture.store()]
        let key = try stores[0].createKey(name: "a").id
        let requests = Self.requests(of: Self.traces(seed: 3, count: 150), seed: 5)
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for index in stride(from: worker, to: requests.count, by: 8) {
                do {
                    try stores[worker % 2].insert(requests[index], apiKeyID: key, receivedAt: 1)
                } catch {
                    failures.add("\(error)")
                }
            }
        }
        #expect(failures.all.isEmpty)
        try Self.expectSumsMatchRows(stores[0])
    }

    /// Retention takes rows out a few at a time: a parent before its child, or a child before its
    /// parent, which then counts again.
    @Test(arguments: Backend.allCases) func sumsEqualTheRowsAsRetentionDeletes(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try Self.storeWithTraces(fixture, seed: 13, count: 120)
        for cutoff in [Self.firstDay + Self.day + 3_600 * 1_000_000_000, Self.firstDay + 2 * Self.day + 7] {
            while try !store.prune(startedBefore: cutoff, limit: 7).isDone {
                try Self.expectSumsMatchRows(store)
            }
            try Self.expectSumsMatchRows(store)
        }
    }

    /// A database made before the sums existed gets them from its rows when it is opened.
    @Test(arguments: Backend.allCases) func anOlderDatabaseIsSummedWhenMigrated(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try Self.storeWithTraces(fixture, seed: 19, count: 60)
        store.close()
        switch backend {
        case .sqlite:
            let connection = try SQLiteConnection(path: fixture.path)
            try connection.execute("DROP TABLE usage_days; PRAGMA user_version = \(Schema.migrations.count - 1)")
            connection.close()
        case .postgres:
            let url = try #require(fixture.postgresURL)
            let dropped = TestPostgres.psql(url, "DROP TABLE usage_days; DELETE FROM ingate_schema WHERE version = \(PostgresSchema.migrations.count)")
            #expect(dropped.status == 0, "\(dropped.output)")
        }
        try Self.expectSumsMatchRows(try fixture.store())
    }
}

/// Errors gathered from concurrent writers.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ failure: String) { lock.withLock { list.append(failure) } }
    var all: [String] { lock.withLock { list } }
}
