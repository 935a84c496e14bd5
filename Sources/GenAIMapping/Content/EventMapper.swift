import Foundation
import LLMLog
import OTLPCodec

/// What mapping one logs export produced.
public struct MappedLogs: Equatable, Sendable {
    public var events: [GenAIContentEvent] = []
    /// Records that are not GenAI events: dropped on purpose.
    public var droppedRecords = 0
    /// GenAI records that cannot be placed (no valid span id): reported as partial success.
    public var rejectedRecords = 0
    public var rejectionMessage: String?

    public init() {}
}

/// Turns the GenAI event log records of an export into content events. Pure: no I/O.
/// https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-events/
public enum EventMapper {
    /// Per-message events and the role each one speaks for.
    static let messageEvents: [String: String] = [
        "gen_ai.system.message": "system", "gen_ai.user.message": "user",
        "gen_ai.assistant.message": "assistant", "gen_ai.tool.message": "tool",
    ]
    static let choiceEvent = "gen_ai.choice"
    /// v1.37+: the whole call in one record, messages in attributes.
    static let detailsEvent = "gen_ai.client.inference.operation.details"

    public static func map(_ request: LogsExportRequest) -> MappedLogs {
        var result = MappedLogs()
        var position = 0
        for resourceLogs in request.resourceLogs {
            for scopeLogs in resourceLogs.scopeLogs {
                for record in scopeLogs.logRecords {
                    position += 1
                    let name = eventName(record)
                    guard name.hasPrefix("gen_ai.") else {
                        result.droppedRecords += 1
                        continue
                    }
                    guard let traceID = SpanMapper.hexID(record.traceID, bytes: 16),
                          let spanID = SpanMapper.hexID(record.spanID, bytes: 8) else {
                        result.rejectedRecords += 1
                        if result.rejectionMessage == nil {
                            result.rejectionMessage = "event \(name) has no valid trace_id and span_id, so it names no span"
                        }
                        continue
                    }
                    let time = record.timeUnixNano != 0 ? record.timeUnixNano : record.observedTimeUnixNano
                    for (side, messages, choice) in content(of: record, named: name) where !messages.isEmpty {
                        result.events.append(GenAIContentEvent(
                            traceID: traceID, spanID: spanID, side: side, timeUnixNano: time, position: position,
                            choiceIndex: choice, messagesJSON: ChatMessage.serialize(messages)))
                    }
                }
            }
        }
        return result
    }

    /// `LogRecord.event_name`, else the `event.name` attribute older SDKs set.
    static func eventName(_ record: LogRecord) -> String {
        if !record.eventName.isEmpty { return record.eventName }
        return record.attributes.first { $0.key == "event.name" }?.value.textValue ?? ""
    }

    static func content(of record: LogRecord, named name: String) -> [(GenAIContentEvent.Side, [ChatMessage], Int?)] {
        let body = JSONValue.content(record.body)
        if let role = messageEvents[name] {
            let message = MessageNormalizer.message(from: body, defaultRole: role)
                ?? (body.string.map { ChatMessage(role: role, parts: [.text($0)]) })
            return message.map { [(.input, [$0], nil)] } ?? []
        }
        if name == choiceEvent {
            let index = body["index"].flatMap { value -> Int? in
                if case .number(let text) = value { return Int(text) }
                return value.string.flatMap(Int.init)
            }
            return MessageNormalizer.choice(from: body).map { [(.output, [$0], index ?? 0)] } ?? []
        }
        if name == detailsEvent {
            var span = Span()
            span.attributes = record.attributes
            let view = SpanAttributes(span)
            var found: [(GenAIContentEvent.Side, [ChatMessage], Int?)] = []
            if let input = ContentExtractor.read(.messages("gen_ai.input.messages", systemInstructions: "gen_ai.system_instructions"),
                                                 in: view, defaultRole: "user")?.messages {
                found.append((.input, input, nil))
            }
            if let output = ContentExtractor.read(.messages("gen_ai.output.messages", systemInstructions: nil),
                                                  in: view, defaultRole: "assistant")?.messages {
                found.append((.output, output, 0))
            }
            return found
        }
        // Other gen_ai.* events (exceptions, evaluations) carry no prompt or completion.
        return []
    }
}
