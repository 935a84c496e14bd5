import GenAIMapping
import LLMLog
import Foundation
import Testing
@testable import Storage
import TestSupport

@Suite struct UsageStatsTests {
    func call(_ spanID: String, operation: String?, model: String = "gpt-4o", input: Int64, output: Int64,
              start: UInt64 = 2_000_000_000_000_000_000) -> LLMLogRecord {
        var row = record(spanID)
        row.operation = operation
        row.model = model
        row.inputTokens = input
        row.outputTokens = output
        row.cacheReadTokens = input / 2
        row.reasoningTokens = 1
        row.startTimeUnixNano = start
        return row
    }

    @Test(arguments: Backend.allCases) func onlyTheOperationsAskedForAreCounted(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let key = try store.createKey(name: "dev")
        try store.insert([
            call("0000000000000001", operation: "invoke_agent", input: 1_000, output: 1_000),   // sums its children
            call("0000000000000002", operation: "chat", input: 600, output: 400),
            call("0000000000000003", operation: "chat", input: 400, output: 600),
            call("0000000000000004", operation: "execute_tool", input: 5, output: 5),
            call("0000000000000005", operation: "embeddings", model: "text-embedding-3-small", input: 50, output: 0),
            call("0000000000000006", operation: "chat", input: 9, output: 9, start: 1_000),       // outside the window
        ], apiKeyID: key.id, receivedAt: 1)
        let stats = try store.usageStats(sinceUnixNano: 1_900_000_000_000_000_000, operations: ["chat", "embeddings"])
        #expect(stats == [
            UsageStat(provider: "openai", model: "gpt-4o", calls: 2, inputTokens: 1_000, outputTokens: 1_000,
                      cacheReadTokens: 500, reasoningTokens: 2),
            UsageStat(provider: "openai", model: "text-embedding-3-small", calls: 1, inputTokens: 50, outputTokens: 0,
                      cacheReadTokens: 25, reasoningTokens: 1),
        ])
    }

    /// Two instrumentations stacked: a call whose own child is a call with usage is not counted,
    /// whichever was stored first, in one request or two.
    @Test(arguments: Backend.allCases, ["child first", "parent first", "together"])
    func aCallWithACallAsItsChildCountsOnce(_ backend: Backend, order: String) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let key = try store.createKey(name: "dev")
        let parent = call("00000000000000a1", operation: "chat", input: 70, output: 7)
        var child = call("00000000000000a2", operation: "chat", input: 70, output: 7)
        child.parentSpanID = parent.spanID
        var other = call("00000000000000a3", operation: "chat", input: 1, output: 1)
        other.parentSpanID = "00000000000000ff"   // a child of something else: counted
        switch order {
        case "child first":
            try store.insert([child], apiKeyID: key.id, receivedAt: 1)
            try store.insert([parent, other], apiKeyID: key.id, receivedAt: 2)
        case "parent first":
            try store.insert([parent, other], apiKeyID: key.id, receivedAt: 1)
            try store.insert([child], apiKeyID: key.id, receivedAt: 2)
        default:
            try store.insert([parent, child, other], apiKeyID: key.id, receivedAt: 1)
        }
        let stats = try store.usageStats(sinceUnixNano: 0, operations: ["chat"])
        #expect(stats.map(\.calls) == [2])
        #expect(stats.map(\.inputTokens) == [71])
    }

    @Test(arguments: Backend.allCases) func usageIsSummedPerServiceKeyOrUTCDay(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let first = try store.createKey(name: "a")
        let second = try store.createKey(name: "b")
        let day = UInt64(86_400) * 1_000_000_000
        var a = call("00000000000000b1", operation: "chat", input: 10, output: 1, start: 20_000 * day + 5)
        a.serviceName = "checkout"
        var b = call("00000000000000b2", operation: "chat", input: 20, output: 2, start: 20_000 * day + day - 1)
        b.serviceName = "search"
        var c = call("00000000000000b3", operation: "chat", input: 30, output: 3, start: 20_001 * day)
        c.serviceName = nil
        try store.insert([a, b], apiKeyID: first.id, receivedAt: 1)
        try store.insert([c], apiKeyID: second.id, receivedAt: 1)
        let groups = { (grouping: UsageGrouping) throws in
            try store.usageStats(sinceUnixNano: 0, operations: ["chat"], by: grouping).map { "\($0.group ?? "-"):\($0.inputTokens)" }
        }
        #expect(try groups(.day) == ["2024-10-04:30", "2024-10-05:30"])
        #expect(Set(try groups(.service)) == ["checkout:10", "search:20", "-:30"])
        #expect(try groups(.key) == ["\(first.id):30", "\(second.id):30"])
        let perModel = try store.usageStats(sinceUnixNano: 0, operations: ["chat"], by: .model)
        #expect(perModel.map(\.calls) == [3])
        #expect(perModel.first?.provider == nil && perModel.first?.model == "gpt-4o")
    }

    @Test(arguments: Backend.allCases) func spansKeptWithNothingOfACallAreListedWithTheirKeys(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let key = try store.createKey(name: "dev")
        var empty = record("00000000000000c1", spanName: "execute_event_loop_cycle")
        (empty.model, empty.inputTokens, empty.outputTokens, empty.prompt, empty.completion) = (nil, nil, nil, nil, nil)
        empty.scopeName = "strands.telemetry"
        empty.attributesJSON = #"{"gen_ai.event_loop.cycle_id":"x","gen_ai.system":"strands-agents"}"#
        var second = empty
        second.spanID = "00000000000000c2"
        second.attributesJSON = #"{"gen_ai.system":"strands-agents","other":1}"#
        try store.insert([empty, second, call("00000000000000c3", operation: "chat", input: 1, output: 1)], apiKeyID: key.id, receivedAt: 1)
        let groups = try store.unmappedSpans(sinceUnixNano: 0)
        #expect(groups == [UnmappedSpans(scopeName: "strands.telemetry", spanName: "execute_event_loop_cycle", count: 2,
                                         attributeKeys: ["gen_ai.event_loop.cycle_id", "gen_ai.system", "other"])])
    }

    @Test func aVersionOneDatabaseIsMigratedKeepingItsRows() throws {
        let fixture = StoreFixture()
        // A database as the first release left it: migration 1 only.
        let connection = try SQLiteConnection(path: fixture.path)
        try connection.execute(Schema.migrations[0])
        try connection.execute("PRAGMA user_version = 1")
        try connection.execute("""
            INSERT INTO api_keys (name, key_hash, created_at) VALUES ('old', 'abc', 1);
            INSERT INTO llm_logs (api_key_id, received_at, trace_id, span_id, span_name, latency_ms,
                start_time_unix_nano, end_time_unix_nano, status_code, attributes)
            VALUES (1, 1, '5b8efff798038103d269b633813fc60c', 'eee19b7ec3c1b101', 'old row', 1.0, 1, 2, 0, '{}');
            """)
        connection.close()

        let store = try fixture.open()
        let logs = try store.recentLogs(limit: 10)
        #expect(logs.map(\.record.spanName) == ["old row"])
        #expect(logs[0].record.responseModel == nil)
        #expect(logs[0].record.finishReasons == nil)
        var new = record("eee19b7ec3c1b102")
        new.responseModel = "gpt-4o-2024-08-06"
        new.finishReasons = #"["stop"]"#
        new.scopeName = "openai-v2"
        new.resourceJSON = #"{"service.name":"checkout"}"#
        try store.insert([new], apiKeyID: 1, receivedAt: 2)
        #expect(try store.recentLogs(limit: 1)[0].record == new)
    }
}

