import LLMLog

/// The rule by which content that arrived as log records (`GenAIContentEvent`) joins the row of
/// its span, whichever arrives first: content the span carried itself wins, and events fill only
/// what is empty or came from events before. Input messages go in time order, output messages
/// in choice order. Pure; stores apply it (`ContentJoinRule`).
public enum ContentJoin {
    public static let rule: ContentJoinRule = { row, events in join(row, events) }

    public static func join(_ row: SpanContent, _ events: [GenAIContentEvent]) -> SpanContent {
        var joined = row
        if row.prompt == nil || row.promptFromEvents {
            let inputs = events.filter { $0.side == .input }
                .sorted { ($0.timeUnixNano, $0.position) < ($1.timeUnixNano, $1.position) }
            if let messages = concatenated(inputs) {
                joined.prompt = messages
                joined.promptFromEvents = true
            }
        }
        if row.completion == nil || row.completionFromEvents {
            // An event without a choice index comes before the indexed ones.
            let outputs = events.filter { $0.side == .output }
                .sorted { ($0.choiceIndex ?? -1, $0.timeUnixNano, $0.position) < ($1.choiceIndex ?? -1, $1.timeUnixNano, $1.position) }
            if let messages = concatenated(outputs) {
                joined.completion = messages
                joined.completionFromEvents = true
            }
        }
        return joined
    }

    /// The events' message arrays joined into one array; nil when they hold no message.
    private static func concatenated(_ events: [GenAIContentEvent]) -> String? {
        let items = events.map(\.messagesJSON).filter { $0.utf8.count > 2 }.map { $0.dropFirst().dropLast() }
        return items.isEmpty ? nil : "[" + items.joined(separator: ",") + "]"
    }
}
