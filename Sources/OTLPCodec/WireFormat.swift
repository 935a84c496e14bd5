import Foundation

/// The two OTLP/HTTP body encodings. Responses are written in the encoding of the request.
public enum WireFormat: String, Sendable {
    case protobuf
    case json

    /// The media type a response in this format carries.
    public var contentType: String {
        switch self {
        case .protobuf: "application/x-protobuf"
        case .json: "application/json"
        }
    }

    /// Reads a `Content-Type` header, ignoring parameters such as `; charset=utf-8` and case.
    /// Returns nil for anything OTLP/HTTP does not define.
    public init?(contentType: String?) {
        guard let contentType else { return nil }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch mediaType {
        case "application/x-protobuf", "application/protobuf": self = .protobuf
        case "application/json": self = .json
        default: return nil
        }
    }
}

/// Request body codings we inflate. The OTLP spec only names gzip.
public enum ContentCoding: Sendable, Equatable {
    case identity
    case gzip
    /// HTTP's `deflate`: a zlib stream (RFC 1950), as the OpenTelemetry Collector reads it.
    case deflate
    /// RFC 8878 Zstandard.
    case zstd

    /// Reads a `Content-Encoding` header; nil for a coding we do not support.
    public init?(header: String?) {
        let value = (header ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        switch value {
        case "", "identity": self = .identity
        case "gzip", "x-gzip": self = .gzip
        case "deflate": self = .deflate
        case "zstd": self = .zstd
        default: return nil
        }
    }
}
