import ArgumentParser
import Foundation
import Storage

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API keys.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it (the last line of output).")
        @OptionGroup var database: DatabaseOption
        @Option(help: "A name to recognise the key by.") var name: String
        @Option(help: .hidden) var key: String?

        func run() throws {
            let store = openStore(database)
            do {
                if let key, !key.hasPrefix(APIKeyFormat.prefix) {
                    fail("a key must start with \(APIKeyFormat.prefix)")
                }
                let created = try store.createKey(name: name, key: key ?? APIKeyFormat.generate())
                print("created key \(created.id) (\(name)); it is shown once, keep it:")
                print(created.key)
            } catch {
                fail(error.description)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys: id, name, created, revoked.")
        @OptionGroup var database: DatabaseOption

        func run() throws {
            let store = openStore(database)
            do {
                let rows = try store.listKeys().map { key in
                    [String(key.id), key.name, formatTime(key.createdAt), key.revokedAt.map(formatTime) ?? "-"]
                }
                print(Table(header: ["ID", "NAME", "CREATED", "REVOKED"], rows: rows).render())
            } catch {
                fail(error.description)
            }
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
}

func openStore(_ database: DatabaseOption) -> LogStore {
    do {
        return try LogStore(path: database.path)
    } catch {
        fail(error.description)
    }
}

/// Unix milliseconds as UTC ISO 8601, to the second.
func formatTime(_ milliseconds: Int64) -> String {
    let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    return date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
}
