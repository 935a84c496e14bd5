import LLMLog
import Testing
@testable import Viewer

@Suite struct ViewerRenderingTests {
    @Test func textIsEscapedForContentAndQuotedAttributes() {
        #expect(HTML.text(#"<script>alert("x")</script> & 'y'"#) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;")
        #expect(HTML.text("a\u{0}b") == "a\u{FFFD}b")
        #expect(HTML.queryValue("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9")
        #expect(HTML.query([("q", "<x>"), ("empty", ""), ("none", nil)]) == "?q=%3Cx%3E")
    }

    @Test func canonicalMessagesBecomeRolesPartsAndFinishReasons() {
        let stored = #"""
            [{"role":"user","parts":[{"type":"text","content":"hi <b>"}]},
             {"role":"assistant","finish_reason":"tool_call","parts":[{"type":"tool_call","id":"c1","name":"get","arguments":{"q":1}}]},
             {"role":"tool","parts":[{"type":"tool_call_response","id":"c1","response":"42"}]},
             {"role":"x\" onclick=\"y","parts":[{"type":"blob","mime_type":"image/png"}]}]
            """#
        let messages = ChatMessage.messages(from: stored)
        #expect(messages.map(\.role) == ["user", "assistant", "tool", "x\" onclick=\"y"])
        #expect(messages[0].parts == [.text("hi <b>")])
        #expect(messages[1].parts == [.toolCall(id: "c1", name: "get", arguments: #"{"q":1}"#)])
        #expect(messages[1].finishReason == "tool_call")
        #expect(messages[2].parts == [.toolResult(id: "c1", result: "42")])
        let hostile = messages[3].html()
        #expect(hostile.contains("class=\"message role-xonclicky\""))
        #expect(!hostile.contains("onclick=\""))
        #expect(messages[0].html().contains("<pre class=\"text\">hi &lt;b&gt;</pre>"))
    }

    @Test func plainTextAndBrokenJSONAreOneMessageShownAsTheyAre() {
        #expect(ChatMessage.messages(from: "just <text>") == [ChatMessage(role: "text", parts: [.text("just <text>")])])
        #expect(ChatMessage.messages(from: "[not json") == [ChatMessage(role: "text", parts: [.text("[not json")])])
        #expect(ChatMessage.messages(from: nil).isEmpty)
    }

    func row(_ id: Int64, span: String, parent: String?) -> StoredLog {
        StoredLog(id: id, apiKeyID: 1, receivedAt: 0, record: LLMLogRecord(
            traceID: "t", spanID: span, parentSpanID: parent, spanName: "s\(id)", operation: "chat", model: "m<\(id)>",
            latencyMs: Double(id), startTimeUnixNano: UInt64(id), endTimeUnixNano: UInt64(id)))
    }

    @Test func theTraceIsATreeByParentWithOrphansAtTheTop() {
        let html = TraceTree(rows: [row(1, span: "a", parent: "http"), row(2, span: "b", parent: "a"), row(3, span: "c", parent: "c"),
                                    row(4, span: "d", parent: "b")], current: 2).render()
        // a > b > d nested; c (its own parent) at the top beside a.
        #expect(html.components(separatedBy: "<ul class=\"trace\">").count - 1 == 3)
        #expect(html.contains("<li class=\"current\" aria-current=\"true\"><a href=\"/ui/call/2\">chat m&lt;2&gt;</a>"))
        #expect(html.components(separatedBy: "<li").count - 1 == 4)
    }

    @Test func theChartHasABarPerDayScaledToTheLargest() {
        let stats = [UsageStat(provider: nil, model: nil, calls: 1, inputTokens: 30, outputTokens: 10, cacheReadTokens: 0,
                               reasoningTokens: 0, group: "2026-12-01", costUSD: 0.5)]
        let svg = UsageChart(days: ["2026-11-30", "2026-12-01"], stats: stats).render(measure: .tokens)
        #expect(svg.components(separatedBy: "<rect").count - 1 == 2)
        #expect(svg.contains("<title>2026-12-01: 40</title>"))
        #expect(svg.contains("height=\"0.0\""))
        #expect(!svg.contains("style="))
    }

    @Test func usageRowsSumPerGroupAndACostStaysUnknownUntilOneIsKnown() {
        func stat(_ day: String, _ model: String, calls: Int64, cost: Double?) -> UsageStat {
            UsageStat(provider: "p", model: model, calls: calls, inputTokens: calls * 10, outputTokens: 1, cacheReadTokens: 0,
                      reasoningTokens: 0, group: day, costUSD: cost)
        }
        let rows = [stat("d1", "a", calls: 1, cost: nil), stat("d1", "b", calls: 2, cost: 0.5), stat("d2", "a", calls: 4, cost: nil)]
        let perDay = ViewerPages.summed(rows) { UsageStat.zero(group: $0.group) }
        #expect(perDay.map(\.group) == ["d1", "d2"] && perDay.map(\.calls) == [3, 4] && perDay.map(\.costUSD) == [0.5, nil])
        let perModel = ViewerPages.summed(rows) { UsageStat.zero(provider: $0.provider, model: $0.model) }
        #expect(perModel.map(\.model) == ["a", "b"] && perModel.map(\.inputTokens) == [50, 20] && perModel[0].costUSD == nil)
    }

    @Test func timesShowTheChosenZoneWithUTCOnHover() {
        let tokyo = TimeDisplay(zoneIdentifier: "Asia/Tokyo").html(unixNano: 1_796_216_400_000_000_000)
        #expect(tokyo.contains(">2026-12-02 22:00:00.000 Asia/Tokyo</time>"))
        #expect(tokyo.contains("title=\"2026-12-02 13:00:00.000 UTC\""))
        let utc = TimeDisplay(zoneIdentifier: nil).html(unixNano: 1_796_216_400_000_000_000)
        #expect(utc.contains(">2026-12-02 13:00:00.000 UTC</time>") && !utc.contains("title="))
        #expect(TimeDisplay(zoneIdentifier: "Not/AZone").name == "UTC")
    }
}
