/// Derives `operation` for spans without `gen_ai.operation.name`, and says which operations are
/// model calls (the ones whose tokens count: wrappers repeat their children's usage).
public enum OperationRules {
    /// Operations that are one call to a model. Token totals count these only.
    public static let modelCalls: Set<String> = ["chat", "text_completion", "generate_content", "embeddings"]

    /// OpenLLMetry `llm.request.type`.
    static let requestTypes: [String: String] = [
        "chat": "chat", "completion": "text_completion", "embedding": "embeddings", "rerank": "rerank",
    ]

    /// OpenInference `openinference.span.kind`.
    static let openInferenceKinds: [String: String] = [
        "LLM": "chat", "EMBEDDING": "embeddings", "TOOL": "execute_tool", "AGENT": "invoke_agent",
        "CHAIN": "invoke_workflow", "RETRIEVER": "retrieval", "RERANKER": "rerank",
    ]

    /// Vercel AI SDK operation ids (`ai.operationId`, `operation.name` or the span name).
    static let vercelOperations: [String: String] = [
        "ai.generateText.doGenerate": "chat", "ai.streamText.doStream": "chat",
        "ai.generateObject.doGenerate": "chat", "ai.streamObject.doStream": "chat",
        "ai.embed.doEmbed": "embeddings", "ai.embedMany.doEmbed": "embeddings",
        "ai.generateText": "invoke_agent", "ai.streamText": "invoke_agent",
        "ai.generateObject": "invoke_agent", "ai.streamObject": "invoke_agent",
        "ai.embed": "invoke_workflow", "ai.embedMany": "invoke_workflow",
        "ai.toolCall": "execute_tool",
    ]

    /// A span that names no operation but carries a model and usage or content is one call to
    /// that model (the seed's example, v1.26-era instrumentations, logfire's OpenAI Agents spans):
    /// an embedding or a text completion where its name says so, else a chat.
    /// A span of an agent (Pydantic AI's `agent run`, one with `gen_ai.agent.name`) is the agent's
    /// invocation, whose usage sums its calls'.
    static func inferredOperation(spanName: String, model: String?, hasUsage: Bool, hasContent: Bool, namesAnAgent: Bool) -> String? {
        let name = spanName.lowercased()
        if namesAnAgent || name.hasPrefix("agent run") || name.hasPrefix("invoke_agent") { return "invoke_agent" }
        guard model != nil, hasUsage || hasContent else { return nil }
        if name.contains("embed") { return "embeddings" }
        if name.contains("completion"), !name.contains("chat") { return "text_completion" }
        return "chat"
    }

    /// `gen_ai.operation.name` values of the registry (v1.41), and OpenLLMetry's `rerank`.
    static let knownOperations: Set<String> = [
        "chat", "text_completion", "generate_content", "embeddings", "retrieval", "execute_tool", "create_agent",
        "invoke_agent", "invoke_workflow", "rerank",
    ]

    /// Words frameworks put in `gen_ai.operation.name` for what the registry has a name for.
    static let frameworkOperations: [String: String] = [
        "chain": "invoke_workflow", "workflow": "invoke_workflow", "task": "invoke_workflow",
        "agent": "invoke_agent", "agent_step": "invoke_agent", "execute_event_loop_cycle": "invoke_agent",
        "tool": "execute_tool", "completion": "text_completion", "embedding": "embeddings",
    ]

    /// MLflow `mlflow.spanType` (written as JSON text, `"\"CHAT_MODEL\""`).
    static let mlflowSpanTypes: [String: String] = [
        "LLM": "chat", "CHAT_MODEL": "chat", "EMBEDDING": "embeddings", "AGENT": "invoke_agent",
        "TOOL": "execute_tool", "CHAIN": "invoke_workflow", "RETRIEVER": "retrieval", "RERANKER": "rerank",
    ]

    static func operation(of span: SpanAttributes) -> String? {
        if let explicit = span.firstText(FieldSources.operation) {
            // Most spans send the registry's own word: found as sent, it needs no lowercased copy.
            if knownOperations.contains(explicit) { return explicit }
            // A framework's own word is stored as the registry's, or not at all (it stays in `attributes`).
            let name = explicit.lowercased()
            if knownOperations.contains(name) { return name }
            if let operation = frameworkOperations[name] { return operation }
        }
        if let type = span["llm.request.type"]?.textValue, let operation = requestTypes[type] { return operation }
        if let kind = span["openinference.span.kind"]?.textValue, let operation = openInferenceKinds[kind.uppercased()] {
            return operation
        }
        if let type = span.value(.json("mlflow.spanType", path: []))?.textValue, let operation = mlflowSpanTypes[type] {
            return operation
        }
        for candidate in [span["ai.operationId"]?.textValue, span["operation.name"]?.textValue, span.span.name] {
            // Vercel appends the telemetry function id: "ai.generateText myFunction".
            if let id = candidate?.split(separator: " ").first, let operation = vercelOperations[String(id)] {
                return operation
            }
        }
        return nil
    }
}

/// Provider names normalised to the current `gen_ai.provider.name` values (semconv v1.37+).
enum ProviderNames {
    static let aliases: [String: String] = [
        "az.ai.openai": "azure.ai.openai", "az.ai.inference": "azure.ai.inference",
        "azure": "azure.ai.openai", "azure-openai": "azure.ai.openai",
        "vertex_ai": "gcp.vertex_ai", "vertexai": "gcp.vertex_ai", "google.vertex": "gcp.vertex_ai",
        "gemini": "gcp.gemini", "google": "gcp.gemini", "google.generative-ai": "gcp.gemini",
        "xai": "x_ai", "mistralai": "mistral_ai", "mistral": "mistral_ai",
        "aws": "aws.bedrock", "bedrock": "aws.bedrock", "amazon-bedrock": "aws.bedrock",
        "watsonx": "ibm.watsonx.ai",
    ]

    /// `value` as read from `key`: Vercel's `ai.model.provider` is `provider.api` ("openai.chat",
    /// "google.vertex.chat"), of which the provider part counts.
    /// Names that instrumentations put in `gen_ai.system` for themselves, not for the vendor.
    static let frameworks: Set<String> = ["strands-agents", "gcp.vertex.agent", "langchain", "llamaindex", "crewai", "pydantic-ai"]

    static func normalize(_ value: String, key: String) -> String {
        var name = value.lowercased()
        if key == "ai.model.provider" {
            if name.hasPrefix("google.vertex") {
                name = "google.vertex"
            } else if name.hasPrefix("google.generative-ai") {
                name = "google.generative-ai"
            } else if let first = name.split(separator: ".").first {
                name = String(first)
            }
        }
        return aliases[name] ?? name
    }
}
