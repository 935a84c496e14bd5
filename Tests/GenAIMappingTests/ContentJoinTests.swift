import GenAIMapping
import LLMLog
import Testing

/// The rule joining content events onto their span's row, without a store.
@Suite struct ContentJoinTests {
    func event(_ side: GenAIContentEvent.Side, _ text: String, time: UInt64, position: Int = 0, choice: Int? = nil) -> GenAIContentEvent {
        GenAIContentEvent(traceID: "t", spanID: "s", side: side, timeUnixNano: time, position: position, choiceIndex: choice,
                          messagesJSON: #"[{"role":"x","parts":[{"type":"text","content":"\#(text)"}]}]"#)
    }

    @Test func inputsGoInTimeOrderAndOutputsInChoiceOrder() {
        let joined = ContentJoin.join(SpanContent(prompt: nil, completion: nil), [
            event(.output, "c1", time: 1, choice: 1), event(.input, "b", time: 2), event(.input, "a", time: 1, position: 5),
            event(.output, "c0", time: 9, choice: 0), event(.input, "[]", time: 3),
        ])
        #expect(joined.prompt?.contains(#""a"}]},{"role":"x","parts":[{"type":"text","content":"b""#) == true)
        #expect(joined.completion?.firstRange(of: "c0")?.lowerBound ?? joined.completion!.endIndex
                < joined.completion?.firstRange(of: "c1")?.lowerBound ?? joined.completion!.startIndex)
        #expect(joined.promptFromEvents && joined.completionFromEvents)
    }

    @Test func theSpansOwnContentWinsAndEventContentIsRebuilt() {
        let own = SpanContent(prompt: "from the span", completion: nil)
        let joined = ContentJoin.join(own, [event(.input, "ignored", time: 1), event(.output, "out", time: 1)])
        #expect(joined.prompt == "from the span")
        #expect(!joined.promptFromEvents)
        #expect(joined.completion?.contains("out") == true)
        // Content from events before is rebuilt from all events of the span.
        let again = ContentJoin.join(joined, [event(.output, "out", time: 1), event(.output, "more", time: 2)])
        #expect(again.completion?.contains("more") == true)
        #expect(ContentJoin.join(own, []) == own)
    }
}
