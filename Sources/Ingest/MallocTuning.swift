import Foundation

#if os(Linux)
// glibc's malloc calls, in <malloc.h>, which the Glibc module leaves out.
@_silgen_name("mallopt")
private func mallopt(_ option: Int32, _ value: Int32) -> Int32
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32
#endif

/// What glibc keeps of the memory requests free. It gives each request thread an arena of its own
/// and keeps freed memory there, so without help RSS grows towards the sum of every thread's
/// largest request.
///
/// `serve` fixes the mapping threshold before its threads start: once a large block is freed,
/// glibc raises the threshold to that block's size and serves the next ones from the arenas, where
/// freed bodies then stay resident; at 128 KiB every body and inflated body is mapped and unmapped
/// when freed. Worker CPU per GenAI span and peak RSS, glibc's defaults → this (`/proc/PID/stat`
/// over 6 s of `make bench`'s runs): W1 c=16 91-97 → 88 µs, 53 → 49 MiB; W1000 c=16 77-80 → 84 µs,
/// 125 → 111 MiB. Two arenas as well would take W1000 to 96-101 MiB, but cost 28 % more CPU there
/// (malloc contention among 16 threads), so they are left to the operator: MALLOC_ARENA_MAX, and
/// their own MALLOC_MMAP_THRESHOLD_ or GLIBC_TUNABLES wins over this. (Those figures are of 16
/// request threads; `ReceiverLimits.requestThreads` is now 8, for the same reason.)
public enum MallocTuning {
    /// glibc's option number (its ABI) for M_MMAP_THRESHOLD.
    static let mmapThreshold: Int32 = -3

    /// The mapping threshold to set, or nil when the operator set glibc's malloc through its environment.
    static func mappingThreshold(environment: [String: String]) -> Int32? {
        guard environment["GLIBC_TUNABLES"] == nil, environment["MALLOC_MMAP_THRESHOLD_"] == nil else { return nil }
        return 128 << 10
    }

    /// Called once, before any request thread starts.
    public static func apply(environment: [String: String] = ProcessInfo.processInfo.environment) {
        #if os(Linux)
        if let threshold = mappingThreshold(environment: environment) { _ = mallopt(mmapThreshold, threshold) }
        #endif
    }

    /// Gives the free memory of every arena back to the system (after a very large request).
    static func returnFreedMemory() {
        #if os(Linux)
        _ = mallocTrim(0)
        #endif
    }
}
