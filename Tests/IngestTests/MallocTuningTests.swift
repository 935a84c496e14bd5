import Testing
@testable import Ingest

@Suite struct MallocTuningTests {
    @Test func fixesTheMappingThresholdUnlessTheOperatorSetIt() {
        #expect(MallocTuning.mappingThreshold(environment: [:]) == 128 << 10)
        #expect(MallocTuning.mappingThreshold(environment: ["MALLOC_ARENA_MAX": "2"]) == 128 << 10)
        #expect(MallocTuning.mappingThreshold(environment: ["MALLOC_MMAP_THRESHOLD_": "1048576"]) == nil)
        #expect(MallocTuning.mappingThreshold(environment: ["GLIBC_TUNABLES": "glibc.malloc.arena_max=4"]) == nil)
    }
}
