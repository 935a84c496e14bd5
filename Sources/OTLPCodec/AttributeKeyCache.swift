import Foundation
import LLMLog

/// The long attribute keys one export has spelled so far. Every call of an export repeats the same
/// keys (`gen_ai.usage.input_tokens` …): kept here, each is validated, allocated and freed once per
/// export instead of once per span, and equal keys then compare by identity.
/// One per export and one thread: a class, so that the span decoders share it without copying.
final class AttributeKeyCache {
    /// Keys up to this many bytes are held inside the `String` value itself: nothing to share.
    private static let inline = 15
    private static let slotCount = 128
    /// Per slot, its key's last eight bytes mixed with its length (0: empty), then the key. Fixed
    /// buffers, not arrays: every access to a class's `var` is checked for exclusivity at run time,
    /// which cost more than the lookup.
    private let prints = UnsafeMutablePointer<UInt64>.allocate(capacity: slotCount)
    private let keys = UnsafeMutablePointer<String>.allocate(capacity: slotCount)

    init() {
        prints.initialize(repeating: 0, count: Self.slotCount)
        keys.initialize(repeating: "", count: Self.slotCount)
    }

    deinit {
        keys.deinitialize(count: Self.slotCount)
        keys.deallocate()
        prints.deallocate()
    }

    /// The key the bytes spell, or nil when they are not valid UTF-8.
    func key(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count > Self.inline, let base = bytes.baseAddress else { return UTF8Text.string(bytes) }
        // Keys of one dialect differ at their end (`….input_tokens`, `….output_tokens`).
        let tail = UnsafeRawPointer(base + bytes.count - 8).loadUnaligned(as: UInt64.self)
        let print = (tail ^ UInt64(bytes.count) << 56) | 1
        let home = Int(truncatingIfNeeded: (print &* 0x9E37_79B9_7F4A_7C15) >> 57)
        // Two slots per key, so that two keys of one export that land on one slot do not evict
        // each other span after span.
        if let known = known(at: home, print, bytes) ?? known(at: home ^ 1, print, bytes) { return known }
        guard let key = UTF8Text.string(bytes) else { return nil }
        let slot = prints[home] == 0 || prints[home ^ 1] != 0 ? home : home ^ 1
        prints[slot] = print
        keys[slot] = key
        return key
    }

    private func known(at slot: Int, _ print: UInt64, _ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard prints[slot] == print else { return nil }
        let same = keys[slot].utf8.withContiguousStorageIfAvailable { known in
            known.count == bytes.count && memcmp(known.baseAddress!, bytes.baseAddress!, bytes.count) == 0
        }
        return same == true ? keys[slot] : nil
    }
}
