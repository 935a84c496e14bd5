import Synchronization

/// Where each column of an `LLMLogRecord` is read from, in order: the first source present wins.
/// Newest convention first, so that a span carrying two generations reads the newer one. Adding a
/// dialect is adding rows here. Sources: OpenTelemetry GenAI semconv (gen_ai.*, v1.26 → v1.41),
/// OpenLLMetry (llm.*, indexed gen_ai.prompt.N.*), OpenInference (llm.*, input.value), Vercel AI
/// SDK (ai.*), and what the frameworks of Tests/e2e/frameworks send (MLflow's mlflow.*, Google ADK's
/// gcp.vertex.agent.*, Pydantic AI, logfire). https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/
enum FieldSources {
    static let provider: SourceList = [
        .attribute("gen_ai.provider.name"),   // semconv v1.37+
        .attribute("gen_ai.system"),          // semconv v1.26–v1.36, OpenLLMetry
        .attribute("llm.provider"),           // OpenInference (hosting provider)
        .attribute("llm.system"),             // OpenInference (model family), OpenLLMetry legacy
        .attribute("ai.model.provider"),      // Vercel AI SDK: "openai.chat" (see ProviderNames)
        .json("mlflow.llm.provider", path: []),     // MLflow
    ]
    static let model: SourceList = [
        .attribute("gen_ai.request.model"),
        .attribute("gen_ai.response.model"),
        .attribute("llm.model_name"),         // OpenInference
        .attribute("ai.model.id"),            // Vercel AI SDK
        .json("mlflow.spanInputs", path: ["model"]), // MLflow: the request it recorded
        .json("mlflow.llm.model", path: []),
    ]
    static let responseModel: SourceList = [
        .attribute("gen_ai.response.model"),
        .attribute("llm.response.model_name"),
        .attribute("ai.response.model"),
        .json("mlflow.llm.model", path: []),
    ]
    static let operation: SourceList = [
        .attribute("gen_ai.operation.name"),  // else derived: OperationRules
    ]
    static let inputTokens: SourceList = [
        .attribute("gen_ai.usage.input_tokens"),    // v1.27+
        .attribute("gen_ai.usage.prompt_tokens"),   // v1.26, OpenLLMetry legacy
        .attribute("llm.token_count.prompt"),       // OpenInference
        .attribute("ai.usage.inputTokens"),         // Vercel AI SDK 5+
        .attribute("ai.usage.promptTokens"),        // Vercel AI SDK ≤4
        .attribute("input_tokens"),                 // Anthropic-style bare names on GenAI spans
        .json("mlflow.chat.tokenUsage", path: ["input_tokens"]),
    ]
    static let outputTokens: SourceList = [
        .attribute("gen_ai.usage.output_tokens"),
        .attribute("gen_ai.usage.completion_tokens"),
        .attribute("llm.token_count.completion"),
        .attribute("ai.usage.outputTokens"),
        .attribute("ai.usage.completionTokens"),
        .attribute("output_tokens"),
        .json("mlflow.chat.tokenUsage", path: ["output_tokens"]),
    ]
    static let cacheReadTokens: SourceList = [
        .attribute("gen_ai.usage.cache_read.input_tokens"),   // v1.40+
        .attribute("gen_ai.usage.cache_read_input_tokens"),   // OpenLLMetry, Strands
        .attribute("gen_ai.usage.input_tokens.cached"),       // Sentry
        .attribute("gen_ai.usage.details.cache_read_tokens"), // Pydantic AI
        .attribute("llm.token_count.prompt_details.cache_read"),
        .attribute("ai.usage.cachedInputTokens"),
        .attribute("cache_read_tokens"),
        .json("mlflow.chat.tokenUsage", path: ["cache_read_input_tokens"]),
    ]
    /// Input tokens written to a provider's prompt cache (priced apart by Anthropic and others).
    static let cacheWriteTokens: SourceList = [
        .attribute("gen_ai.usage.cache_creation.input_tokens"),   // v1.40+
        .attribute("gen_ai.usage.cache_write.input_tokens"),      // pending rename
        .attribute("gen_ai.usage.cache_creation_input_tokens"),   // OpenLLMetry
        .attribute("gen_ai.usage.cache_write_input_tokens"),      // Strands
        .attribute("gen_ai.usage.details.cache_write_tokens"),    // Pydantic AI
        .attribute("llm.token_count.prompt_details.cache_write"), // OpenInference
        .attribute("cache_creation_tokens"),
        .json("mlflow.chat.tokenUsage", path: ["cache_creation_input_tokens"]),
    ]
    static let reasoningTokens: SourceList = [
        .attribute("gen_ai.usage.reasoning.output_tokens"),   // v1.41+
        .attribute("gen_ai.usage.reasoning_tokens"),          // OpenLLMetry
        .attribute("gen_ai.usage.output_tokens.reasoning"),   // Sentry
        .attribute("gen_ai.usage.details.reasoning_tokens"),  // Pydantic AI
        .attribute("llm.token_count.completion_details.reasoning"),
        .attribute("ai.usage.reasoningTokens"),
    ]
    /// A string array, or one string; when absent, the finish reasons of the completion messages.
    static let finishReasons: SourceList = [
        .attribute("gen_ai.response.finish_reasons"),
        .attribute("ai.response.finishReason"),
        .attribute("ai.finishReason"),
        .attribute("llm.finish_reason"),
    ]
    static let errorType: SourceList = [
        .attribute("error.type"),
    ]
    /// Cost in USD that the instrumentation sent; it wins over any price table.
    static let cost: SourceList = [
        .attribute("gen_ai.usage.cost"),
        .attribute("llm.cost.total"),          // OpenInference
        .attribute("operation.cost"),          // Pydantic AI / logfire
        .attribute("gen_ai.cost.total_cost"),  // LiteLLM
        .attribute("gen_ai.cost.total"),
    ]
    /// Parts of a reported cost, summed where no total is sent.
    static let costParts: [SourceList] = [
        [.attribute("gen_ai.usage.input_cost"), .attribute("gen_ai.cost.input_cost")],
        [.attribute("gen_ai.usage.output_cost"), .attribute("gen_ai.cost.output_cost")],
    ]
    static let conversationID: SourceList = [
        .attribute("gen_ai.conversation.id"),
        .attribute("session.id"),                           // OpenInference
        .attribute("ai.telemetry.metadata.sessionId"),      // Vercel AI SDK
    ]
    static let agentName: SourceList = [
        .attribute("gen_ai.agent.name"),
        .attribute("agent_name"),                           // Pydantic AI
    ]
    static let responseID: SourceList = [
        .attribute("gen_ai.response.id"),
        .attribute("ai.response.id"),                       // Vercel AI SDK
    ]

