import ArgumentParser
import Foundation
import LLMLog

struct Unmapped: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "GenAI spans kept without a model, tokens or content, per scope and span name, with the keys they carried: what the mapping did not understand.")

    @OptionGroup var database: DatabaseOption
    @OptionGroup var window: WindowOption
    @Flag(help: "One JSON object per line.") var json = false

    func run() throws {
        let start = window.startUnixNano
        let store = openStore(database)
        let groups: [UnmappedSpans]
        do {
            groups = try store.unmappedSpans(sinceUnixNano: start)
        } catch {
            fail(error.description)
        }
        if json {
            for group in groups {
                print(JSONValue.object([
                    "scope_name": group.scopeName.map(JSONValue.string) ?? .null, "span_name": .string(group.spanName),
                    "count": .number(String(group.count)), "attribute_keys": .array(group.attributeKeys.map(JSONValue.string)),
                ]).serialized)
            }
            return
        }
        guard !groups.isEmpty else {
            print("every GenAI span since \(formatTime(Int64(start / 1_000_000))) had a model, tokens or content")
            return
        }
        print(Table(header: ["SCOPE", "SPAN", "COUNT", "ATTRIBUTE KEYS"], rows: groups.map {
            [$0.scopeName ?? "-", $0.spanName, String($0.count), Table.clip($0.attributeKeys.joined(separator: " "), 120)]
        }).render())
    }
}
