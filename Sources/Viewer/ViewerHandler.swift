import APIKeys
import Foundation
import Ingest
import LLMLog

/// The built-in viewer under `/ui/`: server-rendered pages of the calls, one call, and usage, for
/// a session opened with a read key. No script anywhere; every page carries a strict
/// Content-Security-Policy, and every form that changes state a CSRF token.
public struct ViewerHandler: RequestHandler {
    public static let prefix = "/ui"
    static let sessionCookie = "ingate_session"
    static let signInCookie = "ingate_signin"
    static let zoneCookie = "ingate_tz"
    /// No script, no inline style, nothing from another origin, never in a frame.
    static let securityHeaders: [(name: String, value: String)] = [
        ("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Cache-Control", "no-store"),
    ]

    let store: any LogStore
    let signInFailures: AuthFailureLimiter
    let now: @Sendable () -> Date

    public init(store: any LogStore, failuresPerMinute: Int = 20,
                now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.signInFailures = AuthFailureLimiter(maxFailures: failuresPerMinute, window: 60)
        self.now = now
    }

    public static func handles(path: String) -> Bool {
        path == prefix || path.hasPrefix(prefix + "/")
    }

    public func respond(to head: RequestHead, readBody: BodyReader) -> ExportResponse {
        var outcome = ExportOutcome()
        outcome.signal = "ui"
        let request = ViewerRequest(method: head.method, route: String(head.path.dropFirst(Self.prefix.count)),
                                    query: ViewerRequest.fields(head.query ?? ""), cookies: ViewerRequest.cookies(head.cookie))
        do {
            var response = try route(request, head: head, readBody: readBody)
            response.outcome = outcome
            return response
        } catch {
            outcome.error = error.message
            let session = try? currentSession(request)
            let page = PageLayout(title: "Error \(error.status)", session: session).render("<p role=\"alert\">\(HTML.text(error.message))</p>"
                + (error.status == 401 || error.status == 403 ? "<p><a href=\"/ui/login\">Sign in</a></p>" : ""))
            return Self.html(page, status: error.status, extraHeaders: error.headers, outcome: outcome)
        }
    }

    /// The routes that are not pages, with the methods each takes (for the 405 of any other).
    static let fixedRoutes = ["/style.css": "GET", "/favicon.svg": "GET", "/login": "GET, POST", "/logout": "POST",
                              "/timezone": "POST"]

    private func route(_ request: ViewerRequest, head: RequestHead, readBody: BodyReader) throws(ViewerError) -> ExportResponse {
        switch (request.method, request.route) {
        case ("GET", "/style.css"), ("HEAD", "/style.css"):
            return Self.asset(Stylesheet.css, type: "text/css; charset=utf-8")
        case ("GET", "/favicon.svg"), ("HEAD", "/favicon.svg"):
            return Self.asset(Stylesheet.favicon, type: "image/svg+xml")
        case ("GET", "/login"):
            return signInPage(message: nil, status: 200)
        case ("POST", "/login"):
            return try signIn(request, form: try form(readBody), address: head.remoteAddress ?? "")
        case ("POST", "/logout"):
            return try signOut(request, form: try form(readBody))
        case ("POST", "/timezone"):
            return try setTimeZone(request, form: try form(readBody))
        case (_, let route) where Self.fixedRoutes[route] != nil:
            throw .methodNotAllowed(allowed: Self.fixedRoutes[route]!)
        default:
            break
        }
        guard request.method == "GET" || request.method == "HEAD" else { throw .methodNotAllowed(allowed: "GET") }
        guard let session = try currentSession(request, here: head.path + (head.query.map { $0.isEmpty ? "" : "?" + $0 } ?? "")) else {
            return Self.redirect(to: "/ui/login")
        }
        let pages = ViewerPages(store: store, session: session, now: now())
        let html: String
        switch request.route {
        case "", "/": html = try pages.calls(request.query)
        case "/usage": html = try pages.usage(request.query)
        case let route where route.hasPrefix("/call/"):
            guard let id = Int64(route.dropFirst("/call/".count)) else { throw .notFound }
            html = try pages.call(id: id)
        default: throw .notFound
        }
        return Self.html(html, status: 200, outcome: ExportOutcome())
    }

    // MARK: Sessions

    func currentSession(_ request: ViewerRequest, here: String = "/ui/") throws(ViewerError) -> SessionView? {
        guard let token = request.cookies[Self.sessionCookie], Self.isToken(token) else { return nil }
        let found: ViewerSession?
        do {
            found = try store.session(tokenHash: APIKeyFormat.sha256Hex(token), now: Self.milliseconds(now()))
        } catch {
            throw .storage(error)
        }
        guard let found else { return nil }
        return SessionView(session: found, csrfToken: Self.csrfToken(for: token),
                           time: TimeDisplay(zoneIdentifier: request.cookies[Self.zoneCookie]?.removingPercentEncoding), here: here)
    }

    private func signInPage(message: String?, status: Int, extraHeaders: [(name: String, value: String)] = []) -> ExportResponse {
        // Double-submit: the form's token must equal the cookie's, which another site cannot read or set.
        let token = Self.newToken()
        let page = PageLayout(title: "Sign in", session: nil).render(SignInForm(csrfToken: token, message: message).render())
        return Self.html(page, status: status, extraHeaders: extraHeaders + [("Set-Cookie", Self.cookie(Self.signInCookie, token, maxAge: 3600))],
                         outcome: ExportOutcome())
    }