/// The migrations and the one column list agree: every column of `LLMLogColumn.all` exists.
@Suite struct SchemaTests {
    @Test func everyColumnOfTheListIsInTheMigratedTable() throws {
        let fixture = StoreFixture()
        let store = try fixture.open()
        let columns = try store.withConnection { db throws(StorageError) -> [String] in
            let query = try db.prepare("SELECT name FROM pragma_table_info('llm_logs')")
            var names: [String] = []
            while try query.step() { names.append(query.string(0) ?? "") }
            return names
        }
        #expect(Set(LLMLogColumn.all.map(\.name)).isSubset(of: columns))
        #expect(Set(columns).subtracting(LLMLogColumn.all.map(\.name))
            == ["id", "api_key_id", "received_at", "resource", "content_from_events", "resource_id"])
    }

    @Test func postgresHasTheSameColumnsWithJSONAsJSONB() throws {
        let url = try TestPostgres.freshDatabase()
        _ = try PostgresLogStore(url: url, joiningContent: ContentJoin.rule)
        let listed = TestPostgres.psql(url, "SELECT column_name || ':' || data_type FROM information_schema.columns WHERE table_name = 'llm_logs'")
        #expect(listed.status == 0)
        let types = Dictionary(uniqueKeysWithValues: listed.output.split(separator: "\n").map { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), String(parts[1]))
        })
        #expect(Set(types.keys) == Set(LLMLogColumn.all.map(\.name) + ["id", "api_key_id", "received_at", "resource", "content_from_events", "resource_id"]))
        for column in LLMLogColumn.all {
            let expected = switch column.kind {
            case .text: "text"
            case .integer: "bigint"
            case .real: "double precision"
            case .json: "jsonb"
            }
            #expect(types[column.name] == expected, "\(column.name)")
        }
    }
}
