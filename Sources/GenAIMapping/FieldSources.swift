/// Where each column of an `LLMLogRecord` is read from, in order: the first source present wins.
/// Newest semantic convention first, so that a span carrying both generations reads the new one.
/// https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/
enum FieldSources {
    static let provider: [ValueSource] = [
        .attribute("gen_ai.provider.name"),   // v1.37+
        .attribute("gen_ai.system"),          // v1.26–v1.36
    ]
    static let model: [ValueSource] = [
        .attribute("gen_ai.request.model"),
        .attribute("gen_ai.response.model"),
    ]
    static let operation: [ValueSource] = [
        .attribute("gen_ai.operation.name"),
    ]
    static let prompt: [ValueSource] = [
        .attribute("gen_ai.prompt"),
        .event("gen_ai.content.prompt", attribute: "gen_ai.prompt"),   // v1.26 span events
    ]
    static let completion: [ValueSource] = [
        .attribute("gen_ai.completion"),
        .event("gen_ai.content.completion", attribute: "gen_ai.completion"),
    ]
    static let inputTokens: [ValueSource] = [
        .attribute("gen_ai.usage.input_tokens"),    // v1.27+
        .attribute("gen_ai.usage.prompt_tokens"),   // v1.26
    ]
    static let outputTokens: [ValueSource] = [
        .attribute("gen_ai.usage.output_tokens"),
        .attribute("gen_ai.usage.completion_tokens"),
    ]

    /// An attribute key with this prefix makes a span a GenAI span.
    static let genAIPrefix = "gen_ai."
}

/// One place a value can come from.
enum ValueSource: Sendable {
    /// A span attribute.
    case attribute(String)
    /// An attribute of the first span event with this name.
    case event(String, attribute: String)
}
