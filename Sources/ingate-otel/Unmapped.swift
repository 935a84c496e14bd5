import ArgumentParser
import Foundation
import LLMLog

struct Unmapped: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "GenAI spans kept without a model, tokens or content, per scope and span name, with the keys they carried: what the mapping did not understand.")

    @OptionGroup var database: DatabaseOption
    @Option(help: "The window, back from now: 30m, 24h, 7d.") var since: String = "24h"
    @Flag(help: "One JSON object per line.") var json = false

    func run() throws {
        guard let seconds = Stats.seconds(since) else { fail("--since \(since): use a number with m, h or d, as in 24h") }
        let store = openStore(database)
        let start = UInt64(max(0, Date().timeIntervalSince1970 - seconds) * 1e9)
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
