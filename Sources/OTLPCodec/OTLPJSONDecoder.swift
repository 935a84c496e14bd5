import Foundation
import LLMLog

/// Decodes OTLP/JSON into the generated messages, following the OTLP rules that differ from the
/// standard proto3 JSON mapping: hex ids (either case), 64-bit integers as strings or numbers,
/// enums as integers (names tolerated), lowerCamelCase names (snake_case tolerated), unknown
/// fields ignored. https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
public enum OTLPJSONDecoder {
    public static func decodeTraceExport(_ bytes: [UInt8], limits: DecodingLimits,
                                         admit: ValueAdmission? = nil) throws(DecodeError) -> TraceExportRequest {
        try admitMemory(bytes, limits: limits, admit: admit)
        if let direct = OTLPJSONDirectDecoder.traceExport(bytes, limits: limits) { return direct }
        return try treeTraceExport(bytes, limits: limits)
    }

    /// Decodes, building only the spans `filter` keeps (all when nil).
    public static func decodeTraces(_ bytes: [UInt8], limits: DecodingLimits, admit: ValueAdmission? = nil,
                                    keeping filter: SpanKeyFilter?) throws(DecodeError) -> DecodedTraces {
        try admitMemory(bytes, limits: limits, admit: admit)
        if let direct = OTLPJSONDirectDecoder.traces(bytes, limits: limits, keeping: filter) { return direct }
        var export = try treeTraceExport(bytes, limits: limits)
        var skipped = 0
        if let filter {
            for r in export.resourceSpans.indices {
                for s in export.resourceSpans[r].scopeSpans.indices {
                    let spans = export.resourceSpans[r].scopeSpans[s].spans
                    let kept = spans.filter { keepsSpan(filter, $0.attributes.lazy.map(\.key)) }
                    skipped += spans.count - kept.count
                    export.resourceSpans[r].scopeSpans[s].spans = kept
                }
            }
        }
        return DecodedTraces(export: export, skippedSpans: skipped)
    }

    /// Through the document's JSON tree: every form OTLP/JSON allows, and errors that say where.
    static func treeTraceExport(_ bytes: [UInt8], limits: DecodingLimits) throws(DecodeError) -> TraceExportRequest {
        let document = try parse(bytes, limits: limits)
        var request = TraceExportRequest()
        let root = try JSONObject(document, path: .root)
        request.resourceSpans = try root.array("resourceSpans", "resource_spans").map(resourceSpans)
        return request
    }

    public static func decodeLogsExport(_ bytes: [UInt8], limits: DecodingLimits,
                                        admit: ValueAdmission? = nil) throws(DecodeError) -> LogsExportRequest {
        try admitMemory(bytes, limits: limits, admit: admit)
        let document = try parse(bytes, limits: limits)
        var request = LogsExportRequest()
        let root = try JSONObject(document, path: .root)
        request.resourceLogs = try root.array("resourceLogs", "resource_logs").map(resourceLogs)
        return request
    }

    /// The document's memory, admitted in one step before any of it is built.
    private static func admitMemory(_ bytes: [UInt8], limits: DecodingLimits, admit: ValueAdmission?) throws(DecodeError) {
        if let admit, !admit(min(JSONParser.valueBound(bytes), limits.maxValues)) { throw .budgetExhausted }
    }

    private static func parse(_ bytes: [UInt8], limits: DecodingLimits) throws(DecodeError) -> JSONValue {
        do {
            return try JSONParser.parse(bytes, maxDepth: limits.maxNestingDepth, maxValues: limits.maxValues)
        } catch {
            switch error {
            case .malformed(let why): throw .malformed("JSON: \(why)")
            case .tooManyValues(let limit): throw .limitExceeded("the JSON document holds more than \(limit) values")
            }
        }
    }

