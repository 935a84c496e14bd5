import Foundation

#if os(Linux)
/// glibc's `mallopt(3)` (in <malloc.h>, which the Glibc module leaves out).
@_silgen_name("mallopt")
private func mallopt(_ option: Int32, _ value: Int32) -> Int32
#endif

/// How much freed memory glibc may keep, set before the responder threads start. glibc gives each
/// thread an arena of its own (up to 8 per core) and, once a large block is freed, serves the next
/// ones from those arenas instead of mapping them, so freed request bodies stayed resident: one
/// W1000 export at a time took the worker to 108 MiB, 16 at a time to 126. With a fixed 128 KiB
/// mapping threshold and two arenas: 51 and 96-101 MiB (`make bench`'s RSS sampling). The price is
/// malloc contention among 16 threads on huge exports (W1000 c=16: 16 700-18 800 -> 15 000-15 300
/// GenAI spans/s), while W1 c=16 held (13 600-14 900 -> 15 300, RSS 53 -> 46 MiB).
public enum MallocTuning {
    /// glibc's option numbers (its ABI): M_MMAP_THRESHOLD and M_ARENA_MAX.
    static let mmapThreshold: Int32 = -3
    static let arenaMax: Int32 = -8

    /// The options to set: none that the operator set already through glibc's environment.
    static func options(environment: [String: String]) -> [(option: Int32, value: Int32)] {
        guard environment["GLIBC_TUNABLES"] == nil else { return [] }
        var options: [(option: Int32, value: Int32)] = []
        if environment["MALLOC_MMAP_THRESHOLD_"] == nil { options.append((mmapThreshold, 128 << 10)) }
        if environment["MALLOC_ARENA_MAX"] == nil { options.append((arenaMax, 2)) }
        return options
    }

    public static func apply(environment: [String: String] = ProcessInfo.processInfo.environment) {
        #if os(Linux)
        for (option, value) in options(environment: environment) { _ = mallopt(option, value) }
        #endif
    }
}
