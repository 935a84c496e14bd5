import SwiftProtobuf

/// Turns a request body into an `ExportTraceServiceRequest`: inflate if needed, then decode in
/// the declared format.
public struct ExportDecoder: Sendable {
    public let limits: DecodingLimits

    public init(limits: DecodingLimits = DecodingLimits()) {
        self.limits = limits
    }

    public func decodeTraces(_ body: [UInt8], format: WireFormat, coding: ContentCoding) throws(DecodeError) -> TraceExportRequest {
        let plain = try inflate(body, coding: coding)
        switch format {
        case .json:
            return try OTLPJSONDecoder.decodeTraceExport(plain, limits: limits)
        case .protobuf:
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = limits.maxNestingDepth
            do {
                return try TraceExportRequest(serializedBytes: plain, options: options)
            } catch {
                throw .malformed("protobuf: \(Self.describe(error))")
            }
        }
    }

    /// The body after undoing its content coding, never larger than the inflated-size limit.
    public func inflate(_ body: [UInt8], coding: ContentCoding) throws(DecodeError) -> [UInt8] {
        switch coding {
        case .identity:
            guard body.count <= limits.maxInflatedBytes else { throw .inflatedTooLarge(limit: limits.maxInflatedBytes) }
            return body
        case .gzip:
            return try GzipInflater.inflate(body, limit: limits.maxInflatedBytes)
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case BinaryDecodingError.invalidUTF8: "a string field holds invalid UTF-8"
        case BinaryDecodingError.truncated: "the message is truncated"
        case BinaryDecodingError.malformedProtobuf: "the bytes are not a valid protobuf message"
        case BinaryDecodingError.messageDepthLimit: "messages nested too deeply"
        default: "cannot decode ExportTraceServiceRequest (\(error))"
        }
    }
}
