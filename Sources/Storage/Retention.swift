import LLMLog

extension SQLiteLogStore {
    public func prune(startedBefore cutoffUnixNano: UInt64, limit: Int = 500) throws(StoreError) -> PruneResult {
        try withConnection { (db) throws(StorageError) -> PruneResult in
            // A lost delete is redone by the next pass, so its commit need not wait for the disk: the
            // next sync of the WAL (a request's, `WALFlusher`) covers these frames too.
            try db.committingUnsynced { () throws(StorageError) -> PruneResult in
                try db.execute("BEGIN IMMEDIATE")
                do throws(StorageError) {
                    // The time index bounds the search; usage is taken out while the rows are still there.
                    let oldest = try db.prepare("SELECT id FROM llm_logs WHERE start_time_unix_nano < ? ORDER BY start_time_unix_nano LIMIT ?")
                    oldest.bind(1, Int64(clamping: cutoffUnixNano))
                    oldest.bind(2, Int64(limit))
                    var ids: [Int64] = []
                    while try oldest.step() { ids.append(oldest.int64(0) ?? 0) }
                    let list = "[" + ids.map(String.init).joined(separator: ",") + "]"
                    let uncount = try db.prepare(UsageDays.change(inSet: { "\($0).id IN (SELECT value FROM json_each(?1))" }, sign: -1))
                    uncount.bind(1, list)
                    try uncount.run()
                    let delete = try db.prepare("DELETE FROM llm_logs WHERE id IN (SELECT value FROM json_each(?))")
                    delete.bind(1, list)
                    _ = try delete.step()
                    var result = PruneResult(rows: db.changes, isDone: db.changes < limit)
                    if result.isDone {
                        let unused = try db.prepare("""
                            DELETE FROM resources WHERE NOT EXISTS (SELECT 1 FROM llm_logs l WHERE l.resource_id = resources.id)
                            """)
                        _ = try unused.step()
                        result.resources = db.changes
                    }
                    try db.execute("COMMIT")
                    if result.isDone { result.freedPages = try Self.giveBackFreePages(db) }
                    return result
                } catch {
                    try? db.execute("ROLLBACK")
                    throw error
                }
            }
        }
    }

    public func compact() throws(StoreError) {
        try withConnection { (db) throws(StorageError) in
            // Also switches a database made before incremental vacuum to it.
            try db.execute("PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute("VACUUM")
        }
    }

    /// Free pages go back to the file system where the database has incremental vacuum (every
    /// database made since retention exists); elsewhere SQLite reuses them for new rows.
    private static func giveBackFreePages(_ db: SQLiteConnection) throws(StorageError) -> Int {
        let mode = try db.prepare("PRAGMA auto_vacuum")
        guard try mode.step(), mode.int64(0) == 2 else { return 0 }
        let free = try db.prepare("PRAGMA freelist_count")
        guard try free.step(), let pages = free.int64(0), pages > 0 else { return 0 }
        // At most 4 MiB per pass, to keep the write lock short (pages are 4 KiB in older files,
        // 16 KiB in new ones).
        let size = try db.prepare("PRAGMA page_size")
        guard try size.step(), let pageSize = size.int64(0), pageSize > 0 else { return 0 }
        let step = min(pages, max(1, (4 << 20) / pageSize))
        try db.execute("PRAGMA incremental_vacuum(\(step))")
        return Int(step)
    }
}
