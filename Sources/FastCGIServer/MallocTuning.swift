import Foundation

#if os(Linux)
/// glibc's `mallopt(3)` (in <malloc.h>, which the Glibc module leaves out).
@_silgen_name("mallopt")
private func mallopt(_ option: Int32, _ value: Int32) -> Int32
#endif

/// How much freed memory glibc may keep, set before the responder threads start. Once a large
/// block is freed, glibc raises its mapping threshold to that block's size and serves the next
/// ones from the threads' arenas, where freed request bodies then stay resident. A fixed 128 KiB
/// threshold maps every body and inflated body and unmaps it when freed. Worker CPU per GenAI span
/// and peak RSS, glibc's defaults → this (`/proc/PID/stat` over 6 s of `make bench`'s runs):
/// W1 c=16 91-97 → 88 µs, 53 → 49 MiB; W1000 c=16 77-80 → 84 µs, 125 → 111 MiB. Two arenas as
/// well would take W1000 to 96-101 MiB, but cost 28 % more CPU there (malloc contention among 16
/// threads), so they are left to the operator: MALLOC_ARENA_MAX, and their own
/// MALLOC_MMAP_THRESHOLD_ or GLIBC_TUNABLES wins over this.
public enum MallocTuning {
    /// glibc's option number (its ABI) for M_MMAP_THRESHOLD.
    static let mmapThreshold: Int32 = -3

    /// The options to set: none that the operator set already through glibc's environment.
    static func options(environment: [String: String]) -> [(option: Int32, value: Int32)] {
        guard environment["GLIBC_TUNABLES"] == nil, environment["MALLOC_MMAP_THRESHOLD_"] == nil else { return [] }
        return [(mmapThreshold, 128 << 10)]
    }

    public static func apply(environment: [String: String] = ProcessInfo.processInfo.environment) {
        #if os(Linux)
        for (option, value) in options(environment: environment) { _ = mallopt(option, value) }
        #endif
    }
}
