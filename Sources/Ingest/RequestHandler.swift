/// Answers one request given its head and a way to read its body. `ExportHandler` is the product;
/// `DiscardHandler` is the benchmark's ceiling.
public protocol RequestHandler: Sendable {
    func respond(to head: RequestHead, readBody: BodyReader) -> ExportResponse
}

extension ExportHandler: RequestHandler {}

/// Reads the body and answers 200 at once: no decoding, no storage. The benchmark runs it to
/// show how fast nginx, FastCGI and the load generator go without us.
public struct DiscardHandler: RequestHandler {
    public init() {}

    public func respond(to head: RequestHead, readBody: BodyReader) -> ExportResponse {
        var outcome = ExportOutcome()
        outcome.bodyBytes = (try? readBody(64 << 20).count) ?? 0
        return ExportResponse(status: 200, headers: [("Content-Type", "application/x-protobuf")], body: [], outcome: outcome)
    }
}
