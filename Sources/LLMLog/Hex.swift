/// Lowercase hex, the form of trace and span ids in OTLP/JSON and of key hashes in storage.
public enum Hex {
    /// Inlinable so that each caller's byte sequence (`Data`, arrays) gets its own loop: unspecialised,
    /// three ids cost a GenAI span 10 000 instructions (`make bench-instructions`).
    @inlinable
    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let digits: StaticString = "0123456789abcdef"
        let count = bytes.underestimatedCount
        return digits.withUTF8Buffer { digits in
            var out: [UInt8] = []
            out.reserveCapacity(count * 2)
            for byte in bytes {
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Bytes in place (span ids), written into the string's own storage: through an array first
    /// cost a second allocation per id.
    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        let digits: StaticString = "0123456789abcdef"
        return digits.withUTF8Buffer { digits in
            String(unsafeUninitializedCapacity: bytes.count * 2) { out in
                for (index, byte) in bytes.enumerated() {
                    out[2 * index] = digits[Int(byte >> 4)]
                    out[2 * index + 1] = digits[Int(byte & 0x0F)]
                }
                return bytes.count * 2
            }
        }
    }

    /// Bytes from hex of either case; nil when the text is not an even run of hex digits.
    public static func decode(_ text: String) -> [UInt8]? {
        text.utf8.withContiguousStorageIfAvailable(decode) ?? Array(text.utf8).withUnsafeBufferPointer(decode)
    }

    /// The same from the text's bytes in place (an OTLP/JSON id, read without making a string of it).
    public static func decode(_ utf8: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = hexDigitValue(utf8[index]), let low = hexDigitValue(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
