import SafeText

/// A plain text table with columns padded to their widest cell. Cells hold client text (models,
/// services, prompts), so each is escaped: a newline or an escape sequence in a model name
/// shows as `\n` or `\u{1B}`, never as a forged row or a terminal command.
struct Table {
    var header: [String]
    var rows: [[String]]

    init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows.map { $0.map(SafeText.escaped) }
    }

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// One line of at most `width` characters.
    static func clip(_ text: String, _ width: Int) -> String {
        let line = text.replacingOccurrences(of: "\n", with: " ")
        return line.count <= width ? line : String(line.prefix(width - 1)) + "…"
    }
}

import Foundation
