import APIKeys
import Foundation
import GenAIMapping
import Ingest
import LLMLog
import Storage
import Testing
@testable import Viewer

/// The viewer's sessions and forms, through its handler, on a real SQLite store in a temporary folder.
@Suite struct ViewerHandlerTests {
    final class Site {
        let folder = NSTemporaryDirectory() + "viewer-" + UUID().uuidString
        let store: any LogStore
        let handler: ViewerHandler
        var cookies: [String: String] = [:]

        init() throws {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            store = try SQLiteLogStore(path: folder + "/ingate.db", joiningContent: ContentJoin.rule)
            handler = ViewerHandler(store: store)
        }

        deinit { try? FileManager.default.removeItem(atPath: folder) }

        /// Sends a request as a browser would, keeping the cookies it is given.
        @discardableResult
        func send(_ method: String, _ path: String, query: String? = nil, form: [String: String]? = nil) -> ExportResponse {
            let cookie = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
            let body = form.map { $0.map { "\($0.key)=\(HTML.queryValue($0.value))" }.joined(separator: "&") } ?? ""
            let response = handler.respond(to: RequestHead(method: method, path: path, remoteAddress: "10.0.0.1", query: query,
                                                           cookie: cookie.isEmpty ? nil : cookie),
                                           readBody: { _ in Array(body.utf8) })
            for (name, value) in response.headers where name == "Set-Cookie" {
                let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
                let (cookieName, cookieValue) = (String(pair[0]), pair.count > 1 ? String(pair[1]) : "")
                if value.contains("Max-Age=0") { cookies[cookieName] = nil } else { cookies[cookieName] = cookieValue }
            }
            return response
        }

        func page(_ response: ExportResponse) -> String { String(decoding: response.body, as: UTF8.self) }

        func signInToken() -> String {
            let page = page(send("GET", "/ui/login"))
            return String(page.components(separatedBy: "name=\"csrf\" value=\"")[1].prefix(64))
        }

        func signIn(_ key: String) -> ExportResponse {
            send("POST", "/ui/login", form: ["csrf": signInToken(), "key": key])
        }
    }

    @Test func aReadKeySignsInAndOutAndAnIngestKeyCannot() throws {
        let site = try Site()
        let ingest = try site.store.createKey(name: "app")
        let reader = try site.store.createKey(name: "me", scope: .read)
        #expect(site.send("GET", "/ui/").header("Location") == "/ui/login")

        let refused = site.signIn(ingest.key)
        #expect(refused.status == 403)
        #expect(site.cookies["ingate_session"] == nil)
        #expect(site.signIn("sk-ingate-unknownunknownunknown").status == 401)

        let signedIn = site.signIn(reader.key)
        #expect(signedIn.status == 303 && signedIn.header("Location") == "/ui/")
        let setCookie = signedIn.headers.first { $0.name == "Set-Cookie" && $0.value.hasPrefix("ingate_session=") }?.value ?? ""
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Max-Age=43200", "Path=/ui/"] {
            #expect(setCookie.contains(attribute))
        }
        let token = try #require(site.cookies["ingate_session"])
        // Only the token's SHA-256 is stored.
        #expect(try site.store.session(tokenHash: token, now: 0) == nil)
        #expect(try site.store.session(tokenHash: APIKeyFormat.sha256Hex(token), now: 0) != nil)

        let calls = site.send("GET", "/ui/")
        #expect(calls.status == 200)
        let csp = calls.header("Content-Security-Policy") ?? ""
        #expect(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe"))
        #expect(calls.header("X-Content-Type-Options") == "nosniff" && calls.header("Referrer-Policy") == "no-referrer")

