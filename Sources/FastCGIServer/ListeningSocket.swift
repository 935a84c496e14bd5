import CFastCGI
import Foundation

/// The socket the server accepts FastCGI connections on.
public enum ListeningSocket {
    /// FastCGI process managers (spawn-fcgi, systemd, mod_fcgid…) hand the listening socket over
    /// as fd 0. https://fastcgi-archives.github.io/FastCGI_Specification.html#S2.2
    public static let inheritedDescriptor: Int32 = 0

    public enum SetupError: Error, CustomStringConvertible {
        case notAListeningSocket(fd: Int32)
        case cannotListen(path: String, reason: String)
        case notOneActivatedSocket(count: Int)

        public var description: String {
            switch self {
            case .notAListeningSocket(let fd):
                "fd \(fd) is not a listening socket: start `ingate-otel serve` under spawn-fcgi (or another FastCGI process manager), or pass --socket PATH"
            case .cannotListen(let path, let reason):
                "cannot listen on \(path): \(reason)"
            case .notOneActivatedSocket(let count):
                "systemd passed \(count) sockets (LISTEN_FDS); give the socket unit exactly one ListenStream="
            }
        }
    }

    /// The first socket systemd passes (sd_listen_fds(3)): fd 3, when `LISTEN_PID` names this
    /// process and `LISTEN_FDS` says one was passed; nil when systemd passed nothing to us. The
    /// variables are removed, as sd_listen_fds does, so that no child takes them for its own.
    /// https://www.freedesktop.org/software/systemd/man/latest/sd_listen_fds.html
    public static func activated(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 pid: Int32 = getpid()) throws(SetupError) -> Int32? {
        guard let fds = activatedDescriptors(listenPID: environment["LISTEN_PID"], listenFDs: environment["LISTEN_FDS"], pid: pid) else {
            return nil
        }
        for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { unsetenv(name) }
        guard fds.count == 1 else { throw .notOneActivatedSocket(count: fds.count) }
        return try inherited(fds[0])
    }

    /// The descriptors `LISTEN_PID` and `LISTEN_FDS` pass to process `pid`, from fd 3 on.
    static func activatedDescriptors(listenPID: String?, listenFDs: String?, pid: Int32) -> [Int32]? {
        guard let listenPID, Int32(listenPID) == pid, let listenFDs, let count = Int32(listenFDs), count >= 0 else { return nil }
        return Array(systemdFirstDescriptor..<(systemdFirstDescriptor + count))
    }

    /// SD_LISTEN_FDS_START.
    static let systemdFirstDescriptor: Int32 = 3

    /// Checks that `fd` is a listening socket (what a process manager must pass on fd 0).
    public static func inherited(_ fd: Int32 = inheritedDescriptor) throws(SetupError) -> Int32 {
        var accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0, accepting == 1 else {
            throw .notAListeningSocket(fd: fd)
        }
        return fd
    }

    /// A TCP listening socket on `HOST:PORT`, for a web server on another host (nginx `upstream`).
    /// FastCGI has no authentication of its own: anyone who reaches the port can submit as any
    /// key the web server would pass, so a non-loopback address needs `allowPublic`.
    public static func open(tcp address: String, allowPublic: Bool, backlog: Int32 = 1024) throws(SetupError) -> Int32 {
        let host = try tcpHost(address)
        guard isLoopbackHost(host) || allowPublic else {
            throw .cannotListen(path: address, reason: "\(host.isEmpty ? "every address" : host) is not loopback; FastCGI has no authentication of its own, so pass --listen-public to listen there (behind a firewall that admits only the web servers)")
        }
        let fd = FCGX_OpenSocket(address, backlog)
        guard fd >= 0 else { throw .cannotListen(path: address, reason: String(cString: strerror(errno))) }
        return fd
    }

    /// Whether `open(tcp:)` listens on loopback only for this `HOST:PORT`.
    public static func isLoopback(tcp address: String) -> Bool {
        (try? tcpHost(address)).map(isLoopbackHost) ?? false
    }

    /// The host of a `HOST:PORT` libfcgi would listen on as TCP, IPv4.
    private static func tcpHost(_ address: String) throws(SetupError) -> String {
        // libfcgi splits at the first colon and takes the address for a Unix socket path when the
        // port reads as 0, so "127.0.0.1:0" or "[::1]:9000" would quietly create a socket file of
        // that name in the working folder. Its TCP sockets are IPv4 only.
        guard let colon = address.firstIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (1...65535).contains(port) else {
            throw .cannotListen(path: address, reason: "give HOST:PORT with a port from 1 to 65535, as 127.0.0.1:9000")
        }
        let host = String(address[..<colon])
        guard !host.contains("[") else {
            throw .cannotListen(path: address, reason: "libfcgi listens on IPv4 only: give an IPv4 address or a host name, as 127.0.0.1:9000")
        }
        return host
    }

    /// An IPv6 literal never gets here (`tcpHost` refuses it), so `::1` is not among these.
    private static func isLoopbackHost(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.")
    }

    /// Creates a Unix socket at `path` (replacing a stale one) with the given permissions.
    public static func open(path: String, mode: mode_t, backlog: Int32 = 1024) throws(SetupError) -> Int32 {
        let folder = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .cannotListen(path: path, reason: "folder \(folder) does not exist")
        }
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw .cannotListen(path: path, reason: "a file that is not a socket is in the way")
            }
            unlink(path)
        }
        let fd = FCGX_OpenSocket(path, backlog)
        guard fd >= 0 else { throw .cannotListen(path: path, reason: String(cString: strerror(errno))) }
        guard chmod(path, mode) == 0 else {
            throw .cannotListen(path: path, reason: "chmod: \(String(cString: strerror(errno)))")
        }
        return fd
    }
}
