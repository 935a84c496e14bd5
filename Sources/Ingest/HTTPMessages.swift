/// What the server knows of a request before reading its body (the CGI parameters).
public struct RequestHead: Sendable {
    public var method: String
    public var path: String
    public var contentType: String?
    public var contentEncoding: String?
    /// The declared `Content-Length`, if any.
    public var contentLength: Int?
    public var ingateKey: String?
    public var authorization: String?
    /// The client's address (REMOTE_ADDR), for limiting failed authentications.
    public var remoteAddress: String?
    /// The query string, without `?` (QUERY_STRING).
    public var query: String?
    /// The `Cookie` header (the viewer's session; exports carry none).
    public var cookie: String?
    /// Set when the web server asks only about the key, before it reads the body (nginx
    /// `auth_request`); nil for an export.
    public var authStep: AuthStep?

    public init(method: String, path: String, contentType: String? = nil, contentEncoding: String? = nil,
                contentLength: Int? = nil, ingateKey: String? = nil, authorization: String? = nil,
                remoteAddress: String? = nil, authStep: AuthStep? = nil, query: String? = nil, cookie: String? = nil) {
        self.authStep = authStep
        self.query = query
        self.cookie = cookie
        self.method = method
        self.path = path
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.contentLength = contentLength
        self.ingateKey = ingateKey
        self.authorization = authorization
        self.remoteAddress = remoteAddress
    }
}

/// A key-only request a web server makes before it reads the body (CGI parameter
/// `INGATE_AUTH_STEP=probe`, from nginx's `auth_request`), so that a body is read only for a
/// valid key.
public enum AuthStep: String, Sendable {
    /// 204 if the request may go on (or if the export itself will refuse it first, as for a
    /// wrong method); otherwise 401, the only refusal auth_request passes on, with the status
    /// the export would have had in `X-Ingate-Refusal` (401, 403, 429 or 503) and its `Retry-After`.
    case probe
}

/// A complete response, ready to be written by whichever server carries it.
public struct ExportResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// What happened, for the one log line per request.
    public var outcome: ExportOutcome

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8], outcome: ExportOutcome) {
        self.status = status
        self.headers = headers
        self.body = body
        self.outcome = outcome
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Counts and sizes of one request, safe to log (no key, no content). The counts are of spans
/// for /v1/traces and of log records for /v1/logs.
public struct ExportOutcome: Sendable, Equatable {
    public var signal = "-"
    public var bodyBytes = 0
    public var kept = 0
    public var stored = 0
    public var dropped = 0
    public var rejected = 0
    /// The error message for a failed request.
    public var error: String?

    public init() {}
}

/// Reads the request body: all of it, or its first `limit + 1` bytes when it is longer.
public typealias BodyReader = (_ limit: Int) throws -> [UInt8]
