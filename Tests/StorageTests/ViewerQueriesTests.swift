import APIKeys
import LLMLog
import Testing
@testable import Storage

@Suite struct ViewerQueriesTests {
    /// Rows of two keys: 7 calls of key A (one an error, two of another model) and one of key B.
    func filled(_ backend: Backend) throws -> (StoreFixture, any LogStore, a: Int64, b: Int64) {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let a = try store.createKey(name: "a").id
        let b = try store.createKey(name: "b").id
        var rows: [LLMLogRecord] = []
        for n in 0..<7 {
            var row = record(String(format: "%016x", n + 1))
            row.startTimeUnixNano = 1_000 + UInt64(n / 2)   // pairs share a start time: the id breaks the tie
            row.model = n >= 5 ? "claude" : "gpt-4o"
            row.statusCode = n == 3 ? 2 : 0
            row.prompt = n == 4 ? "find 100% of the NEEDLE_here" : "question \(n)"
            row.conversationID = n < 2 ? "conv-1" : nil
            rows.append(row)
        }
        try store.insert(rows, apiKeyID: a, receivedAt: 1)
        var other = record("00000000000000bb")
        other.traceID = "0000000000000000000000000000000b"
        other.startTimeUnixNano = 500
        other.statusCode = 0
        try store.insert([other], apiKeyID: b, receivedAt: 1)
        return (fixture, store, a, b)
    }

    func spanIDs(_ logs: [StoredLog]) -> [String] { logs.map(\.record.spanID) }

    @Test(arguments: Backend.allCases) func pagesWalkEveryRowOnceNewestFirst(_ backend: Backend) throws {
        let (_, store, a, _) = try filled(backend)
        var query = LogQuery()
        query.readable = .only([a])
        query.limit = 3
        var seen: [StoredLog] = []
        while true {
            let page = try store.searchLogs(query)
            seen += page
            guard page.count == query.limit, let last = page.last else { break }
            query.after = LogCursor(startTimeUnixNano: last.record.startTimeUnixNano, id: last.id)
        }
        #expect(seen.count == 7)
        #expect(Set(seen.map(\.id)).count == 7)
        let order = seen.map { "\($0.record.startTimeUnixNano)-\(1_000_000 + $0.id)" }
        #expect(order == order.sorted(by: >))
    }

