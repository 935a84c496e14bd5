import Foundation
import LLMLog

/// What the viewer reads of a request: its query or form fields and its cookies, parsed once.
struct ViewerRequest {
    var method: String
    /// The path below `/ui` (`/`, `/call/7`, …).
    var route: String
    var query: [String: String]
    var cookies: [String: String]

    /// `a=1&b=x%20y` (`+` as space, as forms send it); the first of a repeated name wins.
    static func fields(_ encoded: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in encoded.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), fields[name] == nil else { continue }
            fields[name] = parts.count > 1 ? decode(parts[1]) ?? "" : ""
        }
        return fields
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// `Cookie: a=1; b=2`.
    static func cookies(_ header: String?) -> [String: String] {
        var cookies: [String: String] = [:]
        for pair in (header ?? "").split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            if cookies[name] == nil { cookies[name] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return cookies
    }
}

/// The signed-in user as the pages need them: what they may see, the token that forms which
/// change state must carry, and their time zone.
struct SessionView {
    var session: ViewerSession
    var csrfToken: String
    var time: TimeDisplay
    /// Path and query of the page, for forms that come back to it.
    var here: String
}
