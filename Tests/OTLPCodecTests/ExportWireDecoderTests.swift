import Foundation
import SwiftProtobuf
import Testing
@testable import OTLPCodec
import TestSupport

/// The in-place walk of an export gives swift-protobuf's value, kept spans only, for every export
/// it takes, and leaves every other export to the lazy decoder.
@Suite struct ExportWireDecoderTests {
    let options: BinaryDecodingOptions = {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = DecodingLimits().maxNestingDepth
        return options
    }()

    /// Two resources, one with two scopes, schema URLs on every level, an empty scope and spans of both kinds.
    func export() -> TraceExportRequest {
        var first = OTLP.export(service: "checkout", spans: [OTLP.httpSpan(number: 1), OTLP.chatSpan(number: 2)], scope: "one")
        first.resourceSpans[0].schemaURL = "https://opentelemetry.io/schemas/1.37.0"
        first.resourceSpans[0].scopeSpans[0].schemaURL = "https://opentelemetry.io/schemas/1.36.0"
        first.resourceSpans[0].scopeSpans[0].scope.version = "1.2.3"
        first.resourceSpans[0].scopeSpans.append(OTLP.export(spans: [OTLP.chatSpan(number: 3)], scope: "two").resourceSpans[0].scopeSpans[0])
        first.resourceSpans[0].scopeSpans.append(ScopeSpans())
        first.resourceSpans.append(OTLP.export(service: "search", spans: [OTLP.chatSpan(number: 4), OTLP.httpSpan(number: 5)]).resourceSpans[0])
        first.resourceSpans.append(ResourceSpans())
        return first
    }

    func isChat(_ span: Span) -> Bool { span.attributes.contains { $0.key.hasPrefix("gen_ai.") } }

    func verdicts(_ export: TraceExportRequest) -> [Bool] {
        export.resourceSpans.flatMap { $0.scopeSpans.flatMap { $0.spans.map(isChat) } }
    }

    @Test func keptSpansDecodeAsSwiftProtobufDecodesThem() throws {
        let export = export()
        let bytes = export.protobufBytes()
        let decoded = try #require(ExportWireDecoder.decode(bytes, keptSpans: verdicts(export), options: options))
        var expected = try TraceExportRequest(serializedBytes: bytes, options: options)
        for r in expected.resourceSpans.indices {
            for s in expected.resourceSpans[r].scopeSpans.indices {
                expected.resourceSpans[r].scopeSpans[s].spans.removeAll { !isChat($0) }
            }
        }
        #expect(decoded.export == expected)
        #expect(decoded.skippedSpans == 2)
        #expect(ExportWireDecoder.decode(bytes, keptSpans: nil, options: options)?.export == export)
    }

    @Test func whatTheWalkDoesNotTakeIsLeftToTheLazyDecoder() throws {
        let bytes = export().protobufBytes()
        // An unknown field at the top level (field 2, a varint), kept by swift-protobuf as unknown.
        #expect(ExportWireDecoder.decode(bytes + [0x10, 0x01], keptSpans: nil, options: options)?.export == nil)
        // A second resource in one ResourceSpans, which swift-protobuf merges into the first.
        #expect(ExportWireDecoder.decode(try twoResources(), keptSpans: nil, options: options)?.export == nil)
        // Verdicts for another number of spans than the export holds.
        #expect(ExportWireDecoder.decode(bytes, keptSpans: [true], options: options)?.export == nil)
        // Truncated framing.
        #expect(ExportWireDecoder.decode(Array(bytes.dropLast()), keptSpans: nil, options: options)?.export == nil)
    }

    @Test func aMergedResourceStillDecodesThroughTheExportDecoder() throws {
        let decoded = try ExportDecoder().decodeTraces(try twoResources(), format: .protobuf, coding: .identity)
        #expect(decoded.resourceSpans[0].resource.droppedAttributesCount == 7)
        #expect(decoded.resourceSpans[0].resource.attributes == OTLP.export(spans: []).resourceSpans[0].resource.attributes)
        #expect(decoded.resourceSpans[0].scopeSpans[0].spans == [OTLP.chatSpan()])
    }

    /// An export whose one ResourceSpans carries a second `resource` field after its spans.
    func twoResources() throws -> [UInt8] {
        var resource = Resource()
        resource.droppedAttributesCount = 7
        let resourceSpans: [UInt8] = try OTLP.export(spans: [OTLP.chatSpan()]).resourceSpans[0].serializedBytes()
        return delimited(1, resourceSpans + delimited(1, try resource.serializedBytes()))
    }

