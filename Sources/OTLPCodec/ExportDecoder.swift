import SwiftProtobuf

/// Decides from a span's attribute keys alone whether the span is wanted: it is when the filter
/// accepts one of its keys, given as UTF-8 bytes (read in place from the wire, no string built).
/// The decoder builds only the spans it keeps.
public typealias SpanKeyFilter = @Sendable (_ attributeKey: UnsafeBufferPointer<UInt8>) -> Bool

/// Whether `filter` keeps a span with these attribute keys.
func keepsSpan(_ filter: SpanKeyFilter, _ keys: some Sequence<String>) -> Bool {
    keys.contains { key in
        var key = key
        return key.withUTF8(filter)
    }
}

/// An export as decoded: the spans kept, and how many spans the filter skipped unbuilt.
public struct DecodedTraces: Sendable {
    public var export: TraceExportRequest
    public var skippedSpans: Int
}

/// Turns a request body into an `ExportTraceServiceRequest`: inflate if needed, then decode in
/// the declared format.
public struct ExportDecoder: Sendable {
    public let limits: DecodingLimits

    public init(limits: DecodingLimits = DecodingLimits()) {
        self.limits = limits
    }

    public func decodeTraces(_ body: [UInt8], format: WireFormat, coding: ContentCoding) throws(DecodeError) -> TraceExportRequest {
        try decodeTraces(body, format: format, coding: coding, keeping: nil).export
    }

    /// Decodes, building only the spans `filter` keeps (all when nil). In protobuf a skipped span's
    /// attribute keys are read once, by the shape check; the span is stepped over, not built (nor
    /// its strings checked for UTF-8). `admit` is asked before values are built.
    public func decodeTraces(_ body: [UInt8], format: WireFormat, coding: ContentCoding,
                             keeping filter: SpanKeyFilter?, admit: ValueAdmission? = nil) throws(DecodeError) -> DecodedTraces {
        let (decoded, proved) = try decodeUnchecked(body, format: format, coding: coding, keeping: filter, admit: admit)
        switch proved {
        case .nothing: try limits.check(decoded.export)
        case .strings: try limits.check(decoded.export, measuringStrings: false)
        case .everything: break
        }
        return decoded
    }

    /// Which of `DecodingLimits.check` the body has already proved, so that the decoded export is
    /// not walked again for it.
    private enum ProvedLimits {
        case nothing
        /// No decoded string is longer than its JSON text, so a body within the string limit and a
        /// sixth of the escaped limit holds no string that could cross either (4 MiB behind nginx).
        case strings
        /// The protobuf shape check's bounds (`TraceShape.provesStringLimits`) and counts.
        case everything
    }

    private func decodeUnchecked(_ body: [UInt8], format: WireFormat, coding: ContentCoding,
                                 keeping filter: SpanKeyFilter?, admit: ValueAdmission?) throws(DecodeError) -> (DecodedTraces, ProvedLimits) {
        let plain = try inflate(body, coding: coding)
        switch format {
        case .json:
            let decoded = try OTLPJSONDecoder.decodeTraces(plain, limits: limits, admit: admit, keeping: filter)
            let bounded = plain.count <= limits.maxStringBytes && plain.count <= limits.maxEscapedBytes / 6
            return (decoded, bounded ? .strings : .nothing)
        case .protobuf:
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = limits.maxNestingDepth
            var values = ValueCount(limits: limits, admit: admit)
            let shape = try ProtobufShapeCheck.check(traces: plain, limits: limits, keeping: filter)
            try values.add(shape.values)
            // Walked in place, the spans decoded are exactly those the shape check measured.
            if let decoded = ExportWireDecoder.decode(plain, keptSpans: filter == nil ? nil : shape.keptSpans, options: options) {
                return (decoded, shape.provesStringLimits(limits) ? .everything : .nothing)
            }
            do {
                return (try decodeFiltered(plain, options: options, filter: filter, keptSpans: shape.keptSpans), .nothing)
            } catch let error as DecodeError {
                throw error
            } catch BinaryDecodingError.invalidUTF8 {
                let place = Self.locateInvalidUTF8(plain, options: options).map { " in \($0)" } ?? ""
                throw .malformed("protobuf: a string field\(place) holds invalid UTF-8")
            } catch {
                throw .malformed("protobuf: \(Self.describe(error))")
            }
        }
    }

