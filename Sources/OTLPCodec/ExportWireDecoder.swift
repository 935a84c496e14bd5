import SwiftProtobuf

/// Walks the outer levels of an encoded `ExportTraceServiceRequest` (resource spans, scope spans)
/// in place and decodes each kept span from its own bytes with `SpanWireDecoder`, the resources and
/// scopes with swift-protobuf from theirs. The lazy decode it stands in for copied every span, kept
/// or not, into a `Data` of its own first.
///
/// Only the common path is taken: every field known and in its own wire type, a resource, scope or
/// schema URL at most once per message, strings valid UTF-8, the framing whole. Anything else gives
/// nil and the lazy decoder decodes the export, so that its value or its error stays the one the
/// receiver gives (unknown fields kept, repeated messages merged, groups skipped, …).
enum ExportWireDecoder {
    /// `keptSpans`, the shape check's verdict per span in wire order, nil when every span is kept.
    static func decode(_ plain: [UInt8], keptSpans: [Bool]?, options: BinaryDecodingOptions) -> DecodedTraces? {
        plain.withUnsafeBufferPointer { bytes in
            var walk = ExportWireDecoder.Walk(plain: plain, bytes: bytes, keptSpans: keptSpans, options: options)
            var reader = WireReader(bytes: bytes, index: 0, end: bytes.count)
            guard let export = walk.export(&reader), walk.position == keptSpans?.count ?? walk.position else { return nil }
            return DecodedTraces(export: export, skippedSpans: walk.skipped)
        }
    }

    private struct Walk {
        let plain: [UInt8]
        let bytes: UnsafeBufferPointer<UInt8>
        let keptSpans: [Bool]?
        let options: BinaryDecodingOptions
        var position = 0
        var skipped = 0
        let keys = AttributeKeyCache()

        init(plain: [UInt8], bytes: UnsafeBufferPointer<UInt8>, keptSpans: [Bool]?, options: BinaryDecodingOptions) {
            self.plain = plain
            self.bytes = bytes
            self.keptSpans = keptSpans
            self.options = options
        }

        /// ExportTraceServiceRequest { resource_spans = 1 }
        mutating func export(_ r: inout WireReader) -> TraceExportRequest? {
            var export = TraceExportRequest()
            while !r.atEnd {
                guard let (field, wire) = r.tag(), field == 1, wire == 2, let payload = r.payload(),
                      let resourceSpans = resourceSpans(payload) else { return nil }
                export.resourceSpans.append(resourceSpans)
            }
            return export
        }

        /// ResourceSpans { resource = 1, scope_spans = 2, schema_url = 3 }
        private mutating func resourceSpans(_ range: Range<Int>) -> ResourceSpans? {
            var r = WireReader(bytes: bytes, index: range.lowerBound, end: range.upperBound)
            var resourceSpans = ResourceSpans()
            var seen = SeenFields()
            while !r.atEnd {
                guard let (field, wire) = r.tag(), wire == 2 else { return nil }
                switch field {
                case 1:
                    guard seen.first(field), let payload = r.payload(), let resource: Resource = nested(payload) else { return nil }
                    resourceSpans.resource = resource
                case 2:
                    guard let payload = r.payload(), let scopeSpans = scopeSpans(payload) else { return nil }
                    resourceSpans.scopeSpans.append(scopeSpans)
                case 3:
                    guard seen.first(field), let url = r.string() else { return nil }
                    resourceSpans.schemaURL = url
                default:
                    return nil
                }
            }
            return resourceSpans
        }

        /// ScopeSpans { scope = 1, spans = 2, schema_url = 3 }
        private mutating func scopeSpans(_ range: Range<Int>) -> ScopeSpans? {
            var r = WireReader(bytes: bytes, index: range.lowerBound, end: range.upperBound)
            var scopeSpans = ScopeSpans()
            var seen = SeenFields()
            while !r.atEnd {
                guard let (field, wire) = r.tag(), wire == 2 else { return nil }
                switch field {
                case 1:
                    guard seen.first(field), let payload = r.payload(), let scope: InstrumentationScope = nested(payload) else { return nil }
                    scopeSpans.scope = scope
                case 2:
                    guard let payload = r.payload() else { return nil }
                    defer { position += 1 }
                    if let keptSpans {
                        guard position < keptSpans.count else { return nil }
                        guard keptSpans[position] else {
                            skipped += 1
                            continue
                        }
                    }
                    guard let span = span(payload) else { return nil }
                    scopeSpans.spans.append(span)
                case 3:
                    guard seen.first(field), let url = r.string() else { return nil }
                    scopeSpans.schemaURL = url
                default:
                    return nil
                }
            }
            return scopeSpans
        }

        private func span(_ range: Range<Int>) -> Span? {
            let direct = SpanWireDecoder.decode(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[range])),
                                                maxDepth: options.messageDepthLimit, keys: keys)
            return direct ?? (try? Span(serializedBytes: plain[range], options: options))
        }

        /// A resource or a scope, two levels down, decoded by swift-protobuf from its own bytes
        /// with the nesting left to it inside the whole export. Where that decode fails, the lazy
        /// decoder decodes the whole export again and gives its own answer.
        private func nested<Message: SwiftProtobuf.Message>(_ range: Range<Int>) -> Message? {
            var inner = options
            inner.messageDepthLimit = max(0, options.messageDepthLimit - 2)
            return try? Message(serializedBytes: plain[range], options: inner)
        }
    }
}