    /// A text search reads a bounded run of rows per page, then goes on from where it stopped,
    /// and so finds every match once.
    @Test(arguments: Backend.allCases) func aTextSearchReadsToItsBoundaryAndGoesOnFromThere(_ backend: Backend) throws {
        let (_, store, a, _) = try filled(backend)
        var query = LogQuery()
        query.readable = .only([a])
        query.text = "question"
        // The text does not move the boundary: it counts the rows read, matching or not.
        let boundary = try #require(try store.searchBoundary(query, rows: 3))
        #expect(boundary == (try store.searchBoundary({ var q = query; q.text = "NEEDLE"; return q }(), rows: 3)))
        var found: [[String]] = []
        while true {
            query.notBefore = try store.searchBoundary(query, rows: 3)
            found.append(spanIDs(try store.searchLogs(query)))
            guard let searched = query.notBefore else { break }
            query.after = searched
        }
        #expect(found == [["0000000000000007", "0000000000000006"], ["0000000000000004", "0000000000000003", "0000000000000002"],
                          ["0000000000000001"]])
        #expect(try store.searchBoundary(LogQuery(), rows: 100) == nil)
    }

    @Test(arguments: Backend.allCases) func filtersNarrowTheRows(_ backend: Backend) throws {
        let (_, store, a, b) = try filled(backend)
        var query = LogQuery()
        query.model = "claude"
        #expect(spanIDs(try store.searchLogs(query)) == ["0000000000000007", "0000000000000006"])
        query = LogQuery()
        query.errorsOnly = true
        #expect(spanIDs(try store.searchLogs(query)) == ["0000000000000004"])
        query = LogQuery()
        query.conversationID = "conv-1"
        #expect(spanIDs(try store.searchLogs(query)) == ["0000000000000002", "0000000000000001"])
        query = LogQuery()
        query.apiKeyID = b
        #expect(spanIDs(try store.searchLogs(query)) == ["00000000000000bb"])
        query = LogQuery()
        query.readable = .only([b])
        query.model = "claude"
        #expect(try store.searchLogs(query).isEmpty)
        query = LogQuery()
        query.readable = .only([])
        #expect(try store.searchLogs(query).isEmpty)
        query = LogQuery()
        query.sinceUnixNano = 1_003
        #expect(spanIDs(try store.searchLogs(query)) == ["0000000000000007"])
        query = LogQuery()
        query.readable = .only([a])
        query.untilUnixNano = 1_001
        #expect(spanIDs(try store.searchLogs(query)) == ["0000000000000002", "0000000000000001"])
    }

    /// `%` and `_` in the search are letters, not patterns; ASCII case does not matter.
    @Test(arguments: Backend.allCases) func textSearchIsLiteral(_ backend: Backend) throws {
        let (_, store, _, _) = try filled(backend)
        var query = LogQuery()
        query.text = "100% of the needle_"
        #expect(spanIDs(try store.searchLogs(query)) == ["0000000000000005"])
        query.text = "needle%here"
        #expect(try store.searchLogs(query).isEmpty)
        query.text = "answer"
        #expect(try store.searchLogs(query).count == 8)
    }

    @Test(arguments: Backend.allCases) func oneCallAndItsTraceOnlyForTheKeysThatMaySeeThem(_ backend: Backend) throws {
        let (_, store, a, b) = try filled(backend)
        let mine = try #require(try store.searchLogs(LogQuery()).first { $0.apiKeyID == a })
        #expect(try store.log(id: mine.id, readable: .only([a]))?.record == mine.record)
        #expect(try store.log(id: mine.id, readable: .only([b])) == nil)
        #expect(try store.log(id: mine.id, readable: .all) != nil)
        let trace = try store.traceLogs(traceID: mine.record.traceID, apiKeyID: a)
        #expect(trace.count == 7)
        #expect(try store.traceLogs(traceID: mine.record.traceID, apiKeyID: b).isEmpty)
    }

    @Test(arguments: Backend.allCases) func usageCoversOnlyTheReadableKeysAndTheWindow(_ backend: Backend) throws {
        let (_, store, a, b) = try filled(backend)
        let all = try store.usageStats(sinceUnixNano: 0, untilUnixNano: nil, readable: .all, operations: ["chat"], by: .key)
        #expect(all.map(\.calls).reduce(0, +) == 8)
        let onlyB = try store.usageStats(sinceUnixNano: 0, untilUnixNano: nil, readable: .only([b]), operations: ["chat"], by: .key)
        #expect(onlyB.map(\.group) == [String(b)])
        let early = try store.usageStats(sinceUnixNano: 0, untilUnixNano: 1_001, readable: .only([a]), operations: ["chat"], by: .key)
        #expect(early.first?.calls == 2)
    }

    /// Day and model together hold what per day and per model hold, so one pass gives both.
    @Test(arguments: Backend.allCases) func perDayAndModelAddsUpToPerDayAndPerModel(_ backend: Backend) throws {
        let (_, store, _, _) = try filled(backend)
        let both = try store.usageStats(sinceUnixNano: 0, operations: ["chat"], by: .dayModel)
        #expect(both.count == 2 && both.allSatisfy { $0.group != nil && $0.model != nil })
        let perModel = try store.usageStats(sinceUnixNano: 0, operations: ["chat"], by: .providerModel)
        for stat in perModel {
            let parts = both.filter { $0.provider == stat.provider && $0.model == stat.model }
            #expect(parts.map(\.calls).reduce(0, +) == stat.calls)
            #expect(parts.map(\.inputTokens).reduce(0, +) == stat.inputTokens)
        }
        let perDay = try store.usageStats(sinceUnixNano: 0, operations: ["chat"], by: .day)
        #expect(perDay.map(\.calls).reduce(0, +) == both.map(\.calls).reduce(0, +))
    }

    @Test(arguments: Backend.allCases) func sessionsEndWhenTheyExpireOrTheirKeyIsRevoked(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let ingest = try store.createKey(name: "app").id
        let reader = try store.createKey(name: "me", scope: .read, readable: .only([ingest])).id
        try store.createSession(tokenHash: "h1", keyID: reader, expiresAt: 10_000)
        #expect(try store.session(tokenHash: "h1", now: 9_999) == ViewerSession(keyID: reader, expiresAt: 10_000, readable: .only([ingest])))
        #expect(try store.session(tokenHash: "h1", now: 10_000) == nil)
        #expect(try store.session(tokenHash: "other", now: 1) == nil)
        // An ingest key has no sessions, whatever a table says.
        try store.createSession(tokenHash: "h2", keyID: ingest, expiresAt: 10_000)
        #expect(try store.session(tokenHash: "h2", now: 1) == nil)
        try store.deleteSession(tokenHash: "h1")
        #expect(try store.session(tokenHash: "h1", now: 1) == nil)
        try store.createSession(tokenHash: "h3", keyID: reader, expiresAt: 10_000)
        try store.revokeKey(id: reader)
        #expect(try store.session(tokenHash: "h3", now: 1) == nil)
        let listed = try store.listKeys().first { $0.id == reader }
        #expect(listed?.scope == .read && listed?.readable == .only([ingest]))
        #expect(try store.activeKey(hash: APIKeyFormat.sha256("missing")) == nil)
    }

    @Test func likePatternsEscapeTheirWildcards() {
        #expect(LogFilter.escapedForLike(#"50%_a\b"#) == #"50\%\_a\\b"#)
    }
}
