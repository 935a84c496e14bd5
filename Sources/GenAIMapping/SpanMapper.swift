import Foundation
import OTLPCodec

/// Keeps the GenAI spans of an export and turns each into an `LLMLogRecord`. Pure: no I/O.
public enum SpanMapper {
    public static func map(_ request: TraceExportRequest) -> MappedExport {
        var result = MappedExport()
        for resourceSpans in request.resourceSpans {
            var serviceName: String?
            for attribute in resourceSpans.resource.attributes where attribute.key == "service.name" {
                serviceName = attribute.value.textValue
                break
            }
            for scopeSpans in resourceSpans.scopeSpans {
                for span in scopeSpans.spans {
                    // Most spans of a traced application are not GenAI: decide on the keys alone
                    // before building anything.
                    guard isGenAI(span) else {
                        result.droppedSpans += 1
                        continue
                    }
                    switch record(for: span, serviceName: serviceName) {
                    case .success(let record):
                        result.records.append(record)
                    case .failure(let reason):
                        result.rejectedSpans += 1
                        if result.rejectionMessage == nil { result.rejectionMessage = reason.text }
                    }
                }
            }
        }
        return result
    }

    static func isGenAI(_ span: Span) -> Bool {
        span.attributes.contains { $0.key.hasPrefix(FieldSources.genAIPrefix) }
    }

    struct Rejection: Error { let text: String }

    static func record(for span: Span, serviceName: String?) -> Result<LLMLogRecord, Rejection> {
        guard let traceID = hexID(span.traceID, bytes: 16) else {
            return .failure(Rejection(text: "span \"\(span.name)\": trace_id must be 16 bytes and not all zero, got \(span.traceID.count) bytes"))
        }
        guard let spanID = hexID(span.spanID, bytes: 8) else {
            return .failure(Rejection(text: "span \"\(span.name)\": span_id must be 8 bytes and not all zero, got \(span.spanID.count) bytes"))
        }
        var parentSpanID: String?
        if !span.parentSpanID.isEmpty {
            guard let parent = hexID(span.parentSpanID, bytes: 8) else {
                return .failure(Rejection(text: "span \"\(span.name)\": parent_span_id must be empty or 8 bytes, got \(span.parentSpanID.count) bytes"))
            }
            parentSpanID = parent
        }

        let view = SpanAttributes(span)
        let start = span.startTimeUnixNano
        let end = span.endTimeUnixNano
        return .success(LLMLogRecord(
            traceID: traceID,
            spanID: spanID,
            parentSpanID: parentSpanID,
            serviceName: serviceName,
            spanName: span.name,
            operation: view.first(FieldSources.operation)?.textValue,
            provider: view.first(FieldSources.provider)?.textValue,
            model: view.first(FieldSources.model)?.textValue,
            prompt: view.first(FieldSources.prompt)?.textValue,
            completion: view.first(FieldSources.completion)?.textValue,
            inputTokens: view.firstInteger(FieldSources.inputTokens),
            outputTokens: view.firstInteger(FieldSources.outputTokens),
            latencyMs: end >= start ? Double(end - start) / 1e6 : -Double(start - end) / 1e6,
            startTimeUnixNano: start,
            endTimeUnixNano: end,
            statusCode: span.status.code.rawValue,
            statusMessage: span.status.message.isEmpty ? nil : span.status.message,
            attributesJSON: AttributeJSON.object(span.attributes)
        ))
    }

    /// Lowercase hex of an id of the expected size; nil when the size is wrong or all bytes are
    /// zero (both invalid per the OTLP trace proto).
    static func hexID(_ bytes: Data, bytes expected: Int) -> String? {
        guard bytes.count == expected, bytes.contains(where: { $0 != 0 }) else { return nil }
        return hexString(bytes)
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)

func hexString(_ bytes: Data) -> String {
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(hexDigits[Int(byte >> 4)])
        out.append(hexDigits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// A span's attributes and events, looked up by the sources in `FieldSources`.
struct SpanAttributes {
    private let attributes: [String: AnyValue]
    private let span: Span

    init(_ span: Span) {
        self.span = span
        var attributes: [String: AnyValue] = [:]
        attributes.reserveCapacity(span.attributes.count)
        for attribute in span.attributes where attributes[attribute.key] == nil {
            attributes[attribute.key] = attribute.value
        }
        self.attributes = attributes
    }

    func value(_ source: ValueSource) -> AnyValue? {
        switch source {
        case .attribute(let key):
            return attributes[key].flatMap { $0.value == nil ? nil : $0 }
        case .event(let name, let key):
            for event in span.events where event.name == name {
                if let attribute = event.attributes.first(where: { $0.key == key }), attribute.value.value != nil {
                    return attribute.value
                }
            }
            return nil
        }
    }

    func first(_ sources: [ValueSource]) -> AnyValue? {
        for source in sources {
            if let value = value(source) { return value }
        }
        return nil
    }

    /// The first source that holds an integer (an int, an integral double, or a decimal string).
    func firstInteger(_ sources: [ValueSource]) -> Int64? {
        for source in sources {
            if let number = value(source)?.integerValue { return number }
        }
        return nil
    }
}

extension AnyValue {
    /// Text for a text column: a string as itself, anything else rendered as JSON.
    var textValue: String? {
        switch value {
        case .stringValue(let text)?: text
        case nil, .stringValueStrindex?: nil
        default: AttributeJSON.value(self)
        }
    }

    var integerValue: Int64? {
        switch value {
        case .intValue(let number)?: number
        case .doubleValue(let number)?:
            number.isFinite && number == number.rounded() && abs(number) < 9.2e18 ? Int64(number) : nil
        case .stringValue(let text)?: Int64(text.trimmingCharacters(in: .whitespaces))
        default: nil
        }
    }
}
