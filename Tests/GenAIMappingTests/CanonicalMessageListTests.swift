import Foundation
import LLMLog
import OTLPCodec
import Testing
@testable import GenAIMapping
import TestSupport

/// The direct reader of canonical message lists against the general path (parse, normalise,
/// serialise): wherever the reader answers, the two agree, and it answers for the lists that
/// current instrumentations send.
@Suite struct CanonicalMessageListTests {
    /// The general path's result for a message-list attribute of this text.
    func general(_ text: String) -> Content? {
        guard let messages = MessageNormalizer.messages(from: JSONValue.content(OTLP.string(text)), defaultRole: "user"),
              !messages.isEmpty else { return nil }
        return Content(messages: messages)
    }

    func expectSame(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        expectScanAgrees(text, sourceLocation: sourceLocation)
        let direct = CanonicalMessageList.read(text)
        #expect(direct != nil, "read \(text)", sourceLocation: sourceLocation)
        #expect(direct?.text == general(text)?.text, "text of \(text)", sourceLocation: sourceLocation)
        #expect(direct?.messages == general(text)?.messages, "messages of \(text)", sourceLocation: sourceLocation)
        #expect(direct?.outline == general(text)?.outline, "roles and finish reasons of \(text)", sourceLocation: sourceLocation)
    }

