import CFastCGI
import Foundation
import Ingest

/// One accepted FastCGI request: its CGI parameters, its body stream and its response stream.
/// The only code that reads or writes through libfcgi's request pointers.
struct FastCGIExchange {
    let request: UnsafeMutablePointer<FCGX_Request>

    func parameter(_ name: String) -> String? {
        guard let value = FCGX_GetParam(name, request.pointee.envp) else { return nil }
        return String(cString: value)
    }

    /// The request line as nginx (or any CGI-speaking server) describes it.
    func head() -> RequestHead {
        RequestHead(
            method: parameter("REQUEST_METHOD") ?? "GET",
            path: path(),
            contentType: parameter("CONTENT_TYPE").flatMap { $0.isEmpty ? nil : $0 },
            contentEncoding: parameter("HTTP_CONTENT_ENCODING"),
            contentLength: parameter("CONTENT_LENGTH").flatMap { Int($0) },
            ingateKey: parameter("HTTP_X_INGATE_KEY"),
            authorization: parameter("HTTP_AUTHORIZATION"),
            remoteAddress: parameter("REMOTE_ADDR"),
            authStep: parameter("INGATE_AUTH_STEP").flatMap(AuthStep.init(rawValue:))
        )
    }

    /// nginx sets DOCUMENT_URI; other servers SCRIPT_NAME (+ PATH_INFO); REQUEST_URI is the last
    /// resort, without its query string.
    private func path() -> String {
        if let uri = parameter("DOCUMENT_URI"), !uri.isEmpty { return uri }
        if let script = parameter("SCRIPT_NAME"), !script.isEmpty { return script + (parameter("PATH_INFO") ?? "") }
        let uri = parameter("REQUEST_URI") ?? "/"
        return String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "/")
    }

    /// Reads the whole body, refusing to hold more than `limit` bytes.
    func readBody(limit: Int) throws -> [UInt8] {
        var body: [UInt8] = []
        if let declared = parameter("CONTENT_LENGTH").flatMap(Int.init), declared > 0 {
            body.reserveCapacity(min(declared, limit + 1))
        }
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { FCGX_GetStr($0.baseAddress, Int32($0.count), request.pointee.in) }
            }
            if count <= 0 { break }
            if body.count + Int(count) > limit { throw BodyTooLarge() }
            body.append(contentsOf: chunk[0..<Int(count)])
        }
        if FCGX_GetError(request.pointee.in) != 0 {
            throw ExchangeError.bodyReadFailed
        }
        return body
    }

    /// Reads and discards what is left of the body, up to `limit` bytes, so that the web server
    /// is not cut off mid-upload when we answer early (it would report a 502 instead).
    func discardBody(limit: Int) {
        var chunk = [CChar](repeating: 0, count: 64 << 10)
        var discarded = 0
        while discarded < limit {
            let count = chunk.withUnsafeMutableBufferPointer { FCGX_GetStr($0.baseAddress, Int32($0.count), request.pointee.in) }
            if count <= 0 { return }
            discarded += Int(count)
        }
    }

    func write(_ response: HTTPResponse) {
        var head = "Status: \(response.status) \(Self.reason(response.status))\r\n"
        for header in response.headers {
            head += "\(header.name): \(header.value)\r\n"
        }
        head += "Content-Length: \(response.body.count)\r\n\r\n"
        let out = request.pointee.out
        _ = head.withCString { FCGX_PutStr($0, Int32(strlen($0)), out) }
        if !response.body.isEmpty {
            _ = response.body.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { FCGX_PutStr($0.baseAddress, Int32($0.count), out) }
            }
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }

    enum ExchangeError: Error { case bodyReadFailed }
}
