import ArgumentParser
import FastCGIEndpoint
import FastCGIServer
import Foundation
import Ingest
import LLMLog
import Logging
import Pricing
import Storage

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the FastCGI responder (socket on fd 0, as spawn-fcgi passes it, or --socket).")

    @OptionGroup var database: DatabaseOption

    @Option(help: "Listen on this Unix socket instead of the one inherited on fd 0.")
    var socket: String?

    @Option(help: "Permissions of the --socket file, in octal.")
    var socketMode: String = "660"

    @Option(help: "Request threads.")
    var threads: Int = ReceiverLimits.requestThreads

    @Option(help: "Largest inflated (decompressed) body in bytes.")
    var maxInflatedBytes: Int = IngestConfiguration().decoding.maxInflatedBytes

    @Option(help: "How long a write waits for another process's lock before answering 503, in ms.")
    var busyTimeoutMs: Int32 = 5_000

    @Option(help: "Seconds that content arriving as logs waits for its span before it is dropped.")
    var eventRetention: Int = 3_600

    @Option(help: "MiB of memory the requests in flight in this process may hold at once; past it, 503 with Retry-After.")
    var memoryBudgetMb: Int = IngestConfiguration().memoryBudgetBytes >> 20

    @Option(help: "A path the web server mounts the endpoints under, e.g. /otel for /otel/v1/traces (default: none).")
    var pathPrefix: String = ""

    @Option(help: "A price table (the format of `make prices`) whose prices win over the shipped ones.")
    var prices: String?

    @Flag(help: .hidden) var discardBodies = false

    @Flag(help: "Do not log a line per request (errors are still logged).")
    var quiet = false

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "ingate-otel")

        let store = openStore(database, busyTimeoutMilliseconds: busyTimeoutMs)

        let listenFD: Int32
        do {
            if let socket {
                guard let mode = mode_t(socketMode, radix: 8) else { fail("--socket-mode \(socketMode) is not octal") }
                listenFD = try ListeningSocket.open(path: socket, mode: mode)
            } else {
                listenFD = try ListeningSocket.inherited()
            }
        } catch {
            fail(error.description)
        }

        var configuration = IngestConfiguration()
        configuration.decoding.maxInflatedBytes = maxInflatedBytes
        if let prices { configuration.prices = loadPrices(prices).over(.shipped) }
        configuration.pathPrefix = pathPrefix
        configuration.memoryBudgetBytes = memoryBudgetMb << 20
        let handler: any RequestHandler = discardBodies
            ? DiscardHandler()   // benchmark ceiling: answers 200 without decoding or storing
            : ExportHandler(configuration: configuration, keys: KeyRing(source: store), sink: store)
        let shutdown = ShutdownSignal()
        shutdown.installHandlers()
        startEventCleanup(store: store, shutdown: shutdown, logger: logger)
        let responder = EndpointResponder(endpoint: HTTPEndpoint(handler: handler, logger: logger, logEachRequest: !quiet))
        FastCGIServer(listenFD: listenFD, threads: threads, responder: responder, logger: logger, shutdown: shutdown).run()
        store.close()
    }

    /// Once a minute, drops content events older than the retention period, in small
    /// transactions on a thread of its own so that ingestion never waits long for it.
    private func startEventCleanup(store: any LogStore, shutdown: ShutdownSignal, logger: Logger) {
        let retention = Int64(eventRetention) * 1000
        let thread = Thread {
            var next = Date()
            while !shutdown.isRequested {
                if Date() >= next {
                    next = Date().addingTimeInterval(60)
                    let cutoff = Int64(Date().timeIntervalSince1970 * 1000) - retention
                    do {
                        let deleted = try store.deleteExpiredEvents(before: cutoff, batch: 500)
                        if deleted > 0 { logger.info("dropped expired content events", metadata: ["count": "\(deleted)"]) }
                    } catch {
                        logger.warning("event cleanup failed", metadata: ["error": "\(error)"])
                    }
                }
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
        thread.name = "event-cleanup"
        thread.start()
    }
}
