import CFastCGI
import Foundation
import Ingest
import Logging
import SafeText

/// A FastCGI responder: `threads` workers, each with its own `FCGX_Request`, accept connections
/// on one listening socket and answer them with the `ExportHandler`. Runs until `shutdown` is
/// requested, then lets the requests in flight finish.
public final class FastCGIServer: Sendable {
    private let listenFD: Int32
    private let threads: Int
    private let handler: any RequestHandler
    private let logger: Logger
    private let shutdown: ShutdownSignal
    private let logEachRequest: Bool

    /// Bytes of an unread body we are willing to swallow after answering early (413).
    private static let discardLimit = 16 << 20

    public init(listenFD: Int32, threads: Int, handler: any RequestHandler, logger: Logger, shutdown: ShutdownSignal,
                logEachRequest: Bool = true) {
        self.listenFD = listenFD
        self.logEachRequest = logEachRequest
        self.threads = max(1, threads)
        self.handler = handler
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
        let started = DispatchTime.now()
        let head = exchange.head()
        let response = handler.respond(to: head) { limit in try exchange.readBody(limit: limit) }
        exchange.discardBody(limit: Self.discardLimit)
        exchange.write(response)
        guard logEachRequest || response.status >= 500 else { return }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        var metadata: Logger.Metadata = [
            "status": "\(response.status)",
            "method": "\(SafeText.escaped(head.method))",
            "path": "\(SafeText.escaped(head.path))",
            "bytes_in": "\(response.outcome.bodyBytes)",
            "bytes_out": "\(response.body.count)",
            "signal": "\(response.outcome.signal)",
            "kept": "\(response.outcome.kept)",
            "stored": "\(response.outcome.stored)",
            "dropped": "\(response.outcome.dropped)",
            "rejected": "\(response.outcome.rejected)",
            "ms": "\(String(format: "%.2f", elapsed))",
        ]
        // Error texts quote paths, content types and span names sent by the client.
        if let error = response.outcome.error { metadata["error"] = "\(SafeText.escaped(error))" }
        logger.info("request", metadata: metadata)
    }
}
