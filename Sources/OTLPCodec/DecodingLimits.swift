/// Every bound the decoders enforce, stated in one place.
public struct DecodingLimits: Sendable {
    /// Largest body after inflating; the OTLP spec recommends 64 MiB.
    public var maxInflatedBytes: Int
    /// Deepest nesting of JSON arrays and objects, and of protobuf messages.
    public var maxNestingDepth: Int

    public init(maxInflatedBytes: Int = 64 << 20, maxNestingDepth: Int = 100) {
        self.maxInflatedBytes = maxInflatedBytes
        self.maxNestingDepth = maxNestingDepth
    }
}

/// Why a request body could not be turned into an export.
public enum DecodeError: Error, Equatable, Sendable {
    /// The body is not a valid export in its declared format; the text says where.
    case malformed(String)
    /// The inflated body would exceed `DecodingLimits.maxInflatedBytes`.
    case inflatedTooLarge(limit: Int)
}
