import ArgumentParser
import Dendrites
import Foundation

struct Collect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarize a sweep's finished runs and list the runs that are missing.",
        discussion: """
        Writes summary.csv, summary.md, summary_by_epoch.csv and test_error_by_epoch.svg into SWEEP_DIR from \
        its finished runs (the same files a local `ablate` writes), then lists every run that has not trained \
        its epochs, with its Slurm log (logs/slurm-<job>_<task>.out) or local log. Exits with status 1 if any \
        run is missing. A Slurm sweep submits this as a job that runs after its array (--dependency=afterany).
          dendrite-train collect Results/sweeps/ablate-none_500-seeds5-epochs60
        """
    )

    @Argument(help: ArgumentHelp("The sweep directory (it holds sweep.json and plan.tsv).", valueName: "sweep-dir"))
    var sweepDirectory: String

    func run() throws {
        let collection: SweepCollection
        do {
            collection = try SweepCollection.collect(sweepDirectory: URL(fileURLWithPath: sweepDirectory))
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let sweep = collection.plan.sweepDirectory
        print(collection.summary.markdown(title: collection.manifest.title, command: collection.manifest.command))
        print("summary: \(sweep.appendingPathComponent("summary.md").path)")
        print("figure: \(sweep.appendingPathComponent(AblationSummary.figureName).path)")
        let total = collection.plan.runs.count
        if collection.missing.isEmpty {
            print("all \(total) runs finished")
            return
        }
        fflush(stdout)
        var report = "Error: \(collection.missing.count) of \(total) runs are missing or failed:\n"
        for missing in collection.missing { report += "  \(missing.description)\n" }
        report += "Run the same `ablate` command again to resume them (finished runs are skipped).\n"
        FileHandle.standardError.write(Data(report.utf8))
        throw ExitCode.failure
    }
}
