import Foundation
import LLMLog

/// Bars per UTC day as server-rendered SVG: no script, no inline style, the figures also in the
/// table below it and in each bar's title.
struct UsageChart {
    enum Measure {
        case tokens, cost
    }

    var days: [String]
    var stats: [UsageStat]

    func render(measure: Measure) -> String {
        let byDay = Dictionary(stats.map { ($0.group ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        let values = days.map { day -> Double in
            guard let stat = byDay[day] else { return 0 }
            switch measure {
            case .tokens: return Double(stat.inputTokens + stat.outputTokens)
            case .cost: return stat.costUSD ?? 0
            }
        }
        let top = values.max() ?? 0
        let width = 720.0, height = 180.0, left = 60.0, bottom = 20.0
        let step = (width - left) / Double(max(1, days.count))
        let name = measure == .tokens ? "input + output tokens" : "cost in USD"
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(name) per day\" xmlns=\"http://www.w3.org/2000/svg\">\n"
        svg += "<title>\(name) per day</title>\n"
        svg += "<text x=\"0\" y=\"12\">\(HTML.text(Self.format(top, measure)))</text><text x=\"0\" y=\"\(Int(height - bottom))\">0</text>\n"
        for (index, value) in values.enumerated() {
            let barHeight = top > 0 ? (height - bottom - 10) * value / top : 0
            let x = left + Double(index) * step
            let geometry = String(format: "x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"",
                                  x, height - bottom - barHeight, max(1, step * 0.8), barHeight)
            svg += "<rect class=\"\(measure == .tokens ? "bar" : "cost")\" \(geometry)><title>\(HTML.text(days[index])): "
                + "\(HTML.text(Self.format(value, measure)))</title></rect>\n"
        }
        if let first = days.first, let last = days.last {
            svg += "<text x=\"\(Int(left))\" y=\"\(Int(height - 4))\">\(HTML.text(first))</text>"
            svg += "<text x=\"\(Int(width))\" y=\"\(Int(height - 4))\" text-anchor=\"end\">\(HTML.text(last))</text>\n"
        }
        return svg + "</svg>\n"
    }

    static func format(_ value: Double, _ measure: Measure) -> String {
        measure == .tokens ? String(Int64(value)) : String(format: "%.4f", value)
    }
}
