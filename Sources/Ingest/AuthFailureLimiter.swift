import Foundation

/// Counts failed authentications per client address. An address with more than `maxFailures`
/// in `window` is answered 429 for every request until its window ends, whatever key it sends:
/// guessing keys gets slow, and a guess that happens to be right is not confirmed. Legitimate
/// exporters send a valid key and never fail, so they are never limited. Works behind any web
/// server that passes REMOTE_ADDR; nginx limits missing keys before they reach us as well.
public final class AuthFailureLimiter: @unchecked Sendable {
    private struct Record {
        var windowStart: Date
        var failures: Int
    }

    private let maxFailures: Int
    private let window: TimeInterval
    /// Bounds memory under a spray of addresses: the table is cleared of expired entries, and
    /// emptied entirely if it still holds this many.
    private let maxAddresses: Int
    private let lock = NSLock()
    private var records: [String: Record] = [:]

    public init(maxFailures: Int = 20, window: TimeInterval = 60, maxAddresses: Int = 100_000) {
        self.maxFailures = maxFailures
        self.window = window
        self.maxAddresses = maxAddresses
    }

    /// Seconds the address must wait, or nil when it may try.
    public func retryAfter(_ address: String, now: Date = Date()) -> Int? {
        lock.withLock {
            guard let record = records[address], record.failures >= maxFailures else { return nil }
            let remaining = record.windowStart.addingTimeInterval(window).timeIntervalSince(now)
            if remaining <= 0 {
                records[address] = nil
                return nil
            }
            return Int(remaining.rounded(.up))
        }
    }

    public func recordFailure(_ address: String, now: Date = Date()) {
        lock.withLock {
            if records.count >= maxAddresses {
                records = records.filter { now.timeIntervalSince($0.value.windowStart) < window }
                if records.count >= maxAddresses { records.removeAll() }
            }
            var record = records[address] ?? Record(windowStart: now, failures: 0)
            if now.timeIntervalSince(record.windowStart) >= window { record = Record(windowStart: now, failures: 0) }
            record.failures += 1
            records[address] = record
        }
    }
}
