import OTLPCodec

/// Every limit of the receiver, with its one value: the responder's come from `DecodingLimits`
/// and `IngestConfiguration`, the web server's are stated here. `serve` takes its defaults from
/// these, `nginx/render` its numbers (`ingate-otel limits --env`), and the README its table
/// (`ingate-otel limits --markdown`; a test holds the README to it).
public struct ReceiverLimit: Sendable, Equatable {
    /// `INGATE_LIMIT_<key>` for `nginx/render`.
    public var key: String
    public var bound: String
    public var value: Int
    /// How the value reads in the table, with where it is set.
    public var shown: String
    public var crossing: String
}

public enum ReceiverLimits {
    /// The web server's own limits (nginx in the shipped site).
    public static let connectionsPerAddress = 256
    public static let bodyBufferBytes = 512 << 10
    public static let keylessRequestsPerSecond = 2
    public static let requestsPerSecondPerAddress = 10_000
    public static let headerTimeoutSeconds = 10
    public static let bodyTimeoutSeconds = 15
    /// Request threads of a responder process: most wait on the group commit, so more than cores;
    /// not more than that, because each thread keeps a malloc arena of its own, whose freed
    /// memory stays with it (`make bench`, 2 cores, W1000 c=16 worker peak RSS: 16 threads
    /// 111 MiB, 12 97, 8 80, 4 61; W1 c=16 spans/s the same within noise from 8 up, 15 % less at
    /// 4). A bigger host runs more processes (`spawn-fcgi -F`, systemd), or raises `--threads`.
    public static let requestThreads = 8

    public static var all: [ReceiverLimit] {
        let ingest = IngestConfiguration()
        let decoding = ingest.decoding
        return [
            .init(key: "BODY_BYTES", bound: "body as sent", value: ingest.maxBodyBytes,
                  shown: "\(mib(ingest.maxBodyBytes)) (nginx `client_max_body_size`, and the responder)", crossing: "413"),
            .init(key: "INFLATED_BYTES", bound: "body inflated", value: decoding.maxInflatedBytes,
                  shown: "\(mib(decoding.maxInflatedBytes)) (`serve --max-inflated-bytes`)", crossing: "413"),
            .init(key: "NESTING_DEPTH", bound: "nesting of JSON, messages and array/kvlist values", value: decoding.maxNestingDepth,
                  shown: "\(decoding.maxNestingDepth) levels, refused without recursion", crossing: "400"),
            .init(key: "GENAI_SPANS", bound: "GenAI spans built per request (skipped spans are not built and do not count)",
                  value: decoding.maxSpans, shown: grouped(decoding.maxSpans), crossing: "413"),
            .init(key: "ATTRIBUTES", bound: "attributes per span, event, resource, scope or log record", value: decoding.maxAttributesPerSpan,
                  shown: "\(grouped(decoding.maxAttributesPerSpan)), counted on the wire before anything is built", crossing: "413"),
            .init(key: "EVENTS", bound: "events per span", value: decoding.maxEventsPerSpan,
                  shown: grouped(decoding.maxEventsPerSpan), crossing: "413"),
            .init(key: "VALUES", bound: "values one request builds (protobuf: attributes, values, events and links of its resources, scopes and kept spans; JSON: every value)",
                  value: decoding.maxValues, shown: "\(grouped(decoding.maxValues)), counted before anything is built", crossing: "413"),
            .init(key: "STRING_BYTES", bound: "one string (a whole prompt)", value: decoding.maxStringBytes,
                  shown: mib(decoding.maxStringBytes), crossing: "413"),
            .init(key: "ESCAPED_BYTES", bound: "text of the kept spans as JSON-escaped, before mapping", value: decoding.maxEscapedBytes,
                  shown: mib(decoding.maxEscapedBytes), crossing: "413"),
            .init(key: "STORED_BYTES", bound: "bytes one request stores (escapes included; a resource once)", value: ingest.maxStoredBytesPerRequest,
                  shown: mib(ingest.maxStoredBytesPerRequest), crossing: "413"),
            .init(key: "MEMORY_BUDGET_BYTES", bound: "memory of the requests in flight in one process, reserved before use",
                  value: ingest.memoryBudgetBytes, shown: "\(mib(ingest.memoryBudgetBytes)) (`serve --memory-budget-mb`); one request needing more than all of it",
                  crossing: "503 + `Retry-After`; 413"),
            .init(key: "AUTH_FAILURES_PER_MINUTE", bound: "failed authentications per address (IPv6 per /64)", value: ingest.authFailuresPerMinute,
                  shown: "\(ingest.authFailuresPerMinute) a minute (the responder); a valid key is always accepted", crossing: "429"),
            .init(key: "REQUEST_THREADS", bound: "requests one responder process answers at once", value: requestThreads,
                  shown: "\(requestThreads) (`serve --threads`); more wait in the socket's backlog", crossing: "—"),
            .init(key: "CONNECTIONS_PER_ADDRESS", bound: "open requests per address", value: connectionsPerAddress,
                  shown: "\(connectionsPerAddress) (nginx `limit_conn`; `INGATE_CONN_PER_ADDRESS` when rendering)", crossing: "429"),
            .init(key: "BODY_BUFFER_BYTES", bound: "body an nginx connection holds in memory (the rest goes to a temporary file)",
                  value: bodyBufferBytes, shown: "\(bodyBufferBytes >> 10) KiB (nginx `client_body_buffer_size`)", crossing: "—"),
            .init(key: "KEYLESS_RATE", bound: "requests without a well-formed key per address", value: keylessRequestsPerSecond,
                  shown: "\(keylessRequestsPerSecond)/s, burst \(10 * keylessRequestsPerSecond) (nginx `limit_req`)", crossing: "429"),
            .init(key: "ADDRESS_RATE", bound: "requests per address", value: requestsPerSecondPerAddress,
                  shown: "\(grouped(requestsPerSecondPerAddress))/s, burst \(grouped(2 * requestsPerSecondPerAddress)) (nginx): a flood cap no exporter reaches",
                  crossing: "429"),
            .init(key: "HEADER_TIMEOUT_SECONDS", bound: "time to send the request head", value: headerTimeoutSeconds,
                  shown: "\(headerTimeoutSeconds) s (nginx)", crossing: "408"),
            .init(key: "BODY_TIMEOUT_SECONDS", bound: "time between two reads of the body", value: bodyTimeoutSeconds,
                  shown: "\(bodyTimeoutSeconds) s (nginx)", crossing: "408"),
        ]
    }

    /// `INGATE_LIMIT_KEY=value` lines, for `nginx/render`.
    public static var environment: String {
        all.map { "INGATE_LIMIT_\($0.key)=\($0.value)" }.joined(separator: "\n")
    }

    /// The README's table.
    public static var markdown: String {
        (["| bound | default | crossing it |", "|---|---|---|"] + all.map { "| \($0.bound) | \($0.shown) | \($0.crossing) |" })
            .joined(separator: "\n")
    }

    private static func mib(_ bytes: Int) -> String { "\(bytes >> 20) MiB" }

    /// 100 000, as the README writes numbers.
    private static func grouped(_ number: Int) -> String {
        var digits = Array(String(number))
        var out: [Character] = []
        while digits.count > 3 {
            out = [" "] + digits.suffix(3) + out
            digits.removeLast(3)
        }
        return String(digits + out)
    }
}
