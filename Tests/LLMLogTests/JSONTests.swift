import Testing
import LLMLog

/// The one JSON value, parser and writer that attributes, messages and `logs --json` share.
@Suite struct JSONTests {
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
    }
}
