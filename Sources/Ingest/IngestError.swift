import LLMLog
import OTLPCodec

/// Every way a request can fail. `ErrorResponse` turns each into its status, headers and body;
/// nothing else decides a status.
public enum IngestError: Error, Equatable {
    case notFound(path: String)
    case methodNotAllowed(method: String)
    case unauthorized(String)
    /// A valid key that may not do this (a read key sending telemetry).
    case forbidden(String)
    case tooManyFailedAuthentications(retryAfter: Int)
    case unsupportedMediaType(String)
    case payloadTooLarge(String)
    case badRequest(String)
    case storage(StoreError)
    /// The process's memory budget for requests in flight is spent (`MemoryBudget`).
    case overloaded(String)
    case internalError(String)
}

/// The one table from error to HTTP status. https://opentelemetry.io/docs/specs/otlp/#failures-1
enum ErrorResponse {
    /// Seconds a client should wait before retrying a busy or unavailable store.
    static let retryAfterSeconds = 2

    static func response(for error: IngestError, format: WireFormat, outcome: ExportOutcome) -> ExportResponse {
        let (status, rpcCode, message): (Int, Int32, String) = switch error {
        case .notFound(let path): (404, 5, "no OTLP endpoint at \(path); traces are accepted at /v1/traces, logs at /v1/logs")
        case .methodNotAllowed(let method): (405, 12, "method \(method) is not allowed; use POST")
        case .unauthorized(let why): (401, 16, why)
        case .forbidden(let why): (403, 7, why)
        case .tooManyFailedAuthentications(let seconds): (429, 8, "too many failed authentications from this address; retry in \(seconds) s")
        case .unsupportedMediaType(let why): (415, 3, why)
        case .payloadTooLarge(let why): (413, 8, why)
        case .badRequest(let why): (400, 3, why)
        case .storage(let storage) where storage.isRetryable: (503, 14, "\(storage.description); retry later")
        case .storage(let storage): (500, 13, storage.description)
        case .overloaded(let why): (503, 14, why)
        case .internalError(let why): (500, 13, why)
        }
        var headers: [(name: String, value: String)] = [("Content-Type", format.contentType)]
        if case .methodNotAllowed = error { headers.append(("Allow", "POST")) }
        if status == 503 { headers.append(("Retry-After", String(retryAfterSeconds))) }
        if case .tooManyFailedAuthentications(let seconds) = error { headers.append(("Retry-After", String(seconds))) }
        var outcome = outcome
        outcome.error = message
        return ExportResponse(status: status, headers: headers,
                            body: RPCStatus(code: rpcCode, message: message).encoded(as: format),
                            outcome: outcome)
    }
}
