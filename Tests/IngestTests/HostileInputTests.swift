import Foundation
import OTLPCodec
import Testing
@testable import Ingest
@testable import Storage
import TestSupport

/// Limits crossed on purpose: each answers its status with a message naming the limit, stores
/// nothing, and never crashes.
@Suite struct HostileInputTests {
    func handler(limits: DecodingLimits, fixture: HandlerFixture) -> ExportHandler {
        ExportHandler(configuration: IngestConfiguration(decoding: limits), keys: KeyRing(source: fixture.store), sink: fixture.store)
    }

    func send(_ handler: ExportHandler, key: String, body: [UInt8], address: String = "198.51.100.7") -> ExportResponse {
        let head = RequestHead(method: "POST", path: "/v1/traces", contentType: "application/x-protobuf",
                               contentLength: body.count, ingateKey: key, remoteAddress: address)
        return handler.respond(to: head) { _ in body }
    }

    @Test(arguments: [
        ("spans", DecodingLimits(maxSpans: 3), "more than 3 GenAI spans"),
        ("attributes", DecodingLimits(maxAttributesPerSpan: 4), "attributes; the limit is 4"),
        ("events", DecodingLimits(maxEventsPerSpan: 1), "events; the limit is 1"),
        ("string", DecodingLimits(maxStringBytes: 1_000), "string over 1000 bytes"),
    ])
    func crossingACountOrSizeLimitIs413(name: String, limits: DecodingLimits, message: String) throws {
        let fixture = try HandlerFixture()
        var spans = (1...4).map { OTLP.chatSpan(number: UInt8($0)) }
        spans[1].events = [OTLP.event("a"), OTLP.event("b")]
        spans[2].attributes += OTLP.attributes(["gen_ai.prompt": OTLP.string(String(repeating: "x", count: 2_000))])
        let response = send(handler(limits: limits, fixture: fixture), key: fixture.key, body: OTLP.export(spans: spans).protobufBytes())
        #expect(response.status == 413)
        #expect(try RPCStatus(serializedBytes: response.body).message.contains(message))
        #expect(fixture.storedCount == 0)
    }

    @Test func aHundredThousandDeepValueIs400WithoutOverflowingTheStack() throws {
        let fixture = try HandlerFixture()
        // AnyValue{array_value: ArrayValue{values: [AnyValue{…}]}}, 100 000 levels, built inside out.
        var value: [UInt8] = []
        for _ in 0..<100_000 {
            let array = [0x0A] + varint(value.count) + value          // ArrayValue.values = 1
            value = [0x2A] + varint(array.count) + array               // AnyValue.array_value = 5
        }
        let key = Array("gen_ai.prompt".utf8)   // a GenAI key, so the span is decoded in full
        let keyValue = [0x0A] + varint(key.count) + key + [0x12] + varint(value.count) + value
        var span = OTLP.chatSpan()
        span.attributes = []
        var spanBytes: [UInt8] = try span.serializedBytes()
        spanBytes += [0x4A] + varint(keyValue.count) + keyValue     // Span.attributes = 9
        let scope = [0x12] + varint(spanBytes.count) + spanBytes
        let resource = [0x12] + varint(scope.count) + scope
        let body = [0x0A] + varint(resource.count) + resource
        #expect(body.count < 4 << 20)
        let response = send(handler(limits: DecodingLimits(), fixture: fixture), key: fixture.key, body: body)
        #expect(response.status == 400)
        #expect(try RPCStatus(serializedBytes: response.body).message.contains("nested too deeply"))
        #expect(fixture.storedCount == 0)
    }

    @Test func anAddressThatFailsTooOftenGets429ButAValidKeyFromItIsAlwaysAccepted() throws {
        let fixture = try HandlerFixture()
        let handler = ExportHandler(configuration: IngestConfiguration(authFailuresPerMinute: 5),
                                    keys: KeyRing(source: fixture.store), sink: fixture.store)
        let body = OTLP.export(spans: [OTLP.chatSpan()]).protobufBytes()
        let statuses = (0..<8).map { _ in send(handler, key: "sk-ingate-guess-guess-guess", body: body).status }
        #expect(statuses == [401, 401, 401, 401, 401, 429, 429, 429])
        let limited = send(handler, key: "sk-ingate-guess-guess-guess", body: body)
        #expect(limited.status == 429)
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 > 0)
        // A neighbour behind the same NAT with a valid key is not locked out.
        #expect(send(handler, key: fixture.key, body: body).status == 200)
        #expect(send(handler, key: fixture.key, body: body, address: "203.0.113.9").status == 200)
        #expect(fixture.storedCount == 1)
    }

    @Test func theLimiterForgetsAnAddressAfterItsWindow() {
        let limiter = AuthFailureLimiter(maxFailures: 2, window: 60)
        let start = Date(timeIntervalSince1970: 1_000)
        limiter.recordFailure("a", now: start)
        limiter.recordFailure("a", now: start)
        #expect(limiter.retryAfter("a", now: start) == nil)
        limiter.recordFailure("a", now: start)
        #expect(limiter.retryAfter("a", now: start.addingTimeInterval(10)) == 50)
        #expect(limiter.retryAfter("a", now: start.addingTimeInterval(59.5)) == 1)
        #expect(limiter.retryAfter("a", now: start.addingTimeInterval(61)) == nil)
        #expect(limiter.retryAfter("b", now: start) == nil)
    }

    @Test func databaseFilesAreReadableByTheOwnerOnly() throws {
        let fixture = try HandlerFixture()
        #expect(send(handler(limits: DecodingLimits(), fixture: fixture), key: fixture.key,
                     body: OTLP.export(spans: [OTLP.chatSpan()]).protobufBytes()).status == 200)
        for suffix in ["", "-wal", "-shm"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: fixture.folder + "/ingate.db" + suffix)
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
            #expect(mode & 0o077 == 0, "ingate.db\(suffix) has mode \(String(mode, radix: 8))")
        }
    }
}

func varint(_ value: Int) -> [UInt8] {
    var value = UInt64(value)
    var bytes: [UInt8] = []
    repeat {
        var byte = UInt8(value & 0x7F)
        value >>= 7
        if value != 0 { byte |= 0x80 }
        bytes.append(byte)
    } while value != 0
    return bytes
}
