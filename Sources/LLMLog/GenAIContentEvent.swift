/// Prompt or completion content that arrived as a log record (the OpenTelemetry Events API,
/// semconv v1.28+), waiting to be merged into the row of the span it names.
public struct GenAIContentEvent: Equatable, Sendable {
    public enum Side: Int, Sendable {
        case input = 0    // → prompt
        case output = 1   // → completion
    }

    public var traceID: String
    public var spanID: String
    public var side: Side
    /// Record time; input messages are ordered by it.
    public var timeUnixNano: UInt64
    /// Position of the record in its export: orders records of the same time.
    public var position: Int
    /// Choice index of a `gen_ai.choice`; output messages are ordered by it.
    public var choiceIndex: Int?
    /// The messages this record holds, as a canonical JSON array.
    public var messagesJSON: String

    public init(traceID: String, spanID: String, side: Side, timeUnixNano: UInt64, position: Int,
                choiceIndex: Int? = nil, messagesJSON: String) {
        self.traceID = traceID
        self.spanID = spanID
        self.side = side
        self.timeUnixNano = timeUnixNano
        self.position = position
        self.choiceIndex = choiceIndex
        self.messagesJSON = messagesJSON
    }
}
