import Foundation
import Testing
@testable import OTLPCodec
import TestSupport

@Suite struct ExportDecoderTests {
    let decoder = ExportDecoder()
    let sample = OTLP.export(spans: [
        OTLP.chatSpan(),
        OTLP.span("nested", number: 2, parentSpanID: "eee19b7ec3c1b101", attributes: [
            "list": OTLP.array([OTLP.int(1), OTLP.string("two"), OTLP.kvlist(["k": OTLP.bool(true)])]),
            "blob": OTLP.bytes([0, 1, 254, 255]),
            "ratio": OTLP.double(0.25),
            "big": OTLP.int(Int64.max),
        ], events: [OTLP.event("gen_ai.content.prompt", ["gen_ai.prompt": OTLP.string("hi")])]),
        OTLP.httpSpan(),
    ])

    @Test func protobufBodyDecodesToTheSameExport() throws {
        let decoded = try decoder.decodeTraces(sample.protobufBytes(), format: .protobuf, coding: .identity)
        #expect(decoded == sample)
    }

    @Test func otlpJSONBodyDecodesToTheSameExportAsProtobuf() throws {
        let decoded = try decoder.decodeTraces(sample.otlpJSONBytes(), format: .json, coding: .identity)
        #expect(decoded == sample)
    }

    @Test func gzipProtobufAndGzipJSONAreInflated() throws {
        #expect(try decoder.decodeTraces(gzip(sample.protobufBytes()), format: .protobuf, coding: .gzip) == sample)
        #expect(try decoder.decodeTraces(gzip(sample.otlpJSONBytes()), format: .json, coding: .gzip) == sample)
    }

    @Test func gzipBombIsRefusedAtTheInflatedLimit() throws {
        let limited = ExportDecoder(limits: DecodingLimits(maxInflatedBytes: 1 << 20))
        let bomb = gzip([UInt8](repeating: 0, count: 8 << 20))
        #expect(bomb.count < 64 << 10)
        #expect(throws: DecodeError.inflatedTooLarge(limit: 1 << 20)) {
            try limited.decodeTraces(bomb, format: .protobuf, coding: .gzip)
        }
    }

    /// HTTP's `deflate` is a zlib stream, read as the Collector reads it, under the same limit.
    @Test func deflateIsInflatedUnderTheSameLimitAndFramedStrictly() throws {
        #expect(ContentCoding(header: "deflate") == .deflate)
        #expect(try decoder.decodeTraces(deflate(sample.protobufBytes()), format: .protobuf, coding: .deflate) == sample)
        let limited = ExportDecoder(limits: DecodingLimits(maxInflatedBytes: 1 << 20))
        let bomb = deflate([UInt8](repeating: 0, count: 8 << 20))
        #expect(bomb.count < 64 << 10)
        #expect(throws: DecodeError.inflatedTooLarge(limit: 1 << 20)) {
            try limited.decodeTraces(bomb, format: .protobuf, coding: .deflate)
        }
        // Not a zlib stream (a gzip one), and bytes after the stream's end: both malformed.
        #expect(throws: DecodeError.self) { try decoder.decodeTraces(gzip(sample.protobufBytes()), format: .protobuf, coding: .deflate) }
        #expect(throws: DecodeError.self) {
            try decoder.decodeTraces(deflate(sample.protobufBytes()) + [1, 2, 3], format: .protobuf, coding: .deflate)
        }
    }

    @Test func zstdIsDecompressedUnderTheSameLimitAndFramedStrictly() throws {
        #expect(ContentCoding(header: "zstd") == .zstd)
        let body = sample.protobufBytes()
        #expect(try decoder.decodeTraces(zstd(body), format: .protobuf, coding: .zstd) == sample)
        // Frames one after another are one body.
        #expect(try decoder.decodeTraces(zstd(Array(body[..<20])) + zstd(Array(body[20...])), format: .protobuf, coding: .zstd) == sample)
        let limited = ExportDecoder(limits: DecodingLimits(maxInflatedBytes: 1 << 20))
        let bomb = zstd([UInt8](repeating: 0, count: 8 << 20))
        #expect(bomb.count < 64 << 10)
        #expect(throws: DecodeError.inflatedTooLarge(limit: 1 << 20)) { try limited.decodeTraces(bomb, format: .protobuf, coding: .zstd) }
        let whole = zstd(body)
        for broken in [Array(whole.dropLast(3)), whole + [1, 2, 3, 4, 5, 6, 7, 8], [], gzip(body)] {
            #expect(throws: DecodeError.self) { try decoder.decodeTraces(broken, format: .protobuf, coding: .zstd) }
        }
    }

    @Test func plainBodyOverTheInflatedLimitIsRefusedToo() {
        let limited = ExportDecoder(limits: DecodingLimits(maxInflatedBytes: 10))
        #expect(throws: DecodeError.inflatedTooLarge(limit: 10)) {
            try limited.decodeTraces([UInt8](repeating: 0x0A, count: 11), format: .protobuf, coding: .identity)
        }
    }

    @Test func escapedTextIsCountedExactlyOnlyWhenSixFoldCouldCrossTheLimit() throws {
        let limited = ExportDecoder(limits: DecodingLimits(maxEscapedBytes: 300_000))
        func export(_ text: String) -> [UInt8] {
            var span = OTLP.chatSpan()
            span.attributes.append(contentsOf: OTLP.attributes(["note": OTLP.string(text)]))
            return OTLP.export(spans: [span]).protobufBytes()
        }
        // 100 000 letters: six times that is over the limit, escaped they stay 100 000.
        #expect(throws: Never.self) { try limited.decodeTraces(export(String(repeating: "a", count: 100_000)), format: .protobuf, coding: .identity) }
        // 100 000 control bytes escape to 600 000.
        #expect(throws: DecodeError.limitExceeded("the spans kept would store over 300000 bytes of escaped text")) {
            try limited.decodeTraces(export(String(repeating: "\u{01}", count: 100_000)), format: .protobuf, coding: .identity)
        }
    }

    @Test func truncatedAndCorruptGzipAreMalformed() {
        let zipped = gzip(sample.protobufBytes())
        for broken in [Array(zipped.prefix(zipped.count / 2)), [0x1f, 0x8b] + [UInt8](repeating: 0x55, count: 40)] {
            #expect {
                try decoder.decodeTraces(broken, format: .protobuf, coding: .gzip)
            } throws: { error in
                guard case DecodeError.malformed(let why) = error else { return false }
                return why.hasPrefix("gzip:")
            }
        }
    }

    @Test func invalidUTF8InAProtobufStringIsMalformedAndSaysSo() {
        // ExportTraceServiceRequest{resource_spans{scope_spans{spans{name = 0xFF 0xFE}}}}
        let span: [UInt8] = [0x2A, 0x02, 0xFF, 0xFE]
        let scopeSpans: [UInt8] = [0x12, UInt8(span.count)] + span
        let resourceSpans: [UInt8] = [0x12, UInt8(scopeSpans.count)] + scopeSpans
        let body: [UInt8] = [0x0A, UInt8(resourceSpans.count)] + resourceSpans
        #expect(throws: DecodeError.malformed("protobuf: a string field in resource_spans[0].scope_spans[0].spans[0] holds invalid UTF-8")) {
            try decoder.decodeTraces(body, format: .protobuf, coding: .identity)
        }
    }

    @Test func garbageIsMalformedProtobuf() {
        #expect(throws: DecodeError.self) {
            try decoder.decodeTraces([0xFF, 0xFF, 0xFF, 0xFF, 0x0F], format: .protobuf, coding: .identity)
        }
    }

    @Test func emptyBodyIsAnEmptyExport() throws {
        #expect(try decoder.decodeTraces([], format: .protobuf, coding: .identity).resourceSpans.isEmpty)
        #expect(try decoder.decodeTraces(Array("{}".utf8), format: .json, coding: .identity).resourceSpans.isEmpty)
    }
}

