/// Counts attributes and events in an encoded `ExportTraceServiceRequest` before anything is built,
/// by stepping over the wire format: a span of 12 million one-byte attributes is refused after a
/// scan of its bytes, not after swift-protobuf has allocated 12 million messages.
/// It also counts the values decoding will build (`DecodingLimits.maxValues`): an attribute of a
/// million empty array elements is two megabytes on the wire and a hundred as messages.
/// Only the fields that repeat are looked at; the decoder still validates everything else.
struct ProtobufShapeCheck {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let limits: DecodingLimits

    private init(_ bytes: UnsafeBufferPointer<UInt8>, limits: DecodingLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// Throws `limitExceeded` naming the container whose count is over its limit. Malformed
    /// framing is left for the decoder to report. Returns the values decoding will build: those of
    /// the resources, the scopes and the spans `filter` keeps (all when nil), so that their memory
    /// can be reserved in one step before any is built.
    /// Also returns, in wire order, whether `filter` keeps each span, so that the decoder does not
    /// read every span's keys a second time.
    static func check(traces bytes: [UInt8], limits: DecodingLimits,
                      keeping filter: SpanKeyFilter?) throws(DecodeError) -> TraceShape {
        try bytes.withUnsafeBufferPointer { buffer throws(DecodeError) in
            try ProtobufShapeCheck(buffer, limits: limits).traces(keeping: filter)
        }
    }

    /// What the walk found of an export's traces.
    struct TraceShape {
        /// The values decoding will build.
        var values = 0
        /// Whether `filter` keeps each span, in wire order.
        var keptSpans: [Bool] = []
        /// The bytes of the resources and the kept spans, and the largest of them: every string
        /// `DecodingLimits.check` measures lies inside one of them.
        var enclosingBytes = 0
        var largestEnclosing = 0

        mutating func enclose(_ range: Range<Int>) {
            enclosingBytes += range.count
            largestEnclosing = max(largestEnclosing, range.count)
        }

        /// Whether `DecodingLimits.check` must pass on the export decoded from these spans: no
        /// string can be longer than its enclosing message, and none escapes to more than six
        /// bytes per byte (base64 of bytes takes less), so these bounds within the limits prove it.
        /// Counts per span are the walk's own (`traces` has checked them).
        func provesStringLimits(_ limits: DecodingLimits) -> Bool {
            largestEnclosing <= limits.maxStringBytes && enclosingBytes <= limits.maxEscapedBytes / 6
                && keptSpans.lazy.filter { $0 }.count <= limits.maxSpans
        }
    }

    private func traces(keeping filter: SpanKeyFilter?) throws(DecodeError) -> TraceShape {
        let check = self
        var shape = TraceShape()
        var values = 0
        var keptSpans: [Bool] = []
        // ExportTraceServiceRequest.resource_spans = 1
        for resourceSpans in check.fields(1, in: 0..<bytes.count) {
            values += try check.resourceAndScopes(of: resourceSpans)
            for resource in check.fields(1, in: resourceSpans) { shape.enclose(resource) }
            // ResourceSpans.scope_spans = 2
            for scopeSpans in check.fields(2, in: resourceSpans) {
                // ScopeSpans.spans = 2 { attributes = 9, events = 11 { attributes = 3 } }
                for span in check.fields(2, in: scopeSpans) {
                    // One walk over the span's fields counts its attributes and events and asks the
                    // filter about its keys.
                    var attributes = 0
                    var events = 0
                    var kept = filter == nil
                    var reader = check.reader(span)
                    while let (number, payload) = reader.field() {
                        if number == 9 {
                            attributes += 1
                            if !kept, let filter, let payload { kept = check.keyOf(payload, isKeptBy: filter) }
                        } else if number == 11, let payload {
                            events += 1
                            try check.limit(check.count(3, in: payload), limits.maxAttributesPerSpan, "a span event", "attributes")
                        }
                    }
                    try check.limit(attributes, limits.maxAttributesPerSpan, "a span", "attributes")
                    try check.limit(events, limits.maxEventsPerSpan, "a span", "events")
                    keptSpans.append(kept)
                    if kept {
                        shape.enclose(span)
                        values += check.values(in: span, as: .span)
                        guard values <= limits.maxValues else { throw Self.tooManyValues(limits) }
                    }
                }
            }
        }
        shape.values = values
        shape.keptSpans = keptSpans
        return shape
    }

    /// Whether `filter` accepts the key of an attribute (KeyValue { key = 1 }), read in place: a span
    /// is kept when it accepts one of its keys. Invalid UTF-8 is the decoder's to refuse.
    private func keyOf(_ keyValue: Range<Int>, isKeptBy filter: SpanKeyFilter) -> Bool {
        fields(1, in: keyValue).contains { filter(UnsafeBufferPointer(rebasing: bytes[$0])) }
    }

    /// Checks an encoded `ExportLogsServiceRequest`, whose records are all built: attributes per
    /// record within their limit. Returns every value decoding it will build.
    static func check(logs bytes: [UInt8], limits: DecodingLimits) throws(DecodeError) -> Int {
        try bytes.withUnsafeBufferPointer { buffer throws(DecodeError) in try ProtobufShapeCheck(buffer, limits: limits).logs() }
    }

    private func logs() throws(DecodeError) -> Int {
        let check = self
        var values = 0
        // ExportLogsServiceRequest.resource_logs = 1 { resource = 1, scope_logs = 2 }
        for resourceLogs in check.fields(1, in: 0..<bytes.count) {
            values += try check.resourceAndScopes(of: resourceLogs)
            // ScopeLogs.log_records = 2 { attributes = 6 }
            for scopeLogs in check.fields(2, in: resourceLogs) {
                for record in check.fields(2, in: scopeLogs) {
                    try check.limit(check.count(6, in: record), limits.maxAttributesPerSpan, "a log record", "attributes")
                    values += check.values(in: record, as: .logRecord)
                }
                guard values <= limits.maxValues else { throw Self.tooManyValues(limits) }
            }
        }
        return values
    }

    /// Checks the resource and the scopes of a ResourceSpans or ResourceLogs (the same field
    /// numbers: resource = 1 { attributes = 1 }, scope_spans or scope_logs = 2 { scope = 1
    /// { attributes = 3 } }) and returns their values.
    private func resourceAndScopes(of container: Range<Int>) throws(DecodeError) -> Int {
        var values = 0
        for resource in fields(1, in: container) {
            try limit(count(1, in: resource), limits.maxAttributesPerSpan, "a resource", "attributes")
            values += self.values(in: resource, as: .resource)
        }
        for scopes in fields(2, in: container) {
            for scope in fields(1, in: scopes) {
                try limit(count(3, in: scope), limits.maxAttributesPerSpan, "a scope", "attributes")
                values += self.values(in: scope, as: .scope)
            }
        }
        return values
    }

    static func tooManyValues(_ limits: DecodingLimits) -> DecodeError {
        .limitExceeded("the export holds more than \(limits.maxValues) attributes, values, events and links")
    }

    /// The OTLP messages that hold values, with the fields through which they hold more.
    enum Holder {
        case resource, scope, span, event, link, logRecord, keyValue, anyValue, arrayValue, keyValueList

        /// The holder a field of this message holds values through, if any.
        func child(_ field: UInt64) -> Holder? {
            switch (self, field) {
            case (.resource, 1), (.scope, 3), (.span, 9), (.event, 3), (.link, 4), (.logRecord, 6), (.keyValueList, 1): .keyValue
            case (.span, 11): .event
            case (.span, 13): .link
            case (.logRecord, 5), (.keyValue, 2), (.arrayValue, 1): .anyValue
            case (.anyValue, 5): .arrayValue
            case (.anyValue, 6): .keyValueList
            default: nil
            }
        }
    }

    /// Messages that hold values below the one in `range`, counted depth first with a stack of
    /// positions rather than recursion (the nesting is the client's). Stops early past
    /// `maxValues`, or below `maxNestingDepth` levels, where the decoder refuses the body anyway.
    private func values(in range: Range<Int>, as holder: Holder) -> Int {
        let deepest = 2 * limits.maxNestingDepth + 8
        var count = 0
        var stack: [Frame] = []
        stack.reserveCapacity(8)
        stack.append(Frame(reader: reader(range), holder: holder, depth: 1))
        while let frame = stack.last, count <= limits.maxValues {
            var reader = frame.reader
            guard let (number, payload) = reader.field() else {
                stack.removeLast()
                continue
            }
            stack[stack.count - 1].reader = reader
            guard let payload, let child = frame.holder.child(number) else { continue }
            count += 1
            guard frame.depth < deepest else { continue }
            guard child == .keyValue else {
                stack.append(Frame(reader: self.reader(payload), holder: child, depth: frame.depth + 1))
                continue
            }
            // An attribute, one level down, is walked here: its value is stacked only where it
            // holds more values (an array or a list), which most do not.
            var attribute = self.reader(payload)
            while let (number, value) = attribute.field() {
                guard number == 2, let value else { continue }
                count += 1
                if frame.depth + 1 < deepest, holdsMore(value) {
                    stack.append(Frame(reader: self.reader(value), holder: .anyValue, depth: frame.depth + 2))
                }
            }
        }
        return count
    }

    /// A message being walked by `values`, and how many levels below the walk's start it is.
    private struct Frame {
        var reader: WireReader
        let holder: Holder
        let depth: Int
    }

    /// Whether an AnyValue holds an array (5) or a list (6): the values below it.
    private func holdsMore(_ anyValue: Range<Int>) -> Bool {
        var reader = reader(anyValue)
        while let (number, payload) = reader.field() {
            if payload != nil, number == 5 || number == 6 { return true }
        }
        return false
    }

    private func limit(_ count: Int, _ limit: Int, _ holder: String, _ what: String) throws(DecodeError) {
        guard count <= limit else { throw .limitExceeded("\(holder) has \(count) \(what); the limit is \(limit)") }
    }

    private func count(_ field: UInt64, in range: Range<Int>) -> Int {
        var count = 0
        walk(range) { number, _ in if number == field { count += 1 } }
        return count
    }

    /// The byte ranges of every length-delimited occurrence of `field` in `range`, found as they
    /// are iterated: the walk allocates nothing.
    private func fields(_ field: UInt64, in range: Range<Int>) -> Fields {
        Fields(reader: reader(range), field: field)
    }

    struct Fields: Sequence, IteratorProtocol {
        var reader: WireReader
        let field: UInt64

        mutating func next() -> Range<Int>? {
            while let (number, payload) = reader.field() {
                if number == field, let payload { return payload }
            }
            return nil
        }
    }

    private func reader(_ range: Range<Int>) -> WireReader {
        WireReader(bytes: bytes, index: range.lowerBound, end: range.upperBound)
    }

    /// Calls `visit` for each top-level field of the message in `range` with its number and, for
    /// length-delimited fields, its payload. Stops quietly at malformed framing.
    private func walk(_ range: Range<Int>, _ visit: (UInt64, Range<Int>?) -> Void) {
        var reader = reader(range)
        while let (number, payload) = reader.field() {
            visit(number, payload)
        }
    }
}
