import APIKeys
import ArgumentParser
import Foundation
import LLMLog
import GenAIMapping
import Storage

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API keys, and set what each may store of prompts and completions.",
        subcommands: [Create.self, List.self, Revoke.self, SetContent.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it (the last line of output).")
        @OptionGroup var database: DatabaseOption
        @Option(help: "A name to recognise the key by.") var name: String
        @Flag(help: "Provision the key read from standard input instead of generating one (kept if it exists).")
        var keyStdin = false
        @Option(help: "What its requests store of prompts and completions: full, redact (personal data and secrets replaced) or none.")
        var content: ContentPolicy = .full
        @Option(help: "What it may do: ingest (send telemetry) or read (sign in to the viewer at /ui/).")
        var scope: KeyScope = .ingest
        @Option(name: .customLong("for"), parsing: .upToNextOption,
                help: "With --scope read: the ids of the keys whose rows it sees (default: every key's).")
        var readableKeys: [Int64] = []

        func validate() throws {
            if !readableKeys.isEmpty && scope != .read { throw ValidationError("--for is for read keys (--scope read)") }
        }

        func run() throws {
            let store = openStore(database)
            let readable: ReadableKeys = readableKeys.isEmpty ? .all : .only(readableKeys)
            do {
                let known = Set(try store.listKeys().map(\.id))
                if let unknown = readableKeys.first(where: { !known.contains($0) }) { fail("no key with id \(unknown)") }
                guard keyStdin else {
                    let created = try store.createKey(name: name, contentPolicy: content, scope: scope, readable: readable)
                    print("created key \(created.id) (\(name), scope \(scope.rawValue), content \(content.rawValue)); it is shown once, keep it:")
                    print(created.key)
                    return
                }
                let key = (readLine() ?? "").trimmingCharacters(in: .whitespaces)
                guard key.hasPrefix(APIKeyFormat.prefix), key.count > APIKeyFormat.prefix.count + 15 else {
                    fail("a key must start with \(APIKeyFormat.prefix) and have at least 16 more characters")
                }
                if let id = try store.keyID(forKey: key) {
                    print("key \(id) exists already")
                } else {
                    let created = try store.createKey(name: name, key: key, contentPolicy: content, scope: scope, readable: readable)
                    print("created key \(created.id) (\(name), scope \(scope.rawValue), content \(content.rawValue))")
                }
                print(key)
            } catch {
                fail(error.description)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys: id, name, content policy, created, revoked, scope.")
        @OptionGroup var database: DatabaseOption

        func run() throws {
            let store = openStore(database)
            do {
                let rows = try store.listKeys().map { key in
                    [String(key.id), key.name, key.contentPolicy.rawValue, formatTime(key.createdAt), key.revokedAt.map(formatTime) ?? "-",
                     Self.scope(of: key)]
                }
                print(Table(header: ["ID", "NAME", "CONTENT", "CREATED", "REVOKED", "SCOPE"], rows: rows).render())
            } catch {
                fail(error.description)
            }
        }

        /// `read`, with the keys it sees when not every key's: `read (1,4)`.
        static func scope(of key: APIKeyInfo) -> String {
            guard let scope = key.scope else { return "unknown" }
            guard scope == .read, let ids = key.readable.ids else { return scope.rawValue }
            return "read (\(ids.map(String.init).joined(separator: ",")))"
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its id; running servers stop accepting it within seconds.")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The key's id, from `keys list`.") var id: Int64

        func run() throws {
            let store = openStore(database)
            do {
                try store.revokeKey(id: id)
                print("revoked key \(id)")
            } catch {
                fail(error.description)
            }
        }
    }

    struct SetContent: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-content",
            abstract: "Change what a key's requests store of prompts and completions; running servers apply it within seconds.")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The key's id, from `keys list`.") var id: Int64
        @Argument(help: "full, redact or none.") var policy: ContentPolicy

        func run() throws {
            let store = openStore(database)
            do {
                try store.setContentPolicy(id: id, policy)
                print("key \(id) now stores content: \(policy.rawValue)")
            } catch {
                fail(error.description)
            }
        }
    }
}

extension ContentPolicy: ExpressibleByArgument {}
extension KeyScope: ExpressibleByArgument {}

/// The store of `--db` (a SQLite path or a PostgreSQL URL), with the mapping's rule for joining
/// content events; exits on failure.
func openStore(_ database: DatabaseOption, busyTimeoutMilliseconds: Int32 = 5_000) -> any LogStore {
    do {
        return try openLogStore(database.path, busyTimeoutMilliseconds: busyTimeoutMilliseconds, joiningContent: ContentJoin.rule)
    } catch {
        fail(error.description)
    }
}

/// Unix milliseconds as UTC ISO 8601, to the second.
func formatTime(_ milliseconds: Int64) -> String {
    let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    return date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
}
