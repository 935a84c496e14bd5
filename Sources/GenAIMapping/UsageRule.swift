import LLMLog

/// Which rows a bill counts: every model call once. A row counts when its operation is a model
/// call (`OperationRules.modelCalls`; agent, tool and workflow spans repeat their calls' usage)
/// and no model call with usage is its own child (two instrumentations recording one call, or a
/// span that sums its calls). Stores apply the same rule in their queries (`usageStats`), so
/// that it holds whichever of a parent and its child arrived first, in one export or two.
public enum UsageRule {
    public static var countedOperations: Set<String> { OperationRules.modelCalls }

    /// The rows of `records` that count, judged among `records` alone.
    public static func counted(_ records: [LLMLogRecord]) -> [LLMLogRecord] {
        var parentsOfCalls = Set<String>()
        for record in records where isCall(record) && hasUsage(record) {
            if let parent = record.parentSpanID { parentsOfCalls.insert(record.traceID + "/" + parent) }
        }
        return records.filter { isCall($0) && !parentsOfCalls.contains($0.traceID + "/" + $0.spanID) }
    }

    static func isCall(_ record: LLMLogRecord) -> Bool { countedOperations.contains(record.operation ?? "") }
    static func hasUsage(_ record: LLMLogRecord) -> Bool { record.inputTokens != nil || record.outputTokens != nil }
}
