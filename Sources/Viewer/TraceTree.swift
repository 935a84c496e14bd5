import LLMLog

/// The GenAI spans of one trace as a tree by parent span, each with its latency; a span whose
/// parent was not kept (an HTTP span, say) hangs at the top.
struct TraceTree {
    var rows: [StoredLog]
    var current: Int64

    func render() -> String {
        guard !rows.isEmpty else { return "<p>None.</p>\n" }
        let ids = Set(rows.map(\.record.spanID))
        var children: [String: [StoredLog]] = [:]
        var roots: [StoredLog] = []
        for row in rows {
            if let parent = row.record.parentSpanID, ids.contains(parent), parent != row.record.spanID {
                children[parent, default: []].append(row)
            } else {
                roots.append(row)
            }
        }
        var visited = Set<String>()
        return list(roots, children: children, visited: &visited)
    }

    private func list(_ rows: [StoredLog], children: [String: [StoredLog]], visited: inout Set<String>) -> String {
        var html = "<ul class=\"trace\">\n"
        for row in rows where visited.insert(row.record.spanID).inserted {
            let record = row.record
            let label = [record.operation, record.model ?? record.spanName].compactMap { $0 }.joined(separator: " ")
            html += "<li\(row.id == current ? " class=\"current\" aria-current=\"true\"" : "")><a href=\"/ui/call/\(row.id)\">\(HTML.text(label))</a>"
            html += " <span>\(String(format: "%.1f", record.latencyMs)) ms</span>"
            if let nested = children[record.spanID] { html += list(nested, children: children, visited: &visited) }
            html += "</li>\n"
        }
        return html + "</ul>\n"
    }
}
