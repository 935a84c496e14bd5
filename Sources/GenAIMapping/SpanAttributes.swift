import Foundation
import LLMLog
import OTLPCodec

/// A span's attributes and events, looked up by the sources in `FieldSources`.
struct SpanAttributes {
    let span: Span
    /// The attributes, scanned in order: a span has tens of them, so comparing
    /// a key's print first and its text only when the prints agree costs less than hashing every
    /// key into a dictionary (which was a tenth of mapping a span).
    private let attributes: [KeyValue]
    /// The keys' prints and filter, and where each column's sources are among them. Most lookups
    /// are of another dialect's keys, absent here: the filter answers most of them without a scan.
    private let keys: AttributeKeys

    /// `keys`: those of `span`'s attributes, when already worked out (`AttributeKeys.Memo`).
    init(_ span: Span, keys: AttributeKeys? = nil) {
        self.span = span
        attributes = span.attributes
        self.keys = keys ?? AttributeKeys(of: attributes)
    }

    /// The first attribute of this key that holds a value.
    subscript(key: String) -> AnyValue? {
        let print = KeyPrint(key)
        guard keys.filter.mayHold(print.filterBit) else { return nil }
        let prints = keys.prints
        for index in prints.indices where prints[index] == print && attributes[index].key == key {
            // Read once: the generated `value` accessor hands out a copy each time.
            let value = attributes[index].value
            if value.value != nil { return value }
        }
        return nil
    }

    func value(_ source: ValueSource) -> AnyValue? {
        switch source {
        case .attribute(let key):
            return self[key]
        case .event(let name, let key):
            for event in span.events where event.name == name {
                if let attribute = event.attributes.first(where: { $0.key == key }), attribute.value.value != nil {
                    return attribute.value
                }
            }
            return nil
        case .json(let key, let path):
            guard case .stringValue(let text)? = self[key]?.value else { return nil }
            return Self.member(of: text, at: path)
        }
    }

    /// MLflow writes every attribute as JSON text (`"\"CHAT_MODEL\""`, `{"input_tokens": 21}`):
    /// the value at `path` inside it, as an attribute value.
    private static func member(of text: String, at path: [String]) -> AnyValue? {
        var current: JSONValue
        if let document = JSONValue.parse(text) {
            current = document
        } else if path.isEmpty, let quoted = try? JSONParser.parse(Array(text.utf8), maxDepth: 1), case .string = quoted {
            current = quoted
        } else {
            return nil
        }
        for key in path {
            guard let next = current[key] else { return nil }
            current = next
        }
        var value = AnyValue()
        switch current {
        case .string(let string): value.value = .stringValue(string)
        case .number(let number):
            if let integer = Int64(number) { value.value = .intValue(integer) } else if let double = Double(number) { value.value = .doubleValue(double) }
        case .bool(let flag): value.value = .boolValue(flag)
        case .null: return nil
        case .array, .object: value.value = .stringValue(current.serialized)
        }
        return value.value == nil ? nil : value
    }

    /// The values of `list`'s sources that the span holds, in order, until `take` takes one.
    private func first<T>(_ list: SourceList, _ take: (AnyValue) -> T?) -> T? {
        first(list) { value, _ in take(value) }
    }

    /// `first`, `take` also given the position in `list` of the source that holds the value.
    func first<T>(_ list: SourceList, _ take: (AnyValue, Int) -> T?) -> T? {
        for step in keys.steps(for: list) {
            switch step {
            case .attribute(let source, let holders):
                for index in holders {
                    // Read once: the generated `value` accessor hands out a copy each time.
                    let value = attributes[index].value
                    guard value.value != nil else { continue }
                    if let taken = take(value, source) { return taken }
                    break
                }
            case .general(let source):
                if let value = value(list.sources[source]), let taken = take(value, source) { return taken }
            }
        }
        return nil
    }

    func first(_ list: SourceList) -> AnyValue? {
        first(list) { $0 }
    }

