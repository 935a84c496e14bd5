import SafeText
import Testing

@Suite struct SafeTextTests {
    @Test func controlsAndBidiBecomeVisibleEscapes() {
        #expect(SafeText.escaped("a\nb\rc\td") == "a\\nb\\rc\\td")
        #expect(SafeText.escaped("\u{1B}]0;pwned\u{07}") == "\\u{1B}]0;pwned\\u{7}")
        #expect(SafeText.escaped("x\u{7F}\u{9B}31m") == "x\\u{7F}\\u{9B}31m")
        #expect(SafeText.escaped("gpt\u{202E}4o\u{2066}") == "gpt\\u{202E}4o\\u{2066}")
        #expect(SafeText.escaped("nul\u{0}here") == "nul\\u{0}here")
    }

    @Test(arguments: ["gpt-4o", "Grüße, 世界 🙂", "", "path/v1/traces?x=1"])
    func ordinaryTextIsUnchanged(text: String) {
        #expect(SafeText.escaped(text) == text)
    }
}
