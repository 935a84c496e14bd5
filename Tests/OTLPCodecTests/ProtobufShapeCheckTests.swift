import Foundation
import Testing
@testable import OTLPCodec
import TestSupport

/// The shape check's value count, made on the wire, equals the values swift-protobuf builds when
/// it decodes the same export, for nested values of every kind.
@Suite struct ProtobufShapeCheckTests {
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }
    }

    func value(_ random: inout Random, depth: Int) -> AnyValue {
        switch depth > 3 ? random.next(4) : random.next(7) {
        case 0: return OTLP.string("s")
        case 1: return OTLP.int(Int64(random.next(100)))
        case 2: return AnyValue()
        case 3: return OTLP.bool(true)
        case 4: return OTLP.array((0..<random.next(4)).map { _ in value(&random, depth: depth + 1) })
        default:
            var list = KeyValueList()
            list.values = attributes(&random, depth: depth + 1)
            var any = AnyValue()
            any.kvlistValue = list
            return any
        }
    }

    func attributes(_ random: inout Random, depth: Int) -> [KeyValue] {
        (0..<random.next(5)).map { index in
            var attribute = KeyValue()
            attribute.key = "k\(index)"
            // Some attributes carry no value at all: nothing below them is built.
            if random.next(6) > 0 { attribute.value = value(&random, depth: depth) }
            return attribute
        }
    }

    /// Counted on the decoded messages: every KeyValue, AnyValue, ArrayValue, KeyValueList,
    /// event and link.
    func built(_ attributes: [KeyValue]) -> Int {
        attributes.reduce(0) { total, attribute in total + 1 + (attribute.hasValue ? built(attribute.value) : 0) }
    }

    func built(_ value: AnyValue) -> Int {
        switch value.value {
        case .arrayValue(let array)?: 2 + array.values.reduce(0) { $0 + built($1) }
        case .kvlistValue(let list)?: 2 + built(list.values)
        default: 1
        }
    }

    @Test func theValuesCountedOnTheWireAreTheValuesDecodingBuilds() throws {
        var random = Random(state: 2_026)
        for round in 0..<300 {
            var spans: [Span] = []
            var expected = 0
            for number in 0..<random.next(4) {
                var span = OTLP.chatSpan(number: UInt8(number + 1))
                span.attributes = attributes(&random, depth: 0)
                span.events = (0..<random.next(3)).map { _ in
                    var event = OTLP.event("e")
                    event.attributes = attributes(&random, depth: 0)
                    return event
                }
                span.links = (0..<random.next(2)).map { _ in
                    var link = SpanLink()
                    link.attributes = attributes(&random, depth: 0)
                    return link
                }
                expected += built(span.attributes) + span.events.reduce(0) { $0 + 1 + built($1.attributes) }
                    + span.links.reduce(0) { $0 + 1 + built($1.attributes) }
                spans.append(span)
            }
            var export = OTLP.export(spans: spans)
            export.resourceSpans[0].resource.attributes = attributes(&random, depth: 0)
            export.resourceSpans[0].scopeSpans[0].scope.attributes = attributes(&random, depth: 0)
            expected += built(export.resourceSpans[0].resource.attributes) + built(export.resourceSpans[0].scopeSpans[0].scope.attributes)
            let shape = try ProtobufShapeCheck.check(traces: export.protobufBytes(), limits: DecodingLimits(), keeping: nil)
            #expect(shape.values == expected, "round \(round)")
        }
    }

    /// A span is kept by any one of its keys, wherever it comes among the attributes.
    @Test func aSpanIsKeptByAnyOfItsKeys() throws {
        var spans: [Span] = []
        for position in 0..<4 {
            var span = OTLP.httpSpan(number: UInt8(position + 1))
            span.attributes.insert(contentsOf: OTLP.attributes(["keep.me": OTLP.string("x")]), at: min(position, span.attributes.count))
            spans.append(span)
        }
        spans.append(OTLP.httpSpan(number: 9))
        let shape = try ProtobufShapeCheck.check(traces: OTLP.export(spans: spans).protobufBytes(), limits: DecodingLimits(),
                                                 keeping: { $0.elementsEqual("keep.me".utf8) })
        #expect(shape.keptSpans == [true, true, true, true, false])
    }
}
