import LLMLog
/// Every bound the decoders enforce, stated in one place. Crossing one answers 413 (sizes and
/// counts) or 400 (nesting), never a crash.
public struct DecodingLimits: Sendable {
    /// Largest body after inflating; the OTLP spec recommends 64 MiB.
    public var maxInflatedBytes: Int
    /// Deepest nesting of JSON arrays and objects, and of protobuf messages (array and key-value
    /// list attribute values nest two levels each).
    public var maxNestingDepth: Int
    /// GenAI spans built from one request; skipped spans cost no memory and do not count.
    public var maxSpans: Int
    /// Attributes on one span (OpenTelemetry SDKs default to 128).
    public var maxAttributesPerSpan: Int
    /// Events on one span.
    public var maxEventsPerSpan: Int
    /// Bytes of one string value or key of a kept span (a whole prompt is one string).
    public var maxStringBytes: Int
    /// Values one request builds, counted before they are built: in OTLP/JSON every value
    /// (object, array, string, number…) as it is parsed; in protobuf every attribute, attribute
    /// value, event and link of the resources, scopes, kept spans and log records, counted on
    /// the wire. Each costs tens of bytes however short its text, so this bounds a request's memory.
    public var maxValues: Int
    /// Bytes the kept spans' strings (with their resources, once each) take JSON-escaped, which is
    /// the least that storing them writes: a control byte escapes to six. Checked before mapping,
    /// so an export of 60 MiB of control bytes is refused at once rather than after rendering it.
    public var maxEscapedBytes: Int

    public init(maxInflatedBytes: Int = 64 << 20, maxNestingDepth: Int = 100, maxSpans: Int = 100_000,
                maxAttributesPerSpan: Int = 4_096, maxEventsPerSpan: Int = 4_096, maxStringBytes: Int = 16 << 20,
                maxValues: Int = 2_000_000, maxEscapedBytes: Int = 64 << 20) {
        self.maxEscapedBytes = maxEscapedBytes
        self.maxValues = maxValues
        self.maxInflatedBytes = maxInflatedBytes
        self.maxNestingDepth = maxNestingDepth
        self.maxSpans = maxSpans
        self.maxAttributesPerSpan = maxAttributesPerSpan
        self.maxEventsPerSpan = maxEventsPerSpan
        self.maxStringBytes = maxStringBytes
    }
}

/// Asked before a decoder builds `values` more values (see `DecodingLimits.maxValues`); false
/// stops decoding with `DecodeError.budgetExhausted`. The receiver reserves their memory here.
public typealias ValueAdmission = (_ values: Int) -> Bool

/// Why a request body could not be turned into an export.
public enum DecodeError: Error, Equatable, Sendable {
    /// The body is not a valid export in its declared format; the text says where.
    case malformed(String)
    /// The inflated body would exceed `DecodingLimits.maxInflatedBytes`.
    case inflatedTooLarge(limit: Int)
    /// A count or size limit of `DecodingLimits` was crossed; the text names it.
    case limitExceeded(String)
    /// The caller's memory budget refused more inflated bytes or values: try again later.
    case budgetExhausted
}

extension DecodingLimits {
    /// Checks the counts and sizes of the spans kept from a decoded export; the sizes of their
    /// strings only when `measuringStrings` (the caller may have proved them from the body).
    func check(_ export: TraceExportRequest, measuringStrings: Bool = true) throws(DecodeError) {
        var spans = 0
        // Escaping takes a byte to six at most, so the exact count, a scan of every byte, is only
        // needed when six times the bytes could cross the limit: an export of a few MiB never does.
        var mostEscaped = 0
        for resourceSpans in export.resourceSpans {
            if measuringStrings {
                try checkStrings(resourceSpans.resource.attributes, what: "resource attribute")
                mostEscaped += Self.mostEscapedLength(resourceSpans.resource.attributes)
            }
            for scopeSpans in resourceSpans.scopeSpans {
                spans += scopeSpans.spans.count
                guard spans <= maxSpans else { throw .limitExceeded("more than \(maxSpans) GenAI spans in one request") }
                for span in scopeSpans.spans {
                    guard span.attributes.count <= maxAttributesPerSpan else {
                        throw .limitExceeded("span \"\(span.name.prefix(80))\" has \(span.attributes.count) attributes; the limit is \(maxAttributesPerSpan)")
                    }
                    guard span.events.count <= maxEventsPerSpan else {
                        throw .limitExceeded("span \"\(span.name.prefix(80))\" has \(span.events.count) events; the limit is \(maxEventsPerSpan)")
                    }
                    guard measuringStrings else { continue }
                    guard span.name.utf8.count <= maxStringBytes else { throw .limitExceeded("a span name is over \(maxStringBytes) bytes") }
                    try checkStrings(span.attributes, what: "attribute")
                    mostEscaped += Self.mostEscapedLength(span.attributes)
                    for event in span.events {
                        try checkStrings(event.attributes, what: "event attribute")
                        mostEscaped += Self.mostEscapedLength(event.attributes)
                    }
                }
            }
        }
        if mostEscaped > maxEscapedBytes { try checkEscaped(export) }
    }

