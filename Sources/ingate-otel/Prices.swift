import ArgumentParser
import Foundation
import LLMLog
import Pricing

struct Prices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The price table: which rates a model gets, and how its name matched.",
        subcommands: [Lookup.self])

    struct Lookup: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the rates (USD per million tokens) for a model.")
        @Argument(help: "The model as spans name it: gpt-4o, openai/gpt-4o-2024-08-06, us.anthropic.claude-3-5-sonnet-20240620-v1:0…")
        var model: String
        @Option(help: "The provider as stored (openai, anthropic, aws.bedrock…).") var provider: String?
        @Option(help: "A price table whose prices win over the shipped ones, as `serve --prices`.") var prices: String?
        @Flag(help: "One JSON object.") var json = false

        func run() throws {
            let table = prices.map { loadPrices($0).over(.shipped) } ?? .shipped
            guard let match = table.lookup(model: model, provider: provider) else {
                if json { print(JSONValue.object(["model": .string(model), "found": .bool(false)]).serialized) } else {
                    print("no price for \(model)\(provider.map { " (provider \($0))" } ?? ""): its rows keep cost_usd NULL")
                }
                throw ExitCode(2)
            }
            let rate = { (value: Double?) in value.map(JSONValue.double) ?? .null }
            if json {
                print(JSONValue.object([
                    "model": .string(model), "found": .bool(true), "source": .string(match.source), "provider": .string(match.provider),
                    "price_model": .string(match.model), "matched_name": .string(match.matchedName), "how": .string(match.how),
                    "input": rate(match.rates.input), "cache_read": rate(match.rates.cacheRead), "cache_write": rate(match.rates.cacheWrite),
                    "output": rate(match.rates.output), "reasoning": rate(match.rates.reasoning),
                ]).serialized)
                return
            }
            let show = { (value: Double?) in value.map { String($0) } ?? "-" }
            print("\(model) → \(match.provider)/\(match.model) (matched \"\(match.matchedName)\", \(match.how); \(match.source))")
            print(Table(header: ["INPUT", "CACHE_READ", "CACHE_WRITE", "OUTPUT", "REASONING"],
                        rows: [[show(match.rates.input), show(match.rates.cacheRead), show(match.rates.cacheWrite),
                                show(match.rates.output), match.rates.reasoning.map { String($0) } ?? "as output"]]).render())
            print("USD per million tokens")
        }
    }
}

/// An operator's price table; exits with the reason when it cannot be read.
func loadPrices(_ path: String) -> PriceTable {
    do {
        return try PriceTable(json: String(contentsOfFile: path, encoding: .utf8))
    } catch {
        fail("--prices \(path): \(error)")
    }
}
