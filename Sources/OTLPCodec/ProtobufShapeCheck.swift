/// Counts attributes and events in an encoded `ExportTraceServiceRequest` before anything is built,
/// by stepping over the wire format: a span of 12 million one-byte attributes is refused after a
/// scan of its bytes, not after swift-protobuf has allocated 12 million messages.
/// Only the fields that repeat are looked at; the decoder still validates everything else.
struct ProtobufShapeCheck {
    private let bytes: [UInt8]
    private let limits: DecodingLimits

    private init(_ bytes: [UInt8], limits: DecodingLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// Throws `limitExceeded` naming the container whose count is over its limit. Malformed
    /// framing is left for the decoder to report.
    static func check(traces bytes: [UInt8], limits: DecodingLimits) throws(DecodeError) {
        let check = ProtobufShapeCheck(bytes, limits: limits)
        // ExportTraceServiceRequest.resource_spans = 1
        for resourceSpans in check.fields(1, in: 0..<bytes.count) {
            // ResourceSpans.resource = 1 { attributes = 1 }
            for resource in check.fields(1, in: resourceSpans) {
                try check.limit(check.count(1, in: resource), limits.maxAttributesPerSpan, "a resource", "attributes")
            }
            // ResourceSpans.scope_spans = 2
            for scopeSpans in check.fields(2, in: resourceSpans) {
                // ScopeSpans.scope = 1 { attributes = 3 }
                for scope in check.fields(1, in: scopeSpans) {
                    try check.limit(check.count(3, in: scope), limits.maxAttributesPerSpan, "a scope", "attributes")
                }
                // ScopeSpans.spans = 2 { attributes = 9, events = 11 { attributes = 3 } }
                for span in check.fields(2, in: scopeSpans) {
                    try check.limit(check.count(9, in: span), limits.maxAttributesPerSpan, "a span", "attributes")
                    var events = 0
                    for event in check.fields(11, in: span) {
                        events += 1
                        try check.limit(check.count(3, in: event), limits.maxAttributesPerSpan, "a span event", "attributes")
                    }
                    try check.limit(events, limits.maxEventsPerSpan, "a span", "events")
                }
            }
        }
    }

    private func limit(_ count: Int, _ limit: Int, _ holder: String, _ what: String) throws(DecodeError) {
        guard count <= limit else { throw .limitExceeded("\(holder) has \(count) \(what); the limit is \(limit)") }
    }

    private func count(_ field: UInt64, in range: Range<Int>) -> Int {
        var count = 0
        walk(range) { number, _ in if number == field { count += 1 } }
        return count
    }

    /// The byte ranges of every length-delimited occurrence of `field` in `range`.
    private func fields(_ field: UInt64, in range: Range<Int>) -> [Range<Int>] {
        var found: [Range<Int>] = []
        walk(range) { number, payload in
            if number == field, let payload { found.append(payload) }
        }
        return found
    }

    /// Calls `visit` for each top-level field of the message in `range` with its number and, for
    /// length-delimited fields, its payload. Stops quietly at malformed framing.
    private func walk(_ range: Range<Int>, _ visit: (UInt64, Range<Int>?) -> Void) {
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            guard let tag = varint(&index, end: end) else { return }
            let number = tag >> 3
            switch tag & 7 {
            case 0:
                guard varint(&index, end: end) != nil else { return }
                visit(number, nil)
            case 1:
                index += 8
                visit(number, nil)
            case 2:
                guard let length = varint(&index, end: end), length <= UInt64(end - index) else { return }
                let payload = index..<index + Int(length)
                index = payload.upperBound
                visit(number, payload)
            case 5:
                index += 4
                visit(number, nil)
            default:
                return
            }
        }
    }

    private func varint(_ index: inout Int, end: Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < end, shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
