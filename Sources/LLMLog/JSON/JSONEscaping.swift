/// The bytes a JSON string must escape: controls, the quote and the backslash. Searched for eight
/// bytes at a time, since every kept span's text passes here twice (the decoder's bound on what it
/// will store, then the writer) and almost none of it needs escaping.
public enum JSONEscaping {
    /// The index of the first byte from `start` on that needs escaping, or `bytes.count`.
    @inlinable
    public static func next(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        if let base = bytes.baseAddress {
            while index + 8 <= bytes.count {
                let found = escapeMask(UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)))
                // The lowest flag is exact (a borrow only runs upward from a byte that needs escaping),
                // so escape-dense text, message lists inside JSON strings, is not read again byte by byte.
                if found != 0 { return index + found.trailingZeroBitCount >> 3 }
                index += 8
            }
        }
        while index < bytes.count {
            if needsEscape(bytes[index]) { return index }
            index += 1
        }
        return bytes.count
    }

    @inlinable
    public static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// The high bit of each byte of `word` (first byte lowest) that is below 0x20, a quote or a
    /// backslash, by the classic has-zero-byte and has-less-than tests: zero when none is, and
    /// its lowest bit always marks a byte that is; bits above it may be false.
    @inlinable
    static func escapeMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word & highs
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        return control | ((quote &- ones) & ~quote & highs) | ((backslash &- ones) & ~backslash & highs)
    }
}
