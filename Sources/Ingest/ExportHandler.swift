import Foundation
import GenAIMapping
import OTLPCodec
import Storage

/// Settings of the ingest path, built once by the executable.
public struct IngestConfiguration: Sendable {
    /// Largest request body accepted as sent (nginx enforces the same with client_max_body_size).
    public var maxBodyBytes: Int
    public var decoding: DecodingLimits
    /// Failed authentications one client address may make per minute before it gets 429.
    public var authFailuresPerMinute: Int

    public init(maxBodyBytes: Int = 4 << 20, decoding: DecodingLimits = DecodingLimits(), authFailuresPerMinute: Int = 20) {
        self.maxBodyBytes = maxBodyBytes
        self.decoding = decoding
        self.authFailuresPerMinute = authFailuresPerMinute
    }
}

/// Answers one `POST /v1/traces`: route, authenticate, check media type and size, decode, map,
/// store, and encode the response. Pure of transport: the FastCGI server and the tests both
/// call it with a `RequestHead` and a way to read the body.
public struct ExportHandler: Sendable {
    public static let tracesPath = "/v1/traces"

    private let configuration: IngestConfiguration
    private let keys: KeyRing
    private let sink: any LogSink
    private let decoder: ExportDecoder
    private let authFailures: AuthFailureLimiter

    public init(configuration: IngestConfiguration, keys: KeyRing, sink: any LogSink) {
        self.configuration = configuration
        self.keys = keys
        self.sink = sink
        self.decoder = ExportDecoder(limits: configuration.decoding)
        self.authFailures = AuthFailureLimiter(maxFailures: configuration.authFailuresPerMinute, window: 60)
    }

    public func respond(to head: RequestHead, readBody: BodyReader) -> HTTPResponse {
        // Errors answer in the request's encoding where it is one of ours, else JSON.
        let format = WireFormat(contentType: head.contentType) ?? .json
        var outcome = ExportOutcome()
        do {
            let mapped = try process(head, readBody: readBody, outcome: &outcome)
            var response = TraceExportResponse()
            if mapped.rejectedSpans > 0 {
                response.partialSuccess.rejectedSpans = Int64(mapped.rejectedSpans)
                response.partialSuccess.errorMessage = "\(mapped.rejectedSpans) span(s) rejected: " + (mapped.rejectionMessage ?? "invalid span")
            }
            return HTTPResponse(status: 200, headers: [("Content-Type", format.contentType)],
                                body: response.encoded(as: format), outcome: outcome)
        } catch {
            return ErrorResponse.response(for: error, format: format, outcome: outcome)
        }
    }

    /// The checks in the order the contract fixes: 404, 405, 401 (or 429 for an address that
    /// failed too often), 415, 413, 400.
    private func process(_ head: RequestHead, readBody: BodyReader, outcome: inout ExportOutcome) throws(IngestError) -> MappedExport {
        guard Self.isTracesPath(head.path) else { throw .notFound(path: head.path) }
        guard head.method == "POST" else { throw .methodNotAllowed(method: head.method) }
        let apiKeyID = try authenticate(head)
        guard let format = WireFormat(contentType: head.contentType) else {
            throw .unsupportedMediaType("unsupported Content-Type \(head.contentType.map { "\"\($0)\"" } ?? "(none)"); use application/x-protobuf or application/json")
        }
        guard let coding = ContentCoding(header: head.contentEncoding) else {
            throw .unsupportedMediaType("unsupported Content-Encoding \"\(head.contentEncoding ?? "")\"; use gzip or none")
        }
        let limit = configuration.maxBodyBytes
        if let declared = head.contentLength, declared > limit {
            throw .payloadTooLarge("request body of \(declared) bytes is over the \(limit)-byte limit")
        }
        let body: [UInt8]
        do {
            body = try readBody(limit)
        } catch is BodyTooLarge {
            throw .payloadTooLarge("request body is over the \(limit)-byte limit")
        } catch {
            throw .badRequest("cannot read the request body: \(error)")
        }
        outcome.bodyBytes = body.count

        let decoded: DecodedTraces
        do {
            decoded = try decoder.decodeTraces(body, format: format, coding: coding, keeping: SpanMapper.isGenAI)
        } catch {
            switch error {
            case .inflatedTooLarge(let inflatedLimit):
                throw .payloadTooLarge("inflated request body is over the \(inflatedLimit)-byte limit")
            case .malformed(let why):
                throw .badRequest(why)
            case .limitExceeded(let why):
                throw .payloadTooLarge(why)
            }
        }

        let mapped = SpanMapper.map(decoded.export, skippedSpans: decoded.skippedSpans)
        outcome.spansKept = mapped.records.count
        outcome.spansDropped = mapped.droppedSpans
        outcome.spansRejected = mapped.rejectedSpans
        let receivedAt = Int64(Date().timeIntervalSince1970 * 1000)
        do {
            outcome.spansStored = try sink.insert(mapped.records, apiKeyID: apiKeyID, receivedAt: receivedAt)
        } catch {
            throw .storage(error)
        }
        return mapped
    }

    private func authenticate(_ head: RequestHead) throws(IngestError) -> Int64 {
        let address = head.remoteAddress ?? ""
        if let seconds = authFailures.retryAfter(address) { throw .tooManyFailedAuthentications(retryAfter: seconds) }
        guard let key = Self.presentedKey(head) else {
            authFailures.recordFailure(address)
            throw .unauthorized("missing API key: send it in the X-Ingate-Key header")
        }
        let id: Int64?
        do {
            id = try keys.keyID(for: key)
        } catch {
            throw .storage(error)
        }
        guard let id else {
            authFailures.recordFailure(address)
            throw .unauthorized("unknown or revoked API key")
        }
        return id
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

    /// `/v1/traces`, also under a prefix when a hosting stack mounts us below a path.
    static func isTracesPath(_ path: String) -> Bool {
        path == tracesPath || path.hasSuffix(tracesPath)
    }
}
