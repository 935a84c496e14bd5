/// HTML written by hand, escaped for where it goes: every value from a span passes through
/// `HTML.text` (element content and quoted attribute values alike), never into a script, a style,
/// an unquoted attribute or a URL scheme.
public enum HTML {
    /// Escapes `& < > " '`, which is enough for element content and double- or single-quoted
    /// attribute values.
    public static func text(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// A query string component: everything but unreserved characters percent-encoded.
    public static func queryValue(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// `?a=1&b=2` of the pairs with a value, escaped for a URL and then for an attribute.
    public static func query(_ pairs: [(String, String?)]) -> String {
        let present = pairs.compactMap { name, value in value.flatMap { $0.isEmpty ? nil : "\(name)=\(queryValue($0))" } }
        return present.isEmpty ? "" : text("?" + present.joined(separator: "&"))
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// The frame of every viewer page: one stylesheet, no script, a skip link and the navigation.
struct PageLayout {
    var title: String
    var session: SessionView?

    func render(_ main: String) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.text(title)) · Ingate</title>
            <link rel="stylesheet" href="/ui/style.css">
            <link rel="icon" href="/ui/favicon.svg" type="image/svg+xml">
            </head>
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <header><nav aria-label="Main"><strong>Ingate</strong>
            """
        if let session {
            html += """
                 <a href="/ui/">Calls</a> <a href="/ui/usage">Usage</a>
                <form class="inline" method="post" action="/ui/logout"><input type="hidden" name="csrf" value="\(HTML.text(session.csrfToken))"><button type="submit">Sign out</button></form>
                """
        }
        html += "</nav></header>\n<main id=\"main\">\n<h1>\(HTML.text(title))</h1>\n\(main)\n</main>\n"
        if let session { html += TimeZoneForm(session: session).render() }
        html += "</body>\n</html>\n"
        return html
    }
}
