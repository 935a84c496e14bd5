import SwiftProtobuf

extension TraceExportResponse {
    /// The body of a 200: empty protobuf, or `{}` in JSON (an empty body is not valid JSON).
    public func encoded(as format: WireFormat) -> [UInt8] {
        encodeMessage(self, as: format)
    }
}

extension LogsExportResponse {
    public func encoded(as format: WireFormat) -> [UInt8] {
        encodeMessage(self, as: format)
    }
}

extension RPCStatus {
    /// The `google.rpc.Status` body OTLP/HTTP requires on every error.
    public init(code: Int32, message: String) {
        self.init()
        self.code = code
        self.message = message
    }

    public func encoded(as format: WireFormat) -> [UInt8] {
        encodeMessage(self, as: format)
    }
}

private func encodeMessage<M: SwiftProtobuf.Message>(_ message: M, as format: WireFormat) -> [UInt8] {
    // Encoding our own well-formed messages cannot fail; an empty body is the safe fallback.
    switch format {
    case .protobuf:
        return (try? message.serializedBytes()) ?? []
    case .json:
        return (try? message.jsonUTF8Bytes()) ?? Array("{}".utf8)
    }
}