        #expect(site.send("POST", "/ui/logout", form: ["csrf": "wrong"]).status == 403)
        #expect(site.send("GET", "/ui/").status == 200)
        let csrf = ViewerHandler.csrfToken(for: token)
        #expect(site.send("POST", "/ui/logout", form: ["csrf": csrf]).header("Location") == "/ui/login")
        #expect(try site.store.session(tokenHash: APIKeyFormat.sha256Hex(token), now: 0) == nil)
        site.cookies["ingate_session"] = token   // a copy of the cookie is worth nothing now
        #expect(site.send("GET", "/ui/").status == 303)
    }

    @Test func aSignInWithoutTheFormsTokenIsRefused() throws {
        let site = try Site()
        let reader = try site.store.createKey(name: "me", scope: .read)
        _ = site.signInToken()
        #expect(site.send("POST", "/ui/login", form: ["csrf": String(repeating: "0", count: 64), "key": reader.key]).status == 403)
        site.cookies = [:]
        #expect(site.send("POST", "/ui/login", form: ["key": reader.key]).status == 403)
        #expect(site.cookies["ingate_session"] == nil)
    }

    @Test func failedSignInsFromOneAddressAreLimited() throws {
        let site = try Site()
        for _ in 0..<20 { #expect(site.signIn("sk-ingate-wrongwrongwrongwrong").status == 401) }
        let limited = site.signIn("sk-ingate-wrongwrongwrongwrong")
        #expect(limited.status == 429 && limited.header("Retry-After") != nil)
    }

    @Test func theTimeZoneIsKeptAndTheWayBackStaysOnTheSite() throws {
        let site = try Site()
        let reader = try site.store.createKey(name: "me", scope: .read)
        _ = site.signIn(reader.key)
        let csrf = ViewerHandler.csrfToken(for: site.cookies["ingate_session"]!)
        let set = site.send("POST", "/ui/timezone", form: ["csrf": csrf, "tz": "Europe/Berlin", "back": "/ui/usage?days=7"])
        #expect(set.header("Location") == "/ui/usage?days=7")
        #expect(site.cookies["ingate_tz"] == "Europe%2FBerlin")
        #expect(site.page(site.send("GET", "/ui/usage")).contains("value=\"Europe/Berlin\""))
        let away = site.send("POST", "/ui/timezone", form: ["csrf": csrf, "tz": "UTC", "back": "//evil.example/ui/"])
        #expect(away.header("Location") == "/ui/")
        #expect(site.send("POST", "/ui/timezone", form: ["csrf": csrf, "tz": "Mars/Olympus"]).status == 400)
        let injected = site.send("POST", "/ui/timezone", form: ["csrf": csrf, "tz": "UTC", "back": "/ui/\r\nSet-Cookie: x=1"])
        #expect(injected.header("Location") == "/ui/")
    }

    @Test func pagesAnswerWrongMethodsAndMissingCallsPlainly() throws {
        let site = try Site()
        let reader = try site.store.createKey(name: "me", scope: .read)
        _ = site.signIn(reader.key)
        #expect(site.send("GET", "/ui/call/999").status == 404)
        #expect(site.send("GET", "/ui/call/abc").status == 404)
        #expect(site.send("GET", "/ui/nothing").status == 404)
        #expect(site.send("DELETE", "/ui/").status == 405)
        #expect(site.send("GET", "/ui/logout").status == 405)
        #expect(site.send("GET", "/ui/", query: "after=junk").status == 400)
        #expect(site.send("GET", "/ui/style.css").header("Content-Type") == "text/css; charset=utf-8")
    }

    /// A text search reads so many rows a page, says how far it got and goes on from there.
    @Test func aTextSearchGoesOnFromWhereItStopped() throws {
        let site = try Site()
        (site.store as! SQLiteLogStore).textSearchRowsPerPage = 2
        let app = try site.store.createKey(name: "app")
        let reader = try site.store.createKey(name: "me", scope: .read)
        let now = UInt64(Date().timeIntervalSince1970) * 1_000_000_000
        let rows = (1...5).map { (n: Int) -> LLMLogRecord in
            let prompt: String = n == 4 || n == 1 ? "the needle \(n)" : "hay \(n)"
            let start: UInt64 = now - UInt64(10 - n) * 1_000_000_000
            return LLMLogRecord(traceID: "0000000000000000000000000000000a", spanID: String(format: "%016x", n), spanName: "chat",
                                operation: "chat", prompt: prompt, latencyMs: 1, startTimeUnixNano: start, endTimeUnixNano: now)
        }
        try site.store.insert(rows, apiKeyID: app.id, receivedAt: 1)
        _ = site.signIn(reader.key)
        var query = "q=needle&window=1h"
        var pages: [(calls: Int, goesOn: Bool)] = []
        for _ in 0..<5 {
            let page = site.page(site.send("GET", "/ui/", query: query))
            let older = page.components(separatedBy: "\">Search older calls</a>")[0].components(separatedBy: "href=\"/ui/?").last!
            let goesOn = page.contains("Search older calls")
            pages.append((page.components(separatedBy: "href=\"/ui/call/").count - 1, goesOn))
            guard goesOn else { break }
            #expect(page.contains("Searched 2 calls, back to"))
            query = older.replacingOccurrences(of: "&amp;", with: "&")
        }
        // Rows 5 and 4, then 3 and 2, then 1: the needles are in 4 and 1.
        #expect(pages.map(\.calls) == [1, 0, 1])
        #expect(pages.map(\.goesOn) == [true, true, false])
    }
}
