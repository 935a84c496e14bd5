import ArgumentParser
import Foundation

@main
struct IngateOtel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingate-otel",
        abstract: "Receives OpenTelemetry traces over FastCGI and keeps the GenAI spans as LLM logs.",
        version: "0.1.0",
        subcommands: [Serve.self, Keys.self, Logs.self, Stats.self, Unmapped.self, Prune.self, Prices.self, Limits.self, Bench.self]
    )
}

/// `--db PATH`, shared by every subcommand that opens the database.
struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: "SQLite database file, or a PostgreSQL URL postgresql://user@host:port/db (default: $INGATE_DB, else ./var/ingate.db).")
    var db: String?

    var path: String {
        db ?? ProcessInfo.processInfo.environment["INGATE_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "./var/ingate.db"
    }
}

/// Prints a message to stderr and exits non-zero: for failures a user must act on.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ingate-otel: \(message)\n".utf8))
    exit(1)
}
