import Foundation
import Testing
import LLMLog

/// The one JSON value, parser and writer that attributes, messages and `logs --json` share.
@Suite struct JSONTests {
    /// The sixteen- and eight-byte searches find the same bytes as a byte-by-byte one, wherever they fall.
    @Test func theEscapeSearchFindsEveryByteThatNeedsOne() {
        var state: UInt64 = 12_345
        for length in 0..<70 {
            for _ in 0..<40 {
                let bytes: [UInt8] = (0..<length).map { _ in
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let pick = Int(state >> 58)
                    return pick < 2 ? [0x00, 0x1F, 0x22, 0x5C, 0x20, 0x7F, 0xFF, 0x21][Int(state >> 40) & 7] : UInt8(0x30 + pick)
                }
                let expected = bytes.indices.filter { bytes[$0] < 0x20 || bytes[$0] == 0x22 || bytes[$0] == 0x5C }
                var found: [Int] = []
                bytes.withUnsafeBufferPointer { buffer in
                    var index = JSONEscaping.next(in: buffer, from: 0)
                    while index < buffer.count {
                        found.append(index)
                        index = JSONEscaping.next(in: buffer, from: index + 1)
                    }
                }
                #expect(found == expected, "\(bytes)")
            }
        }
    }

    @Test func objectsAreWrittenWithSortedKeys() throws {
        let value = try JSONParser.parse(Array(#"{"b":1,"a":{"d":[true,null],"c":"x"}}"#.utf8), maxDepth: 10)
        #expect(value.serialized == #"{"a":{"c":"x","d":[true,null]},"b":1}"#)
    }

    @Test func nonFiniteNumbersAreTheProto3Strings() {
        #expect(JSONValue.double(.nan).serialized == #""NaN""#)
        #expect(JSONValue.double(.infinity).serialized == #""Infinity""#)
        #expect(JSONValue.double(-.infinity).serialized == #""-Infinity""#)
        var writer = JSONWriter()
        writer.double(.nan)
        #expect(writer.text == #""NaN""#)
        #expect(JSONValue.double(2.5).serialized == "2.5")
    }

    @Test func controlsAreEscapedAndBigIntegersKeptExactly() throws {
        let text = #"{"n":1700000000123456789,"s":"a\u0001\n\"b"}"#
        let value = try JSONParser.parse(Array(text.utf8), maxDepth: 10)
        #expect(value["n"] == .number("1700000000123456789"))
        #expect(value.serialized == #"{"n":1700000000123456789,"s":"a\u0001\n\"b"}"#)
    }

    @Test func integersAreWrittenAsSwiftPrintsThem() {
        var state: UInt64 = 99
        let random: [Int64] = (0..<200).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int64(bitPattern: state) >> (state >> 58)
        }
        for value in [0, 1, -1, 9, 10, -10, 99, 100, .max, .min, .max - 1, .min + 1] + random {
            var out = JSONWriter()
            out.integer(value)
            #expect(out.text == String(value))
        }
    }

    @Test(arguments: ["", "{", "[1,]", "01", #""\ud800""#, "[1] x"])
    func notJSONIsMalformed(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(text.utf8), maxDepth: 10) }
    }

    @Test func limitsAreKept() {
        #expect(throws: JSONParseError.tooManyValues(limit: 3)) { try JSONParser.parse(Array("[1,2,3]".utf8), maxDepth: 10, maxValues: 3) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(String(repeating: "[", count: 20).utf8), maxDepth: 10) }
        #expect(JSONValue.parse("42", maxDepth: 10) == nil)
        #expect(JSONValue.parse(" [42]", maxDepth: 10) == .array([.number("42")]))
    }

    @Test func hexRoundTrips() {
        #expect(Hex.encode([0x00, 0xab, 0xff]) == "00abff")
        #expect(Hex.decode("00ABff") == [0x00, 0xab, 0xff])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        // Bytes in place spell the same as a sequence, every byte value and length (0, 8, 16: ids).
        for count in [0, 1, 8, 16, 256] {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = bytes.withUnsafeBytes { Hex.encode($0) }
            #expect(text == bytes.map { String(format: "%02x", $0) }.joined())
            #expect(Hex.decode(text) == bytes)
        }
    }
}
