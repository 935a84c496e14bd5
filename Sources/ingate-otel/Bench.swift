import ArgumentParser
import Foundation
import GenAIMapping
import LLMLog
import OTLPCodec
import Pricing
import Storage

/// Measurements the benchmark (`make bench`) runs next to the served stack. Hidden from help:
/// they are for `bench/run.py`, not for operators.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmark helpers.", shouldDisplay: false,
        subcommands: [Store.self, Decode.self])

    /// The SQLite ceiling: the rows the product stores for a body, inserted straight into a fresh
    /// database with the same schema, indexes and pragmas, `--batch` rows per transaction.
    struct Store: ParsableCommand {
        @OptionGroup var database: DatabaseOption
        @Option(help: "A protobuf ExportTraceServiceRequest whose GenAI spans give the rows.") var body: String
        @Option var rows: Int = 200_000
        @Option var batch: Int = 5_000
        @Option(help: "Start every row at this time instead of the body's (old rows for the retention run).")
        var startUnixNano: UInt64?
        @Option(help: "Spread the rows' starts evenly over this many days up to now (the viewer's benchmark database).")
        var spreadDays: Double?
        @Flag(help: "Vary model (8, and one row in 10 000 `rare-model`), service (5), status (1 in 100 an error) and conversation.")
        var vary = false

        func run() throws {
            let export = try TraceExportRequest(serializedBytes: Array(try Data(contentsOf: URL(fileURLWithPath: body))))
            let template = SpanMapper.map(export).records
            guard !template.isEmpty else { fail("\(body) has no GenAI span") }
            let store = openStore(database)
            let key = try store.createKey(name: "bench")
            var written = 0
            let started = Date()
            let earliest = template.map(\.startTimeUnixNano).min() ?? 0
            while written < rows {
                let count = min(batch, rows - written)
                // As the load generator sends them: the template's times moved to the present.
                let now = UInt64(Date().timeIntervalSince1970 * 1e9)
                let records = (0..<count).map { offset -> LLMLogRecord in
                    var record = template[(written + offset) % template.count]
                    record.traceID = Self.traceID(written + offset)
                    let index = written + offset
                    let start = spreadDays.map { days in
                        let span = days * 86_400e9
                        return UInt64(Date().timeIntervalSince1970 * 1e9 - span + span * Double(index) / Double(rows))
                    } ?? startUnixNano ?? (record.startTimeUnixNano - earliest + now)
                    if vary {
                        record.model = index % 10_000 == 7 ? "rare-model" : "model-\(index % 8)"
                        record.serviceName = "service-\(index % 5)"
                        record.statusCode = index % 100 == 3 ? 2 : 0
                        record.conversationID = "conversation-\(index / 20)"
                    }
                    record.endTimeUnixNano = start + (record.endTimeUnixNano - record.startTimeUnixNano)
                    record.startTimeUnixNano = start
                    return record
                }
                _ = try store.insert(records, apiKeyID: key.id, receivedAt: Int64(Date().timeIntervalSince1970 * 1000))
                written += count
            }
            let seconds = Date().timeIntervalSince(started)
            print(#"{"rows": \#(written), "batch": \#(batch), "seconds": \#(seconds), "rows_per_second": \#(Double(written) / seconds)}"#)
        }

        /// A distinct, random-looking trace id per row, as SDKs make them (W3C: random). Counting
        /// ids (`%032x` of the row) put every insert at the end of the indexes that lead with the
        /// trace id, a lighter load than any real one: 400 rows a transaction went 21 000 rows/s
        /// with them and ≈ 12 000 with these. SplitMix64 is a bijection, so no two rows share one.
        static func traceID(_ row: Int) -> String {
            func mix(_ seed: UInt64) -> UInt64 {
                var z = seed &+ 0x9E37_79B9_7F4A_7C15
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return z ^ (z >> 31)
            }
            let high = mix(UInt64(row))
            return Hex.encode(withUnsafeBytes(of: (high.bigEndian, mix(high).bigEndian)) { Array($0) })
        }
    }

    /// Decode + map + price throughput of one body on one core, in MB/s of body.
    struct Decode: ParsableCommand {
        @Option(help: "The body file.") var body: String
        @Option(help: "protobuf or json") var format: String = "protobuf"
        @Option var seconds: Double = 3
        @Option(help: "Run this many times instead of for --seconds (for counting instructions under callgrind).")
        var iterations: Int?

        func run() throws {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: body)))
            guard let wire = WireFormat(rawValue: format) else { fail("--format protobuf or json") }
            let decoder = ExportDecoder()
            var done = 0
            var kept = 0
            let started = Date()
            while iterations.map({ done < $0 }) ?? (Date().timeIntervalSince(started) < seconds) {
                let decoded = try decoder.decodeTraces(bytes, format: wire, coding: .identity, keeping: SpanMapper.genAIKeyFilter)
                var mapped = SpanMapper.map(decoded.export, skippedSpans: decoded.skippedSpans)
                Cost.price(&mapped.records, with: .shipped)
                kept = mapped.records.count
                done += 1
            }
            let elapsed = Date().timeIntervalSince(started)
            let megabytes = Double(bytes.count * done) / 1e6
            print(#"{"format": "\#(format)", "body_bytes": \#(bytes.count), "iterations": \#(done), "genai_spans": \#(kept), "mb_per_second": \#(megabytes / elapsed), "spans_per_second": \#(Double(kept * done) / elapsed)}"#)
        }
    }
}
