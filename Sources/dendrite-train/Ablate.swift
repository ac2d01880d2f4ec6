import ArgumentParser
import Dendrites
import Foundation

struct Ablate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train every architecture for every seed, in parallel, and summarize the final test errors.",
        discussion: """
        Each run is a child process `dendrite-train train --output SWEEP/<network>-seed<s> --hidden A --seed s \
        OPTIONS…`, one per core at a time (--jobs). Any other option is passed on to train, e.g. \
        --epochs, --preset, --sparse-feedback, --mode, --images-per-epoch. The sweep directory receives \
        summary.csv and summary.md (final test error, per-layer read-out accuracy and update angles over \
        seeds), summary_by_epoch.csv and test_error_by_epoch.svg; each run's output goes to SWEEP/logs/. \
        Started again with the same command, an ablation skips finished runs and resumes unfinished ones; \
        on a finished sweep it only rewrites the summary and the figure.
          dendrite-train ablate --hidden none 500 500,100 500,100,100 --seeds 5 --epochs 60
          dendrite-train ablate --hidden none 500 --seeds 3 --epochs 5 --sparse-feedback 0.8
        """
    )

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Architectures: hidden sizes each, e.g. none 500 500,100.", valueName: "sizes"))
    var hidden: [HiddenSizes] = [HiddenSizes([]), HiddenSizes([500]), HiddenSizes([500, 100]), HiddenSizes([500, 100, 100])]

    @Option(help: "Seeds per architecture: 1…N (from --first-seed).")
    var seeds = 5

    @Option(help: "The first seed.")
    var firstSeed: UInt64 = 1

    @Option(help: "Runs at a time (default: the number of cores).")
    var jobs: Int?

    @Option(help: ArgumentHelp("Sweep directory (default: Results/sweeps/ablate-<architectures>-<options>, the same for the same command).", valueName: "dir"))
    var sweep: String?

    @Argument(parsing: .allUnrecognized, help: "Options passed on to every `train`.")
    var trainOptions: [String] = []

    func validate() throws {
        if seeds <= 0 { throw ValidationError("--seeds must be at least 1, not \(seeds)") }
        if let jobs, jobs <= 0 { throw ValidationError("--jobs must be at least 1, not \(jobs)") }
        if hidden.isEmpty { throw ValidationError("--hidden needs at least one architecture") }
        // Bad train options fail here, once, not in every run.
        for architecture in hidden {
            do {
                _ = try Train.parse(["--hidden", AblationPlan.hiddenOption(architecture.sizes)] + trainOptions)
            } catch {
                throw ValidationError("the options passed on to train are not valid: \(Train.message(for: error))")
            }
        }
        for forbidden in ["seed", "output", "name", "hidden"] where Preset.givenOptions(in: trainOptions).contains(forbidden) {
            throw ValidationError("--\(forbidden) is set by ablate for each run; it cannot be passed on to train")
        }
    }

    func sweepDirectory() -> URL {
        if let sweep { return URL(fileURLWithPath: sweep) }
        let architectures = hidden.map { AblationPlan.hiddenOption($0.sizes).replacingOccurrences(of: ",", with: "-") }
        var options: [String] = []
        var skipNext = false
        for option in trainOptions {  // the data directory and --quiet do not change results
            if skipNext { skipNext = false; continue }
            if option == "--data" { skipNext = true; continue }
            if option.hasPrefix("--data=") || option == "--quiet" { continue }
            options.append(option.replacingOccurrences(of: "--", with: ""))
        }
        let raw = (["ablate", architectures.joined(separator: "_"), "seeds\(seeds)"] + options).joined(separator: "-")
        let safe = String(raw.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
        return URL(fileURLWithPath: "Results/sweeps").appendingPathComponent(safe)
    }

    func run() throws {
        let plan = AblationPlan(sweepDirectory: sweepDirectory(), architectures: hidden.map(\.sizes),
                                seeds: (0..<UInt64(seeds)).map { firstSeed + $0 })
        let logs = plan.sweepDirectory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let command = CommandLine.arguments.joined(separator: " ")
        try AtomicFile.write(Data((command + "\n").utf8), to: plan.sweepDirectory.appendingPathComponent("command.txt"))
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let parallel = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        print("ablation: \(plan.runs.count) runs, \(parallel) at a time, in \(plan.sweepDirectory.path)")

        // An explicit --epochs larger than a run's own extends it (resume --epochs).
        var requestedEpochs: Int? = nil
        for (i, option) in trainOptions.enumerated() {
            if option == "--epochs", i + 1 < trainOptions.count { requestedEpochs = Int(trainOptions[i + 1]) }
            if option.hasPrefix("--epochs=") { requestedEpochs = Int(option.dropFirst("--epochs=".count)) }
        }
        var work: [(AblationPlan.Run, [String])] = []
        for run in plan.runs {
            switch RunStatus.of(run.directory) {
            case let .finished(epochs) where requestedEpochs.map({ $0 > epochs }) ?? false,
                 let .unfinished(_, epochs) where requestedEpochs.map({ $0 > epochs }) ?? false:
                print("  \(run.directory.lastPathComponent): extending from \(epochs) to \(requestedEpochs!) epochs")
                work.append((run, ["resume", run.directory.path, "--quiet", "--epochs", String(requestedEpochs!)]))
            case let .finished(epochs):
                print("  \(run.directory.lastPathComponent): finished (\(epochs) epochs), skipped")
            case let .unfinished(done, epochs):
                print("  \(run.directory.lastPathComponent): resuming after epoch \(done) of \(epochs)")
                work.append((run, ["resume", run.directory.path, "--quiet"]))
            case .absent:
                if FileManager.default.fileExists(atPath: run.directory.path) {
                    try FileManager.default.removeItem(at: run.directory)  // killed before its first checkpoint
                }
                work.append((run, ["train", "--output", run.directory.path, "--hidden", AblationPlan.hiddenOption(run.architecture),
                                   "--seed", String(run.seed), "--quiet"] + trainOptions))
            }
        }

        let failures = FailureList()
        let slots = DispatchSemaphore(value: parallel)
        let group = DispatchGroup()
        for (run, arguments) in work {
            slots.wait()
            group.enter()
            let log = logs.appendingPathComponent(run.directory.lastPathComponent + ".log")
            Thread.detachNewThread {
                defer { slots.signal(); group.leave() }
                let name = run.directory.lastPathComponent
                do {
                    let status = try Self.runChild(executable: executable, arguments: arguments, log: log)
                    print(status == 0 ? "  \(name): done" : "  \(name): FAILED (exit \(status); see \(log.path))")
                    if status != 0 { failures.add(name) }
                } catch {
                    print("  \(name): FAILED to start: \(error)")
                    failures.add(name)
                }
                fflush(stdout)
            }
        }
        group.wait()

        let summary = try AblationSummary.collect(plan)
        try summary.write(to: plan.sweepDirectory, title: "Hidden-layer ablation", command: command)
        print(summary.markdown(title: "Hidden-layer ablation", command: command))
        print("summary: \(plan.sweepDirectory.appendingPathComponent("summary.md").path)")
        print("figure: \(plan.sweepDirectory.appendingPathComponent(AblationSummary.figureName).path)")
        if !failures.names.isEmpty {
            FileHandle.standardError.write(Data("Error: \(failures.names.count) run(s) failed: \(failures.names.sorted().joined(separator: ", "))\n".utf8))
            throw ExitCode.failure
        }
    }

    static func runChild(executable: String, arguments: [String], log: URL) throws -> Int32 {
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        try handle.seekToEnd()
        handle.write(Data(("$ dendrite-train " + arguments.joined(separator: " ") + "\n").utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"   // one core per run
        environment[ParentWatchdog.variable] = String(getpid())
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ name: String) { lock.lock(); list.append(name); lock.unlock() }
    var names: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
