import LLMLog
import OTLPCodec
import Testing
@testable import GenAIMapping
import TestSupport

@Suite struct ContentPolicingTests {
    /// A chat span with its content in the columns and in several dialects of attributes.
    func records() -> [LLMLogRecord] {
        var span = OTLP.chatSpan()
        span.attributes += OTLP.attributes([
            "gen_ai.input.messages": OTLP.string(#"[{"role":"user","parts":[{"type":"text","content":"I am jane@example.com"}]}]"#),
            "gen_ai.output.messages": OTLP.string(#"[{"role":"assistant","parts":[{"type":"text","content":"Hi Jane"}]}]"#),
            "gen_ai.system_instructions": OTLP.string("Be kind"),
            "llm.input_messages.0.message.content": OTLP.string("I am jane@example.com"),
            "input.value": OTLP.string("I am jane@example.com"),
            "gen_ai.tool.call.arguments": OTLP.string(#"{"card":"4111111111111111"}"#),
            "user.note": OTLP.string("call +44 20 7946 0958"),
        ])
        return SpanMapper.map(OTLP.export(spans: [span])).records
    }

    @Test func fullKeepsEverything() {
        var kept = records()
        ContentPolicing.apply(.full, to: &kept)
        #expect(kept == records())
    }

    @Test func noneStoresNoTextAnywhereButKeepsTheCall() throws {
        var stored = records()
        ContentPolicing.apply(.none, to: &stored)
        let row = try #require(stored.first)
        #expect(row.prompt == nil && row.completion == nil)
        #expect(!row.attributesJSON.contains("jane") && !row.attributesJSON.contains("Hi Jane") && !row.attributesJSON.contains("Be kind"))
        #expect(!row.attributesJSON.contains("4111"))
        // Usage, model and what is not content stay.
        #expect(row.model == "gpt-4o" && row.inputTokens == 12 && row.operation == "chat")
        #expect(row.attributesJSON.contains(#""gen_ai.request.model":"gpt-4o""#) && row.attributesJSON.contains("user.note"))
    }

    @Test func redactReplacesPersonalDataInColumnsAndAttributes() throws {
        var stored = records()
        ContentPolicing.apply(.redact, to: &stored)
        let row = try #require(stored.first)
        #expect(row.prompt?.contains("I am [REDACTED:email]") == true)
        #expect(row.completion?.contains("Hi Jane") == true)
        for secret in ["jane@example.com", "4111111111111111", "7946 0958"] {
            #expect(!row.attributesJSON.contains(secret) && !(row.prompt ?? "").contains(secret), "\(secret)")
        }
        #expect(row.attributesJSON.contains("[REDACTED:card]") && row.attributesJSON.contains("[REDACTED:phone]"))
    }

    @Test func contentEventsAreDroppedOrRedacted() {
        let events = [GenAIContentEvent(traceID: "5b8efff798038103d269b633813fc60c", spanID: "eee19b7ec3c1b101", side: .input,
                                        timeUnixNano: 1, position: 0,
                                        messagesJSON: #"[{"role":"user","parts":[{"type":"text","content":"a@b.io"}]}]"#)]
        var none = events
        ContentPolicing.apply(.none, to: &none)
        #expect(none.isEmpty)
        var redacted = events
        ContentPolicing.apply(.redact, to: &redacted)
        #expect(redacted.first?.messagesJSON.contains("[REDACTED:email]") == true)
    }
}