    /// Where the one-pass scan answers, it gives what reading token by token gives.
    func expectScanAgrees(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let scanned = CanonicalMessageList.scanned(text) else { return }
        let read = CanonicalMessageList.tokenRead(text)
        #expect(scanned.text == read?.text, "text of \(text)", sourceLocation: sourceLocation)
        #expect(scanned.outline == read?.outline, "outline of \(text)", sourceLocation: sourceLocation)
        #expect(scanned.source == read?.source && scanned.source == text, "source of \(text)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        #"[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]"#,
        // Python's json.dumps: spaces after separators, non-ASCII and newlines escaped.
        #"[{"role": "system", "parts": [{"type": "text", "content": "Be brief.\nR\u00e9sum\u00e9 \ud83d\ude00 \"q\" \/ \\"}]}, {"role": "user", "parts": [{"type": "text", "content": "x"}]}]"#,
        #"  [ { "parts" : [ ] , "role" : "assistant" , "finish_reason" : "stop" , "name" : "bot" } ]  "#,
        #"[{"finish_reason":"length","parts":[{"content":"a","type":"text"},{"type":"text","content":""}],"role":"assistant"}]"#,
        "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"tab\tnot allowed raw\"}]}]",
        #"[{"role":"tool","parts":[{"type":"text","content":"42"}]}]"#,
        #"[{"role":"user","parts":[{"type":"text","content":"é ü 日本 raw UTF-8"}]}]"#,
    ])
    func theReaderAgreesWithTheGeneralPath(_ text: String) {
        if text.contains("\t") {
            // A raw control byte is not JSON: neither path reads messages from it.
            #expect(CanonicalMessageList.read(text) == nil)
            #expect(general(text) == nil)
        } else {
            expectSame(text)
        }
    }

    @Test(arguments: [
        #"[]"#,                                                                                   // empty: the general path says []
        #"[{"role":"model","parts":[{"type":"text","content":"Hi"}]}]"#,                          // Gemini's role, renamed
        #"[{"role":"user","role":"system","parts":[]}]"#,                                         // a repeated key
        #"[{"role":"user","parts":[{"type":"text","content":"a","content":"b"}]}]"#,
        #"[{"parts":[{"type":"text","content":"no role"}]}]"#,
        #"[{"role":"user","content":"OpenAI style"}]"#,
        #"[{"role":"user","parts":[{"type":"tool_call","name":"f","arguments":{}}]}]"#,
        #"[{"role":"user","parts":[{"type":"text","content":"x","extra":1}]}]"#,
        #"[{"role":"user","parts":[{"type":"text","content":null}]}]"#,
        #"[{"role":"user","name":null,"parts":[]}]"#,
        #"[{"role":"user","parts":[]}] trailing"#,
        #"[{"role":"user","parts":[]},]"#,
        #"[{"role":"user","parts":[{"type":"text","content":"\ud83d"}]}]"#,                    // lone surrogate
        #"[[{"role":"user","parts":[]}]]"#,                                                       // LangChain's batch
        #"{"role":"user","parts":[]}"#,
    ])
    func anythingElseIsLeftToTheGeneralPath(_ text: String) {
        #expect(CanonicalMessageList.read(text) == nil)
        #expect(CanonicalMessageList.scanned(text) == nil)
    }

    /// Lists built from random choices of whitespace, member order, optional members and escapes:
    /// the reader reads each, as the general path does.
    @Test func randomCanonicalListsReadAlike() {
        var random = SplitMix(seed: 14)
        var sources = 0
        var scans = 0
        let texts = ["plain", "with \"quotes\"", "new\nline", "caf\u{e9}", "emoji \u{1F600}", "back\\slash", "", "/ slash",
                     "controls \u{1} \u{8} \u{c} \r \t", "\u{7f} \u{2028}"]
        for _ in 0..<300 {
            let space = [" ", "", "\n  ", "\t"][random.next(4)]
            func string(_ value: String) -> String {
                var out = JSONWriter()
                out.string(value)
                var text = out.text
                if random.next(2) == 0 {
                    text = text.replacingOccurrences(of: "/", with: "\\/").replacingOccurrences(of: "\u{e9}", with: "\\u00e9")
                }
                return text
            }
            let messages = (0..<(1 + random.next(3))).map { _ -> String in
                let parts = (0..<random.next(3)).map { _ in
                    let members = ["\"type\":\(space)\"text\"", "\"content\":\(space)" + string(texts[random.next(texts.count)])]
                    return "{" + (random.next(2) == 0 ? members : members.reversed()).joined(separator: ",\(space)") + "}"
                }
                var members = ["\"role\":\(space)" + string(["user", "assistant", "system", "tool"][random.next(4)]),
                               "\"parts\":\(space)[" + parts.joined(separator: ",\(space)") + "]"]
                if random.next(3) == 0 { members.append("\"name\":\(space)" + string(texts[random.next(texts.count)])) }
                if random.next(3) == 0 { members.append("\"finish_reason\":\(space)\"stop\"") }
                members.shuffle(using: &random)
                return "{\(space)" + members.joined(separator: ",\(space)") + "\(space)}"
            }
            let text = "[" + messages.joined(separator: ",\(space)") + "]"
            expectSame(text)
            // A source is left out of `attributes` unseen: it must be the stored text but for whitespace.
            if CanonicalMessageList.scanned(text) != nil { scans += 1 }
            if let content = CanonicalMessageList.read(text), content.source != nil {
                #expect(content.source == text)
                #expect(AttributeJSON.sameJSONText(text, content.text), "source of \(text)")
                sources += 1
            }
        }
        #expect(sources > 10 && sources < 290, "lists in the written order and escapes, and others: \(sources)")
        #expect(scans == sources, "the scan answers for every list that is its own source")
    }

    @Test(arguments: [
        #"[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]"#,
        // Python's json.dumps, as the bench's and OpenTelemetry's instrumentations write it.
        #"[{"role": "system", "parts": [{"type": "text", "content": "Be \"brief\".\n"}]}, {"role": "assistant", "parts": [], "name": "bot", "finish_reason": "stop"}]"#,
        " [\n {\"role\" : \"user\" ,\t\"parts\":[ ] } ] ",
    ])
    func aListWrittenAsTheWriterWritesItIsItsOwnSource(_ text: String) throws {
        let content = try #require(CanonicalMessageList.read(text))
        #expect(content.source == text)
        // The one-pass scan answers for these, and alike.
        #expect(CanonicalMessageList.scanned(text) != nil)
        expectScanAgrees(text)
    }

    @Test(arguments: [
        #"[{"parts":[{"type":"text","content":"Hi"}],"role":"user"}]"#,                     // members reordered
        #"[{"role":"user","parts":[{"content":"Hi","type":"text"}]}]"#,
        #"[{"role":"assistant","parts":[],"finish_reason":"stop","name":"bot"}]"#,
        #"[{"r\u006fle":"user","parts":[]}]"#,                                             // an escaped name
        #"[{"role":"us\u0065r","parts":[]}]"#,                                             // an escaped role
        #"[{"role":"user","parts":[{"typ\u0065":"text","content":"Hi"}]}]"#,
        #"[{"role":"user","parts":[{"type":"te\u0078t","content":"Hi"}]}]"#,
        #"[{"role":"user","parts":[{"type":"text","content":"caf\u00e9 \/"}]}]"#,         // escapes the writer spells otherwise
        #"[{"role":"user","parts":[],"name":"\tbot"}]"#,
    ])
    func aListWrittenOtherwiseHasNoSource(_ text: String) throws {
        let content = try #require(CanonicalMessageList.read(text))
        #expect(content.source == nil)
        #expect(CanonicalMessageList.scanned(text) == nil)
        #expect(content.text == general(text)?.text)
    }

    /// Only the reader's own check: the system instructions still go first when the list has no
    /// system message.
    @Test func systemInstructionsAreStillPrepended() throws {
        var span = OTLP.chatSpan()
        span.attributes += OTLP.attributes([
            "gen_ai.input.messages": OTLP.string(#"[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]"#),
            "gen_ai.system_instructions": OTLP.string("Be kind"),
        ])
        let record = try #require(SpanMapper.map(OTLP.export(spans: [span])).records.first)
        #expect(record.prompt == #"[{"role":"system","parts":[{"type":"text","content":"Be kind"}]},{"role":"user","parts":[{"type":"text","content":"Hi"}]}]"#)
    }
}

/// A small seeded generator, so that a failing list can be found again.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
