import LLMLog

/// Every way a viewer request fails; `status` is the one place that picks its HTTP status.
enum ViewerError: Error {
    case notFound
    case methodNotAllowed(allowed: String)
    case badRequest(String)
    /// A form without its CSRF token, or a valid key that may not read.
    case forbidden(String)
    case unauthorized(String)
    case tooManyFailedSignIns(retryAfter: Int)
    case storage(StoreError)

    var status: Int {
        switch self {
        case .notFound: 404
        case .methodNotAllowed: 405
        case .badRequest: 400
        case .forbidden: 403
        case .unauthorized: 401
        case .tooManyFailedSignIns: 429
        case .storage(let error): error.isRetryable ? 503 : 500
        }
    }

    var message: String {
        switch self {
        case .notFound: "There is no such page, or no such call among the rows this key may see."
        case .methodNotAllowed(let allowed): "Use \(allowed) here."
        case .badRequest(let why), .forbidden(let why), .unauthorized(let why): why
        case .tooManyFailedSignIns(let seconds): "Too many failed sign-ins from this address; try again in \(seconds) s."
        case .storage(let error): error.isRetryable ? "The database is busy or unavailable; try again shortly." : "The database failed: \(error.description)"
        }
    }

    var headers: [(name: String, value: String)] {
        switch self {
        case .methodNotAllowed(let allowed): [("Allow", allowed)]
        case .tooManyFailedSignIns(let seconds): [("Retry-After", String(seconds))]
        case .storage(let error) where error.isRetryable: [("Retry-After", "2")]
        default: []
        }
    }
}
