import Dispatch
import Foundation
import Synchronization

/// Set once SIGTERM or SIGINT arrives. Workers check it between requests, so the requests in
/// flight finish and nothing new is accepted. The handler only sets a flag, as a signal handler
/// must; Dispatch runs it outside signal context.
public final class ShutdownSignal: @unchecked Sendable {
    private let requested = Atomic<Bool>(false)
    /// Kept alive for the life of the process; written once, by `installHandlers`.
    private var sources: [any DispatchSourceSignal] = []

    public init() {}

    public var isRequested: Bool { requested.load(ordering: .acquiring) }

    public func request() { requested.store(true, ordering: .releasing) }

    /// Routes SIGTERM and SIGINT to `request()`, and ignores SIGPIPE (a client that goes away
    /// mid-response must not kill the process).
    public func installHandlers() {
        signal(SIGPIPE, SIG_IGN)
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.request() }
            source.resume()
            sources.append(source)
        }
    }
}
