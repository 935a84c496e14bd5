import Testing
import LLMLog

/// Objects as ordered members: what a dictionary gave (one value per key, equality in any
/// order), and strings checked for UTF-8 without the generic standard-library path.
@Suite struct JSONMembersTests {
    func parse(_ text: String) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8), maxDepth: 10)
    }

    @Test func aRepeatedKeyKeepsItsLastValueWhenParsed() throws {
        let value = try parse(#"{"a":1,"b":2,"a":3}"#)
        #expect(value["a"] == .number("3"))
        #expect(value.serialized == #"{"a":3,"b":2}"#)
    }

    @Test func builtFromOTLPAttributesTheFirstValueStays() {
        let members = JSONMembers(keepingFirst: [("k", .string("first")), ("k", .string("second"))])
        #expect(members.count == 1)
        #expect(members["k"] == .string("first"))
    }

    @Test func objectsAreEqualInAnyMemberOrder() throws {
        #expect(try parse(#"{"a":1,"b":[true]}"#) == parse(#"{"b":[true],"a":1}"#))
        #expect(try parse(#"{"a":1,"b":2}"#) != parse(#"{"a":1,"c":2}"#))
        #expect(try parse(#"{"a":1}"#) != parse(#"{"a":1,"b":2}"#))
    }

    /// Past sixteen members duplicates are found through a dictionary: a hostile object of many
    /// members still parses to one value per key, keys sorted when written.
    @Test func aLargeObjectWithRepeatedKeysKeepsOneValuePerKey() throws {
        let members = (0..<50_000).map { #""k\#($0 % 20_000)":\#($0)"# }.joined(separator: ",")
        let value = try JSONParser.parse(Array("{\(members)}".utf8), maxDepth: 10)
        guard case .object(let object) = value else { Issue.record("not an object"); return }
        #expect(object.count == 20_000)
        #expect(object["k5"] == .number("40005"))
        #expect(object["k19999"] == .number("39999"))
        #expect(value == (try JSONParser.parse(Array("{\(members)}".utf8), maxDepth: 10)))
    }

    @Test func settingAndRemovingAMemberWorkLikeADictionary() {
        var members: JSONMembers = ["a": .null]
        members["b"] = .bool(true)
        members["a"] = .string("x")
        #expect(members.keys == ["a", "b"])
        #expect(members.removeValue(forKey: "a") == .string("x"))
        members["b"] = nil
        #expect(members.isEmpty)
    }

    /// Decoding repairs invalid UTF-8, sometimes to as many bytes as it had (a truncated 4-byte
    /// sequence becomes one 3-byte U+FFFD): validity is the bytes coming back unchanged.
    @Test(arguments: [[0xF0, 0x9F, 0x98], [0xC3], [0xED, 0xA0, 0x80], [0x61, 0xFF, 0x62]] as [[UInt8]])
    func invalidUTF8InAStringIsRefused(_ bad: [UInt8]) {
        let text = [UInt8(ascii: "\"")] + bad + [UInt8(ascii: "\"")]
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text, maxDepth: 10) }
        #expect(bad.withUnsafeBufferPointer(UTF8Text.string) == nil)
    }

    @Test func validUTF8OfEveryLengthIsKept() throws {
        let text = "ascii é € 😀 done"
        #expect(try parse("\"\(text)\"") == .string(text))
        #expect(Array(text.utf8).withUnsafeBufferPointer(UTF8Text.string) == text)
        #expect(UTF8Text.isASCII(UnsafeBufferPointer(start: nil, count: 0)))
    }

    /// Runs between escapes are copied whole; the string is the same as one read byte by byte.
    @Test func escapedStringsKeepEveryByteBetweenTheEscapes() throws {
        let run = String(repeating: "word ", count: 30)
        let value = try parse(#"["\#(run)\"quoted\" \#(run)\\ \u00e9\n\#(run)"]"#)
        #expect(value == .array([.string("\(run)\"quoted\" \(run)\\ é\n\(run)")]))
    }
}