    private static func resourceLogs(_ node: JSONObject) throws(DecodeError) -> ResourceLogs {
        var message = ResourceLogs()
        if let resource = try node.object("resource") { message.resource = try self.resource(resource) }
        message.scopeLogs = try node.array("scopeLogs", "scope_logs").map { (scopeNode) throws(DecodeError) -> ScopeLogs in
            var scopeLogs = ScopeLogs()
            if let scope = try scopeNode.object("scope") { scopeLogs.scope = try instrumentationScope(scope) }
            scopeLogs.logRecords = try scopeNode.array("logRecords", "log_records").map(logRecord)
            return scopeLogs
        }
        message.schemaURL = try node.string("schemaUrl", "schema_url")
        return message
    }

    private static func logRecord(_ node: JSONObject) throws(DecodeError) -> LogRecord {
        var record = LogRecord()
        record.timeUnixNano = try node.uint64("timeUnixNano", "time_unix_nano")
        record.observedTimeUnixNano = try node.uint64("observedTimeUnixNano", "observed_time_unix_nano")
        record.severityNumber = Int32(try node.enumValue("severityNumber", names: [:]))
        record.severityText = try node.string("severityText", "severity_text")
        if let body = try node.object("body") { record.body = try anyValue(body) }
        record.attributes = try node.array("attributes").map(keyValue)
        record.flags = try node.uint32("flags")
        record.traceID = try node.id("traceId", "trace_id")
        record.spanID = try node.id("spanId", "span_id")
        record.eventName = try node.string("eventName", "event_name")
        return record
    }

    private static func resourceSpans(_ node: JSONObject) throws(DecodeError) -> ResourceSpans {
        var message = ResourceSpans()
        if let resource = try node.object("resource") { message.resource = try self.resource(resource) }
        message.scopeSpans = try node.array("scopeSpans", "scope_spans").map(scopeSpans)
        message.schemaURL = try node.string("schemaUrl", "schema_url")
        return message
    }

    private static func scopeSpans(_ node: JSONObject) throws(DecodeError) -> ScopeSpans {
        var message = ScopeSpans()
        if let scope = try node.object("scope") { message.scope = try instrumentationScope(scope) }
        message.spans = try node.array("spans").map(span)
        message.schemaURL = try node.string("schemaUrl", "schema_url")
        return message
    }

    private static func resource(_ node: JSONObject) throws(DecodeError) -> Resource {
        var message = Resource()
        message.attributes = try node.array("attributes").map(keyValue)
        message.droppedAttributesCount = try node.uint32("droppedAttributesCount", "dropped_attributes_count")
        return message
    }

    private static func instrumentationScope(_ node: JSONObject) throws(DecodeError) -> InstrumentationScope {
        var message = InstrumentationScope()
        message.name = try node.string("name")
        message.version = try node.string("version")
        message.attributes = try node.array("attributes").map(keyValue)
        return message
    }

    private static func span(_ node: JSONObject) throws(DecodeError) -> Span {
        var message = Span()
        message.traceID = try node.id("traceId", "trace_id")
        message.spanID = try node.id("spanId", "span_id")
        message.parentSpanID = try node.id("parentSpanId", "parent_span_id")
        message.traceState = try node.string("traceState", "trace_state")
        message.flags = try node.uint32("flags")
        message.name = try node.string("name")
        message.kind = Span.SpanKind(rawValue: try node.enumValue("kind", names: OTLPJSONScalars.spanKindNames)) ?? .unspecified
        message.startTimeUnixNano = try node.uint64("startTimeUnixNano", "start_time_unix_nano")
        message.endTimeUnixNano = try node.uint64("endTimeUnixNano", "end_time_unix_nano")
        message.attributes = try node.array("attributes").map(keyValue)
        message.droppedAttributesCount = try node.uint32("droppedAttributesCount", "dropped_attributes_count")
        message.events = try node.array("events").map(event)
        message.droppedEventsCount = try node.uint32("droppedEventsCount", "dropped_events_count")
        message.links = try node.array("links").map(link)
        message.droppedLinksCount = try node.uint32("droppedLinksCount", "dropped_links_count")
        if let status = try node.object("status") {
            message.status.message = try status.string("message")
            message.status.code = SpanStatus.StatusCode(rawValue: try status.enumValue("code", names: OTLPJSONScalars.statusCodeNames)) ?? .unset
        }
        return message
    }

