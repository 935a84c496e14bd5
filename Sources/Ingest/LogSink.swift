import LLMLog
import GenAIMapping
import Storage

/// Where mapped records go; `LogStore` is the real one.
public protocol LogSink: Sendable {
    /// Stores the records durably, all or none; returns how many were new.
    func insert(_ records: [LLMLogRecord], apiKeyID: Int64, receivedAt: Int64) throws(StorageError) -> Int
    /// Stores content events durably and merges them into their spans' rows; returns how many were new.
    func insertEvents(_ events: [GenAIContentEvent], apiKeyID: Int64, receivedAt: Int64) throws(StorageError) -> Int
}

extension LogStore: LogSink {}
