import LLMLog

/// Column values to and from libpq's text form. PostgreSQL keeps no NUL in text and no `\u0000`
/// in jsonb, which SQLite and OTLP allow: both become U+FFFD, the replacement character.
enum PostgresValues {
    static func parameter(_ value: ColumnValue, json: Bool) -> String? {
        switch value {
        case .null: nil
        case .text(let text): json ? self.json(text) : self.text(text)
        case .integer(let number): String(number)
        case .real(let number): number.isNaN ? "NaN" : number == .infinity ? "Infinity" : number == -.infinity ? "-Infinity" : "\(number)"
        }
    }

    static func text(_ text: String) -> String {
        text.utf8.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
    }

    /// JSON text with every `\u0000` escape (not an escaped backslash before `u0000`) replaced.
    static func json(_ text: String) -> String {
        let clean = self.text(text)
        guard clean.contains("\\u0000") else { return clean }
        var out = ""
        out.reserveCapacity(clean.utf8.count)
        var iterator = clean.makeIterator()
        while let character = iterator.next() {
            guard character == "\\", let escaped = iterator.next() else {
                out.append(character)
                continue
            }
            guard escaped == "u" else {
                out.append(character)
                out.append(escaped)
                continue
            }
            let hex = String((0..<4).compactMap { _ in iterator.next() })
            out += hex == "0000" ? "\\ufffd" : "\\u" + hex
        }
        return out
    }

    static func value(_ text: String?, kind: LLMLogColumn.Kind) -> ColumnValue {
        guard let text else { return .null }
        switch kind {
        case .text: return .text(text)
        case .json: return .text(normalizedJSON(text))
        case .integer: return Int64(text).map(ColumnValue.integer) ?? .null
        case .real: return Double(text).map(ColumnValue.real) ?? .null
        }
    }

    /// jsonb comes back with spaces and its own key order: written again as Ingate writes JSON
    /// (compact, keys sorted), so that both backends give the same text.
    static func normalizedJSON(_ text: String) -> String {
        JSONValue.parse(text, maxDepth: 512)?.serialized ?? text
    }
}
