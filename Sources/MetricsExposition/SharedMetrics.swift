import Foundation
import Metrics
import Prometheus
import ReceiverMetrics

/// Prometheus metrics for every worker process behind one socket: each process writes what it
/// counted to `directory/PID-START.prom` (at most a second old, and at once before it answers
/// `/metrics`), and `/metrics` is the sum of all those files, whichever worker nginx asks.
/// Files of processes that have exited stay in the sum, so counters never go back when a worker
/// dies; their gauges are left out, and they are folded into one file so that restarts do not
/// grow the work.
public final class SharedMetrics: @unchecked Sendable {
    let directory: String
    let registry = PrometheusCollectorRegistry()
    private let ownFile: String
    private let lock = NSLock()

    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        ownFile = "\(getpid())-\(Int(Date().timeIntervalSince1970 * 1000)).prom"
    }

    /// Makes this process's swift-metrics go to Prometheus, with our histogram buckets.
    public func bootstrap() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = ReceiverMetrics.durationBuckets
        factory.defaultValueHistogramBuckets = ReceiverMetrics.batchBuckets
        MetricsSystem.bootstrap(factory)
    }

    /// Writes this process's figures (atomically: readers never see half a file).
    public func publish() {
        lock.withLock {
            let text = registry.emitToBuffer()
            let temporary = "\(directory)/.\(ownFile).tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: Data(text)) else { return }
            rename(temporary, "\(directory)/\(ownFile)")
        }
    }

    /// Publishes once a second on a thread of its own, until the process ends.
    public func publishEverySecond() {
        let thread = Thread { [self] in
            while true {
                publish()
                Thread.sleep(forTimeInterval: 1)
            }
        }
        thread.name = "metrics"
        thread.start()
    }

    /// The Prometheus text of every worker, summed.
    public func render() -> [UInt8] {
        publish()
        foldExitedProcesses()
        var merged = PrometheusText()
        for file in files() {
            guard let text = try? String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8) else { continue }
            merged.add(text, includeGauges: Self.isAlive(file))
        }
        return Array(merged.rendered().utf8)
    }

    static let retiredFile = "retired.prom"

    private func files() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".prom") }.sorted()
    }

    /// A file's process, by the pid in its name: running, or the retired sum.
    static func isAlive(_ file: String) -> Bool {
        guard let pid = Int32(file.prefix { $0 != "-" }) else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Sums the files of exited processes into `retired.prom`, under a lock shared by the workers.
    private func foldExitedProcesses() {
        let exited = files().filter { $0 != Self.retiredFile && !Self.isAlive($0) }
        guard !exited.isEmpty else { return }
        let lockFD = open("\(directory)/.lock", O_CREAT | O_RDWR, 0o600)
        guard lockFD >= 0 else { return }
        defer { close(lockFD) }
        guard flock(lockFD, LOCK_EX) == 0 else { return }
        var merged = PrometheusText()
        let retired = "\(directory)/\(Self.retiredFile)"
        if let text = try? String(contentsOfFile: retired, encoding: .utf8) { merged.add(text, includeGauges: false) }
        var folded: [String] = []
        for file in exited {
            // Another worker may have folded it already.
            guard let text = try? String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8) else { continue }
            merged.add(text, includeGauges: false)
            folded.append(file)
        }
        let temporary = "\(directory)/.retired.tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(merged.rendered().utf8)),
              rename(temporary, retired) == 0 else { return }
        for file in folded { unlink("\(directory)/\(file)") }
    }
}
