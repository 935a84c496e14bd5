import Foundation

/// A real PostgreSQL server for the tests of this process (`scripts/postgres-server`, Debian's
/// postgresql in a temporary folder on a free port), started on first use and stopped when the
/// process exits; each call of `freshDatabase()` gives a database of its own.
public enum TestPostgres {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    private static let folder = NSTemporaryDirectory() + "ingate-pg-\(getpid())"

    private static let server: Result<String, ServerError> = {
        let started = run(["start", folder])
        guard started.status == 0, let url = started.output.split(separator: "\n").last.map(String.init) else {
            return .failure(ServerError(text: "cannot start PostgreSQL: \(started.output)"))
        }
        atexit { _ = TestPostgres.run(["stop", TestPostgres.folder]) }
        return .success(url)
    }()

    public struct ServerError: Error, CustomStringConvertible {
        public let text: String
        public var description: String { text }
    }

    /// The URL of a new, empty database on the test server.
    public static func freshDatabase() throws -> String {
        let url = try server.get()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let created = psql(url, "CREATE DATABASE \(name)")
        guard created.status == 0 else { throw ServerError(text: "CREATE DATABASE failed: \(created.output)") }
        return String(url[...url.lastIndex(of: "/")!]) + name
    }

    /// Runs one SQL command as the server's superuser (to kill connections, say).
    @discardableResult
    public static func psql(_ url: String, _ sql: String) -> (status: Int32, output: String) {
        launch("/usr/bin/psql", [url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql])
    }

    static func run(_ arguments: [String]) -> (status: Int32, output: String) {
        launch(root.appendingPathComponent("scripts/postgres-server").path, arguments)
    }

    /// posix_spawn and waitpid: Foundation's Process waits, on Linux, for descriptors that the
    /// server `start` leaves running still holds.
    private static func launch(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let outputPath = NSTemporaryDirectory() + "ingate-pg-output-\(UUID().uuidString)"
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else { return (-1, "cannot run \(executable)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return ((status >> 8) & 0xff, text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
