import Foundation
import Testing
import LLMLog
@testable import OTLPCodec
import TestSupport

/// `DecodingLimits.maxValues` and `ValueAdmission`: what decoding will build is counted, and
/// admitted in one step, before any of it is built.
@Suite struct ValueCountTests {
    /// A GenAI span with one array attribute of `elements` empty values.
    func span(elements: Int, number: UInt8 = 1) -> Span {
        var span = OTLP.chatSpan(number: number)
        span.attributes += OTLP.attributes(["list": OTLP.array(Array(repeating: AnyValue(), count: elements))])
        return span
    }

    func admitted(_ body: [UInt8], format: WireFormat, limits: DecodingLimits = DecodingLimits(),
                  keeping filter: SpanKeyFilter? = nil) throws -> [Int] {
        let asked = Asked()
        _ = try ExportDecoder(limits: limits).decodeTraces(body, format: format, coding: .identity, keeping: filter) {
            asked.values.append($0)
            return true
        }
        return asked.values
    }

    @Test func protobufValuesAreCountedOnTheWireAndAdmittedOnce() throws {
        let plain = OTLP.export(spans: [OTLP.chatSpan()])
        let withList = OTLP.export(spans: [span(elements: 1_000)])
        let base = try admitted(plain.protobufBytes(), format: .protobuf)
        let grown = try admitted(withList.protobufBytes(), format: .protobuf)
        #expect(base.count == 1 && grown.count == 1)
        // The list attribute: its KeyValue, its AnyValue, the ArrayValue and 1 000 elements.
        #expect(grown[0] - base[0] == 1_003)
    }

    @Test func skippedSpansAreNotCounted() throws {
        var first = OTLP.chatSpan()
        first.attributes += OTLP.attributes(["keep": OTLP.string("yes")])
        let body = OTLP.export(spans: [first, span(elements: 1_000, number: 2)]).protobufBytes()
        let all = try admitted(body, format: .protobuf)[0]
        let onlyFirst = try admitted(body, format: .protobuf, keeping: { $0.elementsEqual("keep".utf8) })[0]
        #expect(all - onlyFirst > 1_000)
    }

    @Test(arguments: [WireFormat.protobuf, .json])
    func crossingMaxValuesIsRefusedBeforeBuilding(format: WireFormat) throws {
        var limits = DecodingLimits()
        limits.maxValues = 5_000
        let export = OTLP.export(spans: [span(elements: 6_000)])
        let body = format == .protobuf ? export.protobufBytes() : export.otlpJSONBytes()
        #expect(throws: DecodeError.self) {
            try ExportDecoder(limits: limits).decodeTraces(body, format: format, coding: .identity, keeping: nil)
        }
        let small = OTLP.export(spans: [span(elements: 1_000)])
        let smallBody = format == .protobuf ? small.protobufBytes() : small.otlpJSONBytes()
        #expect(try ExportDecoder(limits: limits).decodeTraces(smallBody, format: format, coding: .identity, keeping: nil)
            .export.resourceSpans.count == 1)
    }

    @Test(arguments: [WireFormat.protobuf, .json])
    func aRefusedAdmissionStopsDecoding(format: WireFormat) throws {
        let export = OTLP.export(spans: [span(elements: 100)])
        let body = format == .protobuf ? export.protobufBytes() : export.otlpJSONBytes()
        #expect(throws: DecodeError.budgetExhausted) {
            try ExportDecoder().decodeTraces(body, format: format, coding: .identity, keeping: nil) { _ in false }
        }
    }

    @Test func logsAreCountedToo() throws {
        var limits = DecodingLimits()
        limits.maxValues = 500
        var record = LogRecord()
        record.body = OTLP.array(Array(repeating: AnyValue(), count: 600))
        var request = LogsExportRequest()
        request.resourceLogs = [ResourceLogs.with { $0.scopeLogs = [ScopeLogs.with { $0.logRecords = [record] }] }]
        let body = try [UInt8](request.serializedBytes() as Data)
        #expect(throws: DecodeError.self) {
            try ExportDecoder(limits: limits).decodeLogs(body, format: .protobuf, coding: .identity)
        }
        let asked = Asked()
        _ = try ExportDecoder().decodeLogs(body, format: .protobuf, coding: .identity) { asked.values.append($0); return true }
        #expect(asked.values == [602])
    }

    @Test(arguments: [
        #"0"#, #"[]"#, #"[1,2,3]"#, #"{"a":1,"b":[true,null,"x,y:[z"]}"#, #"{"k":"\"],,","v":[{},{"x":[[1],[2,3]]}]}"#,
    ])
    func theJSONBoundIsNeverBelowWhatIsBuilt(document: String) throws {
        let bytes = Array(document.utf8)
        let built = Self.count(try JSONParser.parse(bytes, maxDepth: 100))
        let bound = JSONParser.valueBound(bytes)
        #expect(bound >= built)
        #expect(bound <= built + 3)
    }

    static func count(_ value: JSONValue) -> Int {
        switch value {
        case .array(let items): 1 + items.map(count).reduce(0, +)
        case .object(let members): 1 + members.values.map(count).reduce(0, +)
        default: 1
        }
    }
}

private final class Asked: @unchecked Sendable {
    var values: [Int] = []
}
