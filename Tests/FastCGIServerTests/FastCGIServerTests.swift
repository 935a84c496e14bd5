import LLMLog
import GenAIMapping
import Foundation
import HTTPTypes
import Ingest
import Logging
import OTLPCodec
import Storage
import Testing
import FastCGIEndpoint
@testable import FastCGIServer
import TestSupport

/// The responder on a Unix socket in a temporary folder, driven by libfcgi's own client,
/// `cgi-fcgi` (libfcgi-bin): a real FastCGI peer, without nginx.
final class RunningServer: @unchecked Sendable {
    let folder = temporaryFolder()
    var socketPath: String { folder + "/fcgi.sock" }
    let store: SQLiteLogStore
    let key: String
    private let shutdown = ShutdownSignal()
    private let finished = DispatchSemaphore(value: 0)

    /// The receiver itself unless another responder is given.
    init(threads: Int = 4, responder: (any FastCGIResponder)? = nil) throws {
        store = try SQLiteLogStore(path: folder + "/ingate.db", joiningContent: ContentJoin.rule)
        key = try store.createKey(name: "dev").key
        let fd = try ListeningSocket.open(path: folder + "/fcgi.sock", mode: 0o600)
        let handler = ExportHandler(configuration: IngestConfiguration(), keys: KeyRing(source: store), sink: store)
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let responder = responder ?? EndpointResponder(endpoint: HTTPEndpoint(handler: handler, logger: logger))
        let server = FastCGIServer(listenFD: fd, threads: threads, responder: responder, logger: logger, shutdown: shutdown)
        let done = finished
        let thread = Thread {
            server.run()
            close(fd)
            done.signal()
        }
        thread.start()
    }

    /// What SIGTERM does: no new requests; the ones in flight finish.
    func requestShutdown() {
        shutdown.request()
    }

    /// Stops the server and waits for its workers; true when they stopped in time.
    func stop() -> Bool {
        shutdown.request()
        return finished.wait(timeout: .now() + 5) == .success
    }

    deinit {
        shutdown.request()
        removeTemporaryFolder(folder)
    }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
    }

    func post(_ body: [UInt8], path: String = "/v1/traces", contentType: String = "application/x-protobuf",
              contentLength: Int? = nil, key: String? = nil, variables: [String: String] = [:],
              midway: (@Sendable () -> Void)? = nil) throws -> Reply {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/cgi-fcgi")
        process.arguments = ["-bind", "-connect", socketPath]
        process.environment = [
            "REQUEST_METHOD": "POST", "DOCUMENT_URI": path, "CONTENT_TYPE": contentType,
            "CONTENT_LENGTH": String(contentLength ?? body.count), "HTTP_X_INGATE_KEY": key ?? self.key,
        ].merging(variables) { $1 }
        let input = Pipe()
        // The reply goes to a file, not a pipe: a pipe's end inherited by a process another test starts
        // meanwhile (a PostgreSQL server) would keep its end-of-file from ever coming.
        let outputPath = temporaryFolder() + "/reply"
        defer { removeTemporaryFolder((outputPath as NSString).deletingLastPathComponent) }
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = FileHandle(forWritingAtPath: outputPath)!
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let writer = Thread {
            let half = body.count / 2
            input.fileHandleForWriting.write(Data(body[..<half]))
            if let midway {
                Thread.sleep(forTimeInterval: 0.3)   // the worker is now inside the request
                midway()
                Thread.sleep(forTimeInterval: 0.3)
            }
            input.fileHandleForWriting.write(Data(body[half...]))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        process.waitUntilExit()
        try? output.close()
        return try Self.parse(Array(FileManager.default.contents(atPath: outputPath) ?? Data()))
    }

    static func parse(_ raw: [UInt8]) throws -> Reply {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = (0...(max(0, raw.count - 4))).first(where: { Array(raw[$0..<min($0 + 4, raw.count)]) == separator }) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        var headers: [String: String] = [:]
        for line in String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { headers[parts[0]] = parts[1] }
        }
        let status = Int(headers["Status"]?.prefix(3) ?? "200") ?? 0
        return Reply(status: status, headers: headers, body: Array(raw[(end + 4)...]))
    }
}

