import LLMLog
import Testing
@testable import Redaction

@Suite struct RedactorTests {
    @Test(arguments: [
        ("write to jane.doe+work@example.co.uk today", "write to [REDACTED:email] today"),
        ("card 4111 1111 1111 1111, exp 12/29", "card [REDACTED:card], exp 12/29"),
        ("card 4111-1111-1111-1111", "card [REDACTED:card]"),
        ("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [REDACTED:iban] please"),
        ("GB82WEST12345698765432", "[REDACTED:iban]"),
        ("call +44 20 7946 0958 or +1-202-555-0173", "call [REDACTED:phone] or [REDACTED:phone]"),
        ("or (030) 1234 5678, or 202-555-0173", "or [REDACTED:phone], or [REDACTED:phone]"),
        ("key sk-proj-abcdefghijklmnopqrstuvwx1234 here", "key [REDACTED:api_key] here"),
        ("our sk-ingate-0123456789abcdef0123", "our [REDACTED:api_key]"),
        ("AKIAIOSFODNN7EXAMPLE and ghp_0123456789abcdefghijABCDEFGHIJ012345", "[REDACTED:api_key] and [REDACTED:api_key]"),
        ("Authorization: Bearer abc.DEF-123_xyz~token", "Authorization: Bearer [REDACTED:bearer]"),
    ])
    func eachKindIsReplaced(_ input: String, _ expected: String) {
        #expect(Redactor.redact(input) == expected)
    }

    @Test(arguments: [
        "the meeting is on 2024-08-06 at 10:30",
        "trace 5b8efff798038103d269b633813fc60c, span eee19b7ec3c1b101",
        "id 123e4567-e89b-12d3-a456-426614174000",
        "it used 1234567 tokens and cost $4.95",
        "card-like 4111 1111 1111 1112 fails Luhn",
        "DE00 3704 0044 0532 0130 00 fails mod 97",
        "plain words, nothing to hide",
    ])
    func whatIsNotPersonalDataStays(_ input: String) {
        #expect(Redactor.redact(input) == input)
    }

    @Test func stringsInsideJSONAreRedactedAndTheJSONStaysJSON() throws {
        let prompt = #"[{"parts":[{"content":"mail me at a@b.io\nthanks","type":"text"}],"role":"user"}]"#
        let redacted = Redactor.redactText(prompt)
        #expect(redacted == #"[{"parts":[{"content":"mail me at [REDACTED:email]\nthanks","type":"text"}],"role":"user"}]"#)
        #expect(JSONValue.parse(redacted, maxDepth: 16) != nil)
        #expect(Redactor.redactText("not json, a@b.io") == "not json, [REDACTED:email]")
    }
}
