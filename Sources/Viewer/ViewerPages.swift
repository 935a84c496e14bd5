import Foundation
import LLMLog

/// The pages of one signed-in request: each reads what it shows from the store, for the keys the
/// session may see, and returns the whole HTML document.
struct ViewerPages {
    static let pageSize = 50
    /// The windows the calls page offers, in seconds (nil: all time).
    static let windows: [(name: String, seconds: Double?)] = [("1h", 3600), ("24h", 86400), ("7d", 7 * 86400),
                                                                ("30d", 30 * 86400), ("all", nil)]

    let store: any LogStore
    let session: SessionView
    let now: Date

    // MARK: Calls

    func calls(_ fields: [String: String]) throws(ViewerError) -> String {
        var query = LogQuery()
        query.readable = session.session.readable
        let window = fields["window"].flatMap { name in Self.windows.first { $0.name == name } } ?? Self.windows[1]
        if let seconds = window.seconds { query.sinceUnixNano = Self.unixNano(now.addingTimeInterval(-seconds)) }
        query.service = fields["service"]
        query.provider = fields["provider"]
        query.model = fields["model"]
        query.operation = fields["operation"]
        query.conversationID = fields["conversation"]
        query.text = fields["q"]
        query.errorsOnly = fields["errors"] == "1"
        if let key = fields["key"], !key.isEmpty {
            guard let id = Int64(key) else { throw .badRequest("key must be a key id (a number)") }
            query.apiKeyID = id
        }
        if let after = fields["after"], !after.isEmpty {
            guard let cursor = LogCursor(text: after) else { throw .badRequest("after must be START-ID, as the next-page link has it") }
            query.after = cursor
        }
        query.limit = Self.pageSize + 1
        // Text is found by reading the rows: a page reads as many as fit in its time, and a link
        // goes on from where it stopped.
        if let text = query.text, !text.isEmpty {
            query.notBefore = try read { () throws(StoreError) in try store.searchBoundary(query, rows: store.textSearchRowsPerPage) }
        }
        var rows = try read { () throws(StoreError) in try store.searchLogs(query) }
        let hasMore = rows.count > Self.pageSize
        rows = Array(rows.prefix(Self.pageSize))

        var html = filterForm(fields, window: window.name)
        if rows.isEmpty {
            html += query.notBefore == nil ? "<p>No calls match.</p>\n" : "<p>No calls match so far.</p>\n"
        } else {
            html += """
                <table>
                <caption>\(rows.count) calls, newest first</caption>
                <thead><tr><th scope="col">Started</th><th scope="col">Service</th><th scope="col">Provider</th><th scope="col">Model</th>
                <th scope="col">Operation</th><th scope="col" class="number">Input</th><th scope="col" class="number">Output</th>
                <th scope="col" class="number">Latency ms</th><th scope="col" class="number">Cost USD</th><th scope="col">Status</th><th scope="col">Key</th></tr></thead>
                <tbody>

                """
            for row in rows {
                let record = row.record
                html += "<tr\(record.statusCode == 2 ? " class=\"error\"" : "")>"
                html += "<td><a href=\"/ui/call/\(row.id)\">\(session.time.html(unixNano: record.startTimeUnixNano))</a></td>"
                html += "<td>\(Self.cell(record.serviceName))</td><td>\(Self.cell(record.provider))</td><td>\(Self.cell(record.model))</td>"
                html += "<td>\(Self.cell(record.operation))</td><td class=\"number\">\(Self.number(record.inputTokens))</td>"
                html += "<td class=\"number\">\(Self.number(record.outputTokens))</td><td class=\"number\">\(String(format: "%.1f", record.latencyMs))</td>"
                html += "<td class=\"number\">\(Self.cost(record.costUSD))</td><td>\(Self.status(record))</td><td>\(row.apiKeyID)</td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        if hasMore, let last = rows.last {
            html += "<p>" + Self.link(fields, after: LogCursor(startTimeUnixNano: last.record.startTimeUnixNano, id: last.id), "Older calls") + "</p>\n"
        } else if let searched = query.notBefore {
            html += "<p>Searched \(store.textSearchRowsPerPage) calls, back to \(session.time.html(unixNano: searched.startTimeUnixNano)). "
            html += Self.link(fields, after: searched, "Search older calls") + "</p>\n"
        }
        if fields["after"] != nil {
            var first = fields
            first["after"] = nil
            html += "<p><a href=\"/ui/\(HTML.query(first.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))\">Newest calls</a></p>\n"
        }
        return PageLayout(title: "Calls", session: session).render(html)
    }

    /// The same filters from after `cursor`.
    static func link(_ fields: [String: String], after cursor: LogCursor, _ text: String) -> String {
        var next = fields
        next["after"] = cursor.text
        return "<a rel=\"next\" href=\"/ui/\(HTML.query(next.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))\">\(text)</a>"
    }

