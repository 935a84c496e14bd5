import LLMLog
import Foundation
import GenAIMapping
import OTLPCodec
import Pricing
import ReceiverMetrics

/// Settings of the ingest path, built once by the executable.
public struct IngestConfiguration: Sendable {
    /// Largest request body accepted as sent (nginx enforces the same with client_max_body_size).
    public var maxBodyBytes: Int
    public var decoding: DecodingLimits
    /// Failed authentications one client address may make per minute before it gets 429.
    public var authFailuresPerMinute: Int
    /// A path the web server mounts us under (`/otel` for `/otel/v1/traces`); empty: the paths
    /// must be exactly `/v1/traces` and `/v1/logs`.
    public var pathPrefix: String
    /// Bytes of text one request may write to the database, counted as stored (JSON escapes
    /// included): a small compressed body must not write hundreds of megabytes.
    public var maxStoredBytesPerRequest: Int
    /// Bytes all requests in flight in one process may hold (see `MemoryBudget`).
    public var memoryBudgetBytes: Int
    /// Prices for rows whose instrumentation sent no cost: the shipped table, or an operator's over it.
    public var prices: PriceTable = .shipped
    /// The Prometheus text `GET /metrics` answers with; nil: no such path (404).
    public var metricsText: (@Sendable () -> [UInt8])?

    public init(maxBodyBytes: Int = 4 << 20, decoding: DecodingLimits = DecodingLimits(), authFailuresPerMinute: Int = 20,
                pathPrefix: String = "") {
        self.maxBodyBytes = maxBodyBytes
        self.pathPrefix = pathPrefix
        self.maxStoredBytesPerRequest = 64 << 20
        self.memoryBudgetBytes = 384 << 20
        self.decoding = decoding
        self.authFailuresPerMinute = authFailuresPerMinute
    }
}

/// Answers one `POST /v1/traces` or `POST /v1/logs`: route, authenticate, check media type and
/// size, decode, map, store, and encode the response. Pure of transport: the FastCGI server and
/// the tests both call it with a `RequestHead` and a way to read the body.
public struct ExportHandler: Sendable {
    public static let tracesPath = "/v1/traces"
    public static let logsPath = "/v1/logs"
    public static let healthPath = "/healthz"
    public static let metricsPath = "/metrics"

    /// The OTLP signal a path asks for.
    enum Signal: String {
        case traces
        case logs
    }

    private let configuration: IngestConfiguration
    private let keys: KeyRing
    private let sink: any LogSink
    private let decoder: ExportDecoder
    private let authFailures: AuthFailureLimiter
    private let memory: MemoryBudget

    /// Bytes the requests in flight have reserved (0 when idle).
    public var memoryInUse: Int { memory.inUse }

    public init(configuration: IngestConfiguration, keys: KeyRing, sink: any LogSink) {
        self.configuration = configuration
        self.keys = keys
        self.sink = sink
        self.decoder = ExportDecoder(limits: configuration.decoding)
        self.authFailures = AuthFailureLimiter(maxFailures: configuration.authFailuresPerMinute, window: 60)
        self.memory = MemoryBudget(capacity: configuration.memoryBudgetBytes)
    }

    /// Peak bytes per inflated byte while decoding and mapping, measured on worst-case exports
    /// (one huge string: the inflated body, the decoded string, its column and its JSON copy).
    static func decodingCost(_ format: WireFormat) -> Int {
        switch format {
        case .protobuf: 5
        case .json: 8
        }
    }

    /// Peak bytes per value built (`DecodingLimits.maxValues`), measured on exports of two million
    /// empty attributes, where the bytes on the wire say nothing of the cost: a protobuf value is
    /// an attribute or attribute value (≈ 200 bytes decoded and mapped), a JSON value any node of
    /// the tree (≈ 130; an attribute takes three or four).
    static func valueCost(_ format: WireFormat) -> Int {
        switch format {
        case .protobuf: 256
        case .json: 160
        }
    }

