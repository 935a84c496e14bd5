import LLMLog
import Foundation
import OTLPCodec

/// Keeps the GenAI spans of an export and turns each into an `LLMLogRecord`. Pure: no I/O.
public enum SpanMapper {
    /// `skippedSpans`: spans the decoder already left out as not GenAI (`genAIKeyFilter`).
    public static func map(_ request: TraceExportRequest, skippedSpans: Int = 0) -> MappedExport {
        var result = MappedExport()
        result.droppedSpans = skippedSpans
        result.records.reserveCapacity(request.resourceSpans.reduce(0) { $0 + $1.scopeSpans.reduce(0) { $0 + $1.spans.count } })
        let keys = AttributeKeys.Memo()
        for resourceSpans in request.resourceSpans {
            // Built once per resource, and only if one of its spans is kept.
            var resource: (serviceName: String?, json: String)?
            for scopeSpans in resourceSpans.scopeSpans {
                let scopeName = scopeSpans.scope.name.isEmpty ? nil : scopeSpans.scope.name
                for span in scopeSpans.spans {
                    // Most spans of a traced application are not GenAI: decide on the keys alone
                    // before building anything.
                    guard isGenAI(span) else {
                        result.droppedSpans += 1
                        continue
                    }
                    if resource == nil {
                        let attributes = resourceSpans.resource.attributes
                        resource = (attributes.first { $0.key == "service.name" }?.value.textValue,
                                    AttributeJSON.object(attributes))
                    }
                    // Appended as returned: through a `Result`, each record was copied out of it and freed.
                    do throws(Rejection) {
                        result.records.append(try record(for: span, serviceName: resource?.serviceName, scopeName: scopeName,
                                                         resourceJSON: resource?.json ?? "{}", keys: keys))
                    } catch {
                        result.rejectedSpans += 1
                        if result.rejectionMessage == nil { result.rejectionMessage = error.text }
                    }
                }
            }
        }
        result.droppedSpans += dropRawChildren(&result.records)
        return result
    }

    /// Drops rows that hold nothing of a call (no operation, model, tokens or content) where they
    /// are only the raw echo of a stored call: the child of a call in the same export, or LiteLLM's
    /// `raw_gen_ai_request` span (provider payload keys `llm.openai.*`), which may come in another.
    /// Returns how many it dropped.
    static func dropRawChildren(_ records: inout [LLMLogRecord]) -> Int {
        func holdsNothing(_ record: LLMLogRecord) -> Bool {
            record.operation == nil && record.model == nil && record.inputTokens == nil && record.outputTokens == nil
                && record.prompt == nil && record.completion == nil
        }
        guard records.contains(where: holdsNothing) else { return 0 }
        let calls = Set(records.filter { $0.model != nil }.map { $0.traceID + "/" + $0.spanID })
        let before = records.count
        records.removeAll { record in
            guard holdsNothing(record) else { return false }
            if record.scopeName == "litellm" && record.spanName == "raw_gen_ai_request" { return true }
            return record.parentSpanID.map { calls.contains(record.traceID + "/" + $0) } ?? false
        }
        return before - records.count
    }

    static func isGenAI(_ span: Span) -> Bool {
        var mlflowOnly = false
        for attribute in span.attributes where isGenAIKey(attribute.key) {
            guard attribute.key == "mlflow.spanType" else { return true }
            mlflowOnly = true
        }
        // MLflow marks every span it records; only its model, agent, tool and retrieval spans are GenAI.
        guard mlflowOnly, let type = SpanAttributes(span).value(.json("mlflow.spanType", path: []))?.textValue else { return false }
        return OperationRules.mlflowSpanTypes[type] != nil
    }

    /// The rule that keeps a span, on its attribute keys alone: the decoder's filter.
    public static let genAIKeyFilter: SpanKeyFilter = { key in
        // Most keys of other spans (`http.…`, `db.…`, `server.…`) start with a byte no GenAI key
        // starts with: told apart without comparing them to every prefix.
        if let first = key.first, !genAIFirstBytes[Int(first)] { return false }
        return genAIPrefixBytes.contains { key.starts(with: $0) } || genAIKeyBytes.contains { key.elementsEqual($0) }
    }
    private static let genAIPrefixBytes = FieldSources.genAIPrefixes.map { Array($0.utf8) }
    private static let genAIKeyBytes = FieldSources.genAIKeys.map { Array($0.utf8) }
    private static let genAIFirstBytes: [Bool] = (0..<256).map { byte in
        genAIPrefixBytes.contains { $0.isEmpty || $0.first == UInt8(byte) } || genAIKeyBytes.contains { $0.first == UInt8(byte) }
    }

    static func isGenAIKey(_ key: String) -> Bool {
        var key = key
        return key.withUTF8(genAIKeyFilter)
    }

    struct Rejection: Error { let text: String }

