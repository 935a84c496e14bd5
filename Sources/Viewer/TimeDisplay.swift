import Foundation

/// Times as the viewer shows them: in the zone the user picked (UTC unless a cookie says
/// otherwise), the other one in the element's title, shown on hover.
struct TimeDisplay: Sendable {
    let zone: TimeZone
    let isUTC: Bool

    init(zoneIdentifier: String?) {
        let picked = zoneIdentifier.flatMap(TimeZone.init(identifier:))
        zone = picked ?? TimeZone(identifier: "UTC")!
        isUTC = picked == nil || ["UTC", "GMT", "Etc/UTC", "Etc/GMT", "Zulu"].contains(zoneIdentifier ?? "")
    }

    /// The zone's name as the user picked it.
    var name: String { isUTC ? "UTC" : zone.identifier }

    func html(unixNano: UInt64) -> String {
        let date = Date(timeIntervalSince1970: Double(unixNano / 1_000) / 1e6)
        let utc = Self.format(date, in: TimeZone(identifier: "UTC")!) + " UTC"
        let local = Self.format(date, in: zone) + " " + zone.identifier
        let shown = isUTC ? utc : local
        let other = isUTC ? "" : utc
        let iso = ISO8601DateFormatter().string(from: date)
        return "<time datetime=\"\(iso)\"\(other.isEmpty ? "" : " title=\"\(HTML.text(other))\"")>\(HTML.text(shown))</time>"
    }

    static func format(_ date: Date, in zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        return formatter.string(from: date)
    }
}
