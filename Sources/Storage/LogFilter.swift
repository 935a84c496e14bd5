import LLMLog

/// What differs between the backends' SQL where both run the same query.
struct SQLDialect: Sendable {
    /// The n-th parameter (from 1).
    let placeholder: @Sendable (Int) -> String
    /// LIKE that ignores ASCII case.
    let caseInsensitiveLike: String

    static let sqlite = SQLDialect(placeholder: { _ in "?" }, caseInsensitiveLike: "LIKE")
    static let postgres = SQLDialect(placeholder: { "$\($0)" }, caseInsensitiveLike: "ILIKE")
}

/// A query over `llm_logs l` as SQL both backends run: a WHERE clause with numbered parameters,
/// written in the backend's dialect. The viewer's filters are built here once.
struct LogFilter {
    enum Parameter: Equatable {
        case integer(Int64)
        case text(String)
    }

    var conditions: [String] = []
    var parameters: [Parameter] = []
    private let dialect: SQLDialect

    init(_ dialect: SQLDialect) {
        self.dialect = dialect
    }

    var whereSQL: String { conditions.isEmpty ? "1=1" : conditions.joined(separator: " AND ") }

    /// Adds `condition` whose `§` marks stand for `values`, in order.
    mutating func add(_ condition: String, _ values: Parameter...) {
        var sql = ""
        var remaining = values[...]
        for character in condition {
            if character == "§", let value = remaining.popFirst() {
                parameters.append(value)
                sql += dialect.placeholder(parameters.count)
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

    /// Every filter of `query`, its cursor included; `newestFirst` gives the order and limit.
    static func matching(_ query: LogQuery, in dialect: SQLDialect) -> LogFilter {
        var filter = LogFilter(dialect)
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
            let like = dialect.caseInsensitiveLike
            filter.add("(l.prompt \(like) § ESCAPE '\\' OR l.completion \(like) § ESCAPE '\\')", .text(pattern), .text(pattern))
        }
        if let after = query.after {
            let start = Int64(clamping: after.startTimeUnixNano)
            // A row value: both engines walk the (start time, id) index from it; the OR form of the
            // same made PostgreSQL scan (`make bench-viewer`: 346 ms for a page in the middle).
            filter.add("(l.start_time_unix_nano, l.id) < (§, §)", .integer(start), .integer(after.id))
        }
        if let bound = query.notBefore {
            filter.add("(l.start_time_unix_nano, l.id) >= (§, §)", .integer(Int64(clamping: bound.startTimeUnixNano)), .integer(bound.id))
        }
        return filter
    }

    /// `searchBoundary`: the rows of `query` without its text, walked on an index to the `rows`-th.
    static func boundary(of query: LogQuery, rows: Int, in dialect: SQLDialect) -> (filter: LogFilter, suffix: String) {
        var others = query
        others.text = nil
        others.notBefore = nil
        return (matching(others, in: dialect), "ORDER BY l.start_time_unix_nano DESC, l.id DESC LIMIT 1 OFFSET \(max(0, rows - 1))")
    }

    /// The order and limit of a page of `searchLogs`.
    static func newestFirst(limit: Int) -> String {
        "ORDER BY l.start_time_unix_nano DESC, l.id DESC LIMIT \(max(1, limit))"
    }

    /// One row, if `readable` covers its key.
    static func row(_ id: Int64, readable: ReadableKeys, in dialect: SQLDialect) -> LogFilter {
        var filter = LogFilter(dialect)
        filter.restrict(to: readable)
        filter.add("l.id = §", .integer(id))
        return filter
    }

    /// The rows of one trace sent with one key. Callers order them with `inTraceOrder`, not in SQL:
    /// an ORDER BY would lead the planner to the key's time index instead of the (key, trace)
    /// one, walking every row of the key.
    static func trace(_ traceID: String, apiKeyID: Int64, in dialect: SQLDialect) -> LogFilter {
        var filter = LogFilter(dialect)
        filter.add("l.api_key_id = §", .integer(apiKeyID))
        filter.add("l.trace_id = §", .text(traceID))
        return filter
    }

    static let traceLimit = "LIMIT 1000"

    static func inTraceOrder(_ logs: [StoredLog]) -> [StoredLog] {
        logs.sorted { ($0.record.startTimeUnixNano, $0.id) < ($1.record.startTimeUnixNano, $1.id) }
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

extension SQLiteStatement {
    /// Binds a filter's parameters, numbered from 1.
    func bind(_ parameters: [LogFilter.Parameter]) {
        for (offset, parameter) in parameters.enumerated() {
            switch parameter {
            case .integer(let value): bind(Int32(offset + 1), value)
            case .text(let value): bind(Int32(offset + 1), value)
            }
        }
    }
}

extension LogFilter {
    /// The parameters in libpq's text form.
    var postgresParameters: [String?] {
        parameters.map { parameter in
            switch parameter {
            case .integer(let value): String(value)
            case .text(let value): PostgresValues.text(value)
            }
        }
    }
}