    static func record(for span: Span, serviceName: String?, scopeName: String? = nil,
                       resourceJSON: String = "{}", keys: AttributeKeys.Memo? = nil) throws(Rejection) -> LLMLogRecord {
        guard let traceID = hexID(span.traceID, bytes: 16) else {
            throw Rejection(text: "span \"\(span.name)\": trace_id must be 16 bytes and not all zero, got \(span.traceID.count) bytes")
        }
        guard let spanID = hexID(span.spanID, bytes: 8) else {
            throw Rejection(text: "span \"\(span.name)\": span_id must be 8 bytes and not all zero, got \(span.spanID.count) bytes")
        }
        var parentSpanID: String?
        if !span.parentSpanID.isEmpty {
            guard let parent = hexID(span.parentSpanID, bytes: 8) else {
                throw Rejection(text: "span \"\(span.name)\": parent_span_id must be empty or 8 bytes, got \(span.parentSpanID.count) bytes")
            }
            parentSpanID = parent
        }

        let layout = keys?.keys(of: span.attributes) ?? AttributeKeys(of: span.attributes)
        let view = SpanAttributes(span, keys: layout)
        let prompt = ContentExtractor.first(FieldSources.prompt, in: view, defaultRole: "user")
        let completion = ContentExtractor.first(FieldSources.completion, in: view, defaultRole: "assistant")
        let start = span.startTimeUnixNano
        let end = span.endTimeUnixNano
        let model = view.firstText(FieldSources.model)
        let inputTokens = view.firstInteger(FieldSources.inputTokens)
        let outputTokens = view.firstInteger(FieldSources.outputTokens)
        let operation = OperationRules.operation(of: view) ?? OperationRules.inferredOperation(
            spanName: span.name, model: model, hasUsage: inputTokens != nil || outputTokens != nil,
            hasContent: prompt != nil || completion != nil,
            namesAnAgent: view.firstText(FieldSources.agentName) != nil)
        return LLMLogRecord(
            traceID: traceID,
            spanID: spanID,
            parentSpanID: parentSpanID,
            serviceName: serviceName,
            scopeName: scopeName,
            spanName: span.name,
            operation: operation,
            provider: provider(view, model: model),
            model: model,
            responseModel: view.firstText(FieldSources.responseModel),
            prompt: prompt?.text,
            completion: completion?.text,
            inputTokens: inputTokens,
            outputTokens: outputTokens,
            cacheReadTokens: view.firstInteger(FieldSources.cacheReadTokens),
            reasoningTokens: view.firstInteger(FieldSources.reasoningTokens),
            finishReasons: finishReasons(view, completion: completion),
            errorType: view.firstText(FieldSources.errorType),
            latencyMs: end >= start ? Double(end - start) / 1e6 : -Double(start - end) / 1e6,
            startTimeUnixNano: start,
            endTimeUnixNano: end,
            statusCode: span.status.code.rawValue,
            statusMessage: span.status.message.isEmpty ? nil : span.status.message,
            attributesJSON: AttributeJSON.object(span.attributes, leavingOut: present(prompt?.text, completion?.text),
                                                  sources: present(prompt?.source, completion?.source),
                                                  members: layout.members),
            resourceJSON: resourceJSON,
            cacheWriteTokens: view.firstInteger(FieldSources.cacheWriteTokens),
            conversationID: view.firstText(FieldSources.conversationID),
            agentName: view.firstText(FieldSources.agentName),
            responseID: view.firstText(FieldSources.responseID),
            reportedCost: reportedCost(view)
        )
    }

    /// The texts that are there, in one allocation: `compactMap` grew its array twice.
    private static func present(_ first: String?, _ second: String?) -> [String] {
        switch (first, second) {
        case let (first?, second?): [first, second]
        case let (text?, nil), let (nil, text?): [text]
        case (nil, nil): []
        }
    }

    /// A total the instrumentation sent, else the sum of the parts it sent.
    static func reportedCost(_ view: SpanAttributes) -> Double? {
        if let total = view.firstNumber(FieldSources.cost) { return total }
        let parts = FieldSources.costParts.compactMap { view.firstNumber($0) }
        return parts.isEmpty ? nil : parts.reduce(0, +)
    }

    /// The model's vendor: the first provider source that names one, not a framework
    /// (`strands-agents`, `gcp.vertex.agent`); else the vendor prefix of the model name
    /// (`openai/gpt-4o-mini`, as LiteLLM and ADK spell it). Where neither says, the cost step
    /// may name it from the price table.
    static func provider(_ view: SpanAttributes, model: String?) -> String? {
        let named = view.first(FieldSources.provider) { value, position -> String? in
            guard let value = value.textValue, !value.isEmpty else { return nil }
            let key = if case .attribute(let key) = FieldSources.provider.sources[position] { key } else { "" }
            let name = ProviderNames.normalize(value, key: key)
            return ProviderNames.frameworks.contains(name) ? nil : name
        }
        if let named { return named }
        if let model, let slash = model.firstIndex(of: "/"), slash != model.startIndex {
            let vendor = model[..<slash].lowercased()
            if vendor.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) {
                return ProviderNames.normalize(String(vendor), key: "")
            }
        }
        return nil
    }

    /// A JSON array of strings: the span's finish reasons, else those of its output messages.
    static func finishReasons(_ view: SpanAttributes, completion: Content?) -> String? {
        var reasons: [String] = []
        if let value = view.first(FieldSources.finishReasons) {
            // LiteLLM sends the list as JSON text (`"[\"stop\"]"`).
            switch JSONValue.content(value) {
            case .array(let items): reasons = items.compactMap(\.string)
            case .string(let text): reasons = [text]
            default: break
            }
        } else if let outline = completion?.outline {
            reasons = outline.compactMap(\.finishReason)
        }
        guard !reasons.isEmpty else { return nil }
        // Written as `JSONValue.array(…).serialized` writes it, without building the value first.
        var out = JSONWriter(capacity: 16 * reasons.count)
        out.byte(UInt8(ascii: "["))
        for (offset, reason) in reasons.enumerated() {
            if offset > 0 { out.byte(UInt8(ascii: ",")) }
            out.string(reason)
        }
        out.byte(UInt8(ascii: "]"))
        return out.text
    }

    /// Lowercase hex of an id of the expected size; nil when the size is wrong or all bytes are
    /// zero (both invalid per the OTLP trace proto).
    static func hexID(_ bytes: Data, bytes expected: Int) -> String? {
        guard bytes.count == expected else { return nil }
        // Through the raw bytes: iterating `Data` byte by byte costs several times more.
        return bytes.withUnsafeBytes { raw in raw.contains { $0 != 0 } ? Hex.encode(raw) : nil }
    }
}
