import CFastCGI
import Foundation
import Logging

/// A FastCGI server: `threads` workers, each with its own `FCGX_Request`, accept connections on
/// one listening socket and answer them with the `FastCGIResponder`. Runs until `shutdown` is
/// requested, then lets the requests in flight finish. It logs its own life, not requests: the
/// responder knows what a request was.
public final class FastCGIServer: Sendable {
    private let listenFD: Int32
    private let threads: Int
    private let responder: any FastCGIResponder
    private let logger: Logger
    private let shutdown: ShutdownSignal

    /// Bytes of an unread body we are willing to swallow after answering early (413).
    private static let discardLimit = 16 << 20

    public init(listenFD: Int32, threads: Int, responder: any FastCGIResponder, logger: Logger, shutdown: ShutdownSignal) {
        self.listenFD = listenFD
        self.threads = max(1, threads)
        self.responder = responder
        self.logger = logger
        self.shutdown = shutdown
    }

    /// Blocks until shutdown is requested and every worker has finished its request.
    public func run() {
        FCGX_Init()
        // Non-blocking accept: the workers (and other processes sharing the socket) poll it, and
        // those that lose the race for a connection get EAGAIN instead of blocking where they
        // could not see the shutdown flag.
        let flags = fcntl(listenFD, F_GETFL)
        _ = fcntl(listenFD, F_SETFL, flags | O_NONBLOCK)

        let group = DispatchGroup()
        for index in 0..<threads {
            group.enter()
            let thread = Thread { [self] in
                worker(index)
                group.leave()
            }
            // Decoding and attribute rendering recurse up to the nesting limit.
            thread.stackSize = 8 << 20
            thread.name = "fcgi-\(index)"
            thread.start()
        }
        logger.info("serving", metadata: ["threads": "\(threads)", "pid": "\(getpid())"])
        group.wait()
        logger.info("stopped")
    }

    private func worker(_ index: Int) {
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer { request.deallocate() }
        guard FCGX_InitRequest(request, listenFD, 0) == 0 else {
            logger.critical("FCGX_InitRequest failed", metadata: ["worker": "\(index)"])
            shutdown.request()
            return
        }
        while !shutdown.isRequested {
            var ready = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 250) > 0 else { continue }
            let rc = FCGX_Accept_r(request)
            if rc < 0 {
                let error = -rc
                if error != EAGAIN && error != EWOULDBLOCK && error != EINTR {
                    logger.error("accept failed", metadata: ["errno": "\(error)"])
                    usleep(100_000)
                }
                continue
            }
            serve(FastCGIExchange(request: request))
            FCGX_Finish_r(request)
        }
        FCGX_Free(request, 1)
    }

    private func serve(_ exchange: FastCGIExchange) {
        let response = responder.respond(to: exchange.fastCGIRequest()) { limit in try exchange.readBody(limit: limit) }
        exchange.discardBody(limit: Self.discardLimit)
        exchange.write(response)
    }
}
