import Foundation
import SwiftProtobuf
import LLMLog

/// OTLP/JSON trace exports in the form exporters write (lowerCamelCase names, each member once,
/// no nulls), read straight into the generated messages. Building the document's JSON tree,
/// converting it and freeing it took four fifths of decoding a body. Anything else (a snake_case
/// name, a repeated member, a null, a value of the wrong type, any error) gives nil, and
/// `OTLPJSONDecoder` decodes the body through the tree, which also words every error. For every
/// body this one reads, the two agree (`OTLPJSONDirectDecoderTests`). Members it does not know
/// are read and ignored, as the tree's decoder ignores them.
///
/// With a filter, a span whose attribute keys it does not keep is read as JSON (checked and
/// counted as the tree's parser would) but not built, as the protobuf decoder steps over it:
/// its members are not read as OTLP fields.
enum OTLPJSONDirectDecoder {
    static func traceExport(_ bytes: [UInt8], limits: DecodingLimits) -> TraceExportRequest? {
        traces(bytes, limits: limits, keeping: nil)?.export
    }

    static func traces(_ bytes: [UInt8], limits: DecodingLimits, keeping filter: SpanKeyFilter?) -> DecodedTraces? {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONParser(reading: buffer, maxDepth: limits.maxNestingDepth, maxValues: limits.maxValues)
            var decoder = OTLPJSONDirectDecoder.Spans(filter: filter)
            var request = TraceExportRequest()
            var seen = Members()
            let read = reader.readObject { reader, key in
                switch key {
                case "resourceSpans": seen.once(0) && reader.readArray { reader in
                    resourceSpans(&reader, &decoder).map { request.resourceSpans.append($0) } != nil
                }
                default: unknown(&reader, key)
                }
            }
            return read && reader.isAtEnd() ? DecodedTraces(export: request, skippedSpans: decoder.skipped) : nil
        }
    }

    /// The spans of one export: those the filter keeps are built, the others counted.
    private struct Spans {
        let filter: SpanKeyFilter?
        var skipped = 0
        let keys = AttributeKeyCache()

        /// The next span, or nil in `span` when it was skipped; false when it cannot be read.
        mutating func next(_ reader: inout JSONParser, into spans: inout [Span]) -> Bool {
            if let filter {
                var probe = reader
                guard let kept = OTLPJSONDirectDecoder.keeps(&probe, filter) else { return false }
                if !kept {
                    reader = probe
                    skipped += 1
                    return true
                }
            }
            guard let span = OTLPJSONDirectDecoder.span(&reader, keys: keys) else { return false }
            spans.append(span)
            return true
        }
    }

    /// Whether `filter` keeps the span at the reader by one of its attribute keys; when it does
    /// not, the span has been read past. Nil when it is not JSON the parser takes.
    private static func keeps(_ reader: inout JSONParser, _ filter: SpanKeyFilter) -> Bool? {
        var kept = false
        let read = reader.readObject { reader, key in
            switch key {
            case "attributes":
                reader.readArray { reader in
                    reader.readObject { reader, key in
                        switch key {
                        case "key":
                            guard let keeps = reader.readString(bytes: filter) else { return false }
                            // Kept: the span is read again from its start, so stop reading here.
                            kept = keeps
                            return !kept
                        default: return reader.skipValue()
                        }
                    }
                }
            default: reader.skipValue()
            }
        }
        return kept || read ? kept : nil
    }

    /// The members of one object seen so far, by field number: a repeated one gives up.
    private struct Members {
        private var bits: UInt32 = 0

        mutating func once(_ field: Int) -> Bool {
            defer { bits |= 1 << field }
            return bits & (1 << field) == 0
        }
    }

    // MARK: Messages

    private static func resourceSpans(_ reader: inout JSONParser, _ decoder: inout Spans) -> ResourceSpans? {
        var message = ResourceSpans()
        var seen = Members()
        return reader.readObject { reader, key in
            switch key {
            case "resource": seen.once(0) && resource(&reader).map { message.resource = $0 } != nil
            case "scopeSpans": seen.once(1) && reader.readArray { reader in
                scopeSpans(&reader, &decoder).map { message.scopeSpans.append($0) } != nil
            }
            case "schemaUrl": seen.once(2) && string(&reader).map { message.schemaURL = $0 } != nil
            default: unknown(&reader, key)
            }
        } ? message : nil
    }

    private static func resource(_ reader: inout JSONParser) -> Resource? {
        var message = Resource()
        var seen = Members()
        return reader.readObject { reader, key in
            switch key {
            case "attributes": seen.once(0) && keyValues(&reader).map { message.attributes = $0 } != nil
            case "droppedAttributesCount": seen.once(1) && integer(&reader, UInt32.self).map { message.droppedAttributesCount = $0 } != nil
            default: unknown(&reader, key)
            }
        } ? message : nil
    }

    private static func scopeSpans(_ reader: inout JSONParser, _ decoder: inout Spans) -> ScopeSpans? {
        var message = ScopeSpans()
        var seen = Members()
        return reader.readObject { reader, key in
            switch key {
            case "scope": seen.once(0) && scope(&reader).map { message.scope = $0 } != nil
            case "spans": seen.once(1) && reader.readArray { reader in decoder.next(&reader, into: &message.spans) }
            case "schemaUrl": seen.once(2) && string(&reader).map { message.schemaURL = $0 } != nil
            default: unknown(&reader, key)
            }
        } ? message : nil
    }

    private static func scope(_ reader: inout JSONParser) -> InstrumentationScope? {
        var message = InstrumentationScope()
        var seen = Members()
        return reader.readObject { reader, key in
            switch key {
            case "name": seen.once(0) && string(&reader).map { message.name = $0 } != nil
            case "version": seen.once(1) && string(&reader).map { message.version = $0 } != nil
            case "attributes": seen.once(2) && keyValues(&reader).map { message.attributes = $0 } != nil
            default: unknown(&reader, key)
            }
        } ? message : nil
    }

    /// `keys`: the attribute keys of the export's spans read before this one.
    private static func span(_ reader: inout JSONParser, keys: AttributeKeyCache) -> Span? {
        var message = Span()
        var seen = Members()
        return reader.readObject { reader, key in
            switch key {
            case "traceId": seen.once(0) && id(&reader).map { message.traceID = $0 } != nil
            case "spanId": seen.once(1) && id(&reader).map { message.spanID = $0 } != nil
            case "parentSpanId": seen.once(2) && id(&reader).map { message.parentSpanID = $0 } != nil
            case "traceState": seen.once(3) && string(&reader).map { message.traceState = $0 } != nil
            case "flags": seen.once(4) && integer(&reader, UInt32.self).map { message.flags = $0 } != nil
            case "name": seen.once(5) && string(&reader).map { message.name = $0 } != nil
            case "kind": seen.once(6) && enumNumber(&reader, OTLPJSONScalars.spanKindNames).map {
                message.kind = Span.SpanKind(rawValue: $0) ?? .unspecified
            } != nil
            case "startTimeUnixNano": seen.once(7) && integer(&reader, UInt64.self).map { message.startTimeUnixNano = $0 } != nil
            case "endTimeUnixNano": seen.once(8) && integer(&reader, UInt64.self).map { message.endTimeUnixNano = $0 } != nil
            case "attributes": seen.once(9) && keyValues(&reader, capacity: 16, keys: keys).map { message.attributes = $0 } != nil
            case "droppedAttributesCount": seen.once(10) && integer(&reader, UInt32.self).map { message.droppedAttributesCount = $0 } != nil
            case "events": seen.once(11) && reader.readArray { reader in event(&reader).map { message.events.append($0) } != nil }
            case "droppedEventsCount": seen.once(12) && integer(&reader, UInt32.self).map { message.droppedEventsCount = $0 } != nil
            case "links": seen.once(13) && reader.readArray { reader in link(&reader).map { message.links.append($0) } != nil }
            case "droppedLinksCount": seen.once(14) && integer(&reader, UInt32.self).map { message.droppedLinksCount = $0 } != nil
            case "status": seen.once(15) && status(&reader).map { message.status = $0 } != nil
            default: unknown(&reader, key)
            }
        } ? message : nil
    }

    private static func status(_ reader: inout JSONParser) -> SpanStatus? {
        var message = SpanStatus()
        var seen = Members()
        return reader.readObject { reader, key in
            switch key {
            case "message": seen.once(0) && string(&reader).map { message.message = $0 } != nil
            case "code": seen.once(1) && enumNumber(&reader, OTLPJSONScalars.statusCodeNames).map {
                message.code = SpanStatus.StatusCode(rawValue: $0) ?? .unset
            } != nil
            default: unknown(&reader, key)
            }
        } ? message : nil
    }

    private static func event(_ reader: inout JSONParser) -> SpanEvent? {
        var message = SpanEvent()
        var seen = Members()
        return reader.readObject { reader, key in
            switch key {
            case "timeUnixNano": seen.once(0) && integer(&reader, UInt64.self).map { message.timeUnixNano = $0 } != nil
            case "name": seen.once(1) && string(&reader).map { message.name = $0 } != nil
            case "attributes": seen.once(2) && keyValues(&reader).map { message.attributes = $0 } != nil
            case "droppedAttributesCount": seen.once(3) && integer(&reader, UInt32.self).map { message.droppedAttributesCount = $0 } != nil
            default: unknown(&reader, key)
            }
        } ? message : nil
    }

    private static func link(_ reader: inout JSONParser) -> SpanLink? {
        var message = SpanLink()
        var seen = Members()
        return reader.readObject { reader, key in
            switch key {
            case "traceId": seen.once(0) && id(&reader).map { message.traceID = $0 } != nil
            case "spanId": seen.once(1) && id(&reader).map { message.spanID = $0 } != nil
            case "traceState": seen.once(2) && string(&reader).map { message.traceState = $0 } != nil
            case "attributes": seen.once(3) && keyValues(&reader).map { message.attributes = $0 } != nil
            case "droppedAttributesCount": seen.once(4) && integer(&reader, UInt32.self).map { message.droppedAttributesCount = $0 } != nil
            case "flags": seen.once(5) && integer(&reader, UInt32.self).map { message.flags = $0 } != nil
            default: unknown(&reader, key)
            }
        } ? message : nil
    }

    /// `capacity`: a span's dozen attributes or more, grown from empty, are copied four times.
    private static func keyValues(_ reader: inout JSONParser, capacity: Int = 0, keys: AttributeKeyCache? = nil) -> [KeyValue]? {
        var list: [KeyValue] = []
        list.reserveCapacity(capacity)
        // Each decoded where it goes: returned, it was copied into the list and then freed.
        return reader.readArray { reader in
            list.append(KeyValue())
            return keyValue(&reader, keys: keys, into: &list[list.count - 1])
        } ? list : nil
    }

    private static func keyValue(_ reader: inout JSONParser, keys: AttributeKeyCache?, into message: inout KeyValue) -> Bool {
        var seen = Members()
        return reader.readObject { reader, key in
            switch key {
            case "key": seen.once(0) && attributeKey(&reader, keys).map { message.key = $0 } != nil
            case "value": seen.once(1) && anyValue(&reader).map { message.value = $0 } != nil
            default: unknown(&reader, key)
            }
        }
    }

    /// One of the value's members at most: the tree's decoder ranks several, this one gives up.
    private static func anyValue(_ reader: inout JSONParser) -> AnyValue? {
        var message = AnyValue()
        var seen = Members()
        return reader.readObject { reader, key in
            switch key {
            case "stringValue": seen.once(0) && string(&reader).map { message.stringValue = $0 } != nil
            case "boolValue": seen.once(0) && reader.readBool().map { message.boolValue = $0 } != nil
            case "intValue": seen.once(0) && integer(&reader, Int64.self).map { message.intValue = $0 } != nil
            case "doubleValue": seen.once(0) && double(&reader).map { message.doubleValue = $0 } != nil
            case "bytesValue": seen.once(0) && string(&reader).flatMap { Data(base64Encoded: $0) }.map { message.bytesValue = $0 } != nil
            case "arrayValue": seen.once(0) && values(&reader).map { message.arrayValue = $0 } != nil
            case "kvlistValue": seen.once(0) && keyValueList(&reader).map { message.kvlistValue = $0 } != nil
            default: unknown(&reader, key)
            }
        } ? message : nil
    }

    private static func values(_ reader: inout JSONParser) -> ArrayValue? {
        var message = ArrayValue()
        var seen = Members()
        return reader.readObject { reader, key in
            switch key {
            case "values": seen.once(0) && reader.readArray { reader in anyValue(&reader).map { message.values.append($0) } != nil }
            default: unknown(&reader, key)
            }
        } ? message : nil
    }

    private static func keyValueList(_ reader: inout JSONParser) -> KeyValueList? {
        var message = KeyValueList()
        var seen = Members()
        return reader.readObject { reader, key in
            switch key {
            case "values": seen.once(0) && keyValues(&reader).map { message.values = $0 } != nil
            default: unknown(&reader, key)
            }
        } ? message : nil
    }

    // MARK: Values

    /// A member this decoder does not read. A snake_case name may be a known field in the
    /// other spelling, which the tree's decoder reads: give up.
    private static func unknown(_ reader: inout JSONParser, _ key: JSONKey) -> Bool {
        !key.contains(UInt8(ascii: "_")) && reader.skipValue()
    }

    private static func string(_ reader: inout JSONParser) -> String? {
        reader.readString()
    }

    private static func attributeKey(_ reader: inout JSONParser, _ keys: AttributeKeyCache?) -> String? {
        guard let keys else { return string(&reader) }
        return reader.readString(bytes: keys.key) ?? nil
    }

    /// Ids decoded from the document's bytes, without a string of them.
    private static func id(_ reader: inout JSONParser) -> Data? {
        reader.readString(bytes: OTLPJSONScalars.id)
    }

    /// An integer as a JSON number or a decimal string.
    private static func integer<T: FixedWidthInteger>(_ reader: inout JSONParser, _ type: T.Type) -> T? {
        if reader.peek() == UInt8(ascii: "\"") { return reader.readString(bytes: { parseInteger($0, as: T.self) }) ?? nil }
        return reader.readNumber().flatMap { parseInteger($0, as: T.self) }
    }

    private static func double(_ reader: inout JSONParser) -> Double? {
        if reader.peek() == UInt8(ascii: "\"") { return string(&reader).flatMap { OTLPJSONScalars.double($0, quoted: true) } }
        return reader.readNumber().flatMap { OTLPJSONScalars.double($0, quoted: false) }
    }

    private static func enumNumber(_ reader: inout JSONParser, _ names: [String: Int]) -> Int? {
        if reader.peek() == UInt8(ascii: "\"") { return string(&reader).flatMap { OTLPJSONScalars.enumNumber($0, quoted: true, names: names) } }
        return reader.readNumber().flatMap { OTLPJSONScalars.enumNumber($0, quoted: false, names: names) }
    }
}

extension OTLPJSONDecoder {
    /// For the fuzzer (`make fuzz`): whether the direct reader, where it answers, gives what the
    /// tree's decoder gives, compared as protobuf bytes (a NaN is not equal to itself).
    @_spi(Fuzzing) public static func directAgreesWithTree(_ bytes: [UInt8], limits: DecodingLimits) -> Bool {
        guard let direct = OTLPJSONDirectDecoder.traceExport(bytes, limits: limits) else { return true }
        guard let tree = try? treeTraceExport(bytes, limits: limits) else { return false }
        let directBytes: [UInt8]? = try? direct.serializedBytes()
        let treeBytes: [UInt8]? = try? tree.serializedBytes()
        return directBytes == treeBytes
    }
}
