import Testing
@testable import GenAIMapping
import OTLPCodec
import TestSupport

/// Attribute lookup by key print and the attributes' JSON: keys are their bytes, a repeated key
/// keeps its first value that holds one.
@Suite struct SpanAttributesTests {
    func attribute(_ key: String, _ value: AnyValue) -> KeyValue {
        KeyValue.with {
            $0.key = key
            $0.value = value
        }
    }

    func span(_ attributes: [KeyValue]) -> Span {
        Span.with { $0.attributes = attributes }
    }

    /// Every source of every column is found where the span holds it, among other keys: the key
    /// filter that passes over absent sources never passes over a present one.
    @Test func everySourceOfEveryColumnIsFoundAmongOtherKeys() throws {
        let lists: [SourceList] = [FieldSources.provider, FieldSources.model, FieldSources.responseModel, FieldSources.operation,
                                   FieldSources.inputTokens, FieldSources.outputTokens, FieldSources.cacheReadTokens,
                                   FieldSources.cacheWriteTokens, FieldSources.reasoningTokens, FieldSources.finishReasons,
                                   FieldSources.errorType, FieldSources.cost, FieldSources.conversationID, FieldSources.agentName,
                                   FieldSources.responseID] + FieldSources.costParts
        let others = (0..<40).map { attribute("other.key.\(String(repeating: "x", count: $0))", OTLP.int(1)) }
        var checked = 0
        for list in lists {
            for (position, source) in list.sources.enumerated() {
                var span = span(others)
                switch source {
                case .attribute(let key):
                    span.attributes.insert(attribute(key, OTLP.int(7)), at: position % others.count)
                case .json(let key, let path):
                    // MLflow writes a whole value as JSON text: a number inside an object, or a quoted string.
                    let json = path.isEmpty ? "\"7\"" : path.reversed().reduce("7") { inner, member in "{\"\(member)\": \(inner)}" }
                    span.attributes.append(attribute(key, OTLP.string(json)))
                case .event(let name, let key):
                    span.events = [OTLP.event(name, [key: OTLP.int(7)])]
                }
                let found = try #require(SpanAttributes(span).first(list), "\(source)")
                #expect(found.integerValue == 7, "\(source)")
                checked += 1
            }
        }
        #expect(checked > 60)
    }

    /// A source whose value the column cannot take gives way to the next source, not to the next
    /// attribute of its own key; an empty value gives way to the next attribute of its key.
    @Test func aValueNotTakenGivesWayToTheNextSource() {
        func tokens(_ attributes: [KeyValue]) -> Int64? { SpanAttributes(span(attributes)).firstInteger(FieldSources.inputTokens) }
        #expect(tokens([attribute("gen_ai.usage.input_tokens", OTLP.string("many")), attribute("gen_ai.usage.prompt_tokens", OTLP.int(5))]) == 5)
        #expect(tokens([attribute("gen_ai.usage.input_tokens", AnyValue()), attribute("gen_ai.usage.input_tokens", OTLP.string("x")),
                        attribute("gen_ai.usage.input_tokens", OTLP.int(8)), attribute("gen_ai.usage.prompt_tokens", OTLP.int(5))]) == 5)
        #expect(tokens([attribute("gen_ai.usage.input_tokens", AnyValue()), attribute("gen_ai.usage.input_tokens", OTLP.int(9))]) == 9)
        #expect(tokens([attribute("gen_ai.usage.input_tokens", OTLP.string("many"))]) == nil)
    }

    /// Where a key list holds each column is worked out once and reused for every span with that
    /// list (`AttributeKeys.steps`): each span still reads its own values.
    @Test func spansSharingTheirKeysReadTheirOwnValues() {
        let first = span([attribute("gen_ai.usage.input_tokens", OTLP.int(1)), attribute("gen_ai.request.model", OTLP.string("a"))])
        let second = span([attribute("gen_ai.usage.input_tokens", OTLP.int(2)), attribute("gen_ai.request.model", OTLP.string("b"))])
        let keys = AttributeKeys(of: first.attributes)
        for (span, tokens, model) in [(first, Int64(1), "a"), (second, 2, "b"), (first, 1, "a")] {
            let view = SpanAttributes(span, keys: keys)
            #expect(view.firstInteger(FieldSources.inputTokens) == tokens)
            #expect(view.firstText(FieldSources.model) == model)
            #expect(view.firstInteger(FieldSources.outputTokens) == nil)
        }
    }

    @Test func keysOfOneLengthAndTailAreToldApart() {
        let attributes = SpanAttributes(span([
            attribute("a.usage.input_tokens", OTLP.int(1)), attribute("b.usage.input_tokens", OTLP.int(2)),
            attribute("in", OTLP.int(3)), attribute("ni", OTLP.int(4)),
        ]))
        #expect(attributes["a.usage.input_tokens"]?.integerValue == 1)
        #expect(attributes["b.usage.input_tokens"]?.integerValue == 2)
        #expect(attributes["c.usage.input_tokens"] == nil)
        #expect(attributes["in"]?.integerValue == 3)
        #expect(attributes["ni"]?.integerValue == 4)
        #expect(attributes["i"] == nil)
    }

    @Test func anEmptyValueGivesWayToTheNextOfItsKey() {
        let attributes = SpanAttributes(span([attribute("gen_ai.system", AnyValue()), attribute("gen_ai.system", OTLP.string("openai"))]))
        #expect(attributes["gen_ai.system"]?.textValue == "openai")
    }

    @Test func twoSpellingsOfAKeyAreTwoKeys() {
        let attributes = SpanAttributes(span([attribute("caf\u{e9}", OTLP.int(1)), attribute("cafe\u{301}", OTLP.int(2))]))
        #expect(attributes["caf\u{e9}"]?.integerValue == 1)
        #expect(attributes["cafe\u{301}"]?.integerValue == 2)
        #expect(AttributeJSON.object(span([attribute("caf\u{e9}", OTLP.int(1)), attribute("cafe\u{301}", OTLP.int(2))]).attributes)
            == "{\"cafe\u{301}\":2,\"caf\u{e9}\":1}")
    }

    @Test func theJSONKeepsTheFirstOfARepeatedKeyInByteOrder() {
        let attributes = [
            attribute("gen_ai.usage.output_tokens", OTLP.int(7)), attribute("gen_ai.usage.input_tokens", OTLP.int(1)),
            attribute("gen_ai.usage.input_tokens", OTLP.int(2)), attribute("Z", OTLP.string("upper")), attribute("a", OTLP.int(3)),
        ]
        #expect(AttributeJSON.object(attributes)
            == #"{"Z":"upper","a":3,"gen_ai.usage.input_tokens":1,"gen_ai.usage.output_tokens":7}"#)
    }
}