    func firstText(_ list: SourceList) -> String? {
        first(list)?.textValue
    }

    /// The first source that holds an integer (an int, an integral double, or a decimal string).
    func firstNumber(_ list: SourceList) -> Double? {
        first(list) { $0.numberValue }
    }

    func firstInteger(_ list: SourceList) -> Int64? {
        first(list) { $0.integerValue }
    }

    /// Attributes under `prefix` (`gen_ai.prompt.0.role` …) with the prefix removed, in span order.
    func attributes(under prefix: String) -> [(key: Substring, value: AnyValue)] {
        span.attributes.compactMap { attribute in
            guard attribute.key.hasPrefix(prefix), attribute.key.count > prefix.count else { return nil }
            return (attribute.key.dropFirst(prefix.count), attribute.value)
        }
    }
}

/// 256 bits, one set for each key's `KeyPrint.filterBit`: a key whose bit is clear is not one of them.
struct KeyFilter {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init(_ prints: [KeyPrint]) {
        for print in prints {
            let bit = UInt64(1) << UInt64(print.filterBit & 63)
            switch print.filterBit >> 6 {
            case 0: words.0 |= bit
            case 1: words.1 |= bit
            case 2: words.2 |= bit
            default: words.3 |= bit
            }
        }
    }

    /// False only when no key of the filter has this bit.
    func mayHold(_ filterBit: UInt8) -> Bool {
        let word = switch filterBit >> 6 {
        case 0: words.0
        case 1: words.1
        case 2: words.2
        default: words.3
        }
        return word & (1 << UInt64(filterBit & 63)) != 0
    }
}

/// A key's length and its last eight bytes, where the keys of one dialect differ
/// (`….input_tokens`, `….output_tokens`): keys whose prints differ are different keys.
struct KeyPrint: Equatable {
    let length: Int
    let tail: UInt64
    init(_ key: String) {
        (length, tail) = key.utf8.withContiguousStorageIfAvailable(Self.print) ?? Self.print(Array(key.utf8))
    }

    /// One of 256 bits, the same for equal keys (`KeyFilter`, `SourceList`).
    var filterBit: UInt8 {
        UInt8(truncatingIfNeeded: ((tail ^ UInt64(truncatingIfNeeded: length)) &* 0x9E37_79B9_7F4A_7C15) >> 56)
    }

    private static func print(_ bytes: UnsafeBufferPointer<UInt8>) -> (Int, UInt64) {
        guard let base = bytes.baseAddress else { return (0, 0) }
        if bytes.count >= 8 { return (bytes.count, UnsafeRawPointer(base + bytes.count - 8).loadUnaligned(as: UInt64.self)) }
        return (bytes.count, bytes.reduce(0) { $0 << 8 | UInt64($1) })
    }

    private static func print(_ bytes: [UInt8]) -> (Int, UInt64) {
        bytes.withUnsafeBufferPointer(print)
    }
}

extension AnyValue {
    /// Text for a text column: a string as itself, anything else rendered as JSON.
    var textValue: String? {
        switch value {
        case .stringValue(let text)?: text
        case nil, .stringValueStrindex?: nil
        default: AttributeJSON.value(self)
        }
    }

    /// A finite number from an int, a double or a numeric string.
    var numberValue: Double? {
        let number: Double? = switch value {
        case .intValue(let n)?: Double(n)
        case .doubleValue(let x)?: x
        case .stringValue(let text)?: Double(text.trimmingCharacters(in: .whitespaces))
        default: nil
        }
        return number.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
    }

    var integerValue: Int64? {
        switch value {
        case .intValue(let number)?: number
        case .doubleValue(let number)?:
            number.isFinite && number == number.rounded() && abs(number) < 9.2e18 ? Int64(number) : nil
        case .stringValue(let text)?: Int64(text.trimmingCharacters(in: .whitespaces))
        default: nil
        }
    }
}
