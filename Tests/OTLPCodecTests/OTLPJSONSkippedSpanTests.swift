import Foundation
import LLMLog
import Testing
@testable import OTLPCodec
import TestSupport

/// OTLP/JSON spans the filter does not keep are read as JSON but not built: the kept spans are
/// those the tree's decoder keeps, skipped spans are counted, and a body that is not JSON is still
/// refused, wherever the fault is.
@Suite struct OTLPJSONSkippedSpanTests {
    let keepChat: SpanKeyFilter = { key in key.starts(with: "gen_ai.".utf8) }

    /// GenAI keys first, last and alone; escapes, non-ASCII text and nested values in skipped spans.
    func export() -> TraceExportRequest {
        var late = OTLP.httpSpan(number: 3)
        late.attributes += OTLP.attributes(["gen_ai.system": OTLP.string("openai")])
        var escaped = OTLP.httpSpan(number: 4)
        escaped.attributes += OTLP.attributes([
            "db.query.text": OTLP.string("SELECT \"é\" \\ \n\u{1} 😀"), "nested": OTLP.kvlist(["k": OTLP.array([OTLP.int(1), OTLP.bool(true)])]),
        ])
        escaped.events = [OTLP.event("exception", ["exception.message": OTLP.string("boom \"quoted\"")])]
        return OTLP.export(spans: [OTLP.httpSpan(number: 1), OTLP.chatSpan(number: 2), late, escaped, OTLP.chatSpan(number: 5)])
    }

    @Test func theKeptSpansAreThoseTheTreeKeeps() throws {
        let bytes = export().otlpJSONBytes()
        let decoded = try #require(OTLPJSONDirectDecoder.traces(bytes, limits: DecodingLimits(), keeping: keepChat))
        #expect(decoded.skippedSpans == 2)
        var expected = try OTLPJSONDecoder.treeTraceExport(bytes, limits: DecodingLimits())
        expected.resourceSpans[0].scopeSpans[0].spans.removeAll { span in !span.attributes.contains { $0.key.hasPrefix("gen_ai.") } }
        #expect(decoded.export == expected)
        #expect(decoded.export.resourceSpans[0].scopeSpans[0].spans.map(\.spanID) == [2, 3, 5].map { export().resourceSpans[0].scopeSpans[0].spans[$0 - 1].spanID })
        let all = try ExportDecoder().decodeTraces(bytes, format: .json, coding: .identity, keeping: keepChat)
        #expect(all.export == expected)
        #expect(all.skippedSpans == 2)
    }

    @Test func aSkippedSpanThatIsNotJSONIsStillRefused() throws {
        let body = String(decoding: export().otlpJSONBytes(), as: UTF8.self)
        for broken in [body.replacingOccurrences(of: "\\\"quoted", with: "\\qquoted"),
                       body.replacingOccurrences(of: "\"boom", with: "\"bo\u{1}om"),
                       body.replacingOccurrences(of: "\"exception\"", with: "\"exception\" 1")] {
            #expect(broken != body)
            #expect(OTLPJSONDirectDecoder.traces(Array(broken.utf8), limits: DecodingLimits(), keeping: keepChat) == nil)
            #expect(throws: DecodeError.self) { try ExportDecoder().decodeTraces(Array(broken.utf8), format: .json, coding: .identity, keeping: keepChat) }
        }
        var invalid = Array(body.utf8)
        let at = try #require(invalid.indices.first { invalid[$0] == 0xC3 })
        invalid[at + 1] = 0x28
        #expect(OTLPJSONDirectDecoder.traces(invalid, limits: DecodingLimits(), keeping: keepChat) == nil)
        #expect(throws: DecodeError.self) { try ExportDecoder().decodeTraces(invalid, format: .json, coding: .identity, keeping: keepChat) }
    }

    @Test func skippedSpansCountTowardTheValueLimit() throws {
        let bytes = export().otlpJSONBytes()
        let needed = try #require((1...400).first { OTLPJSONDirectDecoder.traces(bytes, limits: DecodingLimits(maxValues: $0), keeping: nil) != nil })
        #expect(OTLPJSONDirectDecoder.traces(bytes, limits: DecodingLimits(maxValues: needed - 1), keeping: keepChat) == nil)
        #expect(OTLPJSONDirectDecoder.traces(bytes, limits: DecodingLimits(maxValues: needed), keeping: keepChat) != nil)
    }
}

extension DecodedTraces: Equatable {
    public static func == (a: DecodedTraces, b: DecodedTraces) -> Bool { a.export == b.export && a.skippedSpans == b.skippedSpans }
}

/// Skipping a value is exactly as strict as parsing it.
@Suite struct JSONSkipTests {
    @Test(arguments: [
        #"{"a":[1,2.5e3,-0,true,false,null,"x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"],"b":{}}"#, #"[]"#, #""é""#, #"{"a":1,}"#, #"[1 2]"#,
        #""\x""#, #""\ud800""#, #""\u12""#, "\"a\u{1}\"", #"{"a" 1}"#, #"{1:2}"#, #"01"#, #"1."#, #"tru"#, #"[[[[[[]]]]]]"#, #""unterminated"#,
        #"{"k":"v"]"#,
    ])
    func skipAcceptsWhatParseAccepts(_ text: String) {
        let bytes = Array(text.utf8)
        let parsed = (try? JSONParser.parse(bytes, maxDepth: 4)) != nil
        let skipped = bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(reading: buffer, maxDepth: 4)
            return parser.skipValue() && parser.isAtEnd()
        }
        #expect(parsed == skipped)
    }
}
