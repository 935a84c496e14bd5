import HTTPTypes

/// What answers the requests a `FastCGIServer` accepts. The server speaks only HTTP terms
/// (`apple/swift-http-types`), so that whatever answers knows nothing of FastCGI and the
/// server nothing of what it serves.
public protocol FastCGIResponder: Sendable {
    /// Answers one request. `readBody(limit)` returns the whole body, or its first `limit + 1`
    /// bytes when it is longer (the rest is swallowed after the answer).
    func respond(to request: FastCGIRequest, readBody: (_ limit: Int) throws -> [UInt8]) -> FastCGIResponse
}

/// A request as the web server passed it: its HTTP head, and the CGI facts HTTP has no field for.
public struct FastCGIRequest: Sendable {
    public var head: HTTPRequest
    /// `REMOTE_ADDR`.
    public var remoteAddress: String?
    /// The other CGI variables the web server set (not the `HTTP_*` headers), e.g. a variable
    /// of the site's own such as `INGATE_AUTH_STEP`.
    public var variables: [String: String]

    public init(head: HTTPRequest, remoteAddress: String? = nil, variables: [String: String] = [:]) {
        self.head = head
        self.remoteAddress = remoteAddress
        self.variables = variables
    }
}

/// A complete answer: status and headers, then the body (its `Content-Length` is the server's).
public struct FastCGIResponse: Sendable {
    public var head: HTTPResponse
    public var body: [UInt8]

    public init(head: HTTPResponse, body: [UInt8]) {
        self.head = head
        self.body = body
    }
}
