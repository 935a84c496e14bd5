import Foundation

/// Counts failed authentications per client network: an IPv4 address, or the /64 of an IPv6
/// address (one host usually holds a whole /64). A network with `maxFailures` in `window` has
/// its further failures answered 429 until its window ends, so guessing keys gets slow. A valid
/// key is always accepted, whoever else shares the address (a NAT, a CI runner): only failures
/// are limited. Works behind any web server that passes REMOTE_ADDR.
public final class AuthFailureLimiter: @unchecked Sendable {
    private struct Record {
        var windowStart: Date
        var failures: Int
    }

    private let maxFailures: Int
    private let window: TimeInterval
    /// Bounds memory under a spray of addresses: expired entries go first, then the oldest, so
    /// nobody can empty the table (and the limits of others) by filling it.
    private let maxAddresses: Int
    private let lock = NSLock()
    private var records: [String: Record] = [:]

    public init(maxFailures: Int = 20, window: TimeInterval = 60, maxAddresses: Int = 100_000) {
        self.maxFailures = maxFailures
        self.window = window
        self.maxAddresses = maxAddresses
    }

    /// Seconds the address must wait, or nil while it has made at most `maxFailures` failures
    /// in its window (the failure being answered included: record it first).
    public func retryAfter(_ address: String, now: Date = Date()) -> Int? {
        let network = Self.network(of: address)
        return lock.withLock {
            guard let record = records[network], record.failures > maxFailures else { return nil }
            let remaining = record.windowStart.addingTimeInterval(window).timeIntervalSince(now)
            if remaining <= 0 {
                records[network] = nil
                return nil
            }
            return Int(remaining.rounded(.up))
        }
    }

    public func recordFailure(_ address: String, now: Date = Date()) {
        let network = Self.network(of: address)
        lock.withLock {
            if records[network] == nil, records.count >= maxAddresses { evict(now: now) }
            var record = records[network] ?? Record(windowStart: now, failures: 0)
            if now.timeIntervalSince(record.windowStart) >= window { record = Record(windowStart: now, failures: 0) }
            record.failures += 1
            records[network] = record
        }
    }

    var trackedNetworks: Int { lock.withLock { records.count } }

    /// Drops expired entries; if that frees less than a tenth of the table, the oldest tenth.
    private func evict(now: Date) {
        records = records.filter { now.timeIntervalSince($0.value.windowStart) < window }
        let excess = records.count - maxAddresses * 9 / 10
        guard excess > 0 else { return }
        for (network, _) in records.sorted(by: { $0.value.windowStart < $1.value.windowStart }).prefix(excess) {
            records[network] = nil
        }
    }

    /// The key an address is counted under: IPv4 as it is, IPv6 by its first 64 bits.
    static func network(of address: String) -> String {
        guard address.contains(":") else { return address }
        var storage = in6_addr()
        let plain = address.split(separator: "%", maxSplits: 1).first.map(String.init) ?? address
        guard inet_pton(AF_INET6, plain, &storage) == 1 else { return address }
        let bytes = withUnsafeBytes(of: storage) { Array($0.prefix(8)) }
        if bytes.allSatisfy({ $0 == 0 }) { return address }  // ::1, ::ffff:a.b.c.d and the like
        return bytes.map { String(format: "%02x", $0) }.joined() + "::/64"
    }
}