    private static func event(_ node: JSONObject) throws(DecodeError) -> SpanEvent {
        var message = SpanEvent()
        message.timeUnixNano = try node.uint64("timeUnixNano", "time_unix_nano")
        message.name = try node.string("name")
        message.attributes = try node.array("attributes").map(keyValue)
        message.droppedAttributesCount = try node.uint32("droppedAttributesCount", "dropped_attributes_count")
        return message
    }

    private static func link(_ node: JSONObject) throws(DecodeError) -> SpanLink {
        var message = SpanLink()
        message.traceID = try node.id("traceId", "trace_id")
        message.spanID = try node.id("spanId", "span_id")
        message.traceState = try node.string("traceState", "trace_state")
        message.attributes = try node.array("attributes").map(keyValue)
        message.droppedAttributesCount = try node.uint32("droppedAttributesCount", "dropped_attributes_count")
        message.flags = try node.uint32("flags")
        return message
    }

    static func keyValue(_ node: JSONObject) throws(DecodeError) -> KeyValue {
        var message = KeyValue()
        message.key = try node.string("key")
        if let value = try node.object("value") {
            message.value = try anyValue(value)
        }
        return message
    }

    static func anyValue(_ node: JSONObject) throws(DecodeError) -> AnyValue {
        var message = AnyValue()
        if node.has("stringValue", "string_value") {
            message.stringValue = try node.string("stringValue", "string_value")
        } else if node.has("boolValue", "bool_value") {
            message.boolValue = try node.bool("boolValue", "bool_value")
        } else if node.has("intValue", "int_value") {
            message.intValue = try node.int64("intValue", "int_value")
        } else if node.has("doubleValue", "double_value") {
            message.doubleValue = try node.double("doubleValue", "double_value")
        } else if node.has("bytesValue", "bytes_value") {
            message.bytesValue = try node.base64("bytesValue", "bytes_value")
        } else if let array = try node.object("arrayValue", "array_value") {
            var values = ArrayValue()
            values.values = try array.array("values").map(anyValue)
            message.arrayValue = values
        } else if let list = try node.object("kvlistValue", "kvlist_value") {
            var values = KeyValueList()
            values.values = try list.array("values").map(keyValue)
            message.kvlistValue = values
        }
        return message
    }

}

/// The OTLP/JSON rules for scalars, shared by the tree's decoder and the direct one.
enum OTLPJSONScalars {
    static let spanKindNames: [String: Int] = [
        "SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2,
        "SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
    ]
    static let statusCodeNames: [String: Int] = [
        "STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2,
    ]

    /// Trace and span ids: hex in OTLP/JSON. Base64 of the right size is accepted as a courtesy
    /// to exporters that used the plain proto3 mapping. Anything else yields empty bytes, which
    /// the mapper rejects for that span alone.
    /// Read from the text's bytes in place: hex straight into the id's bytes.
    static func id(_ text: UnsafeBufferPointer<UInt8>) -> Data {
        var id = Data(count: text.count / 2)
        // An odd length fails here: the decode needs exactly two digits per byte.
        if id.withUnsafeMutableBytes({ Hex.decode(text, into: $0) }) { return id }
        if text.count == 24 || text.count == 12, let bytes = Data(base64Encoded: String(decoding: text, as: UTF8.self)) { return bytes }
        return Data()
    }

    /// A double from a JSON number's text, or from a string (which may also name NaN and the infinities).
    static func double(_ text: String, quoted: Bool) -> Double? {
        if quoted {
            switch text {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default: break
            }
        }
        return Double(text)
    }

    /// An enum as its integer (what OTLP requires) or, leniently, as its name.
    static func enumNumber(_ text: String, quoted: Bool, names: [String: Int]) -> Int? {
        quoted ? names[text] ?? Int32(text).map(Int.init) : Int32(text).map(Int.init)
    }
}

