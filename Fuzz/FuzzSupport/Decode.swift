import GenAIMapping
import OTLPCodec

/// What every fuzz target runs: the production decoder (both the full and the filtering path),
/// then the mapper on whatever decoded. Errors are the expected outcome for most inputs; crashes,
/// hangs and sanitizer reports are what the fuzzer looks for.
public func decode(_ bytes: [UInt8], format: WireFormat, coding: ContentCoding) {
    let decoder = ExportDecoder(limits: DecodingLimits(maxInflatedBytes: 8 << 20))
    if let decoded = try? decoder.decodeTraces(bytes, format: format, coding: coding, keeping: SpanMapper.isGenAI) {
        _ = SpanMapper.map(decoded.export, skippedSpans: decoded.skippedSpans)
    }
    if let export = try? decoder.decodeTraces(bytes, format: format, coding: coding) {
        _ = SpanMapper.map(export)
    }
}
