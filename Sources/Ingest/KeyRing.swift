import Foundation
import APIKeys
import LLMLog

/// Checks presented API keys against the active keys, re-read from storage every few seconds so
/// that a revoked key stops working in a running server. Keys are compared as SHA-256 digests in
/// constant time, so response timing says nothing about how much of a key was right.
public final class KeyRing: @unchecked Sendable {
    private let source: any KeySource
    private let refreshInterval: TimeInterval
    /// How old the key list may grow while storage cannot be read. Past it every request fails
    /// (503) rather than trusting a list in which a revoked key may still be active.
    private let maxStaleness: TimeInterval
    private let lock = NSLock()
    private var keys: [ActiveKey] = []
    private var loadedAt: Date?

    public init(source: any KeySource, refreshInterval: TimeInterval = 2, maxStaleness: TimeInterval = 10) {
        self.source = source
        self.refreshInterval = refreshInterval
        self.maxStaleness = max(maxStaleness, refreshInterval)
    }

    /// The active key equal to `key`, or nil. A key created a moment ago is found at once: a
    /// miss asks storage for that digest (an index lookup whose timing depends on the digest,
    /// which says nothing about the key). Revocations and content policy changes are seen
    /// within the refresh interval.
    public func key(for key: String) throws(StoreError) -> ActiveKey? {
        let digest = APIKeyFormat.sha256(key)
        if let known = Self.match(digest, in: try current(maxAge: refreshInterval)) { return known }
        guard let found = try source.activeKey(hash: digest) else { return nil }
        lock.withLock { keys.append(found) }
        return found
    }

    private static func match(_ digest: [UInt8], in keys: [ActiveKey]) -> ActiveKey? {
        var match: ActiveKey?
        for candidate in keys where APIKeyFormat.constantTimeEqual(candidate.hash, digest) {
            match = candidate
        }
        return match
    }

    private func current(maxAge: TimeInterval) throws(StoreError) -> [ActiveKey] {
        lock.lock()
        defer { lock.unlock() }
        if let loadedAt, Date().timeIntervalSince(loadedAt) < maxAge { return keys }
        do {
            keys = try source.activeKeys()
            loadedAt = Date()
        } catch {
            // A briefly busy database should not lock everybody out: keep the last known keys,
            // but only for a bounded time (fail closed).
            guard let loadedAt, Date().timeIntervalSince(loadedAt) < maxStaleness else { throw error }
        }
        return keys
    }
}
