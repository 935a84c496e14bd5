import APIKeys
import LLMLog
import GenAIMapping
import Foundation
import OTLPCodec
import SwiftProtobuf
import Testing
@testable import Ingest
@testable import Storage
import TestSupport

/// A handler over a real store in a temporary folder, with one active and one revoked key.
final class HandlerFixture {
    let folder = temporaryFolder()
    let store: SQLiteLogStore
    let key: String
    let revokedKey: String
    let handler: ExportHandler

    init(maxInflatedBytes: Int = 64 << 20, busyTimeoutMilliseconds: Int32 = 5_000) throws {
        store = try SQLiteLogStore(path: folder + "/ingate.db", busyTimeoutMilliseconds: busyTimeoutMilliseconds, joiningContent: ContentJoin.rule)
        key = try store.createKey(name: "dev").key
        let revoked = try store.createKey(name: "old")
        try store.revokeKey(id: revoked.id)
        revokedKey = revoked.key
        var configuration = IngestConfiguration()
        configuration.decoding.maxInflatedBytes = maxInflatedBytes
        handler = ExportHandler(configuration: configuration, keys: KeyRing(source: store, refreshInterval: 0), sink: store)
    }

    deinit { removeTemporaryFolder(folder) }

    func send(method: String = "POST", path: String = "/v1/traces", contentType: String? = "application/x-protobuf",
              encoding: String? = nil, key: String?? = .none, authorization: String? = nil,
              declaredLength: Int? = nil, body: [UInt8]) -> ExportResponse {
        let head = RequestHead(method: method, path: path, contentType: contentType, contentEncoding: encoding,
                               contentLength: declaredLength ?? body.count,
                               ingateKey: key ?? self.key, authorization: authorization)
        return handler.respond(to: head) { limit in Array(body.prefix(limit + 1)) }
    }

    var storedCount: Int { (try? store.recentLogs(limit: 10_000).count) ?? -1 }
}

let export = OTLP.export(spans: [OTLP.chatSpan(number: 1), OTLP.httpSpan(number: 2), OTLP.chatSpan(number: 3)])

@Suite struct ExportHandlerTests {
    @Test func protobufExportIsStoredAndAnsweredWithAnEmptyProtobufResponse() throws {
        let fixture = try HandlerFixture()
        let response = fixture.send(body: export.protobufBytes())
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/x-protobuf")
        #expect(response.body.isEmpty)
        #expect(fixture.storedCount == 2)
        #expect(response.outcome.kept == 2)
        #expect(response.outcome.dropped == 1)
    }

    @Test func jsonExportWithCharsetIsAnsweredWithEmptyJSONObject() throws {
        let fixture = try HandlerFixture()
        let response = fixture.send(contentType: "application/json; charset=utf-8", body: export.otlpJSONBytes())
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self) == "{}")
        #expect(fixture.storedCount == 2)
    }

    @Test func gzipJSONIsAccepted() throws {
        let fixture = try HandlerFixture()
        let response = fixture.send(contentType: "application/json", encoding: "gzip", body: gzip(export.otlpJSONBytes()))
        #expect(response.status == 200)
        #expect(fixture.storedCount == 2)
    }

    @Test func bearerAuthorizationIsAcceptedToo() throws {
        let fixture = try HandlerFixture()
        let response = fixture.send(key: .some(nil), authorization: "Bearer \(fixture.key)", body: export.protobufBytes())
        #expect(response.status == 200)
    }

    @Test func aRetriedExportIsStoredOnce() throws {
        let fixture = try HandlerFixture()
        #expect(fixture.send(body: export.protobufBytes()).status == 200)
        let retry = fixture.send(body: export.protobufBytes())
        #expect(retry.status == 200)
        #expect(retry.outcome.stored == 0)
        #expect(fixture.storedCount == 2)
    }

    @Test func malformedSpansAreReportedAsPartialSuccessInTheRequestEncoding() throws {
        let fixture = try HandlerFixture()
        var bad = OTLP.chatSpan(number: 9)
        bad.traceID = Data([1, 2])
        let body = OTLP.export(spans: [bad, OTLP.chatSpan(number: 1)])

        let protobuf = fixture.send(body: body.protobufBytes())
        #expect(protobuf.status == 200)
        let decoded = try TraceExportResponse(serializedBytes: protobuf.body)
        #expect(decoded.partialSuccess.rejectedSpans == 1)
        #expect(decoded.partialSuccess.errorMessage.contains("trace_id must be 16 bytes"))

        let json = fixture.send(contentType: "application/json", body: body.otlpJSONBytes())
        let object = try JSONSerialization.jsonObject(with: Data(json.body)) as? [String: Any]
        let partial = object?["partialSuccess"] as? [String: Any]
        #expect(partial?["rejectedSpans"] as? String == "1")
        #expect((partial?["errorMessage"] as? String)?.contains("trace_id") == true)
        #expect(fixture.storedCount == 1)
    }

    @Test func aRevokedKeyStopsWorkingWithoutARestart() throws {
        let fixture = try HandlerFixture()
        #expect(fixture.send(body: export.protobufBytes()).status == 200)
        let id = try #require(try fixture.store.keyID(forKey: fixture.key))
        try fixture.store.revokeKey(id: id)
        #expect(fixture.send(body: export.protobufBytes()).status == 401)
    }

    /// A read key is valid but may not send: 403, in the probe step too, and no failure counted.
    @Test func aReadKeyIsForbiddenToIngest() throws {
        let fixture = try HandlerFixture()
        let reader = try fixture.store.createKey(name: "viewer", scope: .read).key
        for _ in 0..<25 {
            let refused = fixture.send(key: reader, body: export.protobufBytes())
            #expect(refused.status == 403)
        }
        #expect(fixture.storedCount == 0)
        let probe = fixture.handler.respond(to: RequestHead(method: "POST", path: "/v1/traces", contentType: "application/x-protobuf",
                                                            ingateKey: reader, authStep: .probe)) { _ in [] }
        #expect(probe.status == 401 && probe.header("X-Ingate-Refusal") == "403")
        #expect(fixture.send(body: export.protobufBytes()).status == 200)
    }

    @Test func busyStorageAnswers503WithRetryAfterAndStoresNothing() throws {
        let fixture = try HandlerFixture(busyTimeoutMilliseconds: 100)
        _ = fixture.send(body: OTLP.export(spans: []).protobufBytes())   // loads the keys
        let other = try SQLiteLogStore(path: fixture.folder + "/ingate.db", joiningContent: ContentJoin.rule)
        try other.withConnectionForTests("BEGIN IMMEDIATE")
        let response = fixture.send(body: export.protobufBytes())
        try other.withConnectionForTests("ROLLBACK")
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == "2")
        let status = try RPCStatus(serializedBytes: response.body)
        #expect(status.message.contains("busy"))
        #expect(fixture.storedCount == 0)
    }
}

