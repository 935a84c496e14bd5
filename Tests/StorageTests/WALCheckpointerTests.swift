import Foundation
import Testing
@testable import Storage

@Suite struct WALCheckpointerTests {
    /// Past `startPages` in the WAL, the store's own thread checkpoints; every row stays readable
    /// and the store closes with the thread stopped.
    @Test func aWALPastItsStartSizeIsCheckpointedOffTheWriter() throws {
        let fixture = StoreFixture()
        let store = try fixture.open()
        let key = try store.createKey(name: "dev")
        #expect(store.backgroundCheckpoints == 0)
        // A 20 KiB prompt fills more than a 16 KiB page: 1 200 rows pass 1 000 WAL pages.
        let prompt = String(repeating: "w", count: 20_000)
        for request in 0..<12 {
            let rows = (0..<100).map { row in
                var next = record(String(format: "%08x%08x", request, row))
                next.prompt = prompt
                return next
            }
            #expect(try store.insert(rows, apiKeyID: key.id, receivedAt: 1) == 100)
        }
        let deadline = Date().addingTimeInterval(10)
        while store.backgroundCheckpoints == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(store.backgroundCheckpoints >= 1)
        #expect(try store.recentLogs(limit: 2_000).count == 1_200)
        store.close()
        store.close()
    }
}