    private func signIn(_ request: ViewerRequest, form: [String: String], address: String) throws(ViewerError) -> ExportResponse {
        guard let expected = request.cookies[Self.signInCookie], let sent = form["csrf"],
              APIKeyFormat.constantTimeEqual(expected.utf8, sent.utf8) else {
            return signInPage(message: "The sign-in form had expired; please sign in again.", status: 403)
        }
        if let seconds = signInFailures.retryAfter(address) { throw .tooManyFailedSignIns(retryAfter: seconds) }
        let key = (form["key"] ?? "").trimmingCharacters(in: .whitespaces)
        let found: ActiveKey?
        do {
            found = key.isEmpty ? nil : try store.activeKey(hash: APIKeyFormat.sha256(key))
        } catch {
            throw .storage(error)
        }
        guard let found else {
            signInFailures.recordFailure(address)
            if let seconds = signInFailures.retryAfter(address) { throw .tooManyFailedSignIns(retryAfter: seconds) }
            return signInPage(message: "Unknown or revoked key.", status: 401)
        }
        guard found.scope == .read else {
            return signInPage(message: "This key may not read; sign in with a read key (ingate-otel keys create --scope read).", status: 403)
        }
        let token = Self.newToken()
        let expires = Self.milliseconds(now()) + ViewerSessionLifetime.milliseconds
        do {
            try store.createSession(tokenHash: APIKeyFormat.sha256Hex(token), keyID: found.id, expiresAt: expires)
        } catch {
            throw .storage(error)
        }
        return Self.redirect(to: "/ui/", cookies: [
            Self.cookie(Self.sessionCookie, token, maxAge: Int(ViewerSessionLifetime.milliseconds / 1000)),
            Self.cookie(Self.signInCookie, "", maxAge: 0),
        ])
    }

    private func signOut(_ request: ViewerRequest, form: [String: String]) throws(ViewerError) -> ExportResponse {
        guard let token = request.cookies[Self.sessionCookie], Self.isToken(token) else { return Self.redirect(to: "/ui/login") }
        try checkCSRF(form, token: token)
        do {
            try store.deleteSession(tokenHash: APIKeyFormat.sha256Hex(token))
        } catch {
            throw .storage(error)
        }
        return Self.redirect(to: "/ui/login", cookies: [Self.cookie(Self.sessionCookie, "", maxAge: 0)])
    }

    private func setTimeZone(_ request: ViewerRequest, form: [String: String]) throws(ViewerError) -> ExportResponse {
        guard let token = request.cookies[Self.sessionCookie], Self.isToken(token), try currentSession(request) != nil else {
            return Self.redirect(to: "/ui/login")
        }
        try checkCSRF(form, token: token)
        let zone = (form["tz"] ?? "UTC").trimmingCharacters(in: .whitespaces)
        guard TimeZone(identifier: zone) != nil else { throw .badRequest("Unknown time zone \(zone); use a name such as Europe/Berlin or UTC.") }
        // Only our own pages to go back to: a path under /ui/, never another site, nothing that
        // could end the Location header (control characters).
        let back = form["back"].flatMap { Self.isOwnPage($0) ? $0 : nil } ?? "/ui/"
        return Self.redirect(to: back, cookies: [Self.cookie(Self.zoneCookie, HTML.queryValue(zone), maxAge: 365 * 86400)])
    }

    static func isOwnPage(_ path: String) -> Bool {
        path.hasPrefix("/ui/") && !path.contains("//") && !path.contains("\\")
            && path.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }
    }

    private func checkCSRF(_ form: [String: String], token: String) throws(ViewerError) {
        guard let sent = form["csrf"], APIKeyFormat.constantTimeEqual(sent.utf8, Self.csrfToken(for: token).utf8) else {
            throw .forbidden("This form is out of date (its CSRF token does not match your session); reload the page and try again.")
        }
    }

    private func form(_ readBody: BodyReader) throws(ViewerError) -> [String: String] {
        let body: [UInt8]
        do {
            body = try readBody(16 << 10)
        } catch {
            throw .badRequest("cannot read the form")
        }
        guard body.count <= 16 << 10 else { throw .badRequest("the form is over 16 KiB") }
        return ViewerRequest.fields(String(decoding: body, as: UTF8.self))
    }

    // MARK: Responses

    static func html(_ page: String, status: Int, extraHeaders: [(name: String, value: String)] = [],
                     outcome: ExportOutcome) -> ExportResponse {
        ExportResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8")] + securityHeaders + extraHeaders,
                       body: Array(page.utf8), outcome: outcome)
    }

    static func asset(_ text: String, type: String) -> ExportResponse {
        ExportResponse(status: 200, headers: [("Content-Type", type), ("X-Content-Type-Options", "nosniff"),
                                              ("Cache-Control", "max-age=3600")], body: Array(text.utf8), outcome: ExportOutcome())
    }

    static func redirect(to location: String, cookies: [String] = []) -> ExportResponse {
        ExportResponse(status: 303, headers: [("Location", location), ("Content-Type", "text/plain")] + securityHeaders
                       + cookies.map { ("Set-Cookie", $0) }, body: [], outcome: ExportOutcome())
    }

    static func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=\(prefix)/; Max-Age=\(maxAge); HttpOnly; Secure; SameSite=Strict"
    }

    // MARK: Tokens

    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func isToken(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Bound to the session and useless without it: another site can neither read nor derive it.
    static func csrfToken(for sessionToken: String) -> String {
        APIKeyFormat.sha256Hex("csrf:" + sessionToken)
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970 * 1000)
    }
}