    static let prompt: [ContentSource] = [
        .messages("gen_ai.input.messages", systemInstructions: "gen_ai.system_instructions"),   // v1.37+
        .eventMessages("gen_ai.client.inference.operation.details", attribute: "gen_ai.input.messages",
                       systemInstructions: "gen_ai.system_instructions"),
        .textOrMessages(.attribute("gen_ai.prompt")),                                           // v1.26
        .textOrMessages(.event("gen_ai.content.prompt", attribute: "gen_ai.prompt")),           // v1.26 events
        .messageEvents([                                                                        // v1.28–v1.36
            "gen_ai.system.message": "system", "gen_ai.user.message": "user",
            "gen_ai.assistant.message": "assistant", "gen_ai.tool.message": "tool",
        ]),
        .indexedMessages(prefix: "gen_ai.prompt."),                                             // OpenLLMetry
        .indexedMessages(prefix: "llm.input_messages."),                                        // OpenInference
        .textOrMessages(.attribute("input.value")),                                             // OpenInference
        .textOrMessages(.attribute("ai.prompt.messages")),                                      // Vercel inner call
        .textOrMessages(.attribute("ai.prompt")),                                               // Vercel outer call
        .conversation("pydantic_ai.all_messages", systemInstructions: "gen_ai.system_instructions", side: .input),
        .textOrMessages(.attribute("gcp.vertex.agent.llm_request")),                            // Google ADK (schema 1)
        .textOrMessages(.attribute("mlflow.spanInputs")),                                       // MLflow
        .textOrMessages(.attribute("input")),                                                   // logfire (OpenAI Agents)
        .textOrMessages(.attribute("gen_ai.input.messages_ref")),   // uploaded elsewhere: the reference, not fetched
    ]
    static let completion: [ContentSource] = [
        .messages("gen_ai.output.messages", systemInstructions: nil),
        .eventMessages("gen_ai.client.inference.operation.details", attribute: "gen_ai.output.messages",
                       systemInstructions: nil),
        .textOrMessages(.attribute("gen_ai.completion")),
        .textOrMessages(.event("gen_ai.content.completion", attribute: "gen_ai.completion")),
        .choiceEvents("gen_ai.choice"),
        .indexedMessages(prefix: "gen_ai.completion."),
        .indexedMessages(prefix: "llm.output_messages."),
        .textOrMessages(.attribute("output.value")),
        .textOrMessages(.attribute("ai.response.text")),
        .textOrMessages(.attribute("ai.result.text")),                                          // Vercel ≤3
        .conversation("pydantic_ai.all_messages", systemInstructions: nil, side: .output),
        .textOrMessages(.attribute("gcp.vertex.agent.llm_response")),
        .textOrMessages(.attribute("mlflow.spanOutputs")),
        .textOrMessages(.attribute("output")),
        .textOrMessages(.attribute("gen_ai.output.messages_ref")),
    ]

