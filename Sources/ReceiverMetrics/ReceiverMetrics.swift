import Metrics

/// The receiver's metrics, recorded through `apple/swift-metrics` so that the layers that count
/// (Ingest, Storage) know no backend; the executable bootstraps Prometheus (`MetricsExposition`).
/// Names follow Prometheus conventions: `_total` counters, `_seconds` and `_bytes` units.
public enum ReceiverMetrics {
    public static let requests = "ingate_requests_total"
    public static let requestDuration = "ingate_request_duration_seconds"
    public static let bytesIn = "ingate_request_body_bytes_total"
    public static let spans = "ingate_spans_total"
    public static let rowsStored = "ingate_rows_stored_total"
    public static let authFailures = "ingate_auth_failures_total"
    public static let storageErrors = "ingate_storage_errors_total"
    public static let commitDuration = "ingate_commit_duration_seconds"
    public static let commitBatchRequests = "ingate_commit_batch_requests"
    public static let commitPhaseDuration = "ingate_commit_phase_duration_seconds"
    public static let retentionPassDuration = "ingate_retention_pass_duration_seconds"
    public static let retentionRowsDeleted = "ingate_retention_rows_deleted_total"

    /// Buckets of the histograms: requests and commits take from well under a millisecond to
    /// seconds; a commit batch holds 1 to a few dozen requests.
    public static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(10),
    ]
    public static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128]

    /// One answered request: `signal` is traces, logs, health, metrics, auth-probe… (the outcome's).
    public static func request(signal: String, status: Int, nanoseconds: Int64, bodyBytes: Int,
                               kept: Int, dropped: Int, rejected: Int, stored: Int) {
        Counter(label: requests, dimensions: [("signal", signal), ("status", String(status))]).increment()
        Timer(label: requestDuration, dimensions: [("signal", signal)]).recordNanoseconds(nanoseconds)
        if bodyBytes > 0 { Counter(label: bytesIn, dimensions: [("signal", signal)]).increment(by: bodyBytes) }
        guard signal == "traces" || signal == "logs" else { return }
        // For logs these are log records; the label says which.
        for (outcome, count) in [("kept", kept), ("dropped", dropped), ("rejected", rejected)] where count > 0 {
            Counter(label: spans, dimensions: [("signal", signal), ("outcome", outcome)]).increment(by: count)
        }
        if stored > 0 { Counter(label: rowsStored, dimensions: [("signal", signal)]).increment(by: stored) }
    }

    public static func authenticationFailed() {
        Counter(label: authFailures).increment()
    }

    public static func storageFailed(retryable: Bool) {
        Counter(label: storageErrors, dimensions: [("kind", retryable ? "retryable" : "permanent")]).increment()
    }

    /// One group commit: how long the transaction took and how many requests it held.
    public static func committed(nanoseconds: Int64, requests: Int) {
        Timer(label: commitDuration).recordNanoseconds(nanoseconds)
        Recorder(label: commitBatchRequests, aggregate: true).record(requests)
    }

    /// The steps of a group commit's transaction, to show which one the writer waits on.
    public enum CommitPhase: String, Sendable {
        /// Taking the write lock (`BEGIN IMMEDIATE`; on PostgreSQL, `BEGIN`).
        case begin
        /// Inserting the requests' rows and content events.
        case rows
        /// Bringing what is derived from the rows up to date (`usage_days`).
        case derived
        /// `COMMIT`: on SQLite, writing the WAL; on PostgreSQL, also waiting for its flush.
        case commit
        /// SQLite: syncing the WAL after the write lock is released (`WALFlusher`), while the next
        /// batch may already be writing; not part of the writer's busy time.
        case sync
    }

    public static func commitPhase(_ phase: CommitPhase, nanoseconds: Int64) {
        Timer(label: commitPhaseDuration, dimensions: [("phase", phase.rawValue)]).recordNanoseconds(nanoseconds)
    }

    /// One pass of `--retention`: a transaction that deletes a few expired rows, holding the write
    /// lock (requests' commits wait for it) for its duration.
    public static func retentionPass(nanoseconds: Int64, rows: Int) {
        Timer(label: retentionPassDuration).recordNanoseconds(nanoseconds)
        if rows > 0 { Counter(label: retentionRowsDeleted).increment(by: rows) }
    }
}
