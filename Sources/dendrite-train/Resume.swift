import ArgumentParser
import Dendrites
import Foundation

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue a run from its last checkpoint (the end of its last finished epoch).",
        discussion: """
        Reads config.json and checkpoint.json of RUN_DIR, drops the CSV rows of any unfinished \
        epoch, and trains the remaining epochs, appending to the run's files. The result is \
        exactly that of an uninterrupted run with the same seed. TensorBoard logging goes on in \
        a new event file whose steps continue the earlier ones (events past the checkpoint are \
        dropped from the earlier files, as the CSV rows are).
          dendrite-train resume Results/runs/20261122-230000-spiking-784-500-10
          dendrite-train resume RUN_DIR --epochs 60     # extend a finished run
        """
    )

    @Argument(help: ArgumentHelp("The run directory.", valueName: "run-dir"))
    var runDirectory: String

    @Option(help: "Train until this many epochs in all (default: the run's own --epochs).")
    var epochs: Int?

    @Option(help: ArgumentHelp("Directory with the four IDX files (default: the run's data directory).", valueName: "dir"))
    var data: String?

    @Flag(inversion: .prefixedNo, help: "Write (or stop writing) TensorBoard event files from now on, and record it in config.json (default: as the run did; runs recorded before TensorBoard support did not).")
    var tensorboard: Bool?

    @Flag(help: "No progress bar.")
    var quiet = false

    func run() throws {
        ParentWatchdog.startIfRequested()
        Interrupts.install()
        do {
            let directory = URL(fileURLWithPath: runDirectory)
            guard let checkpoint = try Checkpoint.read(from: directory) else {
                throw CheckpointError("\(runDirectory) has no \(Checkpoint.fileName): nothing to resume")
            }
            var dataset: ImageDataset? = nil
            if let data {
                let record = try RunRecord.read(from: directory)
                dataset = try TrainingRun.loadDataset(record.dataset, explicit: data)
            }
            print("resuming \(runDirectory) after epoch \(checkpoint.completedEpochs)")
            let summaries = try TrainingRun.resume(directory: directory, dataset: dataset, epochs: epochs, tensorboard: tensorboard,
                                                   observers: [ProgressBar(enabled: !quiet)], stop: Interrupts.request)
            if let last = summaries.last {
                print(String(format: "final test error: %.2f%% (epoch %d)", last.testError, last.epoch))
            } else {
                print("the run was already complete")
            }
            print("results: \(runDirectory)")
        } catch {
            if let error = error as? TrainingError, let exit = Interrupts.report(error, runDirectory: runDirectory) { throw exit }
            let message = CommandLineOptions.describe(error)
            fflush(stdout)
            FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// Runs started by `ablate` get DENDRITES_PARENT_PID: they exit as soon as that process is
/// gone, so a killed sweep leaves no orphan runs that a restarted sweep would collide with.
/// (What they leave is an unfinished run that the restarted sweep resumes.)
enum ParentWatchdog {
    static let variable = "DENDRITES_PARENT_PID"

    static func startIfRequested() {
        guard let text = ProcessInfo.processInfo.environment[variable], let parent = Int32(text) else { return }
        Thread.detachNewThread {
            while getppid() == parent { usleep(200_000) }
            _exit(3)
        }
    }
}
