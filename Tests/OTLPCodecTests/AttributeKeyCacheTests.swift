import Foundation
import Testing
@testable import OTLPCodec

/// The key cache gives back the key the bytes spell, whatever it held before, and one string for
/// a long key seen again.
@Suite struct AttributeKeyCacheTests {
    func key(_ cache: AttributeKeyCache, _ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { cache.key($0) }
    }

    func storage(_ text: String) -> UnsafePointer<UInt8>? {
        var text = text
        return text.withUTF8 { $0.baseAddress }
    }

    /// Hundreds of keys of every length through 64 slots: many share a slot and replace each other.
    @Test func everyKeyComesBackAsItsOwnBytes() {
        let cache = AttributeKeyCache()
        let keys = (0..<400).map { "gen_ai.attribute.\(String(repeating: "x", count: $0 % 23)).\($0)" } + ["", "a", "é", "😀 key"]
        for _ in 0..<2 {
            for key in keys {
                #expect(self.key(cache, Array(key.utf8)) == key)
            }
        }
    }

    /// Keys one bit apart, anywhere, are different keys.
    @Test func keysThatDifferInOneBitAreApart() {
        let cache = AttributeKeyCache()
        let key = Array("gen_ai.request.model.x".utf8)
        for index in key.indices {
            for bit in 0..<6 {
                var other = key
                other[index] ^= 1 << bit
                guard other[index] >= 0x20, other[index] < 0x80 else { continue }
                #expect(self.key(cache, key) == String(decoding: key, as: UTF8.self))
                #expect(self.key(cache, other) == String(decoding: other, as: UTF8.self))
            }
        }
    }

    @Test func aLongKeySeenAgainIsTheSameString() throws {
        let cache = AttributeKeyCache()
        let first = try #require(key(cache, Array("gen_ai.usage.input_tokens".utf8)))
        let other = try #require(key(cache, Array("gen_ai.usage.output_tokens".utf8)))
        let again = try #require(key(cache, Array("gen_ai.usage.input_tokens".utf8)))
        #expect(again == first && other == "gen_ai.usage.output_tokens")
        #expect(storage(again) == storage(first))
    }

    @Test func invalidUTF8IsNoKeyAndCachesNothing() {
        let cache = AttributeKeyCache()
        let invalid: [UInt8] = Array("gen_ai.request.model".utf8) + [0xFF]
        #expect(key(cache, invalid) == nil)
        #expect(key(cache, invalid) == nil)
        #expect(key(cache, [0xC3]) == nil)
        #expect(key(cache, Array("gen_ai.request.model".utf8)) == "gen_ai.request.model")
    }
}