    public func respond(to head: RequestHead, readBody: BodyReader) -> ExportResponse {
        // Errors answer in the request's encoding where it is one of ours, else JSON.
        let format = WireFormat(contentType: head.contentType) ?? .json
        var outcome = ExportOutcome()
        if let step = head.authStep { return respond(to: step, head: head, format: format, outcome: outcome) }
        if head.path == Self.healthPath || head.path == configuration.pathPrefix.trimmingSuffix("/") + Self.healthPath {
            return health(head, outcome: outcome)
        }
        if let metricsText = configuration.metricsText,
           head.path == Self.metricsPath || head.path == configuration.pathPrefix.trimmingSuffix("/") + Self.metricsPath {
            return metrics(head, text: metricsText, outcome: outcome)
        }
        let reservation = MemoryReservation(memory)
        // After `process` has returned, so that the request's memory is free by then.
        defer { MemoryReservation.returnFreedMemory(afterReserving: reservation.bytes) }
        do {
            let body = try process(head, readBody: readBody, reservation: reservation, outcome: &outcome)
            return ExportResponse(status: 200, headers: [("Content-Type", format.contentType)], body: body, outcome: outcome)
        } catch {
            return ErrorResponse.response(for: error, format: format, outcome: outcome)
        }
    }

    /// `GET /healthz`: 200 `{"status":"ok"}` when the store takes a write now, else 503 with
    /// `Retry-After`; the body never says more (no keys, no data, no error text).
    private func health(_ head: RequestHead, outcome: ExportOutcome) -> ExportResponse {
        var outcome = outcome
        outcome.signal = "health"
        let json = [("Content-Type", "application/json")]
        guard head.method == "GET" || head.method == "HEAD" else {
            return ExportResponse(status: 405, headers: json + [("Allow", "GET, HEAD")], body: Array(#"{"status":"method not allowed"}"#.utf8), outcome: outcome)
        }
        do {
            try sink.checkWrites()
            return ExportResponse(status: 200, headers: json, body: Array(#"{"status":"ok"}"#.utf8), outcome: outcome)
        } catch {
            outcome.error = error.description
            return ExportResponse(status: 503, headers: json + [("Retry-After", "5")], body: Array(#"{"status":"unavailable"}"#.utf8), outcome: outcome)
        }
    }

    /// `GET /metrics`: the Prometheus text of every worker (who may ask is the web server's to say).
    private func metrics(_ head: RequestHead, text: () -> [UInt8], outcome: ExportOutcome) -> ExportResponse {
        var outcome = outcome
        outcome.signal = "metrics"
        guard head.method == "GET" || head.method == "HEAD" else {
            return ExportResponse(status: 405, headers: [("Content-Type", "text/plain"), ("Allow", "GET, HEAD")],
                                  body: Array("method not allowed\n".utf8), outcome: outcome)
        }
        return ExportResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: text(), outcome: outcome)
    }

    private func respond(to step: AuthStep, head: RequestHead, format: WireFormat, outcome: ExportOutcome) -> ExportResponse {
        var outcome = outcome
        outcome.signal = "auth-\(step.rawValue)"
        // Requests the export path refuses before authenticating get their answer there.
        guard Self.signal(for: head.path, prefix: configuration.pathPrefix) != nil, head.method == "POST" else {
            return ExportResponse(status: 204, headers: [], body: [], outcome: outcome)
        }
        do {
            _ = try authenticate(head)
            return ExportResponse(status: 204, headers: [], body: [], outcome: outcome)
        } catch {
            let refusal = ErrorResponse.response(for: error, format: format, outcome: outcome)
            var headers: [(name: String, value: String)] = [("X-Ingate-Refusal", String(refusal.status))]
            headers += refusal.headers.filter { $0.name == "Retry-After" }
            return ExportResponse(status: 401, headers: headers, body: [], outcome: refusal.outcome)
        }
    }

    /// The checks in the order the contract fixes: 404, 405, 401 (or 429 for an address that
    /// failed too often), 415, 413, 400. Returns the body of the 200.
    private func process(_ head: RequestHead, readBody: BodyReader, reservation: MemoryReservation,
                         outcome: inout ExportOutcome) throws(IngestError) -> [UInt8] {
        guard let signal = Self.signal(for: head.path, prefix: configuration.pathPrefix) else { throw .notFound(path: head.path) }
        outcome.signal = signal.rawValue
        guard head.method == "POST" else { throw .methodNotAllowed(method: head.method) }
        let key = try authenticate(head)
        let apiKeyID = key.id
        guard let format = WireFormat(contentType: head.contentType) else {
            throw .unsupportedMediaType("unsupported Content-Type \(head.contentType.map { "\"\($0)\"" } ?? "(none)"); use application/x-protobuf or application/json")
        }
        guard let coding = ContentCoding(header: head.contentEncoding) else {
            throw .unsupportedMediaType("unsupported Content-Encoding \"\(head.contentEncoding ?? "")\"; use gzip, deflate, zstd or none")
        }
        let limit = configuration.maxBodyBytes
        if let declared = head.contentLength, declared > limit {
            throw .payloadTooLarge("request body of \(declared) bytes is over the \(limit)-byte limit")
        }
        try reservation.grow(by: head.contentLength ?? limit)
        var body: [UInt8]
        do {
            body = try readBody(limit)
        } catch {
            throw .badRequest("cannot read the request body: \(error)")
        }
        guard body.count <= limit else { throw .payloadTooLarge("request body is over the \(limit)-byte limit") }
        outcome.bodyBytes = body.count

        // Inflated before decoding, so that its size is reserved before anything is built from it.
        let cost = Self.decodingCost(format)
        var plain: [UInt8]
        if coding == .gzip, let size = GzipInflater.declaredSize(body) {
            try reservation.prepay(inflated: min(size, configuration.decoding.maxInflatedBytes), cost: cost)
        }
        do {
            plain = try decoder.inflate(body, coding: coding) { chunk in reservation.admit(inflatedChunk: chunk, cost: cost) }
        } catch .budgetExhausted {
            throw reservation.refusal
        } catch {
            throw Self.ingestError(error)
        }
        if coding == .identity { try reservation.grow(by: plain.count * (cost - 1)) }
        // What a request holds while it waits for its commit is its records alone: the body, the
        // inflated body and the decoded export go before, as up to a thread per request waits at once.
        body = []

        let receivedAt = Int64(Date().timeIntervalSince1970 * 1000)
        switch signal {
        case .traces:
            var mapped: MappedExport
            do {
                let decoded = try decoding(reservation) { () throws(DecodeError) in
                    try decoder.decodeTraces(plain, format: format, coding: .identity, keeping: SpanMapper.genAIKeyFilter,
                                             admit: { reservation.tryGrow(by: $0 * Self.valueCost(format)) })
                }
                plain = []
                mapped = SpanMapper.map(decoded.export, skippedSpans: decoded.skippedSpans)
            }
            Cost.price(&mapped.records, with: configuration.prices)
            ContentPolicing.apply(key.contentPolicy, to: &mapped.records)
            outcome.kept = mapped.records.count
            outcome.dropped = mapped.droppedSpans
            outcome.rejected = mapped.rejectedSpans
            let writing = Self.storedBytes(mapped.records)
            guard writing <= configuration.maxStoredBytesPerRequest else {
                throw .payloadTooLarge("this export would store \(writing) bytes; one request may store \(configuration.maxStoredBytesPerRequest)")
            }
            outcome.stored = try storing { () throws(StoreError) in
                try sink.insert(mapped.records, apiKeyID: apiKeyID, receivedAt: receivedAt)
            }
            var response = TraceExportResponse()
            if mapped.rejectedSpans > 0 {
                response.partialSuccess.rejectedSpans = Int64(mapped.rejectedSpans)
                response.partialSuccess.errorMessage = "\(mapped.rejectedSpans) span(s) rejected: " + (mapped.rejectionMessage ?? "invalid span")
            }
            return response.encoded(as: format)
        case .logs:
            let export = try decoding(reservation) { () throws(DecodeError) in
                try decoder.decodeLogs(plain, format: format, coding: .identity, admit: { reservation.tryGrow(by: $0 * Self.valueCost(format)) })
            }
            var mapped = EventMapper.map(export)
            let received = mapped.events.count
            ContentPolicing.apply(key.contentPolicy, to: &mapped.events)
            outcome.kept = mapped.events.count
            outcome.dropped = mapped.droppedRecords + received - mapped.events.count
            outcome.rejected = mapped.rejectedRecords
            let writing = mapped.events.reduce(0) { $0 + $1.messagesJSON.utf8.count }
            guard writing <= configuration.maxStoredBytesPerRequest else {
                throw .payloadTooLarge("this export would store \(writing) bytes; one request may store \(configuration.maxStoredBytesPerRequest)")
            }
            outcome.stored = try storing { () throws(StoreError) in
                try sink.insertEvents(mapped.events, apiKeyID: apiKeyID, receivedAt: receivedAt)
            }
            var response = LogsExportResponse()
            if mapped.rejectedRecords > 0 {
                response.partialSuccess.rejectedLogRecords = Int64(mapped.rejectedRecords)
                response.partialSuccess.errorMessage = "\(mapped.rejectedRecords) log record(s) rejected: " + (mapped.rejectionMessage ?? "invalid record")
            }
            return response.encoded(as: format)
        }
    }

    /// The text a request's rows put on disk: each row's own columns, each distinct resource once.
    static func storedBytes(_ records: [LLMLogRecord]) -> Int {
        var total = 0
        var resources = Set<String>()
        for record in records {
            for text in [record.prompt, record.completion, record.statusMessage, record.finishReasons, record.errorType,
                         record.serviceName, record.scopeName, record.model, record.responseModel, record.provider] {
                total += text?.utf8.count ?? 0
            }
            total += record.spanName.utf8.count + record.attributesJSON.utf8.count
            if resources.insert(record.resourceJSON).inserted { total += record.resourceJSON.utf8.count }
        }
        return total
    }

    private func decoding<T>(_ reservation: MemoryReservation, _ body: () throws(DecodeError) -> T) throws(IngestError) -> T {
        do {
            return try body()
        } catch .budgetExhausted {
            throw reservation.refusal
        } catch {
            throw Self.ingestError(error)
        }
    }

    private static func ingestError(_ error: DecodeError) -> IngestError {
        switch error {
        case .inflatedTooLarge(let limit): .payloadTooLarge("inflated request body is over the \(limit)-byte limit")
        case .malformed(let why): .badRequest(why)
        case .limitExceeded(let why): .payloadTooLarge(why)
        case .budgetExhausted: MemoryReservation.exhausted
        }
    }

    private func storing(_ body: () throws(StoreError) -> Int) throws(IngestError) -> Int {
        do {
            return try body()
        } catch {
            ReceiverMetrics.storageFailed(retryable: error.isRetryable)
            throw .storage(error)
        }
    }

    /// A valid key is accepted whatever its address did; a failure from an address over its
    /// failure limit is answered 429 instead of 401.
    private func authenticate(_ head: RequestHead) throws(IngestError) -> ActiveKey {
        let address = head.remoteAddress ?? ""
        var found: ActiveKey?
        if let key = Self.presentedKey(head) {
            do {
                found = try keys.key(for: key)
            } catch {
                throw .storage(error)
            }
        }
        if let found {
            // A valid key of another scope is known, not failed: no failure counted against the address.
            guard found.scope == .ingest else { throw .forbidden("this key may not send telemetry (scope \(found.scope?.rawValue ?? "unknown")); use an ingest key") }
            return found
        }
        ReceiverMetrics.authenticationFailed()
        authFailures.recordFailure(address)
        if let seconds = authFailures.retryAfter(address) { throw .tooManyFailedAuthentications(retryAfter: seconds) }
        guard Self.presentedKey(head) != nil else { throw .unauthorized("missing API key: send it in the X-Ingate-Key header") }
        throw .unauthorized("unknown or revoked API key")
    }

    /// `X-Ingate-Key: sk-ingate-…`, else `Authorization: Bearer sk-ingate-…`.
    static func presentedKey(_ head: RequestHead) -> String? {
        if let key = head.ingateKey?.trimmingCharacters(in: .whitespaces), !key.isEmpty {
            return key
        }
        if let authorization = head.authorization?.trimmingCharacters(in: .whitespaces) {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let key = parts[1].trimmingCharacters(in: .whitespaces)
                if !key.isEmpty { return key }
            }
        }
        return nil
    }

    /// `/v1/traces` or `/v1/logs`, exactly, under the configured prefix (a trailing slash on the
    /// prefix is ignored).
    static func signal(for path: String, prefix: String = "") -> Signal? {
        var base = prefix
        while base.hasSuffix("/") { base.removeLast() }
        switch path {
        case base + tracesPath: return .traces
        case base + logsPath: return .logs
        default: return nil
        }
    }
}

private extension String {
    func trimmingSuffix(_ suffix: Character) -> String {
        var text = self
        while text.last == suffix { text.removeLast() }
        return text
    }
}