/// The status matrix of the contract: each row one thing wrong, answered with its status and a
/// `google.rpc.Status` body in the request's encoding (JSON when that is not one of ours).
@Suite struct StatusMatrixTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var method = "POST"
        var path = "/v1/traces"
        var contentType: String? = "application/x-protobuf"
        var encoding: String? = nil
        var key: KeyChoice = .valid
        var declaredLength: Int? = nil
        var body: Body = .valid
        var status: Int
        var messageContains: String
        var testDescription: String { name }
    }

    enum KeyChoice: Sendable { case valid, missing, unknown, revoked }
    enum Body: Sendable { case valid, garbage, bigger(Int), bomb }

    static let rows: [Row] = [
        Row(name: "other path is 404", path: "/v1/metrics", status: 404, messageContains: "/v1/traces"),
        Row(name: "404 wins over a wrong method", method: "GET", path: "/", status: 404, messageContains: "no OTLP endpoint"),
        Row(name: "GET is 405", method: "GET", status: 405, messageContains: "POST"),
        Row(name: "405 wins over a missing key", method: "PUT", key: .missing, status: 405, messageContains: "PUT"),
        Row(name: "missing key is 401", key: .missing, status: 401, messageContains: "missing API key"),
        Row(name: "unknown key is 401", key: .unknown, status: 401, messageContains: "unknown or revoked"),
        Row(name: "revoked key is 401", key: .revoked, status: 401, messageContains: "unknown or revoked"),
        Row(name: "401 wins over a bad content type", contentType: "text/plain", key: .missing, status: 401, messageContains: "API key"),
        Row(name: "text/plain is 415", contentType: "text/plain", status: 415, messageContains: "Content-Type"),
        Row(name: "no content type is 415", contentType: nil, status: 415, messageContains: "(none)"),
        Row(name: "brotli is 415", encoding: "br", status: 415, messageContains: "Content-Encoding"),
        Row(name: "415 wins over a body too large", contentType: "text/xml", declaredLength: 5 << 20, status: 415, messageContains: "Content-Type"),
        Row(name: "declared length over 4 MiB is 413", declaredLength: 5 << 20, status: 413, messageContains: "4194304"),
        Row(name: "body over 4 MiB is 413", body: .bigger(5 << 20), status: 413, messageContains: "limit"),
        Row(name: "gzip bomb is 413", encoding: "gzip", body: .bomb, status: 413, messageContains: "inflated"),
        Row(name: "413 wins over garbage", declaredLength: 5 << 20, body: .garbage, status: 413, messageContains: "limit"),
        Row(name: "garbage protobuf is 400", body: .garbage, status: 400, messageContains: "protobuf"),
        Row(name: "garbage JSON is 400", contentType: "application/json", body: .garbage, status: 400, messageContains: "JSON"),
        Row(name: "gzip header on plain body is 400", encoding: "gzip", status: 400, messageContains: "gzip"),
    ]

    @Test(arguments: rows)
    func eachProblemGetsItsStatusAndNothingIsStored(row: Row) throws {
        let fixture = try HandlerFixture(maxInflatedBytes: 1 << 20)
        let key: String?? = switch row.key {
        case .valid: .none
        case .missing: .some(nil)
        case .unknown: .some("sk-ingate-not-a-real-key")
        case .revoked: .some(fixture.revokedKey)
        }
        let body: [UInt8] = switch row.body {
        case .valid: export.protobufBytes()
        case .garbage: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7B]
        case .bigger(let size): [UInt8](repeating: 0, count: size)
        case .bomb: gzip([UInt8](repeating: 0, count: 4 << 20))
        }
        let response = fixture.send(method: row.method, path: row.path, contentType: row.contentType, encoding: row.encoding,
                                    key: key, declaredLength: row.declaredLength, body: body)
        #expect(response.status == row.status)
        #expect(fixture.storedCount == 0)

        let format = WireFormat(contentType: row.contentType) ?? .json
        #expect(response.header("Content-Type") == format.contentType)
        let status: RPCStatus = switch format {
        case .protobuf: try RPCStatus(serializedBytes: response.body)
        case .json: try RPCStatus(jsonUTF8Bytes: response.body)
        }
        #expect(status.message.contains(row.messageContains), "\(status.message)")
        if row.status == 405 { #expect(response.header("Allow") == "POST") }
    }
}

extension SQLiteLogStore {
    func withConnectionForTests(_ sql: String) throws {
        try withConnection { db throws(StorageError) in try db.execute(sql) }
    }
}
