/// Lowercase hex, the form of trace and span ids in OTLP/JSON and of key hashes in storage.
public enum Hex {
    /// Any caller's bytes (`Data`, arrays, digests), through the one encoder below; inlinable so
    /// that each caller's sequence gets its own specialised call.
    @inlinable
    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        bytes.withContiguousStorageIfAvailable { encode(UnsafeRawBufferPointer($0)) } ?? Array(bytes).withUnsafeBytes(encode)
    }

    /// Bytes in place (span ids), written into the string's own storage.
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
        var text = text
        return text.withUTF8 { utf8 in
            guard utf8.count % 2 == 0 else { return nil }
            var valid = false
            let bytes = [UInt8](unsafeUninitializedCapacity: utf8.count / 2) { out, count in
                valid = decode(utf8, into: UnsafeMutableRawBufferPointer(out))
                count = valid ? out.count : 0
            }
            return valid ? bytes : nil
        }
    }

    /// Decodes `utf8` into `out`, which holds exactly half as many bytes; false when the text is
    /// not hex digits of that length.
    public static func decode(_ utf8: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableRawBufferPointer) -> Bool {
        guard utf8.count == 2 * out.count else { return false }
        for index in 0..<out.count {
            guard let high = hexDigitValue(utf8[2 * index]), let low = hexDigitValue(utf8[2 * index + 1]) else { return false }
            out[index] = high << 4 | low
        }
        return true
    }
}
