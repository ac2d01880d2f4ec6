import ArgumentParser
import Dendrites
import Foundation

/// What a Slurm array task runs: line TASK of a sweep's plan.tsv, as `dendrite-train train`
/// with that line's arguments. The line is read by `SweepManifest.taskArguments`, not by a
/// shell, so an edited plan cannot run commands.
struct SweepTask: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep-task",
        abstract: "Run task N of a sweep's plan.tsv (what sweep.sbatch runs for each array task).",
        shouldDisplay: false
    )

    @Argument(help: ArgumentHelp("The sweep's plan.tsv.", valueName: "plan"))
    var plan: String

    @Argument(help: ArgumentHelp("The task number (the line's first field; SLURM_ARRAY_TASK_ID).", valueName: "task"))
    var task: Int

    func run() throws {
        let arguments: [String]
        do {
            arguments = try SweepManifest.taskArguments(planFile: URL(fileURLWithPath: plan), task: task)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        // Replaces this process with `dendrite-train train …`, exactly as the command line would.
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let argv = ([executable, "train"] + arguments).map { strdup($0) } + [nil]
        execv(executable, argv)
        FileHandle.standardError.write(Data("Error: could not run \(executable): \(String(cString: strerror(errno)))\n".utf8))
        throw ExitCode.failure
    }
}
