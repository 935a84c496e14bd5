import Foundation
import Testing
@testable import OTLPCodec
import TestSupport

@Suite struct OTLPJSONDecoderTests {
    func decode(_ json: String) throws -> TraceExportRequest {
        try OTLPJSONDecoder.decodeTraceExport(Array(json.utf8), limits: DecodingLimits())
    }

    func firstSpan(_ json: String) throws -> Span {
        try decode(json).resourceSpans[0].scopeSpans[0].spans[0]
    }

    func wrap(_ span: String) -> String {
        #"{"resourceSpans":[{"scopeSpans":[{"spans":[\#(span)]}]}]}"#
    }

    @Test func hexIdsAreReadInEitherCase() throws {
        let upper = try firstSpan(wrap(#"{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","parentSpanId":"eee19b7ec3c1b173"}"#))
        #expect(upper.traceID == OTLP.id("5b8efff798038103d269b633813fc60c"))
        #expect(upper.spanID == OTLP.id("eee19b7ec3c1b174"))
        #expect(upper.parentSpanID == OTLP.id("eee19b7ec3c1b173"))
    }

    @Test func sixtyFourBitIntegersAsStringsOrNumbers() throws {
        let span = try firstSpan(wrap(#"""
            {"startTimeUnixNano":"1700000000123456789","endTimeUnixNano":1700000000987654321,
             "attributes":[{"key":"a","value":{"intValue":"-42"}},{"key":"b","value":{"intValue":9007199254740993}}]}
            """#))
        #expect(span.startTimeUnixNano == 1_700_000_000_123_456_789)
        #expect(span.endTimeUnixNano == 1_700_000_000_987_654_321)
        #expect(span.attributes[0].value.intValue == -42)
        #expect(span.attributes[1].value.intValue == 9_007_199_254_740_993)
    }

    @Test func enumsAsIntegersAndLenientlyAsNames() throws {
        let numbers = try firstSpan(wrap(#"{"kind":3,"status":{"code":2,"message":"boom"}}"#))
        #expect(numbers.kind == .client)
        #expect(numbers.status.code == .error)
        #expect(numbers.status.message == "boom")
        let names = try firstSpan(wrap(#"{"kind":"SPAN_KIND_SERVER","status":{"code":"STATUS_CODE_OK"}}"#))
        #expect(names.kind == .server)
        #expect(names.status.code == .ok)
    }

    @Test func unknownFieldsAreIgnoredAndSnakeCaseIsTolerated() throws {
        let span = try firstSpan(wrap(#"""
            {"trace_id":"5b8efff798038103d269b633813fc60c","span_id":"eee19b7ec3c1b174","name":"x",
             "somethingNew":{"deep":[1,2,3]},"start_time_unix_nano":"5","flags":257}
            """#))
        #expect(span.traceID.count == 16)
        #expect(span.spanID.count == 8)
        #expect(span.name == "x")
        #expect(span.startTimeUnixNano == 5)
        #expect(span.flags == 257)
    }

    @Test func anyValueShapes() throws {
        let span = try firstSpan(wrap(#"""
            {"attributes":[
              {"key":"s","value":{"stringValue":"é\n\u00e9\ud83d\ude00"}},
              {"key":"b","value":{"boolValue":true}},
              {"key":"d","value":{"doubleValue":0.7}},
              {"key":"dn","value":{"doubleValue":"NaN"}},
              {"key":"y","value":{"bytesValue":"AAH+/w=="}},
              {"key":"a","value":{"arrayValue":{"values":[{"intValue":"1"},{"stringValue":"x"}]}}},
              {"key":"k","value":{"kvlistValue":{"values":[{"key":"n","value":{"boolValue":false}}]}}},
              {"key":"e","value":{}}
            ]}
            """#))
        let values = span.attributes.map(\.value)
        #expect(values[0].stringValue == "é\né😀")
        #expect(values[1].boolValue == true)
        #expect(values[2].doubleValue == 0.7)
        #expect(values[3].doubleValue.isNaN)
        #expect(values[4].bytesValue == Data([0, 1, 254, 255]))
        #expect(values[5].arrayValue.values.map(\.intValue) == [1, 0])
        #expect(values[5].arrayValue.values[1].stringValue == "x")
        #expect(values[6].kvlistValue.values[0].key == "n")
        #expect(values[7].value == nil)
    }

    @Test func nonHexIdsBecomeEmptySoTheMapperRejectsThatSpanAlone() throws {
        let span = try firstSpan(wrap(#"{"traceId":"not-hex-at-all!!","spanId":"zz"}"#))
        #expect(span.traceID.isEmpty)
        #expect(span.spanID.isEmpty)
    }

    @Test func errorsSayWhere() {
        #expect(throws: DecodeError.malformed("JSON: $.resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano must be an unsigned 64-bit integer")) {
            try decode(wrap(#"{"startTimeUnixNano":"soon"}"#))
        }
        #expect(throws: DecodeError.malformed("JSON: $.resourceSpans must be an array")) {
            try decode(#"{"resourceSpans":{}}"#)
        }
        #expect(throws: DecodeError.malformed("JSON: expected ',' or '}' at byte 20")) {
            try decode(#"{"resourceSpans":[] x}"#)
        }
    }

    @Test func deepNestingIsRefusedWithoutRecursingThroughIt() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect {
            try decode(deep)
        } throws: { error in
            guard case DecodeError.malformed(let why) = error else { return false }
            return why.contains("nesting deeper than")
        }
    }

    @Test func invalidJSONTextIsRefused() {
        for text in ["", "{", #"{"a":tru}"#, "[1,]", #""\x""#, "{\"a\":\"\u{01}\"}", "01", "{} x"] {
            #expect(throws: DecodeError.self, "\(text)") { try decode(text) }
        }
        #expect(throws: DecodeError.malformed("JSON: invalid UTF-8 in a string at byte 3")) {
            try OTLPJSONDecoder.decodeTraceExport([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], limits: DecodingLimits())
        }
    }
}
