import ArgumentParser
import Foundation
import LLMLog

struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete the rows whose span started before a window back from now, in small transactions, and the content events that waited longer.")

    @OptionGroup var database: DatabaseOption

    @Option(help: "Keep this much, back from now: 30d, 12h, 90m.") var olderThan: String

    @Flag(help: "Then rewrite the database to give every free page back (VACUUM; blocks writers while it runs).")
    var vacuum = false

    func run() throws {
        guard let seconds = WindowOption.seconds(olderThan) else { fail("--older-than \(olderThan): use a number with m, h or d, as in 30d") }
        let store = openStore(database)
        let cutoff = Date().addingTimeInterval(-seconds)
        do {
            var total = PruneResult(rows: 0, isDone: false)
            while !total.isDone {
                let pass = try store.prune(startedBefore: UInt64(max(0, cutoff.timeIntervalSince1970) * 1e9), limit: 500)
                total = PruneResult(rows: total.rows + pass.rows, resources: total.resources + pass.resources,
                                    freedPages: total.freedPages + pass.freedPages, isDone: pass.isDone)
            }
            let events = try store.deleteExpiredEvents(before: Int64(cutoff.timeIntervalSince1970 * 1000), batch: 500)
            if vacuum { try store.compact() }
            print("deleted \(total.rows) rows started before \(formatTime(Int64(cutoff.timeIntervalSince1970 * 1000))), "
                  + "\(total.resources) unused resources, \(events) waiting content events; "
                  + (vacuum ? "database compacted" : "\(total.freedPages) free pages given back"))
        } catch {
            fail(error.description)
        }
        store.close()
    }
}
