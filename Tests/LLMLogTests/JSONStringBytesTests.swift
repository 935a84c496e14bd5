import Testing
import LLMLog

/// `JSONParser.readString(bytes:)` gives what `readString()` gives, as bytes, and refuses what it refuses.
@Suite struct JSONStringBytesTests {
    func read(_ document: String, skipping: Int = 0) -> (text: String?, then: Bool) {
        Array(document.utf8).withUnsafeBufferPointer { buffer in
            var reader = JSONParser(reading: buffer, maxValues: 100)
            _ = reader.take(UInt8(ascii: "["))
            for _ in 0..<skipping {
                _ = reader.readString()
                _ = reader.take(UInt8(ascii: ","))
            }
            let text = reader.readString(bytes: { String(decoding: $0, as: UTF8.self) })
            return (text, reader.take(UInt8(ascii: ",")) || reader.take(UInt8(ascii: "]")))
        }
    }

    @Test func plainAndEscapedStringsReadAsTheirText() {
        let document = #"["plain key", "esc\"aped\u00e9\n", "", "é😀"]"#
        for (index, expected) in ["plain key", "esc\"apedé\n", "", "é😀"].enumerated() {
            let read = read(document, skipping: index)
            #expect(read.text == expected)
            #expect(read.then, "the reader stands after the string")
        }
    }

    @Test(arguments: ["[12]", "[\"ctl\u{01}\"]", "[\"unterminated", "[\"bad \\x\"]", "[\"\\ud800\"]"])
    func whatReadStringRefusesIsRefused(_ document: String) {
        #expect(read(document).text == nil)
        let text: String? = Array(document.utf8).withUnsafeBufferPointer { buffer in
            var reader = JSONParser(reading: buffer)
            _ = reader.take(UInt8(ascii: "["))
            return reader.readString()
        }
        #expect(text == nil)
    }

    /// Escaped strings are decoded in one reused buffer: each comes out whole and alone, longest
    /// first, and a copy of the reader (a probe) reads the same without disturbing the original.
    @Test func escapedStringsOneAfterAnotherAreEachTheirOwn() {
        let texts = (1...6).reversed().map { String(repeating: "ab\"c\\d\n", count: $0 * 20) } + ["\u{e9}\"", "x"]
        let document = "[" + texts.map { JSONValue.string($0).serialized }.joined(separator: ",") + "]"
        Array(document.utf8).withUnsafeBufferPointer { buffer in
            var reader = JSONParser(reading: buffer)
            _ = reader.take(UInt8(ascii: "["))
            for (offset, text) in texts.enumerated() {
                if offset > 0 { _ = reader.take(UInt8(ascii: ",")) }
                var probe = reader
                #expect(probe.readString() == text)
                #expect(reader.readString() == text)
            }
        }
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x22]
        bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONParser(reading: buffer)
            #expect(reader.readString(bytes: { _ in true }) == nil)
        }
    }

    @Test func eachStringCountsAsAValue() {
        Array(#"["a","b"]"#.utf8).withUnsafeBufferPointer { buffer in
            var reader = JSONParser(reading: buffer, maxValues: 1)
            _ = reader.take(UInt8(ascii: "["))
            #expect(reader.readString(bytes: { $0.count }) == 1)
            _ = reader.take(UInt8(ascii: ","))
            #expect(reader.readString(bytes: { $0.count }) == nil)
        }
    }
}
