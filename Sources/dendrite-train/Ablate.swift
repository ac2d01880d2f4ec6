import ArgumentParser
import Dendrites
import Foundation

struct Ablate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train every architecture × swept option × seed, on local cores or as a Slurm job array, and summarize.",
        discussion: """
        Each run is one line of SWEEP/plan.tsv: `dendrite-train train --output SWEEP/<run> --resume-existing \
        --hidden A --seed s [swept options] OPTIONS…`. Any option ablate does not know is passed on to train, \
        e.g. --epochs, --preset, --sparse-feedback, --mode, --images-per-epoch. Locally the runs go one per core \
        (--jobs) and each run's output goes to SWEEP/logs/<run>.log. With --slurm, ablate writes SWEEP/sweep.sbatch \
        (array task N runs line N of plan.tsv; finished runs are left out) and SWEEP/collect.sbatch, submits both \
        (collect waits for the array: --dependency=afterany) and prints the job ids; --dry-run only writes them. \
        The sweep directory receives summary.csv and summary.md (final test error, per-layer read-out accuracy and \
        update angles over seeds), summary_by_epoch.csv and test_error_by_epoch.svg (`dendrite-train collect SWEEP` \
        writes them again at any time). Started again with the same command, a sweep skips finished runs and \
        resumes unfinished ones from their checkpoints.
          dendrite-train ablate --hidden none 500 500,100 500,100,100 --seeds 5 --epochs 60
          dendrite-train ablate --hidden 500 --seeds 3 --epochs 5 --vary 'sparse-feedback=off|0.8'
          dendrite-train ablate --hidden 500 --seeds 5 --vary 'learning-rates=0.21,0.21|0.1,0.1' --epochs 10
          dendrite-train ablate --hidden 500 --seeds 3 --epochs 3 --vary 'options=none|--sparse-feedback 0.8|--symmetric-feedback'
          dendrite-train ablate --hidden none 500 --seeds 5 --epochs 60 --slurm --partition cpu --time 04:00:00 --mem 2G
        """
    )

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Architectures: hidden sizes each, e.g. none 500 500,100.", valueName: "sizes"))
    var hidden: [HiddenSizes] = [HiddenSizes([]), HiddenSizes([500]), HiddenSizes([500, 100]), HiddenSizes([500, 100, 100])]

    @Option(help: "Seeds per architecture and setting: 1…N (from --first-seed); default 5, with --paper 3 per depth.")
    var seeds: Int?

    @Flag(help: "The paper's experiments instead of --hidden and --vary: 784-10 … 784-500-100-100-10 over --seeds, the feedback variants at 784-500-10 (sparse, symmetric, noisy symmetric, backprop, random plateau times) and g_A = 0.05, 0.6 at 784-500-100-10 over --variant-seeds; 60 epochs in float32 unless --epochs or --precision says otherwise. Default sweep directory: Results/paper (`dendrite-train paper`).")
    var paper = false

    @Option(help: "With --paper: seeds of each variant (default 1).")
    var variantSeeds: Int?

    var seedCount: Int { seeds ?? (paper ? 3 : 5) }

    @Option(help: "The first seed.")
    var firstSeed: UInt64 = 1

    @Option(help: ArgumentHelp("Sweep a train option over values: OPTION=V1|V2|… ('off': option left out, 'on': a flag), or whole option sets: 'options=none|--sparse-feedback 0.8|--backprop'. Repeat for a grid.",
                               valueName: "option=values"))
    var vary: [String] = []

    @Option(help: "Local runs at a time (default: the number of cores).")
    var jobs: Int?

    @Option(help: ArgumentHelp("Sweep directory (default: Results/sweeps/ablate-<architectures>-<options>, the same for the same command).", valueName: "dir"))
    var sweep: String?

    @Option(help: ArgumentHelp("Run directories in the plan are relative to this directory, where cluster tasks start (default: the current directory).", valueName: "dir"))
    var root: String?

    // MARK: Slurm
    @Flag(help: "Submit the sweep to Slurm as a job array instead of running it here.")
    var slurm = false

    @Flag(help: "With --slurm: write the plan and the sbatch scripts, print them, submit nothing.")
    var dryRun = false

    @Option(help: "Slurm partition (--partition).")
    var partition: String?

    @Option(help: ArgumentHelp("Slurm time limit per run (--time), e.g. 04:00:00 or 1-00:00:00.", valueName: "time"))
    var time: String?

    @Option(help: "CPUs per run (--cpus-per-task).")
    var cpusPerTask = 1

    @Option(help: ArgumentHelp("Memory per run (--mem), e.g. 2G.", valueName: "size"))
    var mem: String?

    @Option(help: "Slurm account (--account).")
    var account: String?

    @Option(help: ArgumentHelp("At most this many array tasks at once (the %N of --array).", valueName: "N"))
    var throttle: Int?

    @Option(help: ArgumentHelp("dendrite-train as the cluster nodes see it (default: this binary's absolute path).", valueName: "path"))
    var executable: String?

    @Argument(parsing: .allUnrecognized, help: "Options passed on to every `train`.")
    var trainOptions: [String] = []

    static let setByAblate = ["seed", "output", "name", "hidden", "resume-existing"]

    func axes() throws -> [SweepAxis] {
        let axes = try vary.map { text -> SweepAxis in
            do { return try SweepAxis(parsing: text) } catch { throw ValidationError(String(describing: error)) }
        }
        for axis in axes where Self.setByAblate.contains(axis.option) {
            throw ValidationError("--vary \(axis.option): --\(axis.option) is set by ablate for each run; sweep it with \(axis.option == "seed" ? "--seeds" : axis.option == "hidden" ? "--hidden" : "another option")")
        }
        for axis in axes where axis.option == SweepAxis.optionSets {
            for value in axis.values {
                let given = CommandLineOptions.given(in: axis.arguments(for: value))
                if let forbidden = Self.setByAblate.first(where: given.contains) {
                    throw ValidationError("--vary options: '\(value)' sets --\(forbidden), which ablate sets for each run")
                }
                if let clash = given.first(where: CommandLineOptions.given(in: trainOptions).contains) {
                    throw ValidationError("--\(clash) is both swept (--vary options) and passed on to train; give it once")
                }
            }
        }
        if let repeated = Dictionary(grouping: axes, by: \.option).first(where: { $0.value.count > 1 })?.key {
            throw ValidationError("--vary \(repeated) is given twice; list all its values in one --vary")
        }
        if let clash = axes.first(where: { CommandLineOptions.given(in: trainOptions).contains($0.option) }) {
            throw ValidationError("--\(clash.option) is both swept (--vary) and passed on to train; give it once")
        }
        return axes
    }

    func validate() throws {
        if seedCount <= 0 { throw ValidationError("--seeds must be at least 1, not \(seedCount)") }
        if let variantSeeds, variantSeeds <= 0 { throw ValidationError("--variant-seeds must be at least 1, not \(variantSeeds)") }
        if variantSeeds != nil && !paper { throw ValidationError("--variant-seeds is for the paper's sweep; add --paper") }
        if paper {
            let given = CommandLineOptions.given(in: CommandLine.arguments)
            if given.contains("hidden") { throw ValidationError("--hidden is set by --paper (its depths are 0–3 hidden layers)") }
            if !vary.isEmpty { throw ValidationError("--vary cannot be combined with --paper; sweep the paper's variants with --paper alone") }
        }
        if let jobs, jobs <= 0 { throw ValidationError("--jobs must be at least 1, not \(jobs)") }
        if hidden.isEmpty { throw ValidationError("--hidden needs at least one architecture") }
        if cpusPerTask <= 0 { throw ValidationError("--cpus-per-task must be at least 1, not \(cpusPerTask)") }
        if let throttle, throttle <= 0 { throw ValidationError("--throttle must be at least 1, not \(throttle)") }
        if slurm, jobs != nil { throw ValidationError("--jobs is for local sweeps; with --slurm use --throttle") }
        if !slurm {
            let given = CommandLineOptions.given(in: CommandLine.arguments)
            for option in ["dry-run", "partition", "time", "mem", "account", "throttle", "cpus-per-task", "executable"] where given.contains(option) {
                throw ValidationError("--\(option) is for Slurm sweeps; add --slurm")
            }
        }
        for forbidden in Self.setByAblate where CommandLineOptions.given(in: trainOptions).contains(forbidden) {
            throw ValidationError("--\(forbidden) is set by ablate for each run; it cannot be passed on to train")
        }
        // Bad train options fail here, once, not in every run.
        _ = try plan()
    }

    /// The plan; every run's train command is checked by parsing it.
    func plan() throws -> SweepPlan {
        let axes = try axes()
        let seedList = (0..<UInt64(seedCount)).map { firstSeed + $0 }
        var plan: SweepPlan
        if paper {
            var options = trainOptions
            let given = CommandLineOptions.given(in: trainOptions)
            if !given.contains("epochs") { options += ["--epochs", "60"] }
            if !given.contains("precision") && !given.contains("mode") { options += ["--precision", "float32"] }
            plan = SweepPlan.paper(sweepDirectory: sweepDirectory(), seeds: seedList,
                                   variantSeeds: (0..<UInt64(variantSeeds ?? 1)).map { firstSeed + $0 },
                                   trainOptions: options, root: root.map { URL(fileURLWithPath: $0) })
        } else {
            plan = SweepPlan(sweepDirectory: sweepDirectory(), architectures: hidden.map(\.sizes),
                             seeds: seedList, axes: axes, trainOptions: trainOptions,
                             root: root.map { URL(fileURLWithPath: $0) })
        }
        var epochs = 1
        for run in plan.runs {
            do {
                let train = try Train.parse(run.trainArguments)
                let spec = try train.spec(trainingImages: 60_000, testImages: 10_000, arguments: run.trainArguments)
                epochs = max(epochs, spec.training.epochs)
            } catch {
                let setting = plan.settingLabel(run.setting)
                throw ValidationError("the options passed on to train\(setting.isEmpty ? "" : " (with \(setting))") are not valid: \(error is ConfigurationError ? CommandLineOptions.describe(error) : Train.message(for: error))")
            }
        }
        plan.epochs = epochs
        return plan
    }

    func sweepDirectory() -> URL {
        if let sweep { return URL(fileURLWithPath: sweep) }
        if paper { return URL(fileURLWithPath: "Results/paper") }
        let architectures = hidden.map { SweepPlan.hiddenOption($0.sizes).replacingOccurrences(of: ",", with: "-") }
        var options: [String] = []
        var skipNext = false
        for option in trainOptions {  // the data directory and --quiet do not change results
            if skipNext { skipNext = false; continue }
            if option == "--data" { skipNext = true; continue }
            if option.hasPrefix("--data=") || option == "--quiet" { continue }
            options.append(option.replacingOccurrences(of: "--", with: ""))
        }
        let varied = vary.map { "vary-" + $0 }
        let raw = (["ablate", architectures.joined(separator: "_"), "seeds\(seedCount)"] + varied + options).joined(separator: "-")
        let safe = String(raw.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
        return URL(fileURLWithPath: "Results/sweeps").appendingPathComponent(safe)
    }

    func run() throws {
        do {
            try runSweep()
        } catch let error as ExitCode {
            throw error
        } catch {
            fflush(stdout)
            FileHandle.standardError.write(Data("Error: \(CommandLineOptions.describe(error))\n".utf8))
            throw ExitCode.failure
        }
    }

    func runSweep() throws {
        let plan = try plan()
        if slurm, let partition { try SlurmSweep.checkPartition(partition) }  // before anything is written
        let command = CommandLine.arguments.map(ShellQuoting.quote).joined(separator: " ")
        let title = paper ? "The paper's experiments" : plan.axes.isEmpty ? "Hidden-layer ablation" : "Sweep"
        try plan.prepareDirectory(title: title, command: command)

        var pending: [SweepPlan.Run] = []
        for run in plan.runs {
            switch plan.action(for: RunStatus.of(run.directory)) {
            case .skip: print("  \(run.name): finished, skipped"); continue
            case .start: break
            case let .resume(done, planned): print("  \(run.name): resuming after epoch \(done) of \(planned)")
            case let .extend(from): print("  \(run.name): extending from \(from) to \(plan.epochs) epochs")
            }
            pending.append(run)
        }
        if slurm {
            try submit(plan, pending: pending)
        } else {
            try runLocally(plan, pending: pending)
        }
    }

    func submit(_ plan: SweepPlan, pending: [SweepPlan.Run]) throws {
        if pending.isEmpty {
            print("every run of \(plan.sweepDirectory.path) has finished: nothing to submit")
            try collectAndPrint(plan.sweepDirectory)
            return
        }
        var options = SlurmOptions()
        options.partition = partition
        options.time = time
        options.cpusPerTask = cpusPerTask
        options.memory = mem
        options.account = account
        options.throttle = throttle
        let binary = executable ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let tasks = pending.map(\.task)
        let scripts = try SlurmSweep.writeScripts(plan: plan, tasks: tasks, options: options, executable: binary)
        if dryRun {
            print("plan: \(plan.sweepDirectory.appendingPathComponent(SweepManifest.planFileName).path) (\(plan.runs.count) runs, \(pending.count) to run)")
            print("--- \(scripts.array.path)")
            print(try InputFile.readText(scripts.array.path), terminator: "")
            print("---")
            print("dry run: nothing submitted. To submit:")
            print("  job=$(sbatch --parsable \(ShellQuoting.quote(scripts.array.path)))")
            print("  sbatch --dependency=afterany:$job \(ShellQuoting.quote(scripts.collect.path))")
            return
        }
        let submission = try SlurmSweep.submit(plan: plan, tasks: tasks, scripts: scripts)
        print("submitted array job \(submission.arrayJob): \(pending.count) of \(plan.runs.count) runs (script \(scripts.array.path))")
        print("collect job \(submission.collectJob) runs when the array ends (afterany) and writes \(plan.sweepDirectory.appendingPathComponent("summary.md").path)")
        print("logs: \(plan.sweepDirectory.appendingPathComponent(SlurmSweep.logsDirectoryName).path)/slurm-\(submission.arrayJob)_<task>.out; watch with: squeue -j \(submission.arrayJob)")
        print(submission.arrayJob)
    }

    func runLocally(_ plan: SweepPlan, pending: [SweepPlan.Run]) throws {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let parallel = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        print("sweep: \(plan.runs.count) runs (\(pending.count) to run), \(parallel) at a time, in \(plan.sweepDirectory.path)")
        let logs = plan.sweepDirectory.appendingPathComponent(SlurmSweep.logsDirectoryName)
        let failures = FailureList()
        let slots = DispatchSemaphore(value: parallel)
        let group = DispatchGroup()
        // SIGINT/SIGTERM: no new runs; the running ones get the signal and stop at their next image.
        let children = ChildProcesses()
        Interrupts.install()
        Interrupts.onFirstSignal = { children.signalAll($0) }
        for run in pending {
            slots.wait()
            if Interrupts.request.reason != nil { slots.signal(); break }
            group.enter()
            let log = logs.appendingPathComponent(run.name + ".log")
            Thread.detachNewThread {
                defer { slots.signal(); group.leave() }
                do {
                    let status = try Self.runChild(executable: executable, arguments: ["train"] + run.trainArguments,
                                                   workingDirectory: plan.root, log: log, children: children)
                    if status != 0, let reason = Interrupts.request.reason, status == Interrupts.exitStatus(forReason: reason) {
                        print("  \(run.name): stopped by \(reason) (resumes from its last checkpoint)")
                    } else {
                        print(status == 0 ? "  \(run.name): done" : "  \(run.name): FAILED (exit \(status); see \(log.path))")
                        if status != 0 { failures.add(run.name) }
                    }
                } catch {
                    print("  \(run.name): FAILED to start: \(error)")
                    failures.add(run.name)
                }
                fflush(stdout)
            }
        }
        group.wait()
        if let reason = Interrupts.request.reason {
            FileHandle.standardError.write(Data("Interrupted by \(reason): finished runs are kept and stopped runs keep their checkpoints; the same command continues the sweep\n".utf8))
            throw ExitCode(Interrupts.exitStatus(forReason: reason))
        }
        try collectAndPrint(plan.sweepDirectory)
        if !failures.names.isEmpty {
            FileHandle.standardError.write(Data("Error: \(failures.names.count) run(s) failed: \(failures.names.sorted().joined(separator: ", "))\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Writes and prints the summary; lists missing runs (not an error here: failures are).
    func collectAndPrint(_ sweep: URL) throws {
        let collection = try SweepCollection.collect(sweepDirectory: sweep)
        print(collection.summary.markdown(title: collection.manifest.title, command: collection.manifest.command))
        print("summary: \(sweep.appendingPathComponent("summary.md").path)")
        print("figure: \(sweep.appendingPathComponent(AblationSummary.figureName).path)")
    }

    static func runChild(executable: String, arguments: [String], workingDirectory: URL, log: URL,
                         children: ChildProcesses? = nil) throws -> Int32 {
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        try handle.seekToEnd()
        handle.write(Data(("$ dendrite-train " + arguments.joined(separator: " ") + "\n").utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        process.standardOutput = handle
        process.standardError = handle
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"   // one core per run
        environment[ParentWatchdog.variable] = String(getpid())
        process.environment = environment
        try process.run()
        children?.add(process)
        process.waitUntilExit()
        children?.remove(process)
        return process.terminationStatus
    }
}

/// The runs a local sweep has started, to pass a SIGINT or SIGTERM on to them.
final class ChildProcesses: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [Process] = []
    func add(_ process: Process) { lock.lock(); running.append(process); lock.unlock() }
    func remove(_ process: Process) { lock.lock(); running.removeAll { $0 === process }; lock.unlock() }
    func signalAll(_ signalNumber: Int32) {
        lock.lock()
        defer { lock.unlock() }
        for process in running where process.isRunning { kill(process.processIdentifier, signalNumber) }
    }
}

final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ name: String) { lock.lock(); list.append(name); lock.unlock() }
    var names: [String] { lock.lock(); defer { lock.unlock() }; return list }
}

/// `dendrite-train paper`: the paper's sweep, `ablate --paper` with the same options.
struct Paper: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the paper's experiments as one resumable sweep (ablate --paper), on local cores or as a Slurm array.",
        discussion: """
        Depth: 784-10, 784-500-10, 784-500-100-10, 784-500-100-100-10 over --seeds (default 3). Feedback at \
        784-500-10: sparse (0.8, ×5), symmetric, noisy symmetric (0.05), the backprop control, random plateau \
        times; apical coupling at 784-500-100-10: g_A = 0.05 and 0.6; each over --variant-seeds (default 1). \
        Every run trains 60 epochs in float32 with the paper's learning rates for its depth, with every \
        measurement recorded, into Results/paper/<run> (or --sweep). Every option of `ablate` applies \
        (--jobs, --slurm, --partition, --time, --dry-run …), and unknown options go to every train. Started \
        again, the sweep skips finished runs and resumes the others from their checkpoints. \
        `dendrite-train report --sweep Results/paper` draws the figures across runs.
          dendrite-train paper --jobs 2
          dendrite-train paper --seeds 5 --slurm --partition cpu --time 12:00:00 --mem 2G
        """
    )

    @Argument(parsing: .captureForPassthrough, help: "Options of `ablate` (see `dendrite-train ablate --help`).")
    var arguments: [String] = []

    func run() throws {
        let ablate = try Ablate.parse(["--paper"] + arguments)
        try ablate.run()
    }
}
