import Foundation
import Testing
@testable import GenAIMapping
import OTLPCodec
import TestSupport

/// GenAI content that arrives as log records (semconv v1.28+ events), as SDKs send it.
@Suite struct EventMapperTests {
    static let trace = "5b8efff798038103d269b633813fc60c"
    static let span = "eee19b7ec3c1b101"

    static func record(_ name: String, body: AnyValue = AnyValue(), attributes: KeyValuePairs<String, AnyValue> = [:],
                       time: UInt64 = 100, nameAsAttribute: Bool = false, span: String = span) -> LogRecord {
        var record = LogRecord()
        if nameAsAttribute {
            record.attributes = OTLP.attributes(["event.name": OTLP.string(name)])
        } else {
            record.eventName = name
        }
        record.attributes += OTLP.attributes(attributes)
        record.body = body
        record.timeUnixNano = time
        record.traceID = OTLP.id(trace)
        record.spanID = OTLP.id(span)
        return record
    }

    static func export(_ records: [LogRecord]) -> LogsExportRequest {
        var scope = ScopeLogs()
        scope.logRecords = records
        var resource = ResourceLogs()
        resource.scopeLogs = [scope]
        var request = LogsExportRequest()
        request.resourceLogs = [resource]
        return request
    }

    @Test func perMessageEventsBecomeCanonicalMessagesWithTheirRole() {
        let mapped = EventMapper.map(Self.export([
            Self.record("gen_ai.system.message", body: OTLP.kvlist(["content": OTLP.string("be brief")]), time: 1),
            Self.record("gen_ai.user.message", body: OTLP.kvlist(["content": OTLP.string("hi")]), time: 2, nameAsAttribute: true),
            Self.record("gen_ai.tool.message", body: OTLP.kvlist(["content": OTLP.string("22C"), "id": OTLP.string("call_1")]), time: 3),
            Self.record("gen_ai.choice", body: OTLP.kvlist([
                "index": OTLP.int(0), "finish_reason": OTLP.string("stop"),
                "message": OTLP.kvlist(["role": OTLP.string("assistant"), "content": OTLP.string("hello")]),
            ]), time: 4),
        ]))
        #expect(mapped.events.map(\.messagesJSON) == [
            #"[{"role":"system","parts":[{"type":"text","content":"be brief"}]}]"#,
            #"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#,
            #"[{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"22C"}]}]"#,
            #"[{"role":"assistant","parts":[{"type":"text","content":"hello"}],"finish_reason":"stop"}]"#,
        ])
        #expect(mapped.events.map(\.side) == [.input, .input, .input, .output])
        #expect(mapped.events.map(\.choiceIndex) == [nil, nil, nil, 0])
        #expect(mapped.events.allSatisfy { $0.traceID == Self.trace && $0.spanID == Self.span })
    }

    @Test func operationDetailsEventCarriesBothSides() {
        let mapped = EventMapper.map(Self.export([
            Self.record("gen_ai.client.inference.operation.details", attributes: [
                "gen_ai.input.messages": OTLP.array([OTLP.kvlist(["role": OTLP.string("user"),
                    "parts": OTLP.array([OTLP.kvlist(["type": OTLP.string("text"), "content": OTLP.string("hi")])])])]),
                "gen_ai.output.messages": OTLP.string(#"[{"role":"assistant","parts":[{"type":"text","content":"hello"}],"finish_reason":"stop"}]"#),
            ]),
        ]))
        #expect(mapped.events.map(\.side) == [.input, .output])
        #expect(mapped.events[0].messagesJSON == #"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#)
    }

    @Test func otherRecordsAreDroppedAndEventsWithoutASpanAreRejected() {
        var noSpan = Self.record("gen_ai.user.message", body: OTLP.kvlist(["content": OTLP.string("hi")]))
        noSpan.spanID = Data()
        var plain = LogRecord()
        plain.body = OTLP.string("GET /health 200")
        let mapped = EventMapper.map(Self.export([plain, noSpan, Self.record("gen_ai.client.operation.exception")]))
        #expect(mapped.events.isEmpty)
        #expect(mapped.droppedRecords == 1)
        #expect(mapped.rejectedRecords == 1)
        #expect(mapped.rejectionMessage?.contains("gen_ai.user.message") == true)
    }
}