    func delimited(_ field: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        var rest = payload.count
        repeat {
            length.append(UInt8(rest & 0x7F) | (rest > 0x7F ? 0x80 : 0))
            rest >>= 7
        } while rest > 0
        return [field << 3 | 2] + length + payload
    }
}

/// Where the shape check's byte bounds let the decoder skip `DecodingLimits.check`, that check
/// would have passed; near every limit the decoder refuses exactly what the check refuses.
@Suite struct WireLimitBoundTests {
    func export(stringBytes: Int, control: Bool, spans: Int) -> TraceExportRequest {
        let text = String(repeating: control ? "\u{1}" : "a", count: stringBytes)
        return OTLP.export(spans: (0..<spans).map { number in
            var span = OTLP.chatSpan(number: UInt8(number + 1))
            span.attributes += OTLP.attributes(["gen_ai.prompt": OTLP.string(text)])
            return span
        })
    }

    @Test(arguments: [false, true])
    func theDecoderRefusesWhatTheCheckRefuses(control: Bool) throws {
        for (maxString, maxEscaped, maxSpans) in [(300, 1_000_000, 10), (100_000, 3_000, 10), (100_000, 20_000, 10), (100_000, 1_000_000, 2)] {
            let limits = DecodingLimits(maxStringBytes: maxString, maxEscapedBytes: maxEscaped)
            var spanLimits = limits
            spanLimits.maxSpans = maxSpans
            for size in [10, 250, 299, 300, 301, 400, 2_000] {
                for spans in [1, 2, 3] {
                    let body = export(stringBytes: size, control: control, spans: spans).protobufBytes()
                    let full = try TraceExportRequest(serializedBytes: body)
                    let checkRefuses = (try? spanLimits.check(full)) == nil
                    let decoderRefuses = (try? ExportDecoder(limits: spanLimits).decodeTraces(body, format: .protobuf, coding: .identity)) == nil
                    #expect(checkRefuses == decoderRefuses, "size \(size), spans \(spans), limits \(maxString)/\(maxEscaped)/\(maxSpans)")
                }
            }
        }
    }

    /// A JSON body no longer than the string limit and a sixth of the escaped one is not measured
    /// again after decoding; either way the refusals must be those of the full check.
    @Test(arguments: [false, true])
    func theJSONDecoderRefusesWhatTheCheckRefuses(control: Bool) throws {
        for (maxString, maxEscaped, maxSpans) in [(300, 1_000_000, 10), (4_000, 24_000, 10), (8_000, 6_000, 10), (100_000, 1_000_000, 2)] {
            var limits = DecodingLimits(maxStringBytes: maxString, maxEscapedBytes: maxEscaped)
            limits.maxSpans = maxSpans
            for size in [10, 250, 299, 300, 301, 400, 999, 1_000, 1_001, 2_000] {
                for spans in [1, 2, 3] {
                    let body = export(stringBytes: size, control: control, spans: spans).otlpJSONBytes()
                    let full = try ExportDecoder().decodeTraces(body, format: .json, coding: .identity)
                    let checkRefuses = (try? limits.check(full)) == nil
                    let decoderRefuses = (try? ExportDecoder(limits: limits).decodeTraces(body, format: .json, coding: .identity)) == nil
                    #expect(checkRefuses == decoderRefuses, "size \(size), spans \(spans), body \(body.count), limits \(maxString)/\(maxEscaped)/\(maxSpans)")
                }
            }
        }
    }

    @Test func withinTheBoundsTheCheckIsProvedOnTheWire() throws {
        let body = export(stringBytes: 50, control: false, spans: 2).protobufBytes()
        let shape = try ProtobufShapeCheck.check(traces: body, limits: DecodingLimits(), keeping: nil)
        #expect(shape.provesStringLimits(DecodingLimits()))
        #expect(!shape.provesStringLimits(DecodingLimits(maxStringBytes: 60)))
        #expect(!shape.provesStringLimits(DecodingLimits(maxEscapedBytes: 6 * shape.enclosingBytes - 1)))
        #expect(shape.provesStringLimits(DecodingLimits(maxEscapedBytes: 6 * shape.enclosingBytes)))
        #expect(!shape.provesStringLimits(DecodingLimits(maxSpans: 1)))
    }
}
