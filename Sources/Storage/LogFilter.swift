import LLMLog

/// A viewer query as SQL both backends run: a WHERE clause with numbered parameters, written with
/// the backend's placeholder (`?` or `$n`) and its case-insensitive LIKE.
struct LogFilter {
    enum Parameter: Equatable {
        case integer(Int64)
        case text(String)
    }

    var conditions: [String] = []
    var parameters: [Parameter] = []
    private let placeholder: (Int) -> String

    init(placeholder: @escaping (Int) -> String) {
        self.placeholder = placeholder
    }

    var whereSQL: String { conditions.isEmpty ? "1=1" : conditions.joined(separator: " AND ") }

    /// Adds `condition` whose `§` marks stand for `values`, in order.
    mutating func add(_ condition: String, _ values: Parameter...) {
        var sql = ""
        var remaining = values[...]
        for character in condition {
            if character == "§", let value = remaining.popFirst() {
                parameters.append(value)
                sql += placeholder(parameters.count)
            } else {
                sql.append(character)
            }
        }
        conditions.append(sql)
    }

    /// Ids are integers, written inline: an IN list of any length needs no parameters.
    mutating func restrict(to readable: ReadableKeys, column: String = "l.api_key_id") {
        guard let ids = readable.ids else { return }
        conditions.append(ids.isEmpty ? "0=1" : "\(column) IN (\(ids.map(String.init).joined(separator: ",")))")
    }

    /// Every filter of `query` but its cursor and limit; `like` is the backend's case-insensitive LIKE.
    static func matching(_ query: LogQuery, like: String, placeholder: @escaping (Int) -> String) -> LogFilter {
        var filter = LogFilter(placeholder: placeholder)
        filter.restrict(to: query.readable)
        if let since = query.sinceUnixNano { filter.add("l.start_time_unix_nano >= §", .integer(Int64(clamping: since))) }
        if let until = query.untilUnixNano { filter.add("l.start_time_unix_nano < §", .integer(Int64(clamping: until))) }
        for (column, value) in [("l.service_name", query.service), ("l.provider", query.provider), ("l.model", query.model),
                                ("l.operation", query.operation), ("l.conversation_id", query.conversationID)] {
            if let value, !value.isEmpty { filter.add("\(column) = §", .text(value)) }
        }
        if let key = query.apiKeyID { filter.add("l.api_key_id = §", .integer(key)) }
        if query.errorsOnly { filter.conditions.append("l.status_code = 2") }
        if let text = query.text, !text.isEmpty {
            let pattern = "%" + escapedForLike(text) + "%"
            filter.add("(l.prompt \(like) § ESCAPE '\\' OR l.completion \(like) § ESCAPE '\\')", .text(pattern), .text(pattern))
        }
        if let after = query.after {
            let start = Int64(clamping: after.startTimeUnixNano)
            // A row value: both engines walk the (start time, id) index from it; the OR form of the
            // same made PostgreSQL scan (`make bench-viewer`: 346 ms for a page in the middle).
            filter.add("(l.start_time_unix_nano, l.id) < (§, §)", .integer(start), .integer(after.id))
        }
        return filter
    }

    static func escapedForLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
