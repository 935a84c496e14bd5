import CZstd
import Foundation
import OTLPCodec

/// Small builders for OTLP exports, so that each test states only what it is about.
public enum OTLP {
    public static func string(_ text: String) -> AnyValue {
        var value = AnyValue()
        value.stringValue = text
        return value
    }

    public static func int(_ number: Int64) -> AnyValue {
        var value = AnyValue()
        value.intValue = number
        return value
    }

    public static func double(_ number: Double) -> AnyValue {
        var value = AnyValue()
        value.doubleValue = number
        return value
    }

    public static func bool(_ flag: Bool) -> AnyValue {
        var value = AnyValue()
        value.boolValue = flag
        return value
    }

    public static func bytes(_ data: [UInt8]) -> AnyValue {
        var value = AnyValue()
        value.bytesValue = Data(data)
        return value
    }

    public static func array(_ values: [AnyValue]) -> AnyValue {
        var array = ArrayValue()
        array.values = values
        var value = AnyValue()
        value.arrayValue = array
        return value
    }

    public static func kvlist(_ pairs: KeyValuePairs<String, AnyValue>) -> AnyValue {
        var list = KeyValueList()
        list.values = attributes(pairs)
        var value = AnyValue()
        value.kvlistValue = list
        return value
    }

    public static func attributes(_ pairs: KeyValuePairs<String, AnyValue>) -> [KeyValue] {
        pairs.map { key, value in
            var attribute = KeyValue()
            attribute.key = key
            attribute.value = value
            return attribute
        }
    }

    public static func event(_ name: String, _ pairs: KeyValuePairs<String, AnyValue> = [:]) -> SpanEvent {
        var event = SpanEvent()
        event.name = name
        event.attributes = attributes(pairs)
        return event
    }

    /// Bytes from hex, for ids.
    public static func id(_ hex: String) -> Data {
        var bytes = Data()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    /// A span with valid ids by default; `number` makes the span id unique within a test.
    public static func span(
        _ name: String,
        number: UInt8 = 1,
        traceID: String = "5b8efff798038103d269b633813fc60c",
        parentSpanID: String? = nil,
        start: UInt64 = 1_700_000_000_000_000_000,
        durationNanos: UInt64 = 250_000_000,
        attributes pairs: KeyValuePairs<String, AnyValue> = [:],
        events: [SpanEvent] = []
    ) -> Span {
        var span = Span()
        span.name = name
        span.traceID = id(traceID)
        span.spanID = id("eee19b7ec3c1b1" + String(format: "%02x", number))
        if let parentSpanID { span.parentSpanID = id(parentSpanID) }
        span.kind = .client
        span.startTimeUnixNano = start
        span.endTimeUnixNano = start + durationNanos
        span.attributes = attributes(pairs)
        span.events = events
        return span
    }

    /// A chat span as current instrumentations write it.
    public static func chatSpan(number: UInt8 = 1, traceID: String = "5b8efff798038103d269b633813fc60c") -> Span {
        span("chat gpt-4o", number: number, traceID: traceID, attributes: [
            "gen_ai.operation.name": string("chat"),
            "gen_ai.provider.name": string("openai"),
            "gen_ai.request.model": string("gpt-4o"),
            "gen_ai.usage.input_tokens": int(12),
            "gen_ai.usage.output_tokens": int(7),
        ])
    }

    /// An HTTP client span: not GenAI.
    public static func httpSpan(number: UInt8 = 200) -> Span {
        span("GET /health", number: number, attributes: [
            "http.request.method": string("GET"),
            "url.full": string("https://example.test/health"),
        ])
    }

    public static func export(service: String = "checkout", spans: [Span], scope: String = "test-scope") -> TraceExportRequest {
        var scopeSpans = ScopeSpans()
        scopeSpans.scope.name = scope
        scopeSpans.spans = spans
        var resourceSpans = ResourceSpans()
        resourceSpans.resource.attributes = attributes(["service.name": string(service)])
        resourceSpans.scopeSpans = [scopeSpans]
        var request = TraceExportRequest()
        request.resourceSpans = [resourceSpans]
        return request
    }
}

extension TraceExportRequest {
    public func protobufBytes() -> [UInt8] {
        try! serializedBytes()
    }

    /// OTLP/JSON as exporters send it: the proto3 JSON mapping with hex ids.
    public func otlpJSONBytes() -> [UInt8] {
        let standard = try! jsonUTF8Data()
        let tree = try! JSONSerialization.jsonObject(with: standard)
        let converted = hexIDs(tree)
        return Array(try! JSONSerialization.data(withJSONObject: converted))
    }
}

private func hexIDs(_ node: Any) -> Any {
    if let object = node as? [String: Any] {
        var out: [String: Any] = [:]
        for (key, value) in object {
            if ["traceId", "spanId", "parentSpanId"].contains(key), let base64 = value as? String,
               let bytes = Data(base64Encoded: base64) {
                out[key] = bytes.map { String(format: "%02x", $0) }.joined()
            } else {
                out[key] = hexIDs(value)
            }
        }
        return out
    }
    if let array = node as? [Any] { return array.map(hexIDs) }
    return node
}

/// `bytes` gzip-compressed by the system's gzip.
public func gzip(_ bytes: [UInt8]) -> [UInt8] {
    piped(bytes, through: "/bin/gzip", ["-c"])
}

/// `bytes` as HTTP's `deflate`: a zlib stream (RFC 1950), made by Python's zlib.
public func deflate(_ bytes: [UInt8]) -> [UInt8] {
    piped(bytes, through: "/usr/bin/env", ["python3", "-c", "import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))"])
}

/// `bytes` as one zstd frame (level 3), by libzstd.
public func zstd(_ bytes: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
    let size = out.withUnsafeMutableBytes { target in
        bytes.withUnsafeBytes { source in ZSTD_compress(target.baseAddress, target.count, source.baseAddress, source.count, 3) }
    }
    return Array(out.prefix(size))
}

/// Runs `executable` with `bytes` on its standard input and returns its standard output, through
/// files rather than pipes: a pipe's end inherited by a process that another test starts meanwhile
/// (a PostgreSQL server lives for the whole run) would keep its end-of-file from ever coming.
private func piped(_ bytes: [UInt8], through executable: String, _ arguments: [String]) -> [UInt8] {
    let folder = temporaryFolder()
    defer { removeTemporaryFolder(folder) }
    let inputPath = folder + "/in", outputPath = folder + "/out"
    FileManager.default.createFile(atPath: inputPath, contents: Data(bytes))
    FileManager.default.createFile(atPath: outputPath, contents: nil)
    let input = FileHandle(forReadingAtPath: inputPath)!, output = FileHandle(forWritingAtPath: outputPath)!
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = input
    process.standardOutput = output
    try! process.run()
    process.waitUntilExit()
    try? input.close()
    try? output.close()
    return Array(FileManager.default.contents(atPath: outputPath) ?? Data())
}

/// A fresh temporary folder, removed by the caller with `removeTemporaryFolder`.
public func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "ingate-test-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

public func removeTemporaryFolder(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}