@Suite(.serialized) struct FastCGIServerTests {
    @Test func exportOverARealFastCGISocketIsStored() throws {
        let server = try RunningServer()
        let export = OTLP.export(spans: [OTLP.chatSpan(number: 1), OTLP.httpSpan(number: 2)])
        let reply = try server.post(export.protobufBytes())
        #expect(reply.status == 200)
        #expect(reply.headers["Content-Type"] == "application/x-protobuf")
        #expect(reply.headers["Content-Length"] == "0")
        #expect(try server.store.recentLogs(limit: 10).map(\.record.spanID) == ["eee19b7ec3c1b101"])
        #expect(server.stop())
    }

    @Test func errorsTravelWithTheirStatusAndBody() throws {
        let server = try RunningServer()
        let unknown = try server.post([], contentType: "application/json", key: "sk-ingate-wrong")
        #expect(unknown.status == 401)
        #expect(try RPCStatus(jsonUTF8Bytes: unknown.body).message.contains("unknown"))
        let notFound = try server.post([], path: "/v1/logs/extra")
        #expect(notFound.status == 404)
        #expect(server.stop())
    }

    @Test func aDeclaredLengthOver4MiBIsRefusedWhileTheBodyIsSwallowed() throws {
        let server = try RunningServer()
        let reply = try server.post([UInt8](repeating: 7, count: 5 << 20))
        #expect(reply.status == 413)
        #expect(try RPCStatus(serializedBytes: reply.body).message.contains("limit"))
        // The worker is still serving afterwards.
        #expect(try server.post(OTLP.export(spans: [OTLP.chatSpan()]).protobufBytes()).status == 200)
        #expect(server.stop())
    }

    @Test func concurrentClientsAreAllServed() throws {
        let server = try RunningServer(threads: 4)
        let clients = 16
        let statuses = LockedArray()
        DispatchQueue.concurrentPerform(iterations: clients) { client in
            let traceID = String(format: "%032x", client + 1)
            let export = OTLP.export(spans: (1...5).map { OTLP.chatSpan(number: UInt8($0), traceID: traceID) })
            statuses.append((try? server.post(export.protobufBytes()).status) ?? -1)
        }
        #expect(statuses.values == Array(repeating: 200, count: clients))
        #expect(try server.store.recentLogs(limit: 1_000).count == clients * 5)
        #expect(server.stop())
    }

    @Test func aRequestInFlightWhenShutdownComesIsFinishedAndStored() throws {
        let server = try RunningServer(threads: 2)
        let export = OTLP.export(spans: [OTLP.chatSpan()])
        let reply = try server.post(export.protobufBytes(), midway: { server.requestShutdown() })
        #expect(reply.status == 200)
        #expect(try server.store.recentLogs(limit: 10).count == 1)
        #expect(server.stop())
    }

    @Test func shutdownWaitsForNothingWhenIdleAndReturns() throws {
        let server = try RunningServer(threads: 2)
        #expect(server.stop())
    }

    @Test func theResponderSeesHTTPTermsAndABodyCutAtItsLimitPlusOne() throws {
        let server = try RunningServer(responder: EchoResponder())
        let reply = try server.post(Array("0123456789abcdef".utf8), path: "/any/where", contentType: "text/plain", key: "sk-ingate-x",
                                    // nginx passes the body's headers both as CONTENT_* and as HTTP_CONTENT_*.
                                    variables: ["INGATE_AUTH_STEP": "probe", "HTTP_CONTENT_TYPE": "text/plain", "HTTP_CONTENT_LENGTH": "16"])
        #expect(reply.status == 202)
        #expect(reply.headers["X-Method"] == "POST")
        #expect(reply.headers["X-Path"] == "/any/where")
        #expect(reply.headers["X-Key"] == "sk-ingate-x")
        #expect(reply.headers["X-Type"] == "text/plain")
        #expect(reply.headers["X-Step"] == "probe")
        #expect(reply.headers["Content-Length"] == "11")
        #expect(String(decoding: reply.body, as: UTF8.self) == "0123456789a")
        #expect(server.stop())
    }

    @Test func inheritedDescriptorMustBeAListeningSocket() {
        var fds: [Int32] = [0, 0]
        pipe(&fds)
        defer { close(fds[0]); close(fds[1]) }
        #expect(throws: ListeningSocket.SetupError.self) { try ListeningSocket.inherited(fds[0]) }
    }

