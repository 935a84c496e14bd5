import ArgumentParser
import Foundation
import LLMLog
import GenAIMapping
import Storage

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Calls and tokens per provider and model over a time window (model calls only: wrapper spans such as agents and tools repeat their children's usage).")

    @OptionGroup var database: DatabaseOption
    @OptionGroup var window: WindowOption
    @Flag(help: "One JSON object per line.") var json = false
    @Option(help: "Sum per provider-model (default), provider, model, service, key, day (UTC day of the span's start) or day-model.")
    var by: UsageGrouping = .providerModel

    func run() throws {
        let start = window.startUnixNano
        let store = openStore(database)
        let stats: [UsageStat]
        do {
            stats = try store.usageStats(sinceUnixNano: start, operations: UsageRule.countedOperations, by: by)
        } catch {
            fail(error.description)
        }
        if json {
            for stat in stats {
                let count = { (value: Int64) in JSONValue.number(String(value)) }
                var object: [String: JSONValue] = [
                    "provider": stat.provider.map(JSONValue.string) ?? .null, "model": stat.model.map(JSONValue.string) ?? .null,
                    "calls": count(stat.calls), "input_tokens": count(stat.inputTokens), "output_tokens": count(stat.outputTokens),
                    "cache_read_tokens": count(stat.cacheReadTokens), "reasoning_tokens": count(stat.reasoningTokens),
                    "cache_write_tokens": count(stat.cacheWriteTokens),
                    "cost_usd": stat.costUSD.map(JSONValue.double) ?? .null,
                ]
                if let name = Self.groupColumn(by) { object[name] = stat.group.map(JSONValue.string) ?? .null }
                print(JSONValue.object(JSONMembers(object)).serialized)
            }
            return
        }
        let groupHeader = Self.groupColumn(by)?.uppercased()
        var rows = stats.map { stat in
            (groupHeader == nil ? [stat.provider ?? "-", stat.model ?? "-"]
                : [stat.group ?? "-", by == .dayModel ? "\(stat.provider ?? "-")/\(stat.model ?? "-")" : ""]) + [String(stat.calls), String(stat.inputTokens),
             String(stat.outputTokens), String(stat.cacheReadTokens), String(stat.cacheWriteTokens), String(stat.reasoningTokens),
             stat.costUSD.map(Self.dollars) ?? "-"]
        }
        let total = { (value: (UsageStat) -> Int64) in String(stats.reduce(0) { $0 + value($1) }) }
        rows.append(["TOTAL", "", total(\.calls), total(\.inputTokens), total(\.outputTokens),
                     total(\.cacheReadTokens), total(\.cacheWriteTokens), total(\.reasoningTokens),
                     stats.contains { $0.costUSD != nil } ? Self.dollars(stats.reduce(0) { $0 + ($1.costUSD ?? 0) }) : "-"])
        print("model calls since \(formatTime(Int64(start / 1_000_000)))")
        print(Table(header: [groupHeader ?? "PROVIDER", groupHeader == nil ? "MODEL" : by == .dayModel ? "PROVIDER/MODEL" : "", "CALLS", "INPUT", "OUTPUT", "CACHE_READ", "CACHE_WRITE", "REASONING", "COST_USD"], rows: rows).render())
    }

    static func dollars(_ amount: Double) -> String { String(format: "%.6f", amount) }

    /// The JSON key and column of a grouping that is neither provider nor model.
    static func groupColumn(_ grouping: UsageGrouping) -> String? {
        switch grouping {
        case .providerModel, .provider, .model: nil
        case .service: "service"
        case .key: "key"
        case .day, .dayModel: "day"
        }
    }
}

extension UsageGrouping: ExpressibleByArgument {}

/// `--since 24h`: the window back from now that `stats` and `unmapped` read.
struct WindowOption: ParsableArguments {
    @Option(help: "The window, back from now: 30m, 24h, 7d.") var since: String = "24h"

    /// Unix nanoseconds of the window's start; exits on a malformed window.
    var startUnixNano: UInt64 {
        guard let seconds = Self.seconds(since) else { fail("--since \(since): use a number with m, h or d, as in 24h") }
        return UInt64(max(0, Date().timeIntervalSince1970 - seconds) * 1e9)
    }

    static func seconds(_ window: String) -> Double? {
        guard let unit = window.last, let number = Double(window.dropLast()), number >= 0 else { return nil }
        switch unit {
        case "m": return number * 60
        case "h": return number * 3600
        case "d": return number * 86400
        default: return nil
        }
    }
}
