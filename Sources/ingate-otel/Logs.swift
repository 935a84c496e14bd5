import ArgumentParser
import Foundation
import LLMLog
import GenAIMapping
import Storage

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the newest LLM logs, as a table or as JSON lines.")

    @OptionGroup var database: DatabaseOption
    @Option(help: "How many rows.") var limit: Int = 20
    @Flag(help: "One JSON object per line, every column.") var json = false

    func run() throws {
        let store = openStore(database)
        let logs: [StoredLog]
        do {
            logs = try store.recentLogs(limit: max(0, limit))
        } catch {
            fail(error.description)
        }
        if json {
            for log in logs { print(LogJSON.line(log)) }
            return
        }
        let rows = logs.map { log -> [String] in
            let record = log.record
            return [
                String(log.id), formatTime(log.receivedAt), record.serviceName ?? "-", record.provider ?? "-",
                record.model ?? "-", record.operation ?? "-",
                record.inputTokens.map(String.init) ?? "-", record.outputTokens.map(String.init) ?? "-",
                String(format: "%.1f", record.latencyMs), String(record.statusCode),
                Table.clip(record.prompt.map(Self.preview) ?? "-", 40),
            ]
        }
        print(Table(header: ["ID", "RECEIVED", "SERVICE", "PROVIDER", "MODEL", "OPERATION", "IN", "OUT", "MS", "STATUS", "PROMPT"],
                    rows: rows).render())
        // Every model call once (`UsageRule`), among the rows shown.
        let calls = UsageRule.counted(logs.map(\.record))
        let input = calls.reduce(Int64(0)) { $0 + ($1.inputTokens ?? 0) }
        let output = calls.reduce(Int64(0)) { $0 + ($1.outputTokens ?? 0) }
        print("\(logs.count) rows; model calls: \(calls.count), input tokens: \(input), output tokens: \(output)")
    }

    /// The text a person wants to see of a prompt: for a canonical message list, the text parts
    /// of its last message; a plain string as it is.
    static func preview(_ prompt: String) -> String {
        guard prompt.hasPrefix("["),
              let messages = try? JSONSerialization.jsonObject(with: Data(prompt.utf8)) as? [[String: Any]],
              let last = messages.last, let parts = last["parts"] as? [[String: Any]] else { return prompt }
        let texts = parts.compactMap { $0["content"] as? String }
        return texts.isEmpty ? prompt : texts.joined(separator: " ")
    }
}
