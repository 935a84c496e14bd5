import Foundation

/// Times as the viewer shows them: in the zone the user picked (UTC unless a cookie says
/// otherwise), the other one in the element's title, shown on hover. Made once per request: its
/// formatters serve every time of the page.
struct TimeDisplay {
    let zone: TimeZone
    let isUTC: Bool
    private let utcFormatter: DateFormatter
    private let zoneFormatter: DateFormatter
    private let isoFormatter = ISO8601DateFormatter()

    init(zoneIdentifier: String?) {
        let picked = zoneIdentifier.flatMap(TimeZone.init(identifier:))
        zone = picked ?? TimeZone(identifier: "UTC")!
        isUTC = picked == nil || ["UTC", "GMT", "Etc/UTC", "Etc/GMT", "Zulu"].contains(zoneIdentifier ?? "")
        utcFormatter = Self.formatter("yyyy-MM-dd HH:mm:ss.SSS", in: TimeZone(identifier: "UTC")!)
        zoneFormatter = Self.formatter("yyyy-MM-dd HH:mm:ss.SSS", in: zone)
    }

    /// The zone's name as the user picked it.
    var name: String { isUTC ? "UTC" : zone.identifier }

    func html(unixNano: UInt64) -> String {
        let date = Date(timeIntervalSince1970: Double(unixNano / 1_000) / 1e6)
        let utc = utcFormatter.string(from: date) + " UTC"
        let shown = isUTC ? utc : zoneFormatter.string(from: date) + " " + zone.identifier
        let title = isUTC ? "" : " title=\"\(HTML.text(utc))\""
        return "<time datetime=\"\(isoFormatter.string(from: date))\"\(title)>\(HTML.text(shown))</time>"
    }

    /// `yyyy-MM-dd` of each of `count` UTC days, the last one holding `lastDay` (unix seconds).
    static func utcDays(count: Int, endingAt lastDay: Double) -> [String] {
        let formatter = formatter("yyyy-MM-dd", in: TimeZone(identifier: "UTC")!)
        return (0..<count).map { formatter.string(from: Date(timeIntervalSince1970: lastDay - Double(count - 1 - $0) * 86400)) }
    }

    private static func formatter(_ format: String, in zone: TimeZone) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = format
        return formatter
    }
}
