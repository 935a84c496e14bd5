import ArgumentParser
import FastCGIEndpoint
import FastCGIServer
import GenAIMapping
import Foundation
import Ingest
import LLMLog
import Logging
import MetricsExposition
import Pricing
import ReceiverMetrics
import Storage
import Viewer

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the FastCGI responder (socket on fd 0, as spawn-fcgi passes it; from systemd socket activation; or --socket).")

    @OptionGroup var database: DatabaseOption

    @Option(help: "Listen on this Unix socket instead of the one inherited on fd 0.")
    var socket: String?

    @Option(help: "Listen on TCP HOST:PORT (a loopback address; others need --listen-public), for web servers on other hosts.")
    var listen: String?

    @Flag(help: "Allow --listen on an address that is not loopback (FastCGI has no authentication: firewall it).")
    var listenPublic = false

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

    @Option(help: "Delete rows whose span started longer ago than this (30d, 12h), while serving (default: keep all).")
    var retention: String?

    @Option(help: .hidden) var cleanupIntervalSeconds: Double = 60

    @Option(help: "Where the workers behind one socket share their metrics for GET /metrics (default: the database's folder/metrics; for PostgreSQL, the temporary folder).")
    var metricsDir: String?

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
        MallocTuning.apply()
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "ingate-otel")

        let store = openStore(database, busyTimeoutMilliseconds: busyTimeoutMs)
        let metrics: SharedMetrics
        do {
            metrics = try SharedMetrics(directory: metricsDir ?? defaultMetricsDirectory)
        } catch {
            fail("cannot use the metrics folder: \(error)")
        }
        metrics.bootstrap()
        metrics.publishEverySecond()

        let listenFD: Int32
        do {
            if let listen {
                listenFD = try ListeningSocket.open(tcp: listen, allowPublic: listenPublic)
                if !ListeningSocket.isLoopback(tcp: listen) {
                    logger.warning("FastCGI on a public address: only the web servers may reach it", metadata: ["listen": "\(listen)"])
                }
            } else if let socket {
                guard let mode = mode_t(socketMode, radix: 8) else { fail("--socket-mode \(socketMode) is not octal") }
                listenFD = try ListeningSocket.open(path: socket, mode: mode)
            } else if let activated = try ListeningSocket.activated() {
                logger.info("accepting on the socket systemd passed", metadata: ["fd": "\(activated)"])
                listenFD = activated
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
        configuration.metricsText = { metrics.render() }
        let handler: any RequestHandler = discardBodies
            ? DiscardHandler()   // benchmark ceiling: answers 200 without decoding or storing
            : ReceiverSite(export: ExportHandler(configuration: configuration, keys: KeyRing(source: store), sink: store),
                           viewer: ViewerHandler(store: store))
        let shutdown = ShutdownSignal()
        shutdown.installHandlers()
        if let sqlite = store as? SQLiteLogStore {
            // After a failed sync this process may answer nothing more with 200: end it after the
            // requests in flight, and let spawn-fcgi's supervisor or systemd start a clean one.
            sqlite.onSyncFailure = { [logger] reason in
                logger.critical("a sync of the database's WAL failed; stopping this worker", metadata: ["reason": "\(reason)"])
                shutdown.request()
            }
        }
        var retentionSeconds: Double?
        if let retention {
            guard let seconds = WindowOption.seconds(retention), seconds > 0 else { fail("--retention \(retention): use a number with m, h or d, as in 30d") }
            retentionSeconds = seconds
        }
        startCleanup(store: store, retentionSeconds: retentionSeconds, shutdown: shutdown, logger: logger)
        let responder = EndpointResponder(endpoint: HTTPEndpoint(handler: handler, logger: logger, logEachRequest: !quiet))
        FastCGIServer(listenFD: listenFD, threads: threads, responder: responder, logger: logger, shutdown: shutdown).run()
        metrics.publish()
        store.close()
    }

    /// Beside a SQLite file; for a PostgreSQL URL, in the temporary folder (private to the unit
    /// under systemd's PrivateTmp), shared by this user's workers on this host.
    private var defaultMetricsDirectory: String {
        if PostgresLogStore.handles(database.path) { return NSTemporaryDirectory() + "ingate-otel-metrics-\(getuid())" }
        let folder = (database.path as NSString).deletingLastPathComponent
        return (folder.isEmpty ? "." : folder) + "/metrics"
    }

    /// Every `--cleanup-interval-seconds` (a minute), drops content events older than their retention and, with `--retention`,
    /// rows older than it: in small transactions on a thread of its own, pausing between them, so
    /// that ingestion never waits long for it. Every worker runs it; the work is shared, not repeated.
    private func startCleanup(store: any LogStore, retentionSeconds: Double?, shutdown: ShutdownSignal, logger: Logger) {
        let eventRetention = Int64(eventRetention) * 1000
        let interval = cleanupIntervalSeconds
        let thread = Thread {
            var next = Date()
            while !shutdown.isRequested {
                if Date() >= next {
                    next = Date().addingTimeInterval(interval)
                    let cutoff = Int64(Date().timeIntervalSince1970 * 1000) - eventRetention
                    do {
                        let deleted = try store.deleteExpiredEvents(before: cutoff, batch: 500)
                        if deleted > 0 { logger.info("dropped expired content events", metadata: ["count": "\(deleted)"]) }
                        if let retentionSeconds {
                            try Self.prune(store, olderThan: retentionSeconds, shutdown: shutdown, logger: logger)
                        }
                    } catch {
                        logger.warning("cleanup failed", metadata: ["error": "\(error)"])
                    }
                }
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
        thread.name = "cleanup"
        thread.start()
    }

    private static func prune(_ store: any LogStore, olderThan seconds: Double, shutdown: ShutdownSignal, logger: Logger) throws {
        let cutoff = UInt64(max(0, Date().timeIntervalSince1970 - seconds) * 1e9)
        var rows = 0
        while !shutdown.isRequested {
            let started = Date()
            let pass = try store.prune(startedBefore: cutoff, limit: 100)
            ReceiverMetrics.retentionPass(nanoseconds: Int64(Date().timeIntervalSince(started) * 1e9), rows: pass.rows)
            rows += pass.rows
            if pass.isDone { break }
            // A pass holds the write lock, which requests then wait for: pausing 19 times as long as
            // the pass took keeps retention to a twentieth of the lock's time, however slow the disk or
            // busy the lock (`make bench` measures what it costs under full load, README).
            Thread.sleep(forTimeInterval: max(0.02, 19 * Date().timeIntervalSince(started)))
        }
        if rows > 0 { logger.info("retention deleted rows", metadata: ["count": "\(rows)"]) }
    }
}
