import OTLPCodec

/// What a span's attribute keys alone decide, worked out once per key list: their prints and
/// filter for `SpanAttributes`' lookups, and the attributes JSON's members in order. The calls of
/// one export come from one instrumentation and carry the same keys in the same order, span
/// after span: `Memo` hands back the last list's when a span's keys equal it, which costs a
/// fraction of working them out again (the decoders hand out one string per distinct long key,
/// so equal keys compare by identity).
final class AttributeKeys {
    let keys: [String]
    let prints: [KeyPrint]
    let filter: KeyFilter
    /// Built when first written: a span with its content policed away writes none.
    private(set) lazy var members = AttributeJSON.Members(keys)

    init(_ keys: [String]) {
        self.keys = keys
        prints = keys.map(KeyPrint.init)
        filter = KeyFilter(prints)
    }

    convenience init(of attributes: [KeyValue]) {
        self.init(attributes.map(\.key))
    }

    /// The last key list seen. One per export and thread.
    final class Memo {
        private var last = AttributeKeys([])

        func keys(of attributes: [KeyValue]) -> AttributeKeys {
            let keys = attributes.map(\.key)
            if keys != last.keys { last = AttributeKeys(keys) }
            return last
        }
    }
}
