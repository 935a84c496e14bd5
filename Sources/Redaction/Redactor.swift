import LLMLog

/// Replaces personal data and secrets in text with `[REDACTED:kind]`: e-mail addresses, card
/// numbers (Luhn-checked), IBANs (mod-97-checked), phone numbers in international (`+…`),
/// bracketed-area or NANP (`555-123-4567`) form, API keys of the well-known vendors' formats and
/// bearer tokens. Patterns that cannot tell a number from an id are kept narrow on purpose: a
/// date, a UUID or a token count is left alone. Pure: no I/O.
public enum Redactor {
    public enum Kind: String, CaseIterable, Sendable {
        case email, card, iban, phone, apiKey = "api_key", bearer
    }

    /// `text` with every match replaced; the text itself when nothing matched.
    public static func redact(_ text: String) -> String {
        // Most strings hold none of these: a cheap look for their tell-tale characters first.
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "@") || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
            || text.contains("earer") else { return text }
        var out = text
        out = out.replacing(bearer) { _ in "Bearer [REDACTED:bearer]" }
        out = out.replacing(apiKey) { _ in "[REDACTED:api_key]" }
        out = out.replacing(email) { _ in "[REDACTED:email]" }
        out = out.replacing(iban) { match in isIBAN(String(match.output)) ? "[REDACTED:iban]" : String(match.output) }
        out = out.replacing(card) { match in luhn(String(match.output)) ? "[REDACTED:card]" : String(match.output) }
        out = out.replacing(phone) { _ in "[REDACTED:phone]" }
        return out
    }

    /// Every string inside a JSON value redacted (object keys too, which a tool's arguments may use
    /// for data).
    public static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): .string(redact(text))
        case .array(let items): .array(items.map(redact))
        case .object(let members):
            .object(JSONMembers(keepingFirst: members.map { (redact($0.key), redact($0.value)) }))
        case .null, .bool, .number: value
        }
    }

    /// Text that holds JSON (a canonical message list, an attribute object) has its strings
    /// redacted and is written again; other text is redacted as text.
    public static func redactText(_ text: String, maxDepth: Int = 64) -> String {
        if let parsed = JSONValue.parse(text, maxDepth: maxDepth) { return redact(parsed).serialized }
        return redact(text)
    }

    nonisolated(unsafe) static let bearer = /(?i)\bbearer\s+[A-Za-z0-9._~+\/=-]{8,}/
    nonisolated(unsafe) static let apiKey = /\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{30,}|\bAIza[0-9A-Za-z_-]{35}\b|\bxox[abprs]-[A-Za-z0-9-]{10,}|\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/
    nonisolated(unsafe) static let email = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/
    nonisolated(unsafe) static let iban = /\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/
    nonisolated(unsafe) static let card = /\b[0-9](?:[ -]?[0-9]){12,18}\b/
    nonisolated(unsafe) static let phone = /\+[0-9]{1,3}[ .-]?(?:\([0-9]{1,4}\)[ .-]?)?[0-9](?:[ .-]?[0-9]){5,13}\b|\([0-9]{2,4}\)[ .-]?[0-9]{3,4}[ .-]?[0-9]{3,4}\b|\b[0-9]{3}[.-][0-9]{3}[.-][0-9]{4}\b/

    /// The Luhn checksum of the digits of `text` (13 to 19 of them).
    static func luhn(_ text: String) -> Bool {
        let digits = text.compactMap(\.wholeNumberValue)
        guard (13...19).contains(digits.count) else { return false }
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            let doubled = offset % 2 == 1 ? digit * 2 : digit
            sum += doubled > 9 ? doubled - 9 : doubled
        }
        return sum % 10 == 0
    }

    /// ISO 13616: the country and check digits moved to the end, letters as 10…35, mod 97 is 1.
    static func isIBAN(_ text: String) -> Bool {
        let compact = text.filter { $0 != " " }
        guard (15...34).contains(compact.count) else { return false }
        let rearranged = compact.dropFirst(4) + compact.prefix(4)
        var remainder = 0
        for character in rearranged {
            guard let value = character.wholeNumberValue ?? character.asciiValue.map({ Int($0) - 55 }), value >= 0, value < 36 else { return false }
            remainder = (value < 10 ? remainder * 10 + value : remainder * 100 + value) % 97
        }
        return remainder == 1
    }
}