/// Where an object is in the document (`$.resourceSpans[0].scopeSpans[0]`), spelled out only
/// when an error names it: formatting it for every object cost a tenth of decoding a body.
indirect enum JSONPath: CustomStringConvertible {
    case root
    case member(JSONPath, String)
    case element(JSONPath, String, Int)

    var description: String {
        switch self {
        case .root: "$"
        case .member(let parent, let name): "\(parent).\(name)"
        case .element(let parent, let name, let offset): "\(parent).\(name)[\(offset)]"
        }
    }
}

/// A JSON object with its path in the document, so that every error says where it happened.
struct JSONObject {
    let members: JSONMembers
    let path: JSONPath

    init(_ value: JSONValue, path: JSONPath) throws(DecodeError) {
        guard case .object(let members) = value else {
            throw .malformed("JSON: \(path) must be an object")
        }
        self.members = members
        self.path = path
    }

    func has(_ names: String...) -> Bool {
        names.contains { name in
            if let value = members[name], value != .null { return true }
            return false
        }
    }

    /// The first of the names that is present and not null, with the name that matched.
    private func lookup(_ names: [String]) -> (String, JSONValue)? {
        for name in names {
            if let value = members[name], value != .null { return (name, value) }
        }
        return nil
    }

    private func fail(_ name: String, _ expected: String) -> DecodeError {
        .malformed("JSON: \(path).\(name) must be \(expected)")
    }

    func object(_ names: String...) throws(DecodeError) -> JSONObject? {
        guard let (name, value) = lookup(names) else { return nil }
        return try JSONObject(value, path: .member(path, name))
    }

    func array(_ names: String...) throws(DecodeError) -> [JSONObject] {
        guard let (name, value) = lookup(names) else { return [] }
        guard case .array(let elements) = value else { throw fail(name, "an array") }
        var objects: [JSONObject] = []
        objects.reserveCapacity(elements.count)
        for (offset, element) in elements.enumerated() {
            objects.append(try JSONObject(element, path: .element(path, name, offset)))
        }
        return objects
    }

    func string(_ names: String...) throws(DecodeError) -> String {
        guard let (name, value) = lookup(names) else { return "" }
        guard case .string(let text) = value else { throw fail(name, "a string") }
        return text
    }

    func bool(_ names: String...) throws(DecodeError) -> Bool {
        guard let (name, value) = lookup(names) else { return false }
        guard case .bool(let flag) = value else { throw fail(name, "true or false") }
        return flag
    }

    /// An integer given as a JSON number or a decimal string (proto3 JSON allows both).
    private func integerText(_ names: [String]) throws(DecodeError) -> (String, String)? {
        guard let (name, value) = lookup(names) else { return nil }
        switch value {
        case .number(let text), .string(let text): return (name, text)
        default: throw fail(name, "an integer")
        }
    }

    func uint64(_ names: String...) throws(DecodeError) -> UInt64 {
        guard let (name, text) = try integerText(names) else { return 0 }
        guard let number = parseInteger(text, as: UInt64.self) else { throw fail(name, "an unsigned 64-bit integer") }
        return number
    }

    func int64(_ names: String...) throws(DecodeError) -> Int64 {
        guard let (name, text) = try integerText(names) else { return 0 }
        guard let number = parseInteger(text, as: Int64.self) else { throw fail(name, "a 64-bit integer") }
        return number
    }

    func uint32(_ names: String...) throws(DecodeError) -> UInt32 {
        guard let (name, text) = try integerText(names) else { return 0 }
        guard let number = parseInteger(text, as: UInt32.self) else { throw fail(name, "an unsigned 32-bit integer") }
        return number
    }

    func double(_ names: String...) throws(DecodeError) -> Double {
        guard let (name, value) = lookup(names) else { return 0 }
        switch value {
        case .number(let text): if let number = OTLPJSONScalars.double(text, quoted: false) { return number }
        case .string(let text): if let number = OTLPJSONScalars.double(text, quoted: true) { return number }
        default: break
        }
        throw fail(name, "a number")
    }

