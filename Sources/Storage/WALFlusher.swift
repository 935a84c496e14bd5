import Foundation

/// Makes the group commit's transactions durable after the write lock is released, so that the next
/// batch inserts its rows while the disk syncs this one (W1 c=16: the `commit` step was ≈ 10 ms of a
/// ≈ 20 ms turn, ≈ 6 of them the WAL's fdatasync).
///
/// The group commit commits with `synchronous = NORMAL`: SQLite writes the transaction's frames to
/// the WAL and returns without syncing. A request is answered only after `flush(through:)` has
/// fdatasynced the WAL past its commit, which is what `synchronous = FULL` does inside `COMMIT`, so a
/// 200 is exactly as durable as before. A commit that was never synced cannot be lost to a checkpoint
/// either: with `NORMAL` SQLite still syncs the WAL before every checkpoint and the database after it,
/// and only an all-checkpointed WAL is written over from its start.
///
/// One fdatasync covers every commit whose frames were written before it began, so commits that end
/// while a sync runs share the next one. After a failed sync nothing more is acknowledged: the
/// kernel may have dropped the unwritten pages and will not say so again (the PostgreSQL "fsyncgate"
/// lesson), so a later sync that succeeds proves nothing about earlier frames. The process has to be
/// restarted, and SQLite's recovery then keeps what is really on disk.
final class WALFlusher: @unchecked Sendable {
    private let walPath: String
    private let counting = NSLock()
    /// Commits whose frames are written (guarded by `counting`).
    private var committed: UInt64 = 0
    /// One sync at a time; guards the fields below.
    private let syncing = NSLock()
    private var synced: UInt64 = 0
    private var syncCount = 0
    private var file: Int32 = -1
    private var fileID: (device: UInt64, inode: UInt64)?
    private var failure: StorageError?
    /// Told once, with the reason, when a sync fails: the process should end so that its manager
    /// starts a new one (set before the first flush).
    var onFailure: (@Sendable (String) -> Void)?

    init(databasePath: String) {
        walPath = databasePath + "-wal"
    }

    deinit {
        if file >= 0 { close(file) }
    }

    /// Counts a commit that `COMMIT` has written to the WAL; the ticket to pass to `flush(through:)`.
    func noteCommit() -> UInt64 {
        counting.withLock {
            committed += 1
            return committed
        }
    }

    /// Returns once the commit of `ticket`, and every one before it, is on disk.
    func flush(through ticket: UInt64) throws(StorageError) {
        syncing.lock()
        defer { syncing.unlock() }
        if let failure { throw failure }
        guard synced < ticket else { return }
        // Every commit counted by now has written its frames: this sync covers them all.
        let covered = counting.withLock { committed }
        // Not finding or opening the file loses nothing, so it only fails these requests; a failed
        // sync fails every later one.
        let newFile = try openCurrentFile()
        if newFile, let error = Self.sync(directoryOf: walPath) { throw poisoned(by: error) }
        if fdatasync(file) != 0 { throw poisoned(by: "fdatasync of \(walPath): \(Self.errnoText())") }
        synced = covered
        syncCount += 1
    }

    /// Throws the failed sync that ended acknowledgements, if one did (`/healthz` reports it).
    func throwIfFailed() throws(StorageError) {
        syncing.lock()
        defer { syncing.unlock() }
        if let failure { throw failure }
    }

    /// fdatasyncs run so far.
    var syncs: Int { syncing.withLock { syncCount } }

    private func poisoned(by reason: String) -> StorageError {
        failure = .unavailable("\(reason); nothing is acknowledged after a failed sync, restart the receiver")
        onFailure?(reason)
        return failure!
    }

    /// Opens the WAL, again if SQLite has made a new file since (it deletes it only when the last
    /// connection closes, after a complete checkpoint, so the old file holds nothing unsynced); true
    /// when it opened a file.
    private func openCurrentFile() throws(StorageError) -> Bool {
        var now = stat()
        guard stat(walPath, &now) == 0 else {
            throw .unavailable("cannot find \(walPath) to sync it: \(Self.errnoText())")
        }
        if file >= 0, let fileID, fileID == (UInt64(now.st_dev), UInt64(now.st_ino)) { return false }
        if file >= 0 { close(file) }
        fileID = nil
        file = open(walPath, O_RDONLY | O_CLOEXEC)
        var opened = stat()
        guard file >= 0, fstat(file, &opened) == 0 else {
            throw .unavailable("cannot open \(walPath) to sync it: \(Self.errnoText())")
        }
        fileID = (UInt64(opened.st_dev), UInt64(opened.st_ino))
        return true
    }

    /// A new file's directory entry is synced too, as SQLite does on its first sync of a file.
    private static func sync(directoryOf path: String) -> String? {
        let folder = (path as NSString).deletingLastPathComponent
        let directory = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return "cannot open the folder of \(path): \(errnoText())" }
        defer { close(directory) }
        return fsync(directory) == 0 ? nil : "fsync of the folder of \(path): \(errnoText())"
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
