import Foundation

/// Decodes one encoded `Span` straight from its bytes into the generated message, for the spans
/// the filter keeps. swift-protobuf's generic decoding asks the runtime for type metadata per
/// nested message and cost a GenAI span more than everything else in decoding together.
///
/// Only the common path is taken: every field known, in its own wire type, a singular field at
/// most once, strings valid UTF-8, the framing whole, values nested shallowly. Anything else
/// returns nil and swift-protobuf decodes the span, so that its value or its error stays the one
/// the receiver gives (unknown fields kept, repeated messages merged, groups skipped, …).
enum SpanWireDecoder {
    /// `keys`: the attribute keys of the export's spans decoded before this one.
    static func decode(_ bytes: UnsafeRawBufferPointer, maxDepth: Int, keys: AttributeKeyCache) -> Span? {
        guard let base = bytes.baseAddress else { return Span() }
        var reader = WireReader(bytes: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: bytes.count),
                                index: 0, end: bytes.count)
        // The span is one level, a nested value one more each; well inside swift-protobuf's limit.
        var decoder = SpanWireDecoder.Levels(left: max(0, maxDepth / 2 - 2), keys: keys)
        return decoder.span(&reader)
    }

    /// Nesting levels left; past them the span is left to swift-protobuf.
    struct Levels {
        var left: Int
        let keys: AttributeKeyCache

        mutating func span(_ r: inout WireReader) -> Span? {
            var span = Span()
            var seen = SeenFields()
            var attributes: [KeyValue] = []
            // GenAI spans carry a dozen attributes or more: grown from empty, the array is copied four times.
            attributes.reserveCapacity(16)
            var events: [SpanEvent] = []
            var links: [SpanLink] = []
            while !r.atEnd {
                guard let (field, wire) = r.tag() else { return nil }
                switch (field, wire) {
                case (9, 2):
                    // Decoded where it goes: returned, each attribute was copied into the array and then freed.
                    attributes.append(KeyValue())
                    guard nested(&r, { $0.keyValue(&$1, into: &attributes[attributes.count - 1]) }) == true else { return nil }
                    continue
                case (11, 2):
                    guard let value = nested(&r, { $0.event(&$1) }) else { return nil }
                    events.append(value)
                    continue
                case (13, 2):
                    guard let value = nested(&r, { $0.link(&$1) }) else { return nil }
                    links.append(value)
                    continue
                default:
                    guard seen.first(field) else { return nil }
                }
                switch (field, wire) {
                case (1, 2): guard let value = r.data() else { return nil }; span.traceID = value
                case (2, 2): guard let value = r.data() else { return nil }; span.spanID = value
                case (3, 2): guard let value = r.string() else { return nil }; span.traceState = value
                case (4, 2): guard let value = r.data() else { return nil }; span.parentSpanID = value
                case (5, 2): guard let value = r.string() else { return nil }; span.name = value
                case (6, 0): guard let value = r.varint() else { return nil }; span.kind = Span.SpanKind(rawValue: Int(Int32(truncatingIfNeeded: value)))!
                case (7, 1): guard let value = r.fixed64() else { return nil }; span.startTimeUnixNano = value
                case (8, 1): guard let value = r.fixed64() else { return nil }; span.endTimeUnixNano = value
                case (10, 0): guard let value = r.varint() else { return nil }; span.droppedAttributesCount = UInt32(truncatingIfNeeded: value)
                case (12, 0): guard let value = r.varint() else { return nil }; span.droppedEventsCount = UInt32(truncatingIfNeeded: value)
                case (14, 0): guard let value = r.varint() else { return nil }; span.droppedLinksCount = UInt32(truncatingIfNeeded: value)
                case (15, 2): guard let value = nested(&r, { $0.status(&$1) }) else { return nil }; span.status = value
                case (16, 5): guard let value = r.fixed32() else { return nil }; span.flags = value
                default: return nil
                }
            }
            span.attributes = attributes
            span.events = events
            span.links = links
            return span
        }

        /// The message in the length-delimited field at the reader, one level down.
        private mutating func nested<Message>(_ r: inout WireReader, _ decode: (inout Self, inout WireReader) -> Message?) -> Message? {
            guard left > 0, let payload = r.payload() else { return nil }
            left -= 1
            defer { left += 1 }
            var inner = WireReader(bytes: r.bytes, index: payload.lowerBound, end: payload.upperBound)
            return decode(&self, &inner)
        }

        private mutating func event(_ r: inout WireReader) -> SpanEvent? {
            var event = SpanEvent()
            guard let attributes = fields(&r, attributes: 3, { r, field, wire in
                switch (field, wire) {
                case (1, 1): guard let value = r.fixed64() else { return false }; event.timeUnixNano = value
                case (2, 2): guard let value = r.string() else { return false }; event.name = value
                case (4, 0): guard let value = r.varint() else { return false }; event.droppedAttributesCount = UInt32(truncatingIfNeeded: value)
                default: return false
                }
                return true
            }) else { return nil }
            event.attributes = attributes
            return event
        }

        private mutating func link(_ r: inout WireReader) -> SpanLink? {
            var link = SpanLink()
            guard let attributes = fields(&r, attributes: 4, { r, field, wire in
                switch (field, wire) {
                case (1, 2): guard let value = r.data() else { return false }; link.traceID = value
                case (2, 2): guard let value = r.data() else { return false }; link.spanID = value
                case (3, 2): guard let value = r.string() else { return false }; link.traceState = value
                case (5, 0): guard let value = r.varint() else { return false }; link.droppedAttributesCount = UInt32(truncatingIfNeeded: value)
                case (6, 5): guard let value = r.fixed32() else { return false }; link.flags = value
                default: return false
                }
                return true
            }) else { return nil }
            link.attributes = attributes
            return link
        }

        /// The fields of an event, link or status: its repeated attributes (field `attributes`) collected
        /// here, each other field given once to `single`, which says whether it took it.
        private mutating func fields(_ r: inout WireReader, attributes number: UInt64,
                                     _ single: (inout WireReader, UInt64, UInt64) -> Bool) -> [KeyValue]? {
            var seen = SeenFields()
            var attributes: [KeyValue] = []
            while !r.atEnd {
                guard let (field, wire) = r.tag() else { return nil }
                if field == number, wire == 2 {
                    guard let value = nested(&r, { $0.keyValue(&$1) }) else { return nil }
                    attributes.append(value)
                } else {
                    guard seen.first(field), single(&r, field, wire) else { return nil }
                }
            }
            return attributes
        }

        private mutating func status(_ r: inout WireReader) -> SpanStatus? {
            var status = SpanStatus()
            // A status has no attributes: field 0 never comes.
            guard fields(&r, attributes: 0, { r, field, wire in
                switch (field, wire) {
                case (2, 2): guard let value = r.string() else { return false }; status.message = value
                case (3, 0): guard let value = r.varint() else { return false }; status.code = SpanStatus.StatusCode(rawValue: Int(Int32(truncatingIfNeeded: value)))!
                default: return false
                }
                return true
            }) != nil else { return nil }
            return status
        }

        private mutating func keyValue(_ r: inout WireReader) -> KeyValue? {
            var keyValue = KeyValue()
            return self.keyValue(&r, into: &keyValue) ? keyValue : nil
        }

        private mutating func keyValue(_ r: inout WireReader, into keyValue: inout KeyValue) -> Bool {
            var seen = SeenFields()
            while !r.atEnd {
                guard let (field, wire) = r.tag(), seen.first(field) else { return false }
                switch (field, wire) {
                case (1, 2): guard let range = r.payload(), let value = keys.key(UnsafeBufferPointer(rebasing: r.bytes[range])) else { return false }; keyValue.key = value
                case (2, 2): guard let value = nested(&r, { $0.anyValue(&$1) }) else { return false }; keyValue.value = value
                default: return false
                }
            }
            return true
        }

        private mutating func anyValue(_ r: inout WireReader) -> AnyValue? {
            var any = AnyValue()
            // One member of the oneof at most: a second replaces or merges, which swift-protobuf does.
            guard !r.atEnd else { return any }
            guard let (field, wire) = r.tag() else { return nil }
            switch (field, wire) {
            case (1, 2): guard let value = r.string() else { return nil }; any.value = .stringValue(value)
            case (2, 0): guard let value = r.varint() else { return nil }; any.value = .boolValue(value != 0)
            case (3, 0): guard let value = r.varint() else { return nil }; any.value = .intValue(Int64(bitPattern: value))
            case (4, 1): guard let value = r.fixed64() else { return nil }; any.value = .doubleValue(Double(bitPattern: value))
            case (5, 2):
                guard let values = nested(&r, { $0.repeated(&$1, field: 1, { $0.anyValue(&$1) }) }) else { return nil }
                var array = ArrayValue()
                array.values = values
                any.value = .arrayValue(array)
            case (6, 2):
                guard let values = nested(&r, { $0.repeated(&$1, field: 1, { $0.keyValue(&$1) }) }) else { return nil }
                var list = KeyValueList()
                list.values = values
                any.value = .kvlistValue(list)
            case (7, 2): guard let value = r.data() else { return nil }; any.value = .bytesValue(value)
            default: return nil
            }
            return r.atEnd ? any : nil
        }

        /// A message whose only field is a repeated message (`ArrayValue`, `KeyValueList`).
        private mutating func repeated<Element>(_ r: inout WireReader, field number: UInt64,
                                                _ decode: (inout Self, inout WireReader) -> Element?) -> [Element]? {
            var elements: [Element] = []
            while !r.atEnd {
                guard let (field, wire) = r.tag(), field == number, wire == 2, let element = nested(&r, decode) else { return nil }
                elements.append(element)
            }
            return elements
        }
    }
}

/// Field numbers below 64 already seen in one message.
struct SeenFields {
    private var bits: UInt64 = 0

    /// True the first time; false when the field came before or is out of range.
    mutating func first(_ field: UInt64) -> Bool {
        guard field < 64, bits & (1 << field) == 0 else { return false }
        bits |= 1 << field
        return true
    }
}
