import Foundation

/// The order of object keys in every JSON text Ingate writes: by their UTF-8 bytes, which is
/// code-point order (as Python's `sort_keys` and PostgreSQL's `ORDER BY ... COLLATE "C"` give it).
/// Keys are compared as the bytes they came as: Swift's `String` comparison would treat two
/// spellings of "é" as one key and costs several times more per comparison.
public enum JSONKeyOrder {
    /// Negative, zero or positive as `left`'s bytes sort before, equal or after `right`'s.
    public static func compare(_ left: String, _ right: String) -> Int {
        // The views of borrowed strings: a `var` copy for `withUTF8` would retain both.
        let order = left.utf8.withContiguousStorageIfAvailable { a in
            right.utf8.withContiguousStorageIfAvailable { b in compare(a, b) }
        }
        return (order ?? nil) ?? compare(Array(left.utf8), Array(right.utf8))
    }

    private static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let shared = min(a.count, b.count)
        if shared > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let order = memcmp(pa, pb, shared)
            if order != 0 { return Int(order) }
        }
        return a.count - b.count
    }

    private static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in compare(a, b) } }
    }

    /// The positions of `keys` in this order, a repeated key's first position first. Each key's
    /// first sixteen bytes are read once into integers, so that most comparisons are two integer
    /// comparisons, not two strings' (which retain both and cost most of writing a span's attributes).
    public static func sortedIndices(_ keys: [String]) -> [Int] {
        // Each key's prefix sorted along with its position, so a comparison reads one element.
        var entries = keys.indices.map { (prefix: Prefix(keys[$0]), index: $0) }
        entries.sort { left, right in
            if left.prefix != right.prefix { return left.prefix < right.prefix }
            if !left.prefix.isWhole {
                let order = compare(keys[left.index], keys[right.index])
                if order != 0 { return order < 0 }
            }
            return left.index < right.index
        }
        return entries.map(\.index)
    }

    /// A key's first sixteen bytes, big-endian so that integer order is byte order, and its length
    /// when that is at most sixteen (the prefix is then the whole key).
    private struct Prefix: Equatable {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var shortLength: Int

        init(_ key: String) {
            shortLength = 17
            let read = key.utf8.withContiguousStorageIfAvailable { bytes in self = Prefix(bytes) }
            if read == nil { self = Array(key.utf8).withUnsafeBufferPointer(Prefix.init) }
        }

        private init(_ bytes: UnsafeBufferPointer<UInt8>) {
            shortLength = bytes.count <= 16 ? bytes.count : 17
            guard let base = UnsafeRawPointer(bytes.baseAddress) else { return }
            if bytes.count >= 16 {
                high = UInt64(bigEndian: base.loadUnaligned(as: UInt64.self))
                low = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                return
            }
            for offset in 0..<bytes.count {
                let byte = UInt64(bytes[offset])
                if offset < 8 { high |= byte << (56 - 8 * offset) } else { low |= byte << (120 - 8 * offset) }
            }
        }

        var isWhole: Bool { shortLength <= 16 }

        static func < (left: Prefix, right: Prefix) -> Bool {
            (left.high, left.low, left.shortLength) < (right.high, right.low, right.shortLength)
        }
    }

    public static func precedes(_ left: String, _ right: String) -> Bool {
        compare(left, right) < 0
    }
}