    /// A span is GenAI when any attribute key starts with one of these, or equals one of `genAIKeys`.
    static let genAIPrefixes = ["gen_ai.", "llm."]
    static let genAIKeys: Set<String> = ["openinference.span.kind", "ai.model.id", "mlflow.spanType"]
}

/// The places one column is read from, in order, each with its key's print: most of a column's
/// places are other dialects' keys, which a span rarely has. Where a column is read from in one
/// span's keys is worked out once per key list (`AttributeKeys.steps`), kept under the list's `id`.
struct SourceList: ExpressibleByArrayLiteral, Sendable {
    let sources: [ValueSource]
    /// Per source, its key's print; nil for an event's attribute, which is not among the span's keys.
    let prints: [KeyPrint?]
    /// This list's place among all lists: lists are few and made once (the static lets above).
    let id: Int

    init(arrayLiteral sources: ValueSource...) {
        self.sources = sources
        prints = sources.map { source in
            switch source {
            case .attribute(let key), .json(let key, _): KeyPrint(key)
            case .event: nil
            }
        }
        id = SourceList.nextID.withLock { next in
            defer { next += 1 }
            return next
        }
    }

    private static let nextID = Mutex(0)
}

/// One place a single value can come from.
enum ValueSource: Sendable {
    /// A span attribute.
    case attribute(String)
    /// An attribute of the first span event with this name.
    case event(String, attribute: String)
    /// The member at `path` of the JSON text an attribute holds (the whole text for `[]`).
    case json(String, path: [String])
}

/// One place prompt or completion content can come from.
enum ContentSource: Sendable {
    /// An attribute holding a message list (JSON string or structured), with optional system
    /// instructions prepended as a system message.
    case messages(String, systemInstructions: String?)
    /// The same, on a span event.
    case eventMessages(String, attribute: String, systemInstructions: String?)
    /// A plain string stays a string; a message list (in any dialect) becomes canonical.
    case textOrMessages(ValueSource)
    /// One span event per message, the role given by the event name.
    case messageEvents([String: String])
    /// One span event per choice (`gen_ai.choice`), ordered by `index`.
    case choiceEvents(String)
    /// Flattened messages: `PREFIX0.role`, `PREFIX0.content`, `PREFIX0.message.role`, ….
    case indexedMessages(prefix: String)
    /// A whole conversation in one list (Pydantic AI's agent span): its input is every message
    /// before the trailing assistant ones, its output those.
    case conversation(String, systemInstructions: String?, side: ConversationSide)
}

enum ConversationSide: Sendable { case input, output }
