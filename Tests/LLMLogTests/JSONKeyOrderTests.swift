import Testing
import LLMLog

/// Object keys in the order of their UTF-8 bytes, whatever their length or shared prefix.
@Suite struct JSONKeyOrderTests {
    /// Keys that share sixteen bytes and more (where the integer prefixes tie), short keys, a key
    /// that is a prefix of another, non-ASCII keys and repeats.
    static let keys: [String] = {
        var generator = SystemRandomNumberGenerator()
        let stems = ["gen_ai.usage.", "gen_ai.usage.input_tokens", "a", "", "é", "e\u{301}", "z", "gen_ai.usage.output", "llm.token_count."]
        return (0..<400).map { _ in
            stems.randomElement(using: &generator)! + String((0..<Int.random(in: 0...3, using: &generator)).map { _ in "ab.é_".randomElement(using: &generator)! })
        }
    }()

    /// Long lists and the short ones of a span (sorted in place), every length up to 40.
    @Test func sortedIndicesFollowTheBytesThenThePosition() {
        for keys in [Self.keys] + (0...40).map({ Array(Self.keys.prefix($0)) }) {
            let expected = keys.indices.sorted { a, b in
                let (left, right) = (Array(keys[a].utf8), Array(keys[b].utf8))
                return left == right ? a < b : left.lexicographicallyPrecedes(right)
            }
            #expect(JSONKeyOrder.sortedIndices(keys) == expected, "\(keys.count) keys")
        }
    }

    @Test func twoSpellingsOfOneCharacterAreTwoKeys() {
        #expect(JSONKeyOrder.compare("e\u{301}", "\u{e9}") < 0)
        #expect(JSONKeyOrder.compare("\u{e9}", "\u{e9}") == 0)
        #expect(JSONKeyOrder.compare("ab", "abc") < 0)
        #expect(JSONValue.object(["\u{e9}": .number("1"), "e\u{301}": .number("2"), "f": .null]).serialized == "{\"e\u{301}\":2,\"f\":null,\"\u{e9}\":1}")
    }
}
