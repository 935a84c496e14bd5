/// A JSON text being written as UTF-8 bytes. Strings are copied in runs and only the characters
/// JSON requires are escaped: per-character appends to a Swift `String` cost several times more,
/// and every kept span renders its attributes and messages through here.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Empties the text, keeping its memory for the next.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    /// Bytes that are already JSON text.
    public mutating func raw(_ text: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: text)
    }

    /// Bytes that are already JSON text.
    public mutating func raw(_ text: [UInt8]) {
        bytes.append(contentsOf: text)
    }

    /// What another writer wrote.
    public mutating func raw(_ other: JSONWriter) {
        bytes.append(contentsOf: other.bytes)
    }

    public mutating func raw(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    public mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    public mutating func string(_ text: String) {
        // Through the borrowed string's view: a `var` copy for `withUTF8` retained and released it.
        if text.utf8.withContiguousStorageIfAvailable({ string($0) }) == nil {
            Array(text.utf8).withUnsafeBufferPointer { string($0) }
        }
    }

    /// A string given as its UTF-8 bytes.
    private mutating func string(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        var index = JSONEscaping.next(in: utf8, from: 0)
        while index < utf8.count {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            escape(utf8[index])
            runStart = index + 1
            index = JSONEscaping.next(in: utf8, from: runStart)
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        bytes.append(UInt8(ascii: "\""))
    }

    /// An integer in decimal, written in place: `String(value)` allocated a string per number.
    public mutating func integer(_ value: Int64) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var magnitude = value.magnitude
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// A finite number as Swift prints it (valid JSON); NaN and the infinities as proto3 JSON strings.
    public mutating func double(_ number: Double) {
        if number.isFinite { raw(number.description) } else { string(Self.nonFiniteName(number)) }
    }

    static func nonFiniteName(_ number: Double) -> String {
        number.isNaN ? "NaN" : (number > 0 ? "Infinity" : "-Infinity")
    }

    private mutating func escape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        }
    }
}
