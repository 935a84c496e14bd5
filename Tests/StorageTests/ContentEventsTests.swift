import LLMLog
import Foundation
import Testing
@testable import Storage
import TestSupport

/// Content from logs meets its span's row in either order, once, and only under its own key.
@Suite struct ContentEventsTests {
    static let user = GenAIContentEvent(traceID: "5b8efff798038103d269b633813fc60c", spanID: "eee19b7ec3c1b101", side: .input,
                                        timeUnixNano: 2, position: 2, messagesJSON: #"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#)
    static let system = GenAIContentEvent(traceID: user.traceID, spanID: user.spanID, side: .input, timeUnixNano: 1, position: 9,
                                          messagesJSON: #"[{"role":"system","parts":[{"type":"text","content":"be brief"}]}]"#)
    static let second = GenAIContentEvent(traceID: user.traceID, spanID: user.spanID, side: .output, timeUnixNano: 3, position: 3,
                                          choiceIndex: 1, messagesJSON: #"[{"role":"assistant","parts":[{"type":"text","content":"B"}]}]"#)
    static let first = GenAIContentEvent(traceID: user.traceID, spanID: user.spanID, side: .output, timeUnixNano: 4, position: 4,
                                         choiceIndex: 0, messagesJSON: #"[{"role":"assistant","parts":[{"type":"text","content":"A"}]}]"#)
    static let prompt = #"[{"role":"system","parts":[{"type":"text","content":"be brief"}]},{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#
    static let completion = #"[{"role":"assistant","parts":[{"type":"text","content":"A"}]},{"role":"assistant","parts":[{"type":"text","content":"B"}]}]"#

    func span() -> LLMLogRecord {
        var row = record("eee19b7ec3c1b101")
        row.prompt = nil
        row.completion = nil
        return row
    }

    @Test(arguments: Backend.allCases) func logsBeforeTheSpanWaitAndAreMergedWhenItArrives(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let key = try store.createKey(name: "dev")
        #expect(try store.insertEvents([Self.user, Self.second], apiKeyID: key.id, receivedAt: 1) == 2)
        #expect(try store.insertEvents([Self.system, Self.first], apiKeyID: key.id, receivedAt: 1) == 2)
        try store.insert([span()], apiKeyID: key.id, receivedAt: 2)
        let row = try #require(try store.recentLogs(limit: 1).first).record
        #expect(row.prompt == Self.prompt)
        #expect(row.completion == Self.completion)
    }

    @Test(arguments: Backend.allCases) func logsAfterTheSpanAreMergedIntoItsRowAndExtendIt(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let key = try store.createKey(name: "dev")
        try store.insert([span()], apiKeyID: key.id, receivedAt: 1)
        try store.insertEvents([Self.user, Self.first], apiKeyID: key.id, receivedAt: 2)
        try store.insertEvents([Self.system, Self.second], apiKeyID: key.id, receivedAt: 3)
        let row = try #require(try store.recentLogs(limit: 1).first).record
        #expect(row.prompt == Self.prompt)
        #expect(row.completion == Self.completion)
    }

    @Test(arguments: Backend.allCases) func aRetriedLogsExportDoesNotDuplicateContent(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let key = try store.createKey(name: "dev")
        try store.insert([span()], apiKeyID: key.id, receivedAt: 1)
        #expect(try store.insertEvents([Self.system, Self.user], apiKeyID: key.id, receivedAt: 2) == 2)
        #expect(try store.insertEvents([Self.system, Self.user], apiKeyID: key.id, receivedAt: 3) == 0)
        #expect(try store.recentLogs(limit: 1).first?.record.prompt == Self.prompt)
    }

    @Test(arguments: Backend.allCases) func contentNeverCrossesKeys(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let owner = try store.createKey(name: "owner")
        let other = try store.createKey(name: "other")
        try store.insert([span()], apiKeyID: owner.id, receivedAt: 1)
        try store.insertEvents([Self.user, Self.first], apiKeyID: other.id, receivedAt: 2)
        let row = try #require(try store.recentLogs(limit: 1).first).record
        #expect(row.prompt == nil)
        #expect(row.completion == nil)
    }

    @Test(arguments: Backend.allCases) func contentTheSpanCarriedItselfIsKept(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let key = try store.createKey(name: "dev")
        var carried = span()
        carried.prompt = "from the span"
        try store.insert([carried], apiKeyID: key.id, receivedAt: 1)
        try store.insertEvents([Self.user, Self.first], apiKeyID: key.id, receivedAt: 2)
        let row = try #require(try store.recentLogs(limit: 1).first).record
        #expect(row.prompt == "from the span")
        #expect(row.completion == #"[{"role":"assistant","parts":[{"type":"text","content":"A"}]}]"#)
    }

    @Test(arguments: Backend.allCases) func expiredWaitingContentIsDroppedInSmallBatches(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let key = try store.createKey(name: "dev")
        let old = (0..<7).map { index in
            GenAIContentEvent(traceID: String(format: "%032x", index + 1), spanID: "eee19b7ec3c1b101", side: .input,
                              timeUnixNano: 1, position: index, messagesJSON: #"[{"role":"user","parts":[]}]"#)
        }
        try store.insertEvents(old, apiKeyID: key.id, receivedAt: 1_000)
        try store.insertEvents([Self.user], apiKeyID: key.id, receivedAt: 9_000)
        #expect(try store.deleteExpiredEvents(before: 5_000, batch: 3) == 7)
        // The recent one still waits, and is merged when its span comes.
        try store.insert([span()], apiKeyID: key.id, receivedAt: 9_500)
        #expect(try store.recentLogs(limit: 1).first?.record.prompt == #"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#)
    }
}
