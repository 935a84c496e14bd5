import ArgumentParser
import Ingest

struct Limits: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every limit of the receiver: as a table, as INGATE_LIMIT_* lines (--env, for nginx/render) or as the README's table (--markdown).")

    @Flag(help: "INGATE_LIMIT_NAME=value lines.") var env = false
    @Flag(help: "The Markdown table of the README.") var markdown = false

    func run() {
        if env {
            print(ReceiverLimits.environment)
        } else if markdown {
            print(ReceiverLimits.markdown)
        } else {
            print(Table(header: ["LIMIT", "VALUE", "CROSSING IT"], rows: ReceiverLimits.all.map { [$0.bound, $0.shown, $0.crossing] }).render())
        }
    }
}
