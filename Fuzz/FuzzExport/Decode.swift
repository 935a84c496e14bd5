@_spi(Fuzzing) import GenAIMapping
@_spi(Fuzzing) import OTLPCodec

import Foundation

/// Which body the fuzzer's bytes are, from `FUZZ_INPUT` (`protobuf`, `json`, `gzip`,
/// `deflate` or `zstd`): one binary fuzzes them all, each run with its own corpus (`make fuzz`).
let fuzzInput: (format: WireFormat, coding: ContentCoding) = {
    switch ProcessInfo.processInfo.environment["FUZZ_INPUT"] {
    case "json": (.json, .identity)
    case "gzip": (.protobuf, .gzip)
    case "deflate": (.protobuf, .deflate)
    case "zstd": (.protobuf, .zstd)
    default: (.protobuf, .identity)
    }
}()

/// One input through the production decoders (traces, full and filtering, and logs) and the
/// mappers behind them. Errors are the expected outcome for most inputs; crashes, hangs and
/// sanitizer reports are what the fuzzer looks for.
func decode(_ bytes: [UInt8], format: WireFormat, coding: ContentCoding) {
    let decoder = ExportDecoder(limits: DecodingLimits(maxInflatedBytes: 8 << 20))
    if let decoded = try? decoder.decodeTraces(bytes, format: format, coding: coding, keeping: SpanMapper.genAIKeyFilter) {
        _ = SpanMapper.map(decoded.export, skippedSpans: decoded.skippedSpans)
    }
    if let export = try? decoder.decodeTraces(bytes, format: format, coding: coding) {
        _ = SpanMapper.map(export)
    }
    // The direct readers against the general paths they stand in for: where they answer, the same.
    if format == .json, coding == .identity {
        precondition(OTLPJSONDecoder.directAgreesWithTree(bytes, limits: decoder.limits), "direct OTLP/JSON decoder disagrees with the tree's")
        precondition(SpanMapper.canonicalReadAgrees(String(decoding: bytes, as: UTF8.self)), "canonical message reader disagrees with the general path")
    }
    // The same bytes as a logs export: the other decoder and the event mapper.
    if let logs = try? decoder.decodeLogs(bytes, format: format, coding: coding) {
        _ = EventMapper.map(logs)
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// Runs libFuzzer's driver (its own `main` is not linked: SwiftPM names the entry point).
func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                      _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, callback)
}
#endif
