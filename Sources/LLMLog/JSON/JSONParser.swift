#if canImport(Glibc)
import Glibc
#endif
/// Why a JSON text could not be parsed.
public enum JSONParseError: Error, Equatable, Sendable {
    /// Not JSON; the text says what and at which byte.
    case malformed(String)
    /// More values than the caller allows.
    case tooManyValues(limit: Int)
}

/// A strict RFC 8259 parser with a nesting limit, so that hostile input cannot overflow the stack.
public struct JSONParser {
    /// The text, borrowed for the parse: reading through a buffer pointer skips the array's
    /// bounds checks and reference counting on every byte.
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    private let maxDepth: Int
    /// Values left before the document is refused: a tree costs far more memory than its text.
    private var valuesLeft: Int
    private let maxValues: Int
    /// Where strings with escapes are decoded, emptied but kept for the next: OTLP/JSON carries
    /// message lists as long strings full of escaped quotes, and a new buffer for each grew
    /// through a reallocation per doubling.
    private var scratch: [UInt8] = []

    public static func parse(_ bytes: [UInt8], maxDepth: Int, maxValues: Int = .max) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in try parse(buffer, maxDepth: maxDepth, maxValues: maxValues) }
    }

    public static func parse(_ text: String, maxDepth: Int, maxValues: Int = .max) throws(JSONParseError) -> JSONValue {
        var text = text
        // `withUTF8` rethrows untyped: carry the typed error out in a Result.
        return try text.withUTF8 { buffer in
            Result { () throws(JSONParseError) in try parse(buffer, maxDepth: maxDepth, maxValues: maxValues) }
        }.get()
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, maxValues: Int = .max) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth, maxValues: maxValues)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.failure("unexpected data after the document") }
        return value
    }

    /// At least as many values as `parse` would build, from one pass over the bytes: the
    /// document, each object member (a `:`) and each array element (after a `[` or an array's
    /// `,`), all outside strings. Lets a whole document's memory be reserved before it is built.
    public static func valueBound(_ bytes: [UInt8]) -> Int {
        var count = 1
        var inString = false
        var escaped = false
        // Whether each open container is an array; a body nested past what fits is refused anyway.
        var arrays: [Bool] = []
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["): count += 1; if arrays.count < 1_024 { arrays.append(true) }
            case UInt8(ascii: "{"): if arrays.count < 1_024 { arrays.append(false) }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): _ = arrays.popLast()
            case UInt8(ascii: ":"): count += 1
            case UInt8(ascii: ","): if arrays.last ?? true { count += 1 }
            default: break
            }
        }
        return count
    }

    /// A parser that its caller drives token by token, for a document of one expected shape
    /// read without building a tree; the caller gives up (and parses the whole) on anything else.
    /// Every value read counts toward `maxValues` and every object and array toward `maxDepth`,
    /// as in `parse`; a read that would cross either fails.
    public init(reading bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = .max, maxValues: Int = .max) {
        self.init(bytes: bytes, maxDepth: maxDepth, maxValues: maxValues)
    }

    /// Whether only whitespace is left.
    public mutating func isAtEnd() -> Bool {
        skipWhitespace()
        return index == bytes.count
    }

    /// Skips whitespace and takes `byte` if it comes next.
    public mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Skips whitespace and tells the byte that comes next, if any.
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    /// Counts one value; false when `maxValues` are spent.
    private mutating func countValue() -> Bool {
        valuesLeft -= 1
        return valuesLeft >= 0
    }

    /// Reads a string; nil when something else comes next or the string is not valid JSON.
    public mutating func readString() -> String? {
        guard peek() == UInt8(ascii: "\""), countValue() else { return nil }
        return try? parseString()
    }

    /// Reads a string and gives its UTF-8 bytes to `use`; nil when something else comes next or the
    /// string is not valid JSON or UTF-8. A string without escapes is given in place, no `String`
    /// made of it: attribute keys, read only to be compared or looked up.
    public mutating func readString<T>(bytes use: (UnsafeBufferPointer<UInt8>) -> T) -> T? {
        guard peek() == UInt8(ascii: "\""), countValue() else { return nil }
        let end = JSONEscaping.next(in: bytes, from: index + 1)
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let text = UnsafeBufferPointer(rebasing: bytes[index + 1..<end])
            guard UTF8Text.isValid(text) else { return nil }
            index = end + 1
            return use(text)
        }
        guard var text = try? parseString() else { return nil }
        return text.withUTF8(use)
    }

    /// Reads a string as `readString()` does, setting `escaped` when its text in the document
    /// holds an escape (every escape is longer than what it stands for).
    public mutating func readString(escaped: inout Bool) -> String? {
        guard peek() == UInt8(ascii: "\""), countValue() else { return nil }
        let start = index
        guard let text = try? parseString() else { return nil }
        if index - start != text.utf8.count + 2 { escaped = true }
        return text
    }

    /// Reads a string and appends it to `out` as `JSONWriter.string` writes it; false when
    /// something else comes next or the string is not valid JSON. A string whose escapes are all
    /// of the writer's short forms is copied as it stands, never decoded into a `String`; any other
    /// is decoded and written again, and `rewritten` set.
    public mutating func readString(into out: inout JSONWriter, rewritten: inout Bool) -> Bool {
        guard peek() == UInt8(ascii: "\""), countValue() else { return false }
        let start = index
        var scan = index + 1
        while true {
            let end = JSONEscaping.next(in: bytes, from: scan)
            // Runs end at ASCII bytes, so each is valid UTF-8 on its own or not at all.
            guard UTF8Text.isValid(UnsafeBufferPointer(rebasing: bytes[scan..<end])), end < bytes.count else { return false }
            switch bytes[end] {
            case UInt8(ascii: "\""):
                index = end + 1
                out.raw(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                return true
            case UInt8(ascii: "\\"):
                guard end + 1 < bytes.count else { return false }
                switch bytes[end + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"),
                     UInt8(ascii: "b"), UInt8(ascii: "f"):
                    scan = end + 2
                default:
                    // `\/` or `\u`: the writer spells the character otherwise.
                    guard let text = try? parseString() else { return false }
                    out.string(text)
                    rewritten = true
                    return true
                }
            default:
                return false
            }
        }
    }

    /// Reads a number, as its text.
    public mutating func readNumber() -> String? {
        guard let byte = peek(), byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte),
              countValue() else { return nil }
        return try? parseNumber()
    }

    /// Reads `true` or `false`.
    public mutating func readBool() -> Bool? {
        guard let byte = peek(), byte == UInt8(ascii: "t") || byte == UInt8(ascii: "f"), countValue() else { return nil }
        guard (try? expectLiteral(byte == UInt8(ascii: "t") ? "true" : "false")) != nil else { return nil }
        return byte == UInt8(ascii: "t")
    }

    /// Reads any value and drops it, as `parse` would read it (an OTLP member the caller ignores,
    /// a span the caller skips): checked as strictly and counted alike, but nothing is built.
    public mutating func skipValue() -> Bool {
        skipWhitespace()
        return (try? skipAny()) != nil
    }

    private mutating func skipAny() throws(JSONParseError) {
        guard index < bytes.count else { throw failure("unexpected end of input") }
        valuesLeft -= 1
        guard valuesLeft >= 0 else { throw .tooManyValues(limit: maxValues) }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            try skipContainer(closing: UInt8(ascii: "}")) { (parser: inout JSONParser) throws(JSONParseError) in
                guard parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: "\"") else {
                    throw parser.failure("expected a member name")
                }
                try parser.skipString()
                parser.skipWhitespace()
                guard parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: ":") else { throw parser.failure("expected ':'") }
                parser.index += 1
                parser.skipWhitespace()
                try parser.skipAny()
            }
        case UInt8(ascii: "["):
            try skipContainer(closing: UInt8(ascii: "]")) { (parser: inout JSONParser) throws(JSONParseError) in try parser.skipAny() }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try parseNumber()
        default: throw failure("unexpected character")
        }
    }

    /// An object or array after its opening byte, `element` reading each member or element.
    private mutating func skipContainer(closing: UInt8, _ element: (inout JSONParser) throws(JSONParseError) -> Void) throws(JSONParseError) {
        try enter()
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == closing {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == closing { index += 1; break }
            throw failure(closing == UInt8(ascii: "}") ? "expected ',' or '}'" : "expected ',' or ']'")
        }
        depth -= 1
    }

    /// A string checked as `parseString` checks it (escapes, controls, UTF-8), without building it.
    /// The runs between escapes end at ASCII bytes, so each is valid UTF-8 on its own or not at all.
    private mutating func skipString() throws(JSONParseError) {
        index += 1
        while true {
            let start = index
            index = JSONEscaping.next(in: bytes, from: start)
            let run = UnsafeBufferPointer(rebasing: bytes[start..<index])
            guard UTF8Text.isASCII(run) || UTF8Text.string(run) != nil else { throw failure("invalid UTF-8 in a string") }
            guard index < bytes.count else { throw failure("unterminated string") }
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") { return }
            guard byte == UInt8(ascii: "\\") else { throw failure("control character in a string") }
            guard index < bytes.count else { throw failure("unterminated escape") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                 UInt8(ascii: "r"), UInt8(ascii: "t"): continue
            case UInt8(ascii: "u"): _ = try parseUnicodeEscape()
            default: throw failure("invalid escape")
            }
        }
    }

    /// Reads an object, handing each member's name to `member`, which reads its value.
    public mutating func readObject(_ member: (inout JSONParser, JSONKey) -> Bool) -> Bool {
        guard peek() == UInt8(ascii: "{"), countValue(), (try? enter()) != nil else { return false }
        index += 1
        if !take(UInt8(ascii: "}")) {
            repeat {
                guard peek() == UInt8(ascii: "\""), let key = parseKey(), take(UInt8(ascii: ":")),
                      member(&self, key) else { return false }
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")) else { return false }
        }
        depth -= 1
        return true
    }

    /// A member name without escapes is its bytes in the document (no string is built for it);
    /// one with escapes is decoded.
    private mutating func parseKey() -> JSONKey? {
        let start = index + 1
        let end = JSONEscaping.next(in: bytes, from: start)
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let name = UnsafeBufferPointer(rebasing: bytes[start..<end])
            guard UTF8Text.isASCII(name) || UTF8Text.string(name) != nil else { return nil }
            index = end + 1
            return JSONKey(bytes: name)
        }
        return (try? parseString()).map(JSONKey.init(text:))
    }

    /// Reads an array, `element` reading each element.
    public mutating func readArray(_ element: (inout JSONParser) -> Bool) -> Bool {
        guard peek() == UInt8(ascii: "["), countValue(), (try? enter()) != nil else { return false }
        index += 1
        if !take(UInt8(ascii: "]")) {
            repeat {
                guard element(&self) else { return false }
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "]")) else { return false }
        }
        depth -= 1
        return true
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, maxValues: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.maxValues = maxValues
        self.valuesLeft = maxValues
    }

    private func failure(_ what: String) -> JSONParseError {
        .malformed("\(what) at byte \(index)")
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw failure("unexpected end of input") }
        valuesLeft -= 1
        guard valuesLeft >= 0 else { throw .tooManyValues(limit: maxValues) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw failure("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: String) throws(JSONParseError) {
        let expected = Array(literal.utf8)
        guard index + expected.count <= bytes.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
            throw failure("invalid literal")
        }
        index += expected.count
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        guard depth <= maxDepth else { throw failure("nesting deeper than \(maxDepth) levels") }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        index += 1
        var members: [JSONMembers.Element] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(JSONMembers(keepingLast: members))
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            index += 1
            skipWhitespace()
            members.append((key, try parseValue()))
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; break }
            throw failure("expected ',' or '}'")
        }
        depth -= 1
        return .object(JSONMembers(keepingLast: members))
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; break }
            throw failure("expected ',' or ']'")
        }
        depth -= 1
        return .array(elements)
    }

    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw failure("incomplete number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            guard consumeDigits() > 0 else { throw failure("invalid number") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard consumeDigits() > 0 else { throw failure("invalid number") }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard consumeDigits() > 0 else { throw failure("invalid number") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func consumeDigits() -> Int {
        let start = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        return index - start
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes, so the bytes between the quotes are the string.
        index = JSONEscaping.next(in: bytes, from: start)
        if index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                guard let text = UTF8Text.string(UnsafeBufferPointer(rebasing: bytes[start..<index])) else {
                    throw failure("invalid UTF-8 in a string")
                }
                index += 1
                return text
            }
            if byte < 0x20 { throw failure("control character in a string") }
        }
        // Appended from buffer pointers, not their slices: a slice is copied byte by byte.
        var scalars = scratch
        scratch = []
        defer { scratch = scalars }
        scalars.removeAll(keepingCapacity: true)
        scalars.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while true {
            guard index < bytes.count else { throw failure("unterminated string") }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = scalars.withUnsafeBufferPointer(UTF8Text.string) else {
                    throw failure("invalid UTF-8 in a string")
                }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw failure("unterminated escape") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try parseUnicodeEscape()
                    scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw failure("invalid escape")
                }
            default:
                if byte < 0x20 { throw failure("control character in a string") }
                // Copy the run up to the next quote, backslash or control byte in one step:
                // OTLP/JSON carries message lists as strings full of escaped quotes.
                let end = JSONEscaping.next(in: bytes, from: index + 1)
                scalars.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<end]))
                index = end
            }
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("incomplete \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = hexDigitValue(bytes[index]) else { throw failure("invalid \\u escape") }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func parseUnicodeEscape() throws(JSONParseError) -> Unicode.Scalar {
        let first = try parseHex4()
        if (0xD800...0xDBFF).contains(first) {
            guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw failure("unpaired surrogate")
            }
            index += 2
            let second = try parseHex4()
            guard (0xDC00...0xDFFF).contains(second) else { throw failure("unpaired surrogate") }
            let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            guard let scalar = Unicode.Scalar(combined) else { throw failure("invalid code point") }
            return scalar
        }
        guard let scalar = Unicode.Scalar(first) else { throw failure("unpaired surrogate") }
        return scalar
    }
}

/// The value of one hexadecimal digit, either case.
@inline(__always)
func hexDigitValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// A member name handed to `JSONParser.readObject`'s caller, matched against literals
/// (`case "traceId":`) by comparing bytes. Valid only during the call.
public struct JSONKey {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let decoded: String?

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        decoded = nil
    }

    init(text: String) {
        bytes = UnsafeBufferPointer(start: nil, count: 0)
        decoded = text
    }

    public var text: String { decoded ?? String(decoding: bytes, as: UTF8.self) }

    /// Whether the name held an escape in the document (it was decoded, not read in place).
    public var isEscaped: Bool { decoded != nil }

    public func contains(_ byte: UInt8) -> Bool {
        decoded.map { $0.utf8.contains(byte) } ?? bytes.contains(byte)
    }

    public static func ~= (literal: StaticString, key: JSONKey) -> Bool {
        guard key.decoded == nil, literal.hasPointerRepresentation else { return key.text == literal.description }
        guard literal.utf8CodeUnitCount == key.bytes.count else { return false }
        guard let base = key.bytes.baseAddress else { return true }
        return memcmp(literal.utf8Start, base, key.bytes.count) == 0
    }
}
