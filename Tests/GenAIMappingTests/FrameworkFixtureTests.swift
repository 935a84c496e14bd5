import Foundation
import LLMLog
import OTLPCodec
import Pricing
import Testing
@testable import GenAIMapping

/// What each framework really sent (captured from the real library by `make framework-fixtures`,
/// Tests/e2e/frameworks/capture.py), mapped: one counted model call with its tokens, the vendor as
/// provider, the prompt and completion as chat messages, registry operations only, no empty echo rows.
@Suite struct FrameworkFixtureTests {
    struct Expected: CustomTestStringConvertible, Sendable {
        var fixture: String
        /// The provider as the spans name it; nil where they name only the framework or nothing,
        /// and the price table names the vendor.
        var provider: String?
        var reportedCost: Double? = nil
        var agent = false
        var testDescription: String { fixture }
    }

    static let frameworks: [Expected] = [
        Expected(fixture: "openllmetry", provider: "openai"),
        Expected(fixture: "openinference", provider: "openai"),
        Expected(fixture: "pydantic-ai", provider: "openai", reportedCost: 4.95e-06, agent: true),
        Expected(fixture: "strands", provider: nil, agent: true),
        Expected(fixture: "litellm", provider: "openai", reportedCost: 4.95e-06),
        Expected(fixture: "openai-agents", provider: "openai", agent: true),
        Expected(fixture: "langsmith", provider: "openai"),
        Expected(fixture: "mlflow", provider: nil),
        Expected(fixture: "adk", provider: "openai", agent: true),
        Expected(fixture: "adk-schema-1", provider: "openai", agent: true),
    ]

    static func records(_ fixture: String) throws -> [LLMLogRecord] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(fixture).json")
        let body = try [UInt8](Data(contentsOf: url))
        let decoded = try ExportDecoder().decodeTraces(body, format: .json, coding: .identity, keeping: SpanMapper.genAIKeyFilter)
        return SpanMapper.map(decoded.export, skippedSpans: decoded.skippedSpans).records
    }

    static func messages(_ text: String?) -> [(role: String, texts: [String])] {
        guard let text, case .array(let list)? = JSONValue.parse(text, maxDepth: 64) else { return [] }
        return list.map { message in
            let texts = (message["parts"]?.array ?? []).compactMap { part -> String? in
                part["type"]?.string == "text" ? part["content"]?.string?.trimmingCharacters(in: .whitespacesAndNewlines) : nil
            }
            return (message["role"]?.string ?? "", texts)
        }
    }

    @Test(arguments: frameworks) func oneCountedCallWithItsContent(_ expected: Expected) throws {
        var records = try Self.records(expected.fixture)
        let counted = UsageRule.counted(records)
        try #require(counted.count == 1, "\(records.map { ($0.spanName, $0.operation) })")
        let call = counted[0]
        #expect(call.provider == expected.provider)
        #expect(call.inputTokens == 21 && call.outputTokens == 3)
        #expect(call.costUSD == expected.reportedCost)
        #expect(call.model.map { ["gpt-4o-mini", "openai/gpt-4o-mini", "gpt-4o-mini-2024-07-18"].contains($0) } == true)

        Cost.price(&records, with: .shipped)
        let priced = try #require(UsageRule.counted(records).first)
        #expect(priced.provider == "openai")
        #expect((priced.costUSD ?? 0) > 0)

        let withContent = records.filter { OperationRules.modelCalls.contains($0.operation ?? "") && $0.prompt != nil && $0.completion != nil }
        #expect(!withContent.isEmpty)
        for record in withContent {
            let prompt = Self.messages(record.prompt)
            #expect(prompt.map(\.role) == ["system", "user"], "\(record.prompt ?? "")")
            #expect(prompt.first?.texts.first?.hasPrefix("Answer briefly.") == true)
            #expect(prompt.last?.texts == ["What is the capital of France?"])
            let completion = Self.messages(record.completion)
            #expect(completion.map(\.role) == ["assistant"] && completion.first?.texts == ["Paris."], "\(record.completion ?? "")")
        }

        let calls = Set(records.filter { $0.model != nil }.map(\.spanID))
        for record in records {
            #expect(record.operation.map(OperationRules.knownOperations.contains) ?? true, "\(record.spanName): \(record.operation ?? "")")
            let holdsNothing = record.operation == nil && record.model == nil && record.inputTokens == nil && record.prompt == nil
            #expect(!(holdsNothing && record.parentSpanID.map(calls.contains) == true), "empty echo row \(record.spanName)")
        }
        if expected.agent {
            #expect(records.contains { $0.operation == "invoke_agent" && $0.agentName == "capitals" })
        }
    }

    @Test func pydanticAIsAgentSpanSplitsItsConversationIntoPromptAndReply() throws {
        let agent = try #require(try Self.records("pydantic-ai").first { $0.operation == "invoke_agent" })
        #expect(Self.messages(agent.prompt).map(\.role) == ["system", "user"])
        #expect(Self.messages(agent.completion).map(\.texts) == [["Paris."]])
    }

    @Test func mlflowKeepsItsModelSpanAndDropsTheApplicationsOwn() throws {
        let records = try Self.records("mlflow")
        #expect(records.map(\.operation) == ["chat"])
        #expect(records.first?.responseModel == "gpt-4o-mini-2024-07-18")
    }

    @Test func liteLLMsRawRequestChildIsNotARow() throws {
        let records = try Self.records("litellm")
        #expect(records.map(\.spanName) == ["litellm_request"])
    }

    @Test func strandsNamesItselfNotTheVendorAndItsLoopIsNoOperationOfItsOwn() throws {
        let records = try Self.records("strands")
        #expect(records.allSatisfy { $0.provider == nil })
        #expect(!records.contains { $0.operation == "execute_event_loop_cycle" })
    }
}
