import LLMLog

/// Why SQLite refused a call, in its own terms; callers of the store see it as a `StoreError`.
/// `isRetryable` tells whether the client should try again later (busy or unavailable storage:
/// 503) or not (a bug or a bad request: 500).
public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The database file or its folder cannot be opened or created.
    case cannotOpen(path: String, reason: String)
    /// Another writer held the lock past the busy timeout.
    case busy
    /// The disk is full, read-only or failing.
    case unavailable(String)
    /// The database file is damaged or is not a database: permanent until an operator acts.
    case corrupt(String)
    /// Anything else SQLite reported.
    case failed(String)
    /// A key id that does not exist.
    case noSuchKey(Int64)

    public var isRetryable: Bool {
        switch self {
        case .busy, .unavailable: true
        case .cannotOpen, .corrupt, .failed, .noSuchKey: false
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot open database \(path): \(reason)"
        case .busy: "database is busy"
        case .unavailable(let reason): "storage unavailable: \(reason)"
        case .corrupt(let reason): "the database is corrupt or not a database (\(reason)); restore it from a backup, this will not pass on retry"
        case .failed(let reason): "storage error: \(reason)"
        case .noSuchKey(let id): "no API key with id \(id)"
        }
    }

    /// The same, as much as a store's callers need to know.
    public var storeError: StoreError {
        isRetryable ? .retryable(description) : .permanent(description)
    }
}
