import Foundation
import HTTPTypes
import Logging
import ReceiverMetrics
import SafeText

/// The receiver as an HTTP endpoint, in the neutral terms of `apple/swift-http-types`, for
/// whichever server carries it (the FastCGI one today): picks out what Ingest reads from the
/// request, answers through the handler, and writes the request's one log line.
public struct HTTPEndpoint: Sendable {
    /// The CGI variable a web server sets on the key-only request it makes before reading a
    /// body (nginx `auth_request`); see `AuthStep`.
    public static let authStepVariable = "INGATE_AUTH_STEP"
    static let ingateKey = HTTPField.Name("X-Ingate-Key")!

    let handler: any RequestHandler
    let logger: Logger
    let logEachRequest: Bool

    /// Without `logEachRequest`, only answers of 500 and above are logged.
    public init(handler: any RequestHandler, logger: Logger, logEachRequest: Bool = true) {
        self.handler = handler
        self.logger = logger
        self.logEachRequest = logEachRequest
    }

    /// `variables` are the server's own facts about the request beyond HTTP (CGI variables).
    public func respond(to request: HTTPRequest, remoteAddress: String?, variables: [String: String],
                        readBody: BodyReader) -> (head: HTTPResponse, body: [UInt8]) {
        let started = DispatchTime.now()
        let head = Self.head(of: request, remoteAddress: remoteAddress, variables: variables)
        let response = handler.respond(to: head, readBody: readBody)
        let nanoseconds = DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds
        log(head, response, milliseconds: Double(nanoseconds) / 1e6)
        let outcome = response.outcome
        ReceiverMetrics.request(signal: outcome.signal.isEmpty ? "other" : outcome.signal, status: response.status,
                                nanoseconds: Int64(nanoseconds), bodyBytes: outcome.bodyBytes, kept: outcome.kept,
                                dropped: outcome.dropped, rejected: outcome.rejected, stored: outcome.stored)
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return (HTTPResponse(status: .init(code: response.status), headerFields: fields), response.body)
    }

    /// What Ingest reads of a request: the route, the body's description and the key headers.
    static func head(of request: HTTPRequest, remoteAddress: String?, variables: [String: String]) -> RequestHead {
        let fields = request.headerFields
        return RequestHead(
            method: request.method.rawValue,
            path: request.path ?? "/",
            contentType: fields[.contentType].flatMap { $0.isEmpty ? nil : $0 },
            contentEncoding: fields[.contentEncoding],
            contentLength: fields[.contentLength].flatMap { Int($0) },
            ingateKey: fields[ingateKey],
            authorization: fields[.authorization],
            remoteAddress: remoteAddress,
            authStep: variables[authStepVariable].flatMap(AuthStep.init(rawValue:)),
            query: variables["QUERY_STRING"],
            cookie: fields[.cookie]
        )
    }

    private func log(_ head: RequestHead, _ response: ExportResponse, milliseconds: Double) {
        guard logEachRequest || response.status >= 500 else { return }
        var metadata: Logger.Metadata = [
            "status": "\(response.status)",
            "method": "\(SafeText.escaped(head.method))",
            "path": "\(SafeText.escaped(head.path))",
            "bytes_in": "\(response.outcome.bodyBytes)",
            "bytes_out": "\(response.body.count)",
            "signal": "\(response.outcome.signal)",
            "kept": "\(response.outcome.kept)",
            "stored": "\(response.outcome.stored)",
            "dropped": "\(response.outcome.dropped)",
            "rejected": "\(response.outcome.rejected)",
            "ms": "\(String(format: "%.2f", milliseconds))",
        ]
        // Error texts quote paths, content types and span names sent by the client.
        if let error = response.outcome.error { metadata["error"] = "\(SafeText.escaped(error))" }
        logger.info("request", metadata: metadata)
    }
}
