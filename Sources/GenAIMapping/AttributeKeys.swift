import OTLPCodec

/// What a span's attribute keys alone decide, worked out once per key list: their prints and
/// filter, where each column's sources are among them (`steps(for:)`), and the attributes JSON's
/// members in order. The calls of one export come from one instrumentation and carry the same keys
/// in the same order, span after span: `Memo` hands back the last list's when a span's keys equal
/// it, which costs a fraction of working them out again (the decoders hand out one string per
/// distinct long key, so equal keys compare by identity).
final class AttributeKeys {
    let keys: [String]
    let prints: [KeyPrint]
    let filter: KeyFilter
    /// Built when first written: a span with its content policed away writes none. Its content
    /// keys are those whose text a row may hold in its own columns (`ContentPolicing`).
    private(set) lazy var members = AttributeJSON.Members(keys, contentKeys: ContentPolicing.contentKeys)
    /// Per `SourceList.id` below `cachedLists`, where that list reads in these keys, worked out
    /// when first asked. A fixed buffer, not an array: every access to a class's `var` is checked
    /// for exclusivity at run time, which cost more than the lookup it saved.
    private let steps = UnsafeMutablePointer<[SourceStep]?>.allocate(capacity: AttributeKeys.cachedLists)
    /// More than the lists `FieldSources` makes; one made after them is worked out on each call.
    private static let cachedLists = 64

    init(_ keys: [String]) {
        self.keys = keys
        prints = keys.map(KeyPrint.init)
        filter = KeyFilter(prints)
        steps.initialize(repeating: nil, count: Self.cachedLists)
    }

    deinit {
        steps.deinitialize(count: Self.cachedLists)
        steps.deallocate()
    }

    convenience init(of attributes: [KeyValue]) {
        self.init(attributes.map(\.key))
    }

    /// Where a span with these keys holds one place of a column's list.
    enum SourceStep {
        /// The attributes of one `.attribute` source's key (the source's position, then theirs,
        /// in span order): its value is the first of them that holds one.
        case attribute(Int, [Int])
        /// A source read as `SpanAttributes.value` reads it: an event's attribute, or JSON inside
        /// an attribute these keys hold.
        case general(Int)
    }

    /// The sources of `list` these keys may hold, in the list's order.
    func steps(for list: SourceList) -> [SourceStep] {
        let cached = list.id < Self.cachedLists
        if cached, let known = steps[list.id] { return known }
        var found: [SourceStep] = []
        for (index, source) in list.sources.enumerated() {
            let key: String
            switch source {
            case .attribute(let name), .json(let name, _): key = name
            case .event:
                found.append(.general(index))
                continue
            }
            guard let print = list.prints[index], filter.mayHold(print.filterBit) else { continue }
            let holders = prints.indices.filter { prints[$0] == print && keys[$0] == key }
            guard !holders.isEmpty else { continue }
            if case .attribute = source { found.append(.attribute(index, holders)) } else { found.append(.general(index)) }
        }
        if cached { steps[list.id] = found }
        return found
    }

    /// The last key list seen. One per export and thread.
    final class Memo {
        private var last = AttributeKeys([])

        func keys(of attributes: [KeyValue]) -> AttributeKeys {
            // Compared in place: a list of the span's keys was made, compared and freed span after span.
            let known = last.keys
            if attributes.count != known.count || attributes.indices.contains(where: { attributes[$0].key != known[$0] }) {
                last = AttributeKeys(of: attributes)
            }
            return last
        }
    }
}
