import LLMLog

extension SQLiteLogStore {
    /// Rows with no model, no tokens and no content, grouped by scope and span name (the time
    /// index bounds the scan); the keys come from the attributes of up to 20 rows per group.
    public func unmappedSpans(sinceUnixNano: UInt64) throws(StoreError) -> [UnmappedSpans] {
        try withConnection { (db) throws(StorageError) -> [UnmappedSpans] in
            let nothing = """
                start_time_unix_nano >= ? AND model IS NULL AND input_tokens IS NULL AND output_tokens IS NULL
                AND prompt IS NULL AND completion IS NULL
                """
            let groups = try db.prepare("""
                SELECT scope_name, span_name, count(*) FROM llm_logs WHERE \(nothing)
                GROUP BY scope_name, span_name ORDER BY count(*) DESC, scope_name, span_name LIMIT 200
                """)
            groups.bind(1, Int64(clamping: sinceUnixNano))
            var found: [UnmappedSpans] = []
            while try groups.step() {
                found.append(UnmappedSpans(scopeName: groups.string(0), spanName: groups.string(1) ?? "",
                                           count: groups.int64(2) ?? 0, attributeKeys: []))
            }
            let sample = try db.prepare("""
                SELECT attributes FROM llm_logs WHERE \(nothing) AND scope_name IS ? AND span_name = ? LIMIT 20
                """)
            for index in found.indices {
                sample.bind(1, Int64(clamping: sinceUnixNano))
                sample.bind(2, found[index].scopeName)
                sample.bind(3, found[index].spanName)
                var keys = Set<String>()
                while try sample.step() {
                    if case .object(let members)? = try? JSONParser.parse(Array((sample.string(0) ?? "{}").utf8), maxDepth: 256) {
                        keys.formUnion(members.keys)
                    }
                }
                sample.reset()
                found[index].attributeKeys = keys.sorted()
            }
            return found
        }
    }
}
