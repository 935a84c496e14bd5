import LLMLog
import APIKeys
import Foundation
import OTLPCodec
import Testing
@testable import Ingest
@testable import Storage
import TestSupport

/// The inputs of the abuse review (issue 15), each answered correctly without harm to the worker.
@Suite struct AbuseTests {
    @Test func aKeyOfAHundredThousandDottedSegmentsIsStoredWithoutOverflowingTheStack() throws {
        let fixture = try HandlerFixture()
        var span = OTLP.chatSpan()
        let key = "gen_ai.prompt.0" + String(repeating: ".a", count: 100_000)
        span.attributes += OTLP.attributes([key: OTLP.string("x")])
        let body = gzip(OTLP.export(spans: [span]).protobufBytes())
        #expect(body.count < 2_000)
        let response = fixture.send(encoding: "gzip", body: body)
        #expect(response.status == 200)
        #expect(fixture.storedCount == 1)
    }

    @Test func twoHundredThousandSkippedSpansAreNotRefused() throws {
        let fixture = try HandlerFixture()
        let spans = (0..<200_000).map { number -> Span in
            var span = OTLP.httpSpan(number: UInt8(truncatingIfNeeded: number))
            span.spanID = Data(withUnsafeBytes(of: UInt64(number + 1).bigEndian, Array.init))
            return span
        } + [OTLP.chatSpan()]
        let plain = OTLP.export(spans: spans).protobufBytes()
        #expect(plain.count > 4 << 20)   // over the body limit as sent, so gzip it as an exporter would
        let response = fixture.send(encoding: "gzip", body: gzip(plain))
        #expect(response.status == 200)
        #expect(response.outcome.dropped == 200_000)
        #expect(fixture.storedCount == 1)
    }

    @Test func bytesAfterTheGzipStreamAre400ButConcatenatedMembersAreRead() throws {
        let fixture = try HandlerFixture()
        let one = gzip(OTLP.export(spans: [OTLP.chatSpan(number: 1)]).protobufBytes())
        let garbage = fixture.send(encoding: "gzip", body: one + Array("trailing".utf8))
        #expect(garbage.status == 400)
        #expect(try RPCStatus(serializedBytes: garbage.body).message.contains("after the end of the gzip stream"))
        #expect(fixture.storedCount == 0)

        // Two members whose protobuf halves concatenate into one export of two spans.
        let first = OTLP.export(spans: [OTLP.chatSpan(number: 1)]).protobufBytes()
        let second = OTLP.export(spans: [OTLP.chatSpan(number: 2)]).protobufBytes()
        let members = fixture.send(encoding: "gzip", body: gzip(first) + gzip(second))
        #expect(members.status == 200)
        #expect(fixture.storedCount == 2)
    }