    /// The exact escaped length of the kept spans' strings against `maxEscapedBytes`.
    private func checkEscaped(_ export: TraceExportRequest) throws(DecodeError) {
        var escaped = 0
        func add(_ attributes: [KeyValue]) throws(DecodeError) {
            for attribute in attributes { escaped += Self.escapedLength(attribute.key) + Self.escapedLength(attribute.value) }
            guard escaped <= maxEscapedBytes else {
                throw .limitExceeded("the spans kept would store over \(maxEscapedBytes) bytes of escaped text")
            }
        }
        for resourceSpans in export.resourceSpans {
            try add(resourceSpans.resource.attributes)
            for scopeSpans in resourceSpans.scopeSpans {
                for span in scopeSpans.spans {
                    try add(span.attributes)
                    for event in span.events { try add(event.attributes) }
                }
            }
        }
    }

    /// Log records count toward the span limit; their bodies and attributes toward the string limit.
    func check(_ export: LogsExportRequest) throws(DecodeError) {
        var records = 0
        for resourceLogs in export.resourceLogs {
            for scopeLogs in resourceLogs.scopeLogs {
                records += scopeLogs.logRecords.count
                guard records <= maxSpans else { throw .limitExceeded("more than \(maxSpans) log records in one request") }
                for record in scopeLogs.logRecords {
                    guard record.attributes.count <= maxAttributesPerSpan else {
                        throw .limitExceeded("a log record has \(record.attributes.count) attributes; the limit is \(maxAttributesPerSpan)")
                    }
                    guard longestString(record.body) <= maxStringBytes else {
                        throw .limitExceeded("a log record body holds a string over \(maxStringBytes) bytes")
                    }
                    try checkStrings(record.attributes, what: "log attribute")
                }
            }
        }
    }

    private func checkStrings(_ attributes: [KeyValue], what: String) throws(DecodeError) {
        for attribute in attributes {
            guard attribute.key.utf8.count <= maxStringBytes, longestString(attribute.value) <= maxStringBytes else {
                throw .limitExceeded("\(what) \"\(attribute.key.prefix(80))\" holds a string over \(maxStringBytes) bytes")
            }
        }
    }

    /// Length of a string as a JSON string body: `\n` and the like take 2, other controls 6.
    static func escapedLength(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { bytes in
            var extra = 0
            var index = JSONEscaping.next(in: bytes, from: 0)
            while index < bytes.count {
                switch bytes[index] {
                case 0x08, 0x09, 0x0A, 0x0C, 0x0D, UInt8(ascii: "\""), UInt8(ascii: "\\"): extra += 1
                default: extra += 5
                }
                index = JSONEscaping.next(in: bytes, from: index + 1)
            }
            return bytes.count + extra
        }
    }

    /// At least `escapedLength`, counted without reading the text: six bytes for each of it.
    static func mostEscapedLength(_ attributes: [KeyValue]) -> Int {
        attributes.reduce(0) { $0 + 6 * $1.key.utf8.count + mostEscapedLength($1.value) }
    }

    static func mostEscapedLength(_ value: AnyValue) -> Int {
        switch value.value {
        case .stringValue(let text)?: 6 * text.utf8.count
        case .bytesValue(let bytes)?: (bytes.count + 2) / 3 * 4
        case .arrayValue(let array)?: array.values.reduce(0) { $0 + mostEscapedLength($1) }
        case .kvlistValue(let list)?: mostEscapedLength(list.values)
        default: 0
        }
    }

    static func escapedLength(_ value: AnyValue) -> Int {
        switch value.value {
        case .stringValue(let text)?: escapedLength(text)
        case .bytesValue(let bytes)?: (bytes.count + 2) / 3 * 4
        case .arrayValue(let array)?: array.values.reduce(0) { $0 + escapedLength($1) }
        case .kvlistValue(let list)?: list.values.reduce(0) { $0 + escapedLength($1.key) + escapedLength($1.value) }
        default: 0
        }
    }

    private func longestString(_ value: AnyValue) -> Int {
        switch value.value {
        case .stringValue(let text)?: text.utf8.count
        case .bytesValue(let bytes)?: bytes.count
        case .arrayValue(let array)?: array.values.map(longestString).max() ?? 0
        case .kvlistValue(let list)?: list.values.map { max($0.key.utf8.count, longestString($0.value)) }.max() ?? 0
        default: 0
        }
    }
}
