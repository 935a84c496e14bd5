/// One row of Ingate's LLM log: what a single GenAI span says about one model call (or a
/// wrapper around calls: see `OperationRules.modelCalls`).
public struct LLMLogRecord: Equatable, Sendable {
    public var traceID: String
    public var spanID: String
    public var parentSpanID: String?
    public var serviceName: String?
    public var scopeName: String?
    public var spanName: String
    public var operation: String?
    public var provider: String?
    public var model: String?
    public var responseModel: String?
    /// A plain string, or a JSON array of canonical messages (`[{"role", "parts", …}]`).
    public var prompt: String?
    public var completion: String?
    public var inputTokens: Int64?
    public var outputTokens: Int64?
    public var cacheReadTokens: Int64?
    public var reasoningTokens: Int64?
    public var cacheWriteTokens: Int64?
    public var conversationID: String?
    public var agentName: String?
    public var responseID: String?
    /// USD; nil when unknown (never 0 for a model without a price).
    public var costUSD: Double?
    /// `reported` (the instrumentation sent it) or `prices` (from a price table).
    public var costSource: String?
    /// A JSON array of strings.
    public var finishReasons: String?
    public var errorType: String?
    public var latencyMs: Double
    public var startTimeUnixNano: UInt64
    public var endTimeUnixNano: UInt64
    /// 0 unset, 1 ok, 2 error, as in OTLP's `Status.code`.
    public var statusCode: Int
    public var statusMessage: String?
    /// Every span attribute as one JSON object.
    public var attributesJSON: String
    /// Every resource attribute as one JSON object.
    public var resourceJSON: String

    public init(
        traceID: String, spanID: String, parentSpanID: String? = nil, serviceName: String? = nil,
        scopeName: String? = nil, spanName: String, operation: String? = nil, provider: String? = nil,
        model: String? = nil, responseModel: String? = nil, prompt: String? = nil, completion: String? = nil,
        inputTokens: Int64? = nil, outputTokens: Int64? = nil, cacheReadTokens: Int64? = nil,
        reasoningTokens: Int64? = nil, finishReasons: String? = nil, errorType: String? = nil,
        latencyMs: Double, startTimeUnixNano: UInt64, endTimeUnixNano: UInt64, statusCode: Int = 0,
        statusMessage: String? = nil, attributesJSON: String = "{}", resourceJSON: String = "{}",
        cacheWriteTokens: Int64? = nil, conversationID: String? = nil, agentName: String? = nil, responseID: String? = nil,
        reportedCost: Double? = nil
    ) {
        self.costUSD = reportedCost
        self.costSource = reportedCost == nil ? nil : "reported"
        self.cacheWriteTokens = cacheWriteTokens
        self.conversationID = conversationID
        self.agentName = agentName
        self.responseID = responseID
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.serviceName = serviceName
        self.scopeName = scopeName
        self.spanName = spanName
        self.operation = operation
        self.provider = provider
        self.model = model
        self.responseModel = responseModel
        self.prompt = prompt
        self.completion = completion
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.reasoningTokens = reasoningTokens
        self.finishReasons = finishReasons
        self.errorType = errorType
        self.latencyMs = latencyMs
        self.startTimeUnixNano = startTimeUnixNano
        self.endTimeUnixNano = endTimeUnixNano
        self.statusCode = statusCode
        self.statusMessage = statusMessage
        self.attributesJSON = attributesJSON
        self.resourceJSON = resourceJSON
    }
}
