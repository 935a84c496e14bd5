import Foundation

/// Copies the WAL back into the database file on a thread and connection of its own, so that the
/// writer's commits do not: SQLite's automatic checkpoint runs inside the commit that crosses
/// 1 000 pages, and every request of that batch waited for it (W1 c=16: ≈ 15 % of the writer's
/// time went to checkpoints). A passive checkpoint never blocks the writer.
final class WALCheckpointer: @unchecked Sendable {
    /// Pages in the WAL from which a checkpoint is asked for (SQLite's own default).
    static let startPages = 1_000
    /// Pages from which the writer checkpoints itself. While the writer keeps committing, a
    /// passive checkpoint never finds the WAL all copied, and only an all-copied WAL starts over
    /// (`bench store`: it grew to 140 MB); by this size this thread has copied most of it, so the
    /// writer's own checkpoint has little left to do.
    static let writerPages = 2_000

    private let condition = NSCondition()
    private var due = false
    private var stopping = false
    private let stopped = DispatchSemaphore(value: 0)
    private var checkpoints = 0
    /// Used by the thread alone.
    private let connection: SQLiteConnection

    /// Checkpoints run since the store was opened.
    var completed: Int { condition.withLock { checkpoints } }

    init(path: String, busyTimeoutMilliseconds: Int32) throws(StorageError) {
        connection = try SQLiteConnection(path: path)
        connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
        try connection.execute("PRAGMA journal_size_limit = \(SQLiteLogStore.walSizeLimit)")
        Thread { [self] in
            run()
            connection.close()
            stopped.signal()
        }.start()
    }

    /// Called by the writer after each commit; true when the writer should checkpoint itself.
    func afterCommit(walPages: Int) -> Bool {
        if walPages >= Self.startPages {
            condition.withLock {
                due = true
                condition.signal()
            }
        }
        return walPages >= Self.writerPages
    }

    /// Ends the thread after the checkpoint it is running, if any; later calls return at once.
    func stop() {
        let first = condition.withLock {
            defer { stopping = true }
            condition.signal()
            return !stopping
        }
        if first { stopped.wait() }
    }

    private func run() {
        while true {
            condition.lock()
            while !due && !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            due = false
            condition.unlock()
            // Busy or failing now, it is asked again after the next commit; the WAL keeps every
            // committed page meanwhile, so nothing is lost by waiting.
            if (try? connection.execute("PRAGMA wal_checkpoint(PASSIVE)")) != nil {
                condition.withLock { checkpoints += 1 }
            }
        }
    }
}