    /// An enum as its integer (what OTLP requires) or, leniently, as its name.
    func enumValue(_ name: String, names: [String: Int]) throws(DecodeError) -> Int {
        guard let (matched, value) = lookup([name]) else { return 0 }
        switch value {
        case .number(let text): if let number = OTLPJSONScalars.enumNumber(text, quoted: false, names: names) { return number }
        case .string(let text): if let number = OTLPJSONScalars.enumNumber(text, quoted: true, names: names) { return number }
        default: break
        }
        throw fail(matched, "an enum number")
    }

    /// Trace and span ids (`OTLPJSONScalars.id`).
    func id(_ names: String...) throws(DecodeError) -> Data {
        guard let (name, value) = lookup(names) else { return Data() }
        guard case .string(var text) = value else { throw fail(name, "a hex string") }
        return text.withUTF8(OTLPJSONScalars.id)
    }

    func base64(_ names: String...) throws(DecodeError) -> Data {
        guard let (name, value) = lookup(names) else { return Data() }
        guard case .string(let text) = value, let bytes = Data(base64Encoded: text) else {
            throw fail(name, "base64")
        }
        return bytes
    }
}

/// Parses a decimal integer; also accepts an integral value written with a fraction or
/// exponent (`1e3`, `5.0`), which proto3 JSON allows for integer fields.
func parseInteger<T: FixedWidthInteger>(_ text: String, as type: T.Type) -> T? {
    if let number = T(text) { return number }
    // Foundation's Decimal reads a valid prefix ("12abc" as 12); only a whole JSON number may pass.
    guard isJSONNumber(text), let number = Decimal(string: text), number == number.rounded() else { return nil }
    let integral = NSDecimalNumber(decimal: number)
    if integral.compare(NSDecimalNumber(string: String(T.max))) == .orderedDescending { return nil }
    if integral.compare(NSDecimalNumber(string: String(T.min))) == .orderedAscending { return nil }
    return T(integral.stringValue)
}

/// `parseInteger` for a string's bytes: plain decimal digits, a minus for signed types, read in
/// place (span times come as 19-digit strings); any other form, or a value out of range, goes
/// through the string, which gives the same answer for these.
func parseInteger<T: FixedWidthInteger>(_ bytes: UnsafeBufferPointer<UInt8>, as type: T.Type) -> T? {
    func general() -> T? { parseInteger(String(decoding: bytes, as: UTF8.self), as: type) }
    let negative = bytes.first == UInt8(ascii: "-")
    let start = negative ? 1 : 0
    guard bytes.count > start, bytes.count - start <= 19, !negative || T.isSigned else { return general() }
    var magnitude: UInt64 = 0
    for index in start..<bytes.count {
        let digit = bytes[index] &- UInt8(ascii: "0")
        guard digit < 10 else { return general() }
        magnitude = magnitude * 10 + UInt64(digit)
    }
    if negative {
        guard magnitude <= UInt64(Int64.max), let value = T(exactly: -Int64(magnitude)) else { return general() }
        return value
    }
    return T(exactly: magnitude) ?? general()
}

/// `-? int frac? exp?` of RFC 8259, the forms proto3 JSON allows for an integer (`1e3` included).
private func isJSONNumber(_ text: String) -> Bool {
    var bytes = text.utf8[...]
    func digits() -> Int {
        let count = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
        bytes = bytes.dropFirst(count)
        return count
    }
    if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
    guard digits() > 0 else { return false }
    if bytes.first == UInt8(ascii: ".") {
        bytes = bytes.dropFirst()
        guard digits() > 0 else { return false }
    }
    if let e = bytes.first, e | 0x20 == UInt8(ascii: "e") {
        bytes = bytes.dropFirst()
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        guard digits() > 0 else { return false }
    }
    return bytes.isEmpty
}

private extension Decimal {
    func rounded() -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, 0, .plain)
        return result
    }
}
