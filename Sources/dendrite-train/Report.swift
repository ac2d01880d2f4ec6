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
    var runs: [String] = []

    @Option(help: ArgumentHelp("A sweep directory (ablate, paper): write its summary and the figures across its runs (test error per epoch and against depth, update and weight angles, Theorem 1's eigenvalue, the read-out hierarchy, the variants), each group's mean over seeds with a min–max band, and an index.html, into the sweep directory.", valueName: "dir"))
    var sweep: String?

    @Option(help: ArgumentHelp("Write the figures and index.html here instead (for runs: DIR/<run directory name>/), e.g. for a read-only run directory.", valueName: "dir"))
    var output: String?

    func validate() throws {
        if runs.isEmpty && sweep == nil { throw ValidationError("give at least one run directory, or --sweep DIR") }
        if !runs.isEmpty && sweep != nil { throw ValidationError("give run directories or --sweep DIR, not both") }
    }

    func run() throws {
        do {
            if let sweep {
                let directory = URL(fileURLWithPath: sweep)
                let collection = try SweepCollection.collect(sweepDirectory: directory)
                let markdown = collection.summary.markdown(title: collection.manifest.title, command: collection.manifest.command)
                print(markdown)
                let page = try SweepReport(sweepDirectory: directory).write(summaryMarkdown: markdown, into: output.map { URL(fileURLWithPath: $0) })
                for run in collection.missing { print("  not finished: \(run.description)") }
                print("figures: \(page.path)")
                return
            }
            let summaries = try runs.map { try RunSummary(directory: URL(fileURLWithPath: $0)) }
            let destination = output.map { URL(fileURLWithPath: $0) }
            let table = try RunReport.write(summaries, into: destination)
            print(table, terminator: "")
            for s in summaries {
                print("figures: \(RunReport.destination(of: s, output: destination).appendingPathComponent("index.html").path)")
            }
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
