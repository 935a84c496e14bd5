/// The members of a JSON object, each key once, in the order they came. Lookup is a scan that
/// compares lengths before bytes: the objects of message lists have two to five members, where
/// this costs a fraction of hashing each key into a dictionary on every parse and lookup.
/// Built from many members (a hostile body), duplicates are found through a dictionary, so that
/// building stays linear; a lookup in such an object is linear too, and callers look up a fixed
/// number of names.
public struct JSONMembers: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSONValue)
    private var members: [Element]

    /// Members whose key repeats keep the last value, as `JSON.parse` in browsers does.
    public init(keepingLast pairs: [Element]) {
        members = Self.unique(pairs, keepLast: true)
    }

    /// Members whose key repeats keep the first value, as OTLP says of repeated attribute keys.
    public init(keepingFirst pairs: [Element]) {
        members = Self.unique(pairs, keepLast: false)
    }

    public init(_ dictionary: [String: JSONValue]) {
        members = dictionary.map { ($0.key, $0.value) }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(keepingLast: elements.map { ($0.0, $0.1) })
    }

    private static func unique(_ pairs: [Element], keepLast: Bool) -> [Element] {
        var kept: [Element] = []
        kept.reserveCapacity(pairs.count)
        if pairs.count <= 16 {
            for pair in pairs {
                if let index = kept.firstIndex(where: { same($0.key, pair.key) }) {
                    if keepLast { kept[index].value = pair.value }
                } else {
                    kept.append(pair)
                }
            }
            return kept
        }
        var position: [String: Int] = [:]
        position.reserveCapacity(pairs.count)
        for pair in pairs {
            if let index = position[pair.key] {
                if keepLast { kept[index].value = pair.value }
            } else {
                position[pair.key] = kept.count
                kept.append(pair)
            }
        }
        return kept
    }

    @inline(__always)
    private static func same(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a == b
    }

    public subscript(key: String) -> JSONValue? {
        get { members.first { Self.same($0.key, key) }?.value }
        set {
            let index = members.firstIndex { Self.same($0.key, key) }
            switch (index, newValue) {
            case (let index?, let value?): members[index].value = value
            case (let index?, nil): members.remove(at: index)
            case (nil, let value?): members.append((key, value))
            case (nil, nil): break
            }
        }
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let index = members.firstIndex(where: { Self.same($0.key, key) }) else { return nil }
        return members.remove(at: index).value
    }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var first: Element? { members.first }
    public var keys: [String] { members.map(\.key) }
    public var values: [JSONValue] { members.map(\.value) }

    public func makeIterator() -> IndexingIterator<[Element]> {
        members.makeIterator()
    }
}

extension JSONMembers: Equatable {
    /// Equal when they hold the same keys with equal values, in any order, as JSON objects are.
    public static func == (lhs: JSONMembers, rhs: JSONMembers) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard rhs.count > 16 else { return lhs.allSatisfy { rhs[$0.key] == $0.value } }
        let right = Dictionary(uniqueKeysWithValues: rhs.map { ($0.key, $0.value) })
        return lhs.allSatisfy { right[$0.key] == $0.value }
    }
}
