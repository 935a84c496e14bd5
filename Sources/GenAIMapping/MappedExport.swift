import LLMLog

/// What mapping one export produced: the rows to store, and the spans it could not accept.
public struct MappedExport: Equatable, Sendable {
    public var records: [LLMLogRecord] = []
    /// Spans that are not GenAI: dropped on purpose, not an error.
    public var droppedSpans = 0
    /// Spans refused (malformed ids); reported to the client as partial success.
    public var rejectedSpans = 0
    /// Why the first rejected span was refused, for `partial_success.error_message`.
    public var rejectionMessage: String?

    public init() {}
}
