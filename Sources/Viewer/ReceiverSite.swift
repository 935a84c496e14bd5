import Ingest

/// The whole responder's routing: `/ui/…` to the viewer, everything else to the export handler.
public struct ReceiverSite: RequestHandler {
    let export: any RequestHandler
    let viewer: ViewerHandler

    public init(export: any RequestHandler, viewer: ViewerHandler) {
        self.export = export
        self.viewer = viewer
    }

    public func respond(to head: RequestHead, readBody: BodyReader) -> ExportResponse {
        ViewerHandler.handles(path: head.path) ? viewer.respond(to: head, readBody: readBody) : export.respond(to: head, readBody: readBody)
    }
}
