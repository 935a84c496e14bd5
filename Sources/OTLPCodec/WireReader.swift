import Foundation
import LLMLog

/// Reads protobuf wire format from a borrowed buffer; every read returns nil at malformed or
/// truncated framing.
struct WireReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index: Int
    let end: Int

    var atEnd: Bool { index >= end }

    /// The next field's number and wire type; nil for field 0 and for groups.
    mutating func tag() -> (UInt64, UInt64)? {
        guard let tag = varint() else { return nil }
        let field = tag >> 3
        let wire = tag & 7
        guard field > 0, wire != 3, wire != 4 else { return nil }
        return (field, wire)
    }

    /// The next field's number and, when length-delimited, its payload, moving past it; nil at the
    /// end and at framing it cannot step over (groups, truncation).
    mutating func field() -> (number: UInt64, payload: Range<Int>?)? {
        guard !atEnd, let tag = varint() else { return nil }
        switch tag & 7 {
        case 0: return varint().map { _ in (tag >> 3, nil) }
        case 1: return skip(8) ? (tag >> 3, nil) : nil
        case 2: return payload().map { (tag >> 3, $0) }
        case 5: return skip(4) ? (tag >> 3, nil) : nil
        default: return nil
        }
    }

    private mutating func skip(_ count: Int) -> Bool {
        guard end - index >= count else { return false }
        index += count
        return true
    }

    @inline(__always)
    mutating func varint() -> UInt64? {
        // Tags and most lengths and counts are below 128: one byte.
        if index < end, bytes[index] < 0x80 {
            defer { index += 1 }
            return UInt64(bytes[index])
        }
        return longVarint()
    }

    private mutating func longVarint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        // Ten bytes at most, bits past 64 dropped, as swift-protobuf reads them.
        while index < end, shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    mutating func fixed64() -> UInt64? {
        guard end - index >= 8 else { return nil }
        defer { index += 8 }
        return UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self))
    }

    mutating func fixed32() -> UInt32? {
        guard end - index >= 4 else { return nil }
        defer { index += 4 }
        return UInt32(littleEndian: UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt32.self))
    }

    /// The byte range of a length-delimited field, moving past it.
    mutating func payload() -> Range<Int>? {
        guard let length = varint(), length <= UInt64(end - index) else { return nil }
        let range = index..<index + Int(length)
        index = range.upperBound
        return range
    }

    mutating func string() -> String? {
        guard let range = payload() else { return nil }
        return UTF8Text.string(UnsafeBufferPointer(rebasing: bytes[range]))
    }

    mutating func data() -> Data? {
        guard let range = payload() else { return nil }
        return Data(UnsafeBufferPointer(rebasing: bytes[range]))
    }
}
