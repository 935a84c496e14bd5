/// Sums Prometheus text expositions (as `PrometheusCollectorRegistry` writes them) series by
/// series: counters and histograms add up across processes; gauges add up over the processes
/// that are still running. Families keep the order they were first seen in.
struct PrometheusText {
    private var types: [String: String] = [:]
    private var familyOrder: [String] = []
    private var series: [String: [(key: String, value: Double)]] = [:]
    private var index: [String: Int] = [:]   // family + "\u{0}" + series key -> position

    mutating func add(_ text: String, includeGauges: Bool) {
        var family = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count >= 4 else { continue }
                family = String(parts[2])
                if types[family] == nil {
                    types[family] = String(parts[3])
                    familyOrder.append(family)
                }
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            if types[family] == "gauge" && !includeGauges { continue }
            let key = String(line[..<space])
            let slot = family + "\u{0}" + key
            if let position = index[slot] {
                series[family]![position].value += value
            } else {
                index[slot] = series[family, default: []].count
                series[family, default: []].append((key, value))
            }
        }
    }

    func rendered() -> String {
        var out = ""
        for family in familyOrder {
            guard let lines = series[family], !lines.isEmpty else { continue }
            out += "# TYPE \(family) \(types[family]!)\n"
            for line in lines { out += "\(line.key) \(Self.format(line.value))\n" }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
