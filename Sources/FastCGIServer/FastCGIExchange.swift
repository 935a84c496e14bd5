import CFastCGI
import Foundation
import HTTPTypes

/// One accepted FastCGI request: its CGI parameters, its body stream and its response stream.
/// The only code that reads or writes through libfcgi's request pointers.
struct FastCGIExchange {
    let request: UnsafeMutablePointer<FCGX_Request>

    func parameter(_ name: String) -> String? {
        guard let value = FCGX_GetParam(name, request.pointee.envp) else { return nil }
        return String(cString: value)
    }

    /// The request as nginx (or any CGI-speaking server) describes it: `HTTP_X_INGATE_KEY`
    /// becomes the header `x-ingate-key`, `CONTENT_TYPE` and `CONTENT_LENGTH` their headers.
    func fastCGIRequest() -> FastCGIRequest {
        var fields = HTTPFields()
        var variables: [String: String] = [:]
        var entry = request.pointee.envp
        while let pair = entry?.pointee {
            entry = entry?.advanced(by: 1)
            let text = String(cString: pair)
            guard let equals = text.firstIndex(of: "=") else { continue }
            let name = String(text[..<equals])
            let value = String(text[text.index(after: equals)...])
            if name == "CONTENT_TYPE" || name == "CONTENT_LENGTH" {
                // The CGI variables are the body's description (RFC 3875 4.1); a server may also
                // pass the headers as HTTP_CONTENT_*, or set a variable twice: one value each.
                fields[name == "CONTENT_TYPE" ? .contentType : .contentLength] = value.isEmpty ? nil : value
            } else if name.hasPrefix("HTTP_") {
                let header = name.dropFirst(5).replacingOccurrences(of: "_", with: "-").lowercased()
                guard header != "content-type", header != "content-length" else { continue }
                if let fieldName = HTTPField.Name(header) { fields.append(HTTPField(name: fieldName, value: value)) }
            } else {
                variables[name] = value
            }
        }
        let method = HTTPRequest.Method(parameter("REQUEST_METHOD") ?? "GET") ?? .get
        let head = HTTPRequest(method: method, scheme: nil, authority: nil, path: path(), headerFields: fields)
        return FastCGIRequest(head: head, remoteAddress: variables["REMOTE_ADDR"], variables: variables)
    }

    /// nginx sets DOCUMENT_URI; other servers SCRIPT_NAME (+ PATH_INFO); REQUEST_URI is the last
    /// resort, without its query string.
    private func path() -> String {
        if let uri = parameter("DOCUMENT_URI"), !uri.isEmpty { return uri }
        if let script = parameter("SCRIPT_NAME"), !script.isEmpty { return script + (parameter("PATH_INFO") ?? "") }
        let uri = parameter("REQUEST_URI") ?? "/"
        return String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "/")
    }

    /// Reads the whole body, but no more than `limit + 1` bytes: one more says it is too long.
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
            body.append(contentsOf: chunk[0..<min(Int(count), limit + 1 - body.count)])
            if body.count > limit { return body }
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

    func write(_ response: FastCGIResponse) {
        let status = response.head.status
        let reason = status.reasonPhrase.isEmpty ? Self.reason(status.code) : status.reasonPhrase
        var head = "Status: \(status.code) \(reason)\r\n"
        for field in response.head.headerFields where field.name != .contentLength {
            head += "\(field.name.rawName): \(field.value)\r\n"
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
        case 204: "No Content"
        case 303: "See Other"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
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
