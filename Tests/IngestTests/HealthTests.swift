import Foundation
import LLMLog
import Testing
@testable import Ingest
@testable import Storage

/// `GET /healthz`: no key, a tiny body, 200 only while the store takes writes.
@Suite struct HealthTests {
    @Test func aWritableStoreIsHealthyWithoutAKey() throws {
        let fixture = try HandlerFixture()
        let response = fixture.send(method: "GET", path: "/healthz", contentType: nil, key: .some(nil), body: [])
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"status":"ok"}"#)
        #expect(fixture.send(method: "POST", path: "/healthz", contentType: nil, key: .some(nil), body: []).status == 405)
    }

    @Test func aStoreThatCannotWriteIs503AndSaysNothingMore() throws {
        let fixture = try HandlerFixture(busyTimeoutMilliseconds: 100)
        let other = try SQLiteLogStore(path: fixture.folder + "/ingate.db", joiningContent: { row, _ in row })
        try other.withConnection { db throws(StorageError) in try db.execute("BEGIN IMMEDIATE") }
        let response = fixture.send(method: "GET", path: "/healthz", contentType: nil, key: .some(nil), body: [])
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == "5")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"status":"unavailable"}"#)
        try other.withConnection { db throws(StorageError) in try db.execute("ROLLBACK") }
        #expect(fixture.send(method: "GET", path: "/healthz", contentType: nil, key: .some(nil), body: []).status == 200)
    }
}
