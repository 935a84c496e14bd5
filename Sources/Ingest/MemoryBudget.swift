import Foundation

/// Bytes that the requests in flight in this process may hold at once. A request reserves what
/// it will cost before it costs it (its body, then its inflated body times what decoding and
/// mapping add) and gives it back when answered; one that cannot reserve is answered 503 with
/// `Retry-After`, so a burst of huge exports slows down instead of running the worker out of memory.
public final class MemoryBudget: @unchecked Sendable {
    public let capacity: Int
    private let lock = NSLock()
    private var reserved = 0

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// What large requests leave free, so that an ordinary export gets through while big ones
    /// hold the rest: an eighth of the budget.
    public var headroom: Int { capacity / 8 }
    /// A request whose reservation stays within this is small and may use the headroom.
    public var smallRequest: Int { capacity / 32 }

    /// Reserves `bytes` more for a request that will then hold `requestTotal`, or returns false
    /// (and reserves nothing) when they would not fit.
    public func tryReserve(_ bytes: Int, requestTotal: Int? = nil) -> Bool {
        lock.withLock {
            let available = (requestTotal ?? bytes) <= smallRequest ? capacity : capacity - headroom
            guard bytes <= available - reserved else { return false }
            reserved += bytes
            return true
        }
    }

    public func release(_ bytes: Int) {
        lock.withLock { reserved = max(0, reserved - bytes) }
    }

    public var inUse: Int { lock.withLock { reserved } }
}

/// One request's share of the budget, grown as the request learns its size and released whole.
final class MemoryReservation {
    private let budget: MemoryBudget
    private(set) var bytes = 0
    /// Set when this request alone needs more than the whole budget: waiting cannot help.
    private(set) var exceedsCapacity = false

    init(_ budget: MemoryBudget) {
        self.budget = budget
    }

    deinit { budget.release(bytes) }

    static let exhausted = IngestError.overloaded("the receiver is at its memory limit for requests in flight; retry later")

    /// The error for a refused growth: 413 if the request could never fit, else 503.
    var refusal: IngestError {
        exceedsCapacity
            ? .payloadTooLarge("this export needs more than the \((budget.capacity - budget.headroom) >> 20) MiB this receiver gives one large request in flight")
            : Self.exhausted
    }

    /// Gives the memory of a large request back to the system (`MallocTuning`), so that RSS
    /// follows the budget rather than every thread's largest request.
    static func returnFreedMemory(afterReserving bytes: Int) {
        if bytes >= 32 << 20 { MallocTuning.returnFreedMemory() }
    }

    func grow(by more: Int) throws(IngestError) {
        guard tryGrow(by: more) else { throw refusal }
    }

    /// Inflated bytes already paid for (from the gzip trailer's size) and seen so far.
    private var prepaidInflated = 0
    private var inflated = 0

    /// Reserves, in one step, what a body that says it inflates to `bytes` will cost; a request
    /// that cannot have it all is refused before it has cost anything (reserving as it goes,
    /// sixteen big requests would each get part of the budget and all fail).
    func prepay(inflated bytes: Int, cost: Int) throws(IngestError) {
        try grow(by: bytes * cost)
        prepaidInflated = bytes
    }

    /// For each inflated chunk: free while within what was prepaid, reserved beyond it (a body
    /// whose trailer understated its size, or of several gzip members).
    func admit(inflatedChunk chunk: Int, cost: Int) -> Bool {
        inflated += chunk
        let unpaid = inflated - prepaidInflated
        guard unpaid > 0 else { return true }
        guard tryGrow(by: unpaid * cost) else { return false }
        prepaidInflated = inflated
        return true
    }

    func tryGrow(by more: Int) -> Bool {
        guard more > 0 else { return true }
        if bytes + more > budget.capacity - budget.headroom {
            exceedsCapacity = true
            return false
        }
        guard budget.tryReserve(more, requestTotal: bytes + more) else { return false }
        bytes += more
        return true
    }
}