@Suite struct WireFormatTests {
    @Test(arguments: [
        ("application/x-protobuf", WireFormat.protobuf),
        ("application/json", .json),
        ("application/json; charset=utf-8", .json),
        ("Application/JSON ; charset=UTF-8", .json),
        ("application/protobuf", .protobuf),
    ])
    func mediaTypesAreReadWithoutTheirParameters(header: String, expected: WireFormat) {
        #expect(WireFormat(contentType: header) == expected)
    }

    @Test(arguments: ["text/plain", "application/grpc", "", "application/jsonx"])
    func otherMediaTypesAreRefused(header: String) {
        #expect(WireFormat(contentType: header) == nil)
        #expect(WireFormat(contentType: nil) == nil)
    }

    @Test func contentCodings() {
        #expect(ContentCoding(header: nil) == .identity)
        #expect(ContentCoding(header: "identity") == .identity)
        #expect(ContentCoding(header: "GZIP") == .gzip)
        #expect(ContentCoding(header: "br") == nil)
        #expect(ContentCoding(header: "Deflate") == .deflate)
    }
}

@Suite struct FilteredDecodingTests {
    let export = OTLP.export(spans: [OTLP.httpSpan(number: 1), OTLP.chatSpan(number: 2), OTLP.httpSpan(number: 3), OTLP.chatSpan(number: 4)])
    let keepChat: SpanKeyFilter = { key in key.starts(with: "gen_ai.".utf8) }

    @Test(arguments: [WireFormat.protobuf, .json])
    func onlyTheSpansTheFilterKeepsAreBuilt(format: WireFormat) throws {
        let body = format == .protobuf ? export.protobufBytes() : export.otlpJSONBytes()
        let decoded = try ExportDecoder().decodeTraces(body, format: format, coding: .identity, keeping: keepChat)
        #expect(decoded.skippedSpans == 2)
        let kept = decoded.export.resourceSpans[0].scopeSpans[0].spans
        #expect(kept == [OTLP.chatSpan(number: 2), OTLP.chatSpan(number: 4)])
        #expect(decoded.export.resourceSpans[0].resource == export.resourceSpans[0].resource)
        #expect(decoded.export.resourceSpans[0].scopeSpans[0].scope == export.resourceSpans[0].scopeSpans[0].scope)
    }

    @Test func invalidUTF8InAKeptSpanIsStillMalformed() {
        var span = OTLP.chatSpan()
        span.name = "placeholder-name"
        var body = OTLP.export(spans: [span]).protobufBytes()
        let marker = Array("placeholder-name".utf8)
        let at = (0...(body.count - marker.count)).first { Array(body[$0..<$0 + marker.count]) == marker }!
        body[at] = 0xFF
        let second = OTLP.export(spans: [OTLP.httpSpan(), span])
        var twoSpans = second.protobufBytes()
        let at2 = (0...(twoSpans.count - marker.count)).first { Array(twoSpans[$0..<$0 + marker.count]) == marker }!
        twoSpans[at2] = 0xFF
        #expect(throws: DecodeError.malformed("protobuf: a string field in resource_spans[0].scope_spans[0].spans[0] holds invalid UTF-8")) {
            try ExportDecoder().decodeTraces(body, format: .protobuf, coding: .identity, keeping: keepChat)
        }
        #expect(throws: DecodeError.malformed("protobuf: a string field in resource_spans[0].scope_spans[0].spans[1] holds invalid UTF-8")) {
            try ExportDecoder().decodeTraces(twoSpans, format: .protobuf, coding: .identity, keeping: keepChat)
        }
    }
}
