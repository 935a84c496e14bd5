import Foundation
import Testing
@testable import OTLPCodec
import TestSupport

/// The direct OTLP/JSON decoder against the tree's: wherever it answers, the two agree; it answers
/// for what exporters send, and leaves every other form, and every error, to the tree's decoder.
@Suite struct OTLPJSONDirectDecoderTests {
    let limits = DecodingLimits()

    func direct(_ json: String, limits: DecodingLimits = DecodingLimits()) -> TraceExportRequest? {
        OTLPJSONDirectDecoder.traceExport(Array(json.utf8), limits: limits)
    }

    func tree(_ json: String) -> TraceExportRequest? {
        try? OTLPJSONDecoder.treeTraceExport(Array(json.utf8), limits: limits)
    }

    func wrap(_ span: String) -> String {
        #"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"scope":{"name":"s","version":"1"},"spans":[\#(span)]}]}]}"#
    }

    @Test func exportsAsExportersWriteThemReadAsTheTreeReadsThem() throws {
        // Every kind of value, ids, an event: the decoder tests' sample.
        let sample = ExportDecoderTests().sample
        let json = String(decoding: sample.otlpJSONBytes(), as: UTF8.self)
        let read = try #require(direct(json))
        #expect(read == sample)
        #expect(read == tree(json))
    }

    @Test(arguments: [
        // Every field of a span, ints as numbers and as strings, enums as numbers and names.
        #"{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173","traceState":"a=b","flags":257,"name":"chat","kind":3,"startTimeUnixNano":"1700000000123456789","endTimeUnixNano":1700000000987654321,"attributes":[{"key":"i","value":{"intValue":"-42"}},{"key":"n","value":{"intValue":9007199254740993}},{"key":"d","value":{"doubleValue":"-Infinity"}},{"key":"e","value":{"doubleValue":1e3}},{"key":"b","value":{"boolValue":false}},{"key":"y","value":{"bytesValue":"AAH+/w=="}},{"key":"empty","value":{}},{"key":"novalue"},{"key":"a","value":{"arrayValue":{"values":[{"stringValue":"x"},{"arrayValue":{}}]}}},{"key":"k","value":{"kvlistValue":{"values":[{"key":"in","value":{"intValue":"1"}}]}}}],"droppedAttributesCount":2,"events":[{"timeUnixNano":"5","name":"ev","attributes":[],"droppedAttributesCount":0}],"droppedEventsCount":1,"links":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b101","traceState":"","attributes":[],"droppedAttributesCount":0,"flags":1}],"droppedLinksCount":3,"status":{"code":"STATUS_CODE_ERROR","message":"boom"}}"#,
        // Members the tree ignores, ignored here too; an id in base64 and one that is neither.
        #"{"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"zz","somethingNew":{"deep":[1,2.5,"x",true,null]},"kind":"SPAN_KIND_SERVER","status":{}}"#,
        "{ \"name\" : \"spaced\" ,\n \"kind\" : 1 }",
        #"{}"#,
    ])
    func formsExportersUseAreReadAlike(_ span: String) throws {
        let json = wrap(span)
        let read = try #require(direct(json))
        #expect(read == tree(json))
    }

    @Test(arguments: [
        #"{"trace_id":"5b8efff798038103d269b633813fc60c"}"#,                    // snake_case: maybe a known field
        #"{"name":"a","name":"b"}"#,                                               // repeated member: the tree keeps the last
        #"{"name":null}"#,                                                         // null: the tree reads it as absent
        #"{"kind":"3.5"}"#,
        #"{"startTimeUnixNano":"-1"}"#,
        #"{"attributes":[{"key":"x","value":{"stringValue":"a","intValue":"1"}}]}"#, // two values: the tree ranks them
        #"{"attributes":[{"key":"x","value":{"bytesValue":"not base64!"}}]}"#,
        #"{"attributes":[{"key":"x","value":{"stringValue":1}}]}"#,
        #"{"name":"x"} trailing"#,
    ])
    func otherFormsAndErrorsAreLeftToTheTree(_ span: String) {
        #expect(direct(wrap(span)) == nil)
    }

    @Test func documentsOverTheLimitsAreLeftToTheTreeWhichRefusesThem() {
        let deep = wrap(#"{"attributes":[{"key":"x","value":"# + String(repeating: #"{"arrayValue":{"values":["#, count: 60)
            + #"{"intValue":1}"# + String(repeating: "]}}", count: 60) + "}]}")
        #expect(direct(deep, limits: DecodingLimits(maxNestingDepth: 200)) != nil)
        #expect(direct(deep) == nil)
        #expect(throws: DecodeError.self) { try OTLPJSONDecoder.decodeTraceExport(Array(deep.utf8), limits: limits) }

        let many = wrap(#"{"attributes":["# + Array(repeating: #"{"key":"k","value":{"intValue":1}}"#, count: 100).joined(separator: ",") + "]}")
        #expect(direct(many, limits: DecodingLimits(maxValues: 1_000)) != nil)
        #expect(direct(many, limits: DecodingLimits(maxValues: 300)) == nil)
        #expect(throws: DecodeError.limitExceeded("the JSON document holds more than 300 values")) {
            try OTLPJSONDecoder.decodeTraceExport(Array(many.utf8), limits: DecodingLimits(maxValues: 300))
        }
    }
}