    @Test(arguments: ["\"12abc\"", "\"1 2\"", "\"0x10\"", "\"\"", "1.5", "\"9223372036854775808\""])
    func anIntValueThatIsNotAnIntegerIs400NamingTheField(value: String) throws {
        let fixture = try HandlerFixture()
        let json = #"""
            {"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",
             "spanId":"eee19b7ec3c1b101","name":"chat","attributes":[
               {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},
               {"key":"gen_ai.usage.input_tokens","value":{"intValue":\#(value)}}]}]}]}]}
            """#
        let response = fixture.send(contentType: "application/json", body: Array(json.utf8))
        #expect(response.status == 400)
        #expect(String(decoding: response.body, as: UTF8.self).contains("intValue"))
        #expect(fixture.storedCount == 0)
    }

    @Test func textWithANulIsStoredWhole() throws {
        let fixture = try HandlerFixture()
        var span = OTLP.chatSpan()
        span.attributes += OTLP.attributes(["gen_ai.prompt": OTLP.string("visible\u{0}hidden"), "app.note": OTLP.string("note\u{0}tail")])
        #expect(fixture.send(body: OTLP.export(spans: [span]).protobufBytes()).status == 200)
        let stored = try fixture.store.recentLogs(limit: 1)[0].record
        #expect(stored.prompt == "visible\u{0}hidden")
        #expect(stored.attributesJSON.contains("note\\u0000tail"))
        // Stored verbatim as the prompt, so not again among the attributes.
        #expect(!stored.attributesJSON.contains("gen_ai.prompt"))
    }

    @Test func manyJSONValuesAre413WhileParsing() throws {
        let fixture = try HandlerFixture()
        var configuration = IngestConfiguration()
        configuration.decoding.maxValues = 1_000
        let handler = ExportHandler(configuration: configuration, keys: KeyRing(source: fixture.store), sink: fixture.store)
        let attributes = (0..<600).map { #"{"key":"k\#($0)","value":{"intValue":1}}"# }.joined(separator: ",")
        let json = #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x","attributes":[\#(attributes)]}]}]}]}"#
        let head = RequestHead(method: "POST", path: "/v1/traces", contentType: "application/json",
                               contentLength: json.utf8.count, ingateKey: fixture.key)
        let response = handler.respond(to: head) { _ in Array(json.utf8) }
        #expect(response.status == 413)
        #expect(String(decoding: response.body, as: UTF8.self).contains("more than 1000 values"))
    }

    @Test(arguments: ["/v1/anything/at/all/v1/traces", "/x/v1/traces", "/v1/traces/", "/v1/tracesx"])
    func onlyTheExactPathIsAnEndpoint(path: String) throws {
        let fixture = try HandlerFixture()
        #expect(fixture.send(path: path, body: export.protobufBytes()).status == 404)
        #expect(fixture.storedCount == 0)
    }

    @Test func aConfiguredPrefixIsTheOnlyOneAccepted() throws {
        let fixture = try HandlerFixture()
        let handler = ExportHandler(configuration: IngestConfiguration(pathPrefix: "/otel/"),
                                    keys: KeyRing(source: fixture.store), sink: fixture.store)
        let body = export.protobufBytes()
        func status(_ path: String) -> Int {
            let head = RequestHead(method: "POST", path: path, contentType: "application/x-protobuf",
                                   contentLength: body.count, ingateKey: fixture.key)
            return handler.respond(to: head) { _ in body }.status
        }
        #expect(status("/otel/v1/traces") == 200)
        #expect(status("/v1/traces") == 404)
        #expect(status("/other/v1/traces") == 404)
    }
}

@Suite struct AuthFailureLimiterTests {
    @Test func ipv6AddressesAreCountedByTheirSlash64() {
        let limiter = AuthFailureLimiter(maxFailures: 2, window: 60)
        let now = Date(timeIntervalSince1970: 1_000)
        limiter.recordFailure("2001:db8:1:2::1", now: now)
        limiter.recordFailure("2001:db8:1:2:ffff::9", now: now)
        limiter.recordFailure("2001:db8:1:2:ffff::10", now: now)
        #expect(limiter.retryAfter("2001:db8:1:2:aaaa::1", now: now) != nil)
        #expect(limiter.retryAfter("2001:db8:1:3::1", now: now) == nil)
        #expect(AuthFailureLimiter.network(of: "203.0.113.9") == "203.0.113.9")
    }

    @Test func aFullTableEvictsTheOldestInsteadOfForgettingEveryone() {
        let limiter = AuthFailureLimiter(maxFailures: 1, window: 60, maxAddresses: 100)
        let start = Date(timeIntervalSince1970: 1_000)
        // The attacker to keep limited fails last, after 99 others filled the table.
        for index in 0..<99 { limiter.recordFailure("10.0.0.\(index)", now: start) }
        limiter.recordFailure("198.51.100.7", now: start.addingTimeInterval(5))
        limiter.recordFailure("198.51.100.7", now: start.addingTimeInterval(5))
        for index in 0..<50 { limiter.recordFailure("10.1.0.\(index)", now: start.addingTimeInterval(10)) }
        #expect(limiter.trackedNetworks <= 100)
        #expect(limiter.retryAfter("198.51.100.7", now: start.addingTimeInterval(11)) != nil)
    }
}

/// A key source whose reads start failing on demand.
final class FlakyKeySource: KeySource, @unchecked Sendable {
    let keys: [ActiveKey]
    var failing = false
    init(keys: [ActiveKey]) { self.keys = keys }
    func activeKeys() throws(StoreError) -> [ActiveKey] {
        if failing { throw .retryable("database is busy") }
        return keys
    }
    func activeKey(hash: [UInt8]) throws(StoreError) -> ActiveKey? {
        if failing { throw .retryable("database is busy") }
        return keys.first { $0.hash == hash }
    }
}

@Suite struct KeyRingTests {
    @Test func aStaleKeyListFailsClosedWhenStorageCannotBeRead() throws {
        let key = "sk-ingate-0123456789abcdef0123"
        let source = FlakyKeySource(keys: [ActiveKey(id: 7, hash: APIKeyFormat.sha256(key))])
        let ring = KeyRing(source: source, refreshInterval: 0.05, maxStaleness: 0.3)
        #expect(try ring.key(for: key)?.id == 7)
        source.failing = true
        Thread.sleep(forTimeInterval: 0.1)
        #expect(try ring.key(for: key)?.id == 7)   // briefly unreadable: the last list still holds
        Thread.sleep(forTimeInterval: 0.3)
        #expect(throws: StoreError.retryable("database is busy")) { try ring.key(for: key) }
    }
}

@Suite struct AmplificationTests {
    /// 50 GenAI spans under a resource of 1 MiB of control bytes: about 1.7 KB gzipped.
    func controlByteExport(spans: Int = 50) -> [UInt8] {
        var export = OTLP.export(spans: (1...spans).map { OTLP.chatSpan(number: UInt8($0)) })
        export.resourceSpans[0].resource.attributes += OTLP.attributes(["junk": OTLP.string(String(repeating: "\u{1}", count: 1 << 20))])
        return gzip(export.protobufBytes())
    }

    @Test func aResourceIsStoredOnceNotOncePerRow() throws {
        let fixture = try HandlerFixture()
        let body = controlByteExport()
        #expect(body.count < 4_000)
        #expect(fixture.send(encoding: "gzip", body: body).status == 200)
        #expect(fixture.storedCount == 50)
        let (resources, rowBytes) = try fixture.store.withConnection { db throws(StorageError) -> (Int64?, Int64?) in
            let count = try db.prepare("SELECT count(*) FROM resources")
            _ = try count.step()
            let bytes = try db.prepare("SELECT sum(length(attributes) + coalesce(length(resource), 0)) FROM llm_logs")
            _ = try bytes.step()
            return (count.int64(0), bytes.int64(0))
        }
        #expect(resources == 1)
        #expect((rowBytes ?? .max) < 1 << 20)   // 50 rows, and no copy of the 6 MiB resource JSON among them
        let size = (try FileManager.default.attributesOfItem(atPath: fixture.folder + "/ingate.db-wal")[.size] as? NSNumber)?.intValue ?? 0
        #expect(size < 16 << 20, "WAL is \(size) bytes")
        // Read back whole, as `logs --json` shows it.
        #expect(try fixture.store.recentLogs(limit: 1)[0].record.resourceJSON.contains("junk"))
    }

    /// One span under the 1 MiB control-byte resource, through a handler with `configuration`.
    func sendOneControlByteSpan(_ fixture: HandlerFixture, _ configuration: IngestConfiguration) -> ExportResponse {
        let handler = ExportHandler(configuration: configuration, keys: KeyRing(source: fixture.store), sink: fixture.store)
        let body = controlByteExport(spans: 1)
        let head = RequestHead(method: "POST", path: "/v1/traces", contentType: "application/x-protobuf", contentEncoding: "gzip",
                               contentLength: body.count, ingateKey: fixture.key)
        return handler.respond(to: head) { _ in body }
    }

    @Test func escapedTextIsCountedBeforeMapping() throws {
        let fixture = try HandlerFixture()
        var configuration = IngestConfiguration()
        configuration.decoding.maxEscapedBytes = 4 << 20   // 1 MiB of controls is 6 MiB escaped
        let response = sendOneControlByteSpan(fixture, configuration)
        #expect(response.status == 413)
        #expect(try RPCStatus(serializedBytes: response.body).message.contains("bytes of escaped text"))
        #expect(fixture.storedCount == 0)
    }

    @Test func aRequestThatWouldStoreTooMuchIs413AndStoresNothing() throws {
        let fixture = try HandlerFixture()
        var configuration = IngestConfiguration()
        configuration.maxStoredBytesPerRequest = 4 << 20   // the 1 MiB of controls escapes to 6 MiB
        let response = sendOneControlByteSpan(fixture, configuration)
        #expect(response.status == 413)
        #expect(try RPCStatus(serializedBytes: response.body).message.contains("one request may store"))
        #expect(fixture.storedCount == 0)
    }
}

@Suite struct MemoryBudgetTests {
    @Test func aRequestThatFindsTheBudgetSpentGets503WithRetryAfterAndOneThatCouldNeverFitGets413() throws {
        let fixture = try HandlerFixture()
        var configuration = IngestConfiguration()
        configuration.memoryBudgetBytes = 100_000
        let handler = ExportHandler(configuration: configuration, keys: KeyRing(source: fixture.store), sink: fixture.store)
        let body = OTLP.export(spans: [OTLP.chatSpan()]).protobufBytes()
        let key = fixture.key
        @Sendable func head(declaring length: Int, encoding: String? = nil) -> RequestHead {
            RequestHead(method: "POST", path: "/v1/traces", contentType: "application/x-protobuf", contentEncoding: encoding,
                        contentLength: length, ingateKey: key)
        }
        let reading = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let first = Flag()
        let slow = Thread {
            let response = handler.respond(to: head(declaring: 80_000)) { _ in
                reading.signal()
                release.wait()
                return body
            }
            if response.status == 200 { first.set() }
        }
        slow.start()
        reading.wait()
        let refused = handler.respond(to: head(declaring: 30_000)) { _ in body }
        #expect(refused.status == 503)
        #expect(refused.header("Retry-After") != nil)
        release.signal()
        while !slow.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        #expect(first.isSet)

        // Alone, but a gzip body whose inflated size times the decoding cost exceeds the budget.
        let big = gzip(Array(repeating: 0, count: 1 << 20))
        let tooBig = handler.respond(to: head(declaring: big.count, encoding: "gzip")) { _ in big }
        #expect(tooBig.status == 413)
        #expect(handler.respond(to: head(declaring: body.count)) { _ in body }.status == 200)
    }

    /// Large requests leave the headroom free: an ordinary export still gets through while big
    /// ones hold the rest of the budget.
    @Test func largeRequestsLeaveRoomForSmallOnes() {
        let budget = MemoryBudget(capacity: 320)
        #expect(budget.tryReserve(280, requestTotal: 280))
        #expect(!budget.tryReserve(5, requestTotal: 100))
        #expect(budget.tryReserve(10, requestTotal: 10))
        #expect(budget.tryReserve(10, requestTotal: 10))
        #expect(!budget.tryReserve(30, requestTotal: 10))
        budget.release(280)
        #expect(budget.tryReserve(100, requestTotal: 100))
    }

    /// 10 000 empty array elements are 20 KB on the wire and megabytes as values: the values are
    /// what is reserved, and after the request the budget is whole again.
    @Test func valuesAreReservedNotJustBytes() throws {
        let fixture = try HandlerFixture()
        var configuration = IngestConfiguration()
        configuration.memoryBudgetBytes = 1 << 20
        let handler = ExportHandler(configuration: configuration, keys: KeyRing(source: fixture.store), sink: fixture.store)
        var span = OTLP.chatSpan()
        span.attributes += OTLP.attributes(["list": OTLP.array(Array(repeating: AnyValue(), count: 10_000))])
        let body = OTLP.export(spans: [span]).protobufBytes()
        #expect(body.count * ExportHandler.decodingCost(.protobuf) < configuration.memoryBudgetBytes)
        let head = RequestHead(method: "POST", path: "/v1/traces", contentType: "application/x-protobuf",
                               contentLength: body.count, ingateKey: fixture.key)
        let response = handler.respond(to: head) { _ in body }
        #expect(response.status == 413)
        #expect(String(decoding: response.body, as: UTF8.self).contains("MiB this receiver gives one large request in flight"))
        #expect(fixture.storedCount == 0)
        #expect(handler.memoryInUse == 0)
        let small = OTLP.export(spans: [OTLP.chatSpan()]).protobufBytes()
        let smallHead = RequestHead(method: "POST", path: "/v1/traces", contentType: "application/x-protobuf",
                                    contentLength: small.count, ingateKey: fixture.key)
        #expect(handler.respond(to: smallHead) { _ in small }.status == 200)
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// nginx's key-only probe (auth_request) as the handler sees it.
@Suite struct AuthStepTests {
    func probe(_ handler: ExportHandler, key: String?, method: String = "POST", path: String = "/v1/traces") -> ExportResponse {
        let head = RequestHead(method: method, path: path, contentType: "application/x-protobuf", ingateKey: key,
                               remoteAddress: "198.51.100.7", authStep: .probe)
        return handler.respond(to: head) { _ in
            Issue.record("a key-only step must not read a body")
            return []
        }
    }

    @Test func theProbeAllowsAValidKeyAndRefusesWithTheStatusTheExportWouldHaveHad() throws {
        let fixture = try HandlerFixture()
        let handler = ExportHandler(configuration: IngestConfiguration(authFailuresPerMinute: 3),
                                    keys: KeyRing(source: fixture.store), sink: fixture.store)
        #expect(probe(handler, key: fixture.key).status == 204)
        // A wrong method or path is left to the export itself (405, 404 in their order).
        #expect(probe(handler, key: nil, method: "GET").status == 204)
        #expect(probe(handler, key: nil, path: "/v1/metrics").status == 204)

        let refusals = (0..<5).map { _ in probe(handler, key: "sk-ingate-guess-guess-guess") }
        #expect(refusals.map(\.status) == [401, 401, 401, 401, 401])
        #expect(refusals.map { $0.header("X-Ingate-Refusal") } == ["401", "401", "401", "429", "429"])
        #expect(Int(refusals[4].header("Retry-After") ?? "") ?? 0 > 0)
        #expect(probe(handler, key: fixture.key).status == 204)   // the neighbour's valid key
        #expect(fixture.storedCount == 0)
    }
}

/// The one list of limits and what is derived from it.
@Suite struct ReceiverLimitsTests {
    @Test func theREADMETableIsTheListsOwn() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        #expect(text.contains(ReceiverLimits.markdown), "README's limits table is stale: paste `ingate-otel limits --markdown`")
    }

    @Test func theListCarriesTheValuesTheResponderEnforces() {
        let byKey = Dictionary(uniqueKeysWithValues: ReceiverLimits.all.map { ($0.key, $0.value) })
        let ingest = IngestConfiguration()
        #expect(byKey["BODY_BYTES"] == ingest.maxBodyBytes)
        #expect(byKey["VALUES"] == ingest.decoding.maxValues)
        #expect(byKey["MEMORY_BUDGET_BYTES"] == ingest.memoryBudgetBytes)
        #expect(ReceiverLimits.environment.contains("INGATE_LIMIT_BODY_BYTES=\(ingest.maxBodyBytes)\n"))
    }
}
