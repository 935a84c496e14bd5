#if canImport(Glibc)
import Glibc
#endif
/// Strings from UTF-8 bytes that must be valid, checked the cheap way: the standard library's
/// `String(validating:as:)` is generic and, unspecialised, asks the runtime for type metadata on
/// every call, which cost more than the rest of parsing a message list.
public enum UTF8Text {
    /// The string the bytes spell, or nil when they are not valid UTF-8.
    public static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        // Decoding repairs invalid sequences with U+FFFD, so the bytes were valid exactly when
        // decoding gave them back unchanged: compared by memcmp, which is quicker than asking
        // first whether they are ASCII.
        var copy = text
        return copy.withUTF8 { decoded in
            guard decoded.count == bytes.count else { return false }
            guard let left = decoded.baseAddress, let right = bytes.baseAddress else { return true }
            return memcmp(left, right, bytes.count) == 0
        } ? text : nil
    }

    /// Whether the bytes are valid UTF-8, without keeping a string of them.
    public static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        isASCII(bytes) || string(bytes) != nil
    }

    /// Whether every byte is below 0x80, eight at a time.
    @inlinable
    public static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var index = 0
        var seen: UInt64 = 0
        while index + 8 <= bytes.count {
            seen |= UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            seen |= UInt64(bytes[index])
            index += 1
        }
        return seen & 0x8080_8080_8080_8080 == 0
    }
}
