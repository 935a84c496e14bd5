import Foundation
import LLMLog

/// The long attribute keys one export has spelled so far. Every call of an export repeats the same
/// keys (`gen_ai.usage.input_tokens` …): kept here, each is validated, allocated and freed once per
/// export instead of once per span, and equal keys then compare by identity.
/// One per export and one thread: a class, so that the span decoders share it without copying.
final class AttributeKeyCache {
    /// Keys up to this many bytes are held inside the `String` value itself: nothing to share.
    private static let inline = 15
    private var slots = [String?](repeating: nil, count: 64)

    /// The key the bytes spell, or nil when they are not valid UTF-8.
    func key(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count > Self.inline, let base = bytes.baseAddress else { return UTF8Text.string(bytes) }
        // Keys of one dialect differ at their end (`….input_tokens`, `….output_tokens`).
        let tail = UnsafeRawPointer(base + bytes.count - 8).loadUnaligned(as: UInt64.self)
        let slot = Int(truncatingIfNeeded: ((tail ^ UInt64(bytes.count)) &* 0x9E37_79B9_7F4A_7C15) >> 58)
        if var known = slots[slot], known.withUTF8({ $0.count == bytes.count && memcmp($0.baseAddress!, base, bytes.count) == 0 }) {
            return known
        }
        guard let key = UTF8Text.string(bytes) else { return nil }
        slots[slot] = key
        return key
    }
}