    @Test func tcpListensOnLoopbackAndElsewhereOnlyWhenAllowed() throws {
        #expect(throws: ListeningSocket.SetupError.self) { try ListeningSocket.open(tcp: "0.0.0.0:0", allowPublic: false) }
        #expect(throws: ListeningSocket.SetupError.self) { try ListeningSocket.open(tcp: ":9000", allowPublic: false) }
        #expect(throws: ListeningSocket.SetupError.self) { try ListeningSocket.open(tcp: "127.0.0.1", allowPublic: false) }
        let fd = try ListeningSocket.open(tcp: "127.0.0.1:\(try Self.freePort())", allowPublic: false)
        defer { close(fd) }
        #expect(try ListeningSocket.inherited(fd) == fd)
    }

    /// What `serve --listen` warns about: its host as `open(tcp:)` reads it, before the last colon too.
    @Test func loopbackIsTheHostBeforeTheFirstColon() {
        for address in ["127.0.0.1:9000", "127.8.9.1:1", "localhost:9000"] { #expect(ListeningSocket.isLoopback(tcp: address), "\(address)") }
        for address in ["0.0.0.0:9000", ":9000", "10.0.0.1:9000", "localhost", "127.0.0.1:0", "[::1]:9000", "evil:127.0.0.1:9000"] {
            #expect(!ListeningSocket.isLoopback(tcp: address), "\(address)")
        }
    }

    /// libfcgi reads these as Unix socket paths; refused, they leave no socket file behind.
    @Test func addressesLibfcgiWouldTakeForAPathAreRefused() {
        for address in ["127.0.0.1:0", "[::1]:9000", "127.0.0.1:70000", "127.0.0.1:x"] {
            #expect(throws: ListeningSocket.SetupError.self, "\(address)") {
                let fd = try ListeningSocket.open(tcp: address, allowPublic: true)
                close(fd)
            }
            #expect(!FileManager.default.fileExists(atPath: address), "\(address) became a socket file")
            try? FileManager.default.removeItem(atPath: address)
        }
    }

    /// A port nothing listens on now: the kernel's pick for a socket closed at once.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ListeningSocket.SetupError.cannotListen(path: "127.0.0.1:0", reason: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func systemdsSocketsAreOursOnlyWhenListenPIDNamesThisProcess() throws {
        #expect(ListeningSocket.activatedDescriptors(listenPID: "42", listenFDs: "1", pid: 42) == [3])
        #expect(ListeningSocket.activatedDescriptors(listenPID: "42", listenFDs: "2", pid: 42) == [3, 4])
        #expect(ListeningSocket.activatedDescriptors(listenPID: "41", listenFDs: "1", pid: 42) == nil)   // a parent's
        #expect(ListeningSocket.activatedDescriptors(listenPID: nil, listenFDs: "1", pid: 42) == nil)
        #expect(ListeningSocket.activatedDescriptors(listenPID: "42", listenFDs: "x", pid: 42) == nil)
        #expect(try ListeningSocket.activated(environment: [:]) == nil)
        #expect(throws: ListeningSocket.SetupError.self) {
            try ListeningSocket.activated(environment: ["LISTEN_PID": "\(getpid())", "LISTEN_FDS": "2"])
        }
    }
}

/// Answers with what it was given, to show what the server hands a responder.
struct EchoResponder: FastCGIResponder {
    func respond(to request: FastCGIRequest, readBody: (Int) throws -> [UInt8]) -> FastCGIResponse {
        let body = (try? readBody(10)) ?? []
        var fields = HTTPFields()
        fields[HTTPField.Name("X-Method")!] = request.head.method.rawValue
        fields[HTTPField.Name("X-Path")!] = request.head.path
        fields[HTTPField.Name("X-Key")!] = request.head.headerFields[HTTPField.Name("X-Ingate-Key")!]
        fields[HTTPField.Name("X-Type")!] = request.head.headerFields[.contentType]
        fields[HTTPField.Name("X-Step")!] = request.variables["INGATE_AUTH_STEP"] ?? "-"
        return FastCGIResponse(head: HTTPResponse(status: .accepted, headerFields: fields), body: body)
    }
}

final class LockedArray: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Int] = []
    func append(_ value: Int) { lock.withLock { storage.append(value) } }
    var values: [Int] { lock.withLock { storage } }
}
