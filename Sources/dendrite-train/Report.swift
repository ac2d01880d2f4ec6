import ArgumentParser
import Dendrites
import Foundation

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarize runs and draw their figures (SVG) and an index.html into each run directory.",
        discussion: """
        Examples:
          dendrite-train report Results/runs/20261122-230000-spiking-784-500-10
          dendrite-train report Results/runs/run-a Results/runs/run-b    # test errors overlaid

        Each run directory receives test_error.svg (all the runs given, overlaid), loss.svg, \
        update_angles.svg, weight_angles.svg, jacobian.svg, layer_accuracy.svg, \
        receptive_fields.svg (those with data) and index.html, a static page showing the \
        configuration, the summary and every figure.
        """
    )

    @Argument(help: ArgumentHelp("Run directories (each holds a config.json).", valueName: "run-dir"))
    var runs: [String]

    func validate() throws {
        if runs.isEmpty { throw ValidationError("give at least one run directory") }
    }

    func run() throws {
        do {
            let summaries = try runs.map { try RunSummary(directory: URL(fileURLWithPath: $0)) }
            let table = try RunReport.write(summaries)
            print(table, terminator: "")
            for s in summaries { print("figures: \(s.directory.appendingPathComponent("index.html").path)") }
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
