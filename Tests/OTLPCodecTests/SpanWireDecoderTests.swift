import Foundation
import SwiftProtobuf
import Testing
@testable import OTLPCodec
import TestSupport

/// The direct span decoder gives swift-protobuf's value for every span it takes, and leaves every
/// other span (and every malformed one) to swift-protobuf.
@Suite struct SpanWireDecoderTests {
    let maxDepth = DecodingLimits().maxNestingDepth

    func direct(_ bytes: [UInt8]) -> Span? {
        bytes.withUnsafeBytes { SpanWireDecoder.decode($0, maxDepth: maxDepth, keys: AttributeKeyCache()) }
    }

    func reference(_ bytes: [UInt8]) -> Span? {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = maxDepth
        return try? Span(serializedBytes: bytes, options: options)
    }

    /// Every field of a span, event, link, status and value kind, set to something not default.
    func fullSpan() -> Span {
        var span = OTLP.chatSpan()
        span.traceState = "vendor=é"
        span.parentSpanID = OTLP.id("00f067aa0ba902b7")
        span.flags = 0x301
        span.kind = .client
        span.droppedAttributesCount = 3
        span.droppedEventsCount = 4
        span.droppedLinksCount = 5
        span.attributes += OTLP.attributes([
            "int": OTLP.int(-42), "double": OTLP.double(-0.5), "bool": OTLP.bool(true), "bytes": OTLP.bytes([0, 255]),
            "array": OTLP.array([OTLP.string("a"), OTLP.int(1), OTLP.array([])]),
            "kvlist": OTLP.kvlist(["inner": OTLP.kvlist(["deep": OTLP.string("😀")])]), "empty": AnyValue(),
        ])
        var event = OTLP.event("gen_ai.choice", ["index": OTLP.int(0)])
        event.timeUnixNano = 1_700_000_000_000_000_001
        event.droppedAttributesCount = 1
        span.events = [event, OTLP.event("bare")]
        var link = SpanLink()
        link.traceID = OTLP.id("5b8efff798038103d269b633813fc60d")
        link.spanID = OTLP.id("00f067aa0ba902b8")
        link.traceState = "k=v"
        link.flags = 1
        link.droppedAttributesCount = 2
        link.attributes = OTLP.attributes(["link.kind": OTLP.string("follows")])
        span.links = [link]
        span.status.code = .error
        span.status.message = "rate limited"
        return span
    }

    @Test func everyFieldDecodesAsSwiftProtobufDecodesIt() throws {
        let bytes: [UInt8] = try fullSpan().serializedBytes()
        let decoded = try #require(direct(bytes))
        #expect(decoded == reference(bytes))
        #expect(decoded == fullSpan())
    }

    @Test func anEnumValueNoVersionNamesIsKeptAsUnrecognised() throws {
        var span = OTLP.chatSpan()
        span.kind = .UNRECOGNIZED(9)
        span.status.code = .UNRECOGNIZED(-1)
        let bytes: [UInt8] = try span.serializedBytes()
        #expect(try #require(direct(bytes)) == span)
    }

    /// Unknown fields, a repeated singular field, groups and strindex values are swift-protobuf's.
    @Test(arguments: [
        [0xA8, 0x01, 0x07],        // field 21, varint: unknown to this version
        [0x2A, 0x01, 0x61],        // name a second time
        [0x33, 0x34],              // an empty group, field 6
        [0x4A, 0x02, 0x18, 0x01],  // an attribute by key_strindex
        [0x30, 0x01, 0x30, 0x02],  // kind twice
    ] as [[UInt8]])
    func offThePathSpansAreLeftToSwiftProtobuf(_ extra: [UInt8]) throws {
        let bytes: [UInt8] = try OTLP.chatSpan().serializedBytes() + extra
        #expect(direct(bytes) == nil)
    }

    /// Flipped and cut bytes: whatever the direct decoder takes, swift-protobuf takes too, and the
    /// two agree; it refuses everything swift-protobuf refuses.
    @Test func mutatedSpansDecodeAlikeOrAreLeftToSwiftProtobuf() throws {
        let original: [UInt8] = try fullSpan().serializedBytes()
        var state: UInt64 = 99
        var taken = 0
        for round in 0..<4_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var bytes = original
            let position = Int(state >> 33) % bytes.count
            switch round % 3 {
            case 0: bytes[position] ^= UInt8(truncatingIfNeeded: state >> 13) | 1
            case 1: bytes.removeSubrange(position...)
            default: bytes[position] = UInt8(truncatingIfNeeded: state >> 21)
            }
            guard let decoded = direct(bytes) else { continue }
            taken += 1
            let expected = reference(bytes)
            #expect(expected != nil, "swift-protobuf refuses what the direct decoder took: \(bytes)")
            #expect(decoded == expected, "\(bytes)")
        }
        #expect(taken > 100)
    }

    @Test func invalidUTF8AndDeepNestingAreLeftToSwiftProtobuf() throws {
        var span = OTLP.chatSpan()
        span.name = "x"
        var bytes: [UInt8] = try span.serializedBytes()
        let name = try #require(bytes.firstIndex(of: UInt8(ascii: "x")))
        bytes[name] = 0xFF
        #expect(direct(bytes) == nil)
        #expect(reference(bytes) == nil)

        var deep = OTLP.string("leaf")
        for _ in 0..<maxDepth { deep = OTLP.array([deep]) }
        span.attributes = OTLP.attributes(["deep": deep])
        #expect(direct(try span.serializedBytes()) == nil)
    }

    /// Through the decoder the receiver uses: kept spans come out as swift-protobuf's.
    @Test func theExportDecoderGivesTheSameExport() throws {
        let export = OTLP.export(spans: [fullSpan(), OTLP.httpSpan(), OTLP.chatSpan(number: 2)])
        let decoded = try ExportDecoder().decodeTraces(export.protobufBytes(), format: .protobuf, coding: .identity,
                                                       keeping: { $0.starts(with: "gen_ai.".utf8) })
        #expect(decoded.export.resourceSpans[0].scopeSpans[0].spans == [fullSpan(), OTLP.chatSpan(number: 2)])
        #expect(decoded.skippedSpans == 1)
    }
}
