#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// The bytes a JSON string must escape: controls, the quote and the backslash. Searched for sixteen
/// bytes at a time (SSE2, part of every x86-64) or eight (a word elsewhere), since every kept
/// span's text passes here several times (parsed, compared with its column, written) and almost
/// none of it needs escaping.
public enum JSONEscaping {
    /// The index of the first byte from `start` on that needs escaping, or `bytes.count`.
    @inlinable
    public static func next(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        if let base = bytes.baseAddress {
            #if arch(x86_64)
            while index + 16 <= bytes.count {
                let found = escapeMask16(UnsafeRawPointer(base + index))
                if found != 0 { return index + found.trailingZeroBitCount }
                index += 16
            }
            #endif
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

    #if arch(x86_64)
    /// Bit i set when byte i of the sixteen at `bytes` needs escaping; a byte is below 0x20 when
    /// its unsigned minimum with 0x1F is itself.
    @inlinable @inline(__always)
    static func escapeMask16(_ bytes: UnsafeRawPointer) -> Int32 {
        let word = _mm_loadu_si128(bytes.assumingMemoryBound(to: __m128i.self))
        let quote = _mm_cmpeq_epi8(word, _mm_set1_epi8(0x22))
        let backslash = _mm_cmpeq_epi8(word, _mm_set1_epi8(0x5C))
        let control = _mm_cmpeq_epi8(_mm_min_epu8(word, _mm_set1_epi8(0x1F)), word)
        return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control))
    }
    #endif

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
