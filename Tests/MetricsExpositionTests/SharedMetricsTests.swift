import Foundation
import Testing
@testable import MetricsExposition

@Suite struct SharedMetricsTests {
    static let worker = """
        # TYPE ingate_requests_total counter
        ingate_requests_total{signal="traces",status="200"} 3
        ingate_requests_total{signal="traces",status="401"} 1
        # TYPE ingate_in_flight gauge
        ingate_in_flight 2
        # TYPE ingate_request_duration_seconds histogram
        ingate_request_duration_seconds_bucket{signal="traces",le="0.001"} 1
        ingate_request_duration_seconds_bucket{signal="traces",le="+Inf"} 4
        ingate_request_duration_seconds_sum{signal="traces"} 0.0125
        ingate_request_duration_seconds_count{signal="traces"} 4

        """

    @Test func countersAndHistogramsAddUpAcrossWorkersAndGaugesOnlyOverLiveOnes() {
        var merged = PrometheusText()
        merged.add(Self.worker, includeGauges: true)
        merged.add(Self.worker.replacingOccurrences(of: "} 3", with: "} 5"), includeGauges: false)
        let text = merged.rendered()
        #expect(text.contains(#"ingate_requests_total{signal="traces",status="200"} 8"#))
        #expect(text.contains(#"ingate_requests_total{signal="traces",status="401"} 2"#))
        #expect(text.contains("ingate_in_flight 2\n"))
        #expect(text.contains(#"ingate_request_duration_seconds_bucket{signal="traces",le="+Inf"} 8"#))
        #expect(text.contains(#"ingate_request_duration_seconds_sum{signal="traces"} 0.025"#))
        #expect(text.components(separatedBy: "# TYPE ingate_requests_total counter").count == 2)
    }

    @Test func anExitedWorkersCountsStayInTheSumAndAreFoldedIntoOneFile() throws {
        let folder = NSTemporaryDirectory() + "metrics-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let shared = try SharedMetrics(directory: folder)
        // Two workers that have exited (no such pids), one of them folded before.
        try Self.worker.write(toFile: folder + "/2147483000-1.prom", atomically: true, encoding: .utf8)
        try Self.worker.write(toFile: folder + "/2147483001-1.prom", atomically: true, encoding: .utf8)
        let first = String(decoding: shared.render(), as: UTF8.self)
        #expect(first.contains(#"ingate_requests_total{signal="traces",status="200"} 6"#))
        #expect(!first.contains("ingate_in_flight"))   // a dead worker has nothing in flight
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".prom") }.sorted()
        #expect(files.count == 2 && files.contains("retired.prom") && files.contains { $0.hasPrefix("\(getpid())-") })
        #expect(!files.contains("2147483000-1.prom") && !files.contains("2147483001-1.prom"))
        let again = String(decoding: shared.render(), as: UTF8.self)
        #expect(again.contains(#"ingate_requests_total{signal="traces",status="200"} 6"#))
    }
}
