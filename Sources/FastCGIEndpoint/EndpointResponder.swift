import FastCGIServer
import Ingest

/// The receiver's HTTP endpoint behind the FastCGI server: the one place the two meet.
public struct EndpointResponder: FastCGIResponder {
    let endpoint: HTTPEndpoint

    public init(endpoint: HTTPEndpoint) {
        self.endpoint = endpoint
    }

    public func respond(to request: FastCGIRequest, readBody: (Int) throws -> [UInt8]) -> FastCGIResponse {
        let answer = endpoint.respond(to: request.head, remoteAddress: request.remoteAddress, variables: request.variables,
                                      readBody: readBody)
        return FastCGIResponse(head: answer.head, body: answer.body)
    }
}