    /// The lazy decode, for exports `ExportWireDecoder` does not take. `keptSpans` is the shape
    /// check's verdict per span in wire order. Where its walk stopped
    /// short of what swift-protobuf decodes (framing it does not step over, such as groups), the
    /// spans' keys are read again instead.
    private func decodeFiltered(_ plain: [UInt8], options: BinaryDecodingOptions, filter: SpanKeyFilter?,
                                keptSpans: [Bool]) throws -> DecodedTraces {
        var keysOnly = options
        keysOnly.discardUnknownFields = true
        let lazy = try Ingate_Lazy_LazyTraceExport(serializedBytes: plain, options: options)
        let spanCount = lazy.resourceSpans.reduce(0) { $0 + $1.scopeSpans.reduce(0) { $0 + $1.spans.count } }
        let verdicts = keptSpans.count == spanCount ? keptSpans : nil
        var position = 0
        var export = TraceExportRequest()
        var skipped = 0
        let keys = AttributeKeyCache()
        export.resourceSpans = try lazy.resourceSpans.map { lazyResource in
            var resourceSpans = ResourceSpans()
            resourceSpans.resource = lazyResource.resource
            resourceSpans.schemaURL = lazyResource.schemaURL
            resourceSpans.scopeSpans = try lazyResource.scopeSpans.map { lazyScope in
                var scopeSpans = ScopeSpans()
                scopeSpans.scope = lazyScope.scope
                scopeSpans.schemaURL = lazyScope.schemaURL
                for encoded in lazyScope.spans {
                    defer { position += 1 }
                    if let filter {
                        let kept = try verdicts.map { $0[position] }
                            ?? keepsSpan(filter, Ingate_Lazy_SpanAttributeKeys(serializedBytes: encoded, options: keysOnly).attributes.lazy.map(\.key))
                        guard kept else {
                            skipped += 1
                            continue
                        }
                    }
                    let direct = encoded.withUnsafeBytes { SpanWireDecoder.decode($0, maxDepth: options.messageDepthLimit, keys: keys) }
                    scopeSpans.spans.append(try direct ?? Span(serializedBytes: encoded, options: options))
                }
                return scopeSpans
            }
            return resourceSpans
        }
        return DecodedTraces(export: export, skippedSpans: skipped)
    }

    /// Decodes an `ExportLogsServiceRequest` (POST /v1/logs); `admit` is asked before values are built.
    public func decodeLogs(_ body: [UInt8], format: WireFormat, coding: ContentCoding,
                           admit: ValueAdmission? = nil) throws(DecodeError) -> LogsExportRequest {
        let plain = try inflate(body, coding: coding)
        let export: LogsExportRequest
        switch format {
        case .json:
            export = try OTLPJSONDecoder.decodeLogsExport(plain, limits: limits, admit: admit)
        case .protobuf:
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = limits.maxNestingDepth
            var values = ValueCount(limits: limits, admit: admit)
            try values.add(ProtobufShapeCheck.check(logs: plain, limits: limits))
            do {
                export = try LogsExportRequest(serializedBytes: plain, options: options)
            } catch {
                throw .malformed("protobuf: \(Self.describe(error))")
            }
        }
        try limits.check(export)
        return export
    }

    /// The body after undoing its content coding, never larger than the inflated-size limit.
    /// `admit` is asked for each chunk a compressed body inflates to (see `GzipInflater`).
    public func inflate(_ body: [UInt8], coding: ContentCoding, admit: ((Int) -> Bool)? = nil) throws(DecodeError) -> [UInt8] {
        switch coding {
        case .identity:
            guard body.count <= limits.maxInflatedBytes else { throw .inflatedTooLarge(limit: limits.maxInflatedBytes) }
            return body
        case .gzip:
            return try GzipInflater.inflate(body, limit: limits.maxInflatedBytes, admit: admit)
        case .deflate:
            return try GzipInflater.inflate(body, limit: limits.maxInflatedBytes, wrapper: .zlib, admit: admit)
        case .zstd:
            return try ZstdInflater.inflate(body, limit: limits.maxInflatedBytes, admit: admit)
        }
    }

    /// The values built so far against `maxValues`, each addition admitted before it is built.
    private struct ValueCount {
        let limits: DecodingLimits
        let admit: ValueAdmission?
        private(set) var total = 0

        init(limits: DecodingLimits, admit: ValueAdmission?) {
            self.limits = limits
            self.admit = admit
        }

        mutating func add(_ values: Int) throws(DecodeError) {
            total += values
            guard total <= limits.maxValues else { throw ProtobufShapeCheck.tooManyValues(limits) }
            if let admit, values > 0, !admit(values) { throw .budgetExhausted }
        }
    }

    /// Which span holds the invalid UTF-8, found by decoding the export span by span; when the
    /// spans are fine it is a resource or scope.
    static func locateInvalidUTF8(_ plain: [UInt8], options: BinaryDecodingOptions) -> String? {
        guard let lazy = try? Ingate_Lazy_LazyTraceExport(serializedBytes: plain, options: options) else {
            return "a resource or scope"
        }
        for (r, resourceSpans) in lazy.resourceSpans.enumerated() {
            for (s, scopeSpans) in resourceSpans.scopeSpans.enumerated() {
                for (k, encoded) in scopeSpans.spans.enumerated() where (try? Span(serializedBytes: encoded, options: options)) == nil {
                    return "resource_spans[\(r)].scope_spans[\(s)].spans[\(k)]"
                }
            }
        }
        return nil
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case BinaryDecodingError.invalidUTF8: "a string field holds invalid UTF-8"
        case BinaryDecodingError.truncated: "the message is truncated"
        case BinaryDecodingError.malformedProtobuf: "the bytes are not a valid protobuf message"
        case BinaryDecodingError.messageDepthLimit: "messages nested too deeply"
        default: "cannot decode the export (\(error))"
        }
    }
}
