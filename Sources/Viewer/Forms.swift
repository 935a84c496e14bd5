/// The sign-in form: one read key, once; the browser then holds a session cookie.
struct SignInForm {
    var csrfToken: String
    var message: String?

    func render() -> String {
        var html = ""
        if let message { html += "<p role=\"alert\" class=\"alert\">\(HTML.text(message))</p>\n" }
        html += """
            <form method="post" action="/ui/login" class="signin">
            <input type="hidden" name="csrf" value="\(HTML.text(csrfToken))">
            <p><label for="key">Read key</label>
            <input id="key" name="key" type="password" autocomplete="off" required size="60" placeholder="sk-ingate-…" autofocus></p>
            <p><button type="submit">Sign in</button></p>
            <p class="hint">Create one with <code>ingate-otel keys create --name me --scope read</code>. An application's ingest key cannot sign in.</p>
            </form>
            """
        return html
    }
}

/// The time zone the pages show times in, kept in a cookie; the other zone (UTC) is on hover.
struct TimeZoneForm {
    var session: SessionView

    func render() -> String {
        """
        <footer><form method="post" action="/ui/timezone" class="inline">
        <input type="hidden" name="csrf" value="\(HTML.text(session.csrfToken))">
        <input type="hidden" name="back" value="\(HTML.text(session.here))">
        <label for="tz">Times in</label> <input id="tz" name="tz" value="\(HTML.text(session.time.name))" size="20">
        <button type="submit">Set time zone</button></form></footer>

        """
    }
}