    private func filterForm(_ fields: [String: String], window: String) -> String {
        var html = "<form method=\"get\" action=\"/ui/\" class=\"filters\" role=\"search\">\n<label>Window <select name=\"window\">"
        for option in Self.windows {
            html += "<option value=\"\(option.name)\"\(option.name == window ? " selected" : "")>\(option.name)</option>"
        }
        html += "</select></label>\n"
        for (name, label) in [("service", "Service"), ("provider", "Provider"), ("model", "Model"), ("key", "API key id"),
                              ("operation", "Operation"), ("conversation", "Conversation"), ("q", "Text in prompt or completion")] {
            html += "<label>\(label) <input name=\"\(name)\" value=\"\(HTML.text(fields[name] ?? ""))\"\(name == "q" ? " type=\"search\"" : "")></label>\n"
        }
        html += "<label>Errors only <input type=\"checkbox\" name=\"errors\" value=\"1\"\(fields["errors"] == "1" ? " checked" : "")></label>\n"
        return html + "<button type=\"submit\">Filter</button>\n</form>\n"
    }

    // MARK: One call

    func call(id: Int64) throws(ViewerError) -> String {
        guard let row = try read({ () throws(StoreError) in try store.log(id: id, readable: session.session.readable) }) else {
            throw .notFound
        }
        let record = row.record
        let trace = try read { () throws(StoreError) in try store.traceLogs(traceID: record.traceID, apiKeyID: row.apiKeyID) }
        let prompt = ChatMessage.messages(from: record.prompt)
        let system = prompt.filter { $0.role == "system" }
        var html = "<dl class=\"summary\">\n"
        let facts: [(String, String)] = [
            ("Started", session.time.html(unixNano: record.startTimeUnixNano)),
            ("Latency", String(format: "%.1f ms", record.latencyMs)),
            ("Status", Self.status(record) + (record.statusMessage.map { ": " + HTML.text($0) } ?? "")),
            ("Service", Self.cell(record.serviceName)), ("Span", HTML.text(record.spanName)), ("Scope", Self.cell(record.scopeName)),
            ("Operation", Self.cell(record.operation)), ("Provider", Self.cell(record.provider)),
            ("Model", Self.cell(record.model) + (record.responseModel.map { " (answered by \(HTML.text($0)))" } ?? "")),
            ("Input tokens", Self.number(record.inputTokens)), ("Output tokens", Self.number(record.outputTokens)),
            ("Cache read tokens", Self.number(record.cacheReadTokens)), ("Cache write tokens", Self.number(record.cacheWriteTokens)),
            ("Reasoning tokens", Self.number(record.reasoningTokens)),
            ("Cost", Self.cost(record.costUSD) + (record.costSource.map { " USD (\(HTML.text($0)))" } ?? "")),
            ("Finish reasons", Self.cell(record.finishReasons)), ("Error type", Self.cell(record.errorType)),
            ("Conversation", record.conversationID.map { "<a href=\"/ui/\(HTML.query([("conversation", $0), ("window", "all")]))\">\(HTML.text($0))</a>" } ?? "–"),
            ("Agent", Self.cell(record.agentName)), ("Response id", Self.cell(record.responseID)),
            ("Trace", "<code>\(HTML.text(record.traceID))</code>"), ("Span id", "<code>\(HTML.text(record.spanID))</code>"),
            ("API key", String(row.apiKeyID)),
        ]
        for (term, value) in facts { html += "<dt>\(term)</dt><dd>\(value)</dd>\n" }
        html += "</dl>\n"
        if !system.isEmpty {
            html += "<section><h2>System instructions</h2>\n" + system.map { $0.html() }.joined() + "</section>\n"
        }
        html += "<section><h2>Prompt</h2>\n"
        let conversation = prompt.filter { $0.role != "system" }
        html += conversation.isEmpty ? "<p>None stored.</p>\n" : conversation.map { $0.html() }.joined()
        html += "</section>\n<section><h2>Completion</h2>\n"
        let completion = ChatMessage.messages(from: record.completion)
        html += completion.isEmpty ? "<p>None stored.</p>\n" : completion.map { $0.html() }.joined()
        html += "</section>\n<section><h2>GenAI spans of this trace</h2>\n" + TraceTree(rows: trace, current: row.id).render() + "</section>\n"
        html += "<section><h2>Attributes</h2>\n" + Self.attributeTable(record.attributesJSON) + "</section>\n"
        html += "<section><h2>Resource attributes</h2>\n" + Self.attributeTable(record.resourceJSON) + "</section>\n"
        return PageLayout(title: "Call \(row.id)", session: session).render(html)
    }

    static func attributeTable(_ json: String) -> String {
        guard case .object(let members)? = JSONValue.parse(json, maxDepth: 64), !members.isEmpty else { return "<p>None.</p>\n" }
        var html = "<table><thead><tr><th scope=\"col\">Key</th><th scope=\"col\">Value</th></tr></thead><tbody>\n"
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            html += "<tr><th scope=\"row\"><code>\(HTML.text(key))</code></th><td><pre>\(HTML.text(value.string ?? value.serialized))</pre></td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    // MARK: Usage

    func usage(_ fields: [String: String]) throws(ViewerError) -> String {
        let days = min(366, max(1, fields["days"].flatMap { Int($0) } ?? 30))
        // Whole UTC days, today included.
        let today = floor(now.timeIntervalSince1970 / 86400) * 86400
        let since = Self.unixNano(Date(timeIntervalSince1970: today - Double(days - 1) * 86400))
        let readable = session.session.readable
        // The store's sums per day and model; both tables are sums of them.
        let perDayAndModel = try read { () throws(StoreError) in
            try store.dailyUsage(sinceUnixNano: since, readable: readable)
        }
        let perDay = Self.summed(perDayAndModel) { UsageStat.zero(group: $0.group) }
        let perModel = Self.summed(perDayAndModel) { UsageStat.zero(provider: $0.provider, model: $0.model) }
            .sorted { ($1.calls, $0.provider ?? "", $0.model ?? "") < ($0.calls, $1.provider ?? "", $1.model ?? "") }
        var html = "<form method=\"get\" action=\"/ui/usage\" class=\"filters\"><label>Days <select name=\"days\">"
        for option in [1, 7, 30, 90, 365] {
            html += "<option value=\"\(option)\"\(option == days ? " selected" : "")>\(option)</option>"
        }
        html += "</select></label> <button type=\"submit\">Show</button></form>\n"
        html += "<p>Model calls counted once each, as <code>ingate-otel stats</code> counts them, over the last \(days) UTC day\(days == 1 ? "" : "s").</p>\n"
        let chart = UsageChart(days: TimeDisplay.utcDays(count: days, endingAt: today), stats: perDay)
        html += "<section><h2>Tokens per day</h2>\n" + chart.render(measure: .tokens) + "</section>\n"
        html += "<section><h2>Cost per day</h2>\n" + chart.render(measure: .cost) + "</section>\n"
        html += "<section><h2>Per day</h2>\n" + Self.usageTable(perDay, first: "Day") { HTML.text($0.group ?? "–") } + "</section>\n"
        html += "<section><h2>Per model</h2>\n" + Self.usageTable(perModel, first: "Provider / model") {
            HTML.text(($0.provider ?? "–") + " / " + ($0.model ?? "–"))
        } + "</section>\n"
        return PageLayout(title: "Usage", session: session).render(html)
    }

    /// `stats` summed per group, in the order groups first appear; `group` gives the empty
    /// stat of a row's group (what it keeps of provider, model and day).
    static func summed(_ stats: [UsageStat], by group: (UsageStat) -> UsageStat) -> [UsageStat] {
        var sums: [UsageStat] = []
        var index: [[String?]: Int] = [:]
        for stat in stats {
            let empty = group(stat)
            let key = [empty.provider, empty.model, empty.group]
            if index[key] == nil {
                index[key] = sums.count
                sums.append(empty)
            }
            sums[index[key]!].add(stat)
        }
        return sums
    }

    static func usageTable(_ stats: [UsageStat], first: String, name: (UsageStat) -> String) -> String {
        guard !stats.isEmpty else { return "<p>No calls in this window.</p>\n" }
        var html = "<table><thead><tr><th scope=\"col\">\(first)</th>"
        for column in ["Calls", "Input", "Output", "Cache read", "Cache write", "Reasoning", "Cost USD"] {
            html += "<th scope=\"col\" class=\"number\">\(column)</th>"
        }
        html += "</tr></thead><tbody>\n"
        for stat in stats {
            html += "<tr><th scope=\"row\">\(name(stat))</th>"
            for value in [stat.calls, stat.inputTokens, stat.outputTokens, stat.cacheReadTokens, stat.cacheWriteTokens, stat.reasoningTokens] {
                html += "<td class=\"number\">\(value)</td>"
            }
            html += "<td class=\"number\">\(cost(stat.costUSD))</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    // MARK: Helpers

    private func read<T>(_ body: () throws(StoreError) -> T) throws(ViewerError) -> T {
        do {
            return try body()
        } catch {
            throw .storage(error)
        }
    }

    static func unixNano(_ date: Date) -> UInt64 {
        UInt64(max(0, date.timeIntervalSince1970) * 1e9)
    }

    static func cell(_ text: String?) -> String {
        text.map(HTML.text) ?? "–"
    }

    static func number(_ value: Int64?) -> String {
        value.map(String.init) ?? "–"
    }

    static func cost(_ value: Double?) -> String {
        value.map { String(format: "%.6f", $0) } ?? "–"
    }

    static func status(_ record: LLMLogRecord) -> String {
        switch record.statusCode {
        case 2: "error"
        case 1: "ok"
        default: "unset"
        }
    }
}

extension UsageStat {
    static func zero(provider: String? = nil, model: String? = nil, group: String? = nil) -> UsageStat {
        UsageStat(provider: provider, model: model, calls: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0,
                  reasoningTokens: 0, group: group)
    }

    /// Adds `other`'s calls, tokens and cost (a cost stays unknown until one of them is known).
    mutating func add(_ other: UsageStat) {
        calls += other.calls
        inputTokens += other.inputTokens
        outputTokens += other.outputTokens
        cacheReadTokens += other.cacheReadTokens
        reasoningTokens += other.reasoningTokens
        cacheWriteTokens += other.cacheWriteTokens
        if let cost = other.costUSD { costUSD = (costUSD ?? 0) + cost }
    }
}
