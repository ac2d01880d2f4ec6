import Foundation
import Testing
import Dendrites

// Sweeps as plans (plan.tsv, sweep.json), option sweeps, Slurm scripts and `collect` (issue 7).
// The test against a real Slurm is in SlurmTests.swift.

@Suite("Sweep plans")
struct SweepPlanTests {
    @Test("--vary parses OPTION=V1|V2, and 'off'/'on' leave an option out or give a flag")
    func axes() throws {
        let rates = try SweepAxis(parsing: "--learning-rates=0.21,0.21|0.1,0.1")
        #expect(rates.option == "learning-rates" && rates.values == ["0.21,0.21", "0.1,0.1"])
        #expect(rates.arguments(for: "0.1,0.1") == ["--learning-rates", "0.1,0.1"])
        let symmetric = try SweepAxis(parsing: "symmetric-feedback=off|on")
        #expect(symmetric.arguments(for: "off") == [] && symmetric.arguments(for: "on") == ["--symmetric-feedback"])
        let variants = try SweepAxis(parsing: "options=none|--sparse-feedback 0.8|--symmetric-feedback")
        #expect(variants.values.map(variants.arguments) == [[], ["--sparse-feedback", "0.8"], ["--symmetric-feedback"]])
        for bad in ["sparse-feedback", "=0.8", "sparse-feedback=0.8||0.9", "sparse-feedback=0.8|0.8", "sparse feedback=1"] {
            #expect(throws: SweepError.self, "\(bad)") { try SweepAxis(parsing: bad) }
        }
    }

    @Test("The plan is the grid architectures × settings × seeds, with stable task numbers and names")
    func grid() throws {
        let root = URL(fileURLWithPath: "/scratch/lab")
        let plan = SweepPlan(sweepDirectory: URL(fileURLWithPath: "/scratch/lab/sweeps/s"), architectures: [[], [500, 100]],
                             seeds: [1, 2], axes: [SweepAxis(option: "sparse-feedback", values: ["off", "0.8"])],
                             trainOptions: ["--epochs", "3"], epochs: 3, root: root)
        #expect(plan.settings == [["off"], ["0.8"]])
        #expect(plan.groups.count == 4)
        let runs = plan.runs
        #expect(runs.map(\.task) == Array(1...8))
        #expect(runs.map(\.name) == ["784-10-sparse-feedback_off-seed1", "784-10-sparse-feedback_off-seed2",
                                     "784-10-sparse-feedback_0.8-seed1", "784-10-sparse-feedback_0.8-seed2",
                                     "784-500-100-10-sparse-feedback_off-seed1", "784-500-100-10-sparse-feedback_off-seed2",
                                     "784-500-100-10-sparse-feedback_0.8-seed1", "784-500-100-10-sparse-feedback_0.8-seed2"])
        #expect(runs[2].planPath == "sweeps/s/784-10-sparse-feedback_0.8-seed1")
        #expect(runs[2].trainArguments == ["--output", "sweeps/s/784-10-sparse-feedback_0.8-seed1", "--resume-existing", "--quiet",
                                           "--hidden", "none", "--seed", "1", "--sparse-feedback", "0.8", "--epochs", "3"])
        #expect(runs[5].trainArguments.contains("500,100") && !runs[5].trainArguments.contains("--sparse-feedback"))
        #expect(plan.settingLabel(["0.8"]) == "sparse-feedback=0.8")

        // Without axes the names are those of the local ablate before issue 7.
        let plain = SweepPlan(sweepDirectory: URL(fileURLWithPath: "/x/s"), architectures: [[20]], seeds: [3], root: root)
        #expect(plain.runs.map(\.name) == ["784-20-10-seed3"])
        #expect(plain.runs[0].planPath == "/x/s/784-20-10-seed3")  // outside the root: absolute
    }

    @Test("Finished runs are skipped; others start, resume, or are extended to the plan's epochs")
    func actions() {
        let plan = SweepPlan(sweepDirectory: URL(fileURLWithPath: "/x/s"), architectures: [[]], seeds: [1], epochs: 3)
        #expect(plan.action(for: .absent) == .start)
        #expect(plan.action(for: .finished(epochs: 3)) == .skip)
        #expect(plan.action(for: .finished(epochs: 5)) == .skip)
        #expect(plan.action(for: .finished(epochs: 2)) == .extend(from: 2))
        #expect(plan.action(for: .unfinished(completedEpochs: 1, epochs: 3)) == .resume(afterEpoch: 1, of: 3))
        #expect(plan.action(for: .unfinished(completedEpochs: 1, epochs: 2)) == .extend(from: 2))
        #expect(plan.action(for: .unfinished(completedEpochs: 3, epochs: 6)) == .skip)
    }

    @Test("plan.tsv quotes for the shell: bash gives every run's arguments back unchanged")
    func shellRoundTrip() throws {
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let odd = ["--name", "it's a \"test\" $HOME `x`", "--learning-rates", "0.21,0.21", "--data", "/a b/c"]
        let plan = SweepPlan(sweepDirectory: parent.appendingPathComponent("my sweep"), architectures: [[20]], seeds: [1],
                             trainOptions: odd, root: parent)
        try SweepManifest(plan: plan, title: "t", command: "c").write(plan: plan)
        let table = try String(contentsOf: plan.sweepDirectory.appendingPathComponent("plan.tsv"), encoding: .utf8)
        let line = try #require(table.split(separator: "\n").first { $0.hasPrefix("1\t") })
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        #expect(fields.count == 3 && fields[1] == "my sweep/784-20-10-seed1")
        // The same `eval` the array script uses.
        let result = try runCapturing("/bin/bash", ["-c", "eval \"set -- $0\"; printf '%s\\n' \"$@\"", String(fields[2])])
        #expect(result.status == 0)
        #expect(result.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
                == plan.runs[0].trainArguments)
        #expect(ShellQuoting.quote("plain-1.0,2") == "plain-1.0,2" && ShellQuoting.quote("") == "''")
    }

    @Test("sweep.json round-trips; another version, another format or none at all is a clear error")
    func manifest() throws {
        let sweep = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: sweep) }
        let plan = SweepPlan(sweepDirectory: sweep, architectures: [[], [20]], seeds: [1, 2],
                             axes: [SweepAxis(option: "symmetric-feedback", values: ["off", "on"])], trainOptions: ["--mode", "rate"],
                             epochs: 2, root: sweep.deletingLastPathComponent())
        #expect(throws: SweepError.self) { try SweepManifest.read(from: sweep) }   // none yet
        let written = SweepManifest(plan: plan, title: "Sweep", command: "dendrite-train ablate …")
        try written.write(plan: plan)
        let read = try SweepManifest.read(from: sweep)
        #expect(read == written)
        let again = read.plan(sweepDirectory: sweep)
        #expect(again.runs.map(\.trainArguments) == plan.runs.map(\.trainArguments) && again.epochs == 2)

        let url = sweep.appendingPathComponent("sweep.json")
        let text = try String(contentsOf: url, encoding: .utf8)
        try text.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 7").write(to: url, atomically: true, encoding: .utf8)
        do {
            _ = try SweepManifest.read(from: sweep)
            Issue.record("a sweep of format 7 was read")
        } catch let error as SweepError {
            #expect(error.description.contains("another version") && error.description.contains("format 7"))
        }
        try "{\"format\": \"something-else\", \"version\": 1}".write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: SweepError.self) { try SweepManifest.read(from: sweep) }
        try "{not json".write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: SweepError.self) { try SweepManifest.read(from: sweep) }
        #expect(throws: SweepError.self) { try SweepManifest.read(from: sweep.appendingPathComponent("nowhere")) }
    }

    @Test("Slurm array specification: sorted ranges with the throttle")
    func arraySpecification() {
        #expect(SlurmSweep.arraySpecification(tasks: [1, 2, 3, 4, 5, 6], throttle: nil) == "1-6")
        #expect(SlurmSweep.arraySpecification(tasks: [7, 1, 2, 3, 5], throttle: 2) == "1-3,5,7%2")
        #expect(SlurmSweep.arraySpecification(tasks: [4], throttle: 8) == "4%8")
    }

    @Test("plan.tsv words are read back without a shell: quote's output only, no expansion or other syntax")
    func splitting() throws {
        let words = ["--output", "sweeps/a b/run", "--vary", "it's", "options=--sparse-feedback 0.8", "$(touch x)", "`id`", "a;b", ""]
        let line = words.map(ShellQuoting.quote).joined(separator: " ")
        #expect(try ShellQuoting.split(line) == words)
        #expect(try ShellQuoting.split("") == [])
        for bad in ["$(touch /tmp/x)", "--seed `id`", "a;b", "a  b", "a ", "'unterminated", "a\\ b", "\"double\"", "a\tb", "x\ny", "~/x", "*"] {
            #expect(throws: SweepError.self, "\(bad)") { try ShellQuoting.split(bad) }
        }
        // An edited plan line is refused with its file and line.
        let dir = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("plan.tsv")
        try "# comment\n1\truns/a\t--output runs/a --seed 1\n2\truns/b\t--output runs/b $(reboot)\n3\tbroken\n".write(to: plan, atomically: true, encoding: .utf8)
        #expect(try SweepManifest.taskArguments(planFile: plan, task: 1) == ["--output", "runs/a", "--seed", "1"])
        do {
            _ = try SweepManifest.taskArguments(planFile: plan, task: 2)
            Issue.record("an edited plan line was accepted")
        } catch let error as SweepError {
            #expect(error.description.contains("plan.tsv, line 3") && error.description.contains("'$'"))
        }
        #expect(throws: SweepError.self) { try SweepManifest.taskArguments(planFile: plan, task: 3) }
        #expect(throws: SweepError.self) { try SweepAxis(parsing: "seed-note=a\nb|c") }
    }

    @Test("The array script runs line N of plan.tsv for task N, with the resources asked for")
    func arrayScript() throws {
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let plan = SweepPlan(sweepDirectory: parent.appendingPathComponent("s"), architectures: [[], [20]], seeds: [1, 2],
                             trainOptions: ["--mode", "rate"], root: parent)
        try SweepManifest(plan: plan, title: "t", command: "c").write(plan: plan)
        var options = SlurmOptions()
        options.partition = "cpu"
        options.time = "01:00:00"
        options.memory = "2G"
        options.account = "lab"
        options.cpusPerTask = 2
        options.throttle = 3
        let script = SlurmSweep.arrayScript(plan: plan, tasks: [2, 3, 4], options: options, executable: "/opt/dendrite-train")
        for directive in ["#SBATCH --array=2-4%3", "#SBATCH --partition=cpu", "#SBATCH --time=01:00:00", "#SBATCH --mem=2G",
                          "#SBATCH --account=lab", "#SBATCH --cpus-per-task=2",
                          "#SBATCH --output=\(plan.sweepDirectory.path)/logs/slurm-%A_%a.out"] {
            #expect(script.contains(directive + "\n"), "\(directive)")
        }
        // Run it as a task would, with a stand-in for dendrite-train that prints its arguments.
        let fake = parent.appendingPathComponent("fake-train")
        try "#!/bin/bash\nprintf '%s\\n' \"$PWD\" \"$@\"\n".write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        let scriptURL = parent.appendingPathComponent("task.sbatch")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        let result = try runCapturing("/bin/bash", [scriptURL.path], environment: ["SLURM_ARRAY_TASK_ID": "3", "DENDRITE_TRAIN": fake.path])
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.dropFirst().first == parent.path)                        // started in the root
        let planFile = plan.sweepDirectory.appendingPathComponent("plan.tsv")
        #expect(Array(lines.dropFirst(2)) == ["sweep-task", planFile.path, "3"])
        #expect(!script.contains("eval"))
        // What sweep-task runs: line 3 of the plan, read without a shell.
        #expect(try SweepManifest.taskArguments(planFile: planFile, task: 3) == plan.runs[2].trainArguments)
        #expect(throws: SweepError.self) { try SweepManifest.taskArguments(planFile: planFile, task: 99) }

        let collect = SlurmSweep.collectScript(plan: plan, options: options, executable: "/opt/dendrite-train")
        #expect(collect.contains("collect \(plan.sweepDirectory.path)") && collect.contains("#SBATCH --cpus-per-task=1\n"))
    }

    @Test("RunRecord.differences names what makes another run, and ignores epochs, date and command")
    func recordDifferences() throws {
        let network = NetworkConfiguration(hiddenSizes: [20])
        let training = TrainingOptions(learningRates: [0.21, 0.21])
        let a = RunRecord(mode: .rate, precision: .float64, network: network, training: training, dataset: .mnist,
                          dataDirectory: "/d", initialWeights: "random", pixelOrder: .rowMajor, commandLine: ["a"])
        var b = a
        b.training.epochs = 9
        b.commandLine = ["b"]
        b.date = "later"
        b.dataDirectory = "/elsewhere"
        #expect(a.differences(from: b).isEmpty)
        b.training.seed = 2
        b.network.hiddenSizes = [30]
        b.mode = .spiking
        #expect(a.differences(from: b) == ["mode", "network", "training options"])
    }
}

@Suite("Sweep summaries with swept options")
struct SweepSummaryTests {
    @Test("Rows per architecture and setting, an options column, CSV quoting and missing runs")
    func optionsColumn() throws {
        let sweep = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: sweep) }
        let plan = SweepPlan(sweepDirectory: sweep, architectures: [[5]], seeds: [1, 2],
                             axes: [SweepAxis(option: "learning-rates", values: ["0.1,0.1", "0.2,0.2"])], epochs: 1, root: sweep)
        for (k, run) in plan.runs.enumerated() {
            try RunFiles.writeConfig(in: run.directory, formatVersion: 2, hiddenLayers: 1)
            try "step,epoch,test_error_percent,training_error_percent,mean_loss,images,time_s\n100,1,\(10 + k),50,0.1,100,1\n"
                .write(to: run.directory.appendingPathComponent("metrics.csv"), atomically: true, encoding: .utf8)
        }
        // The last run failed: only three are finished.
        let summary = try AblationSummary.collect(plan) { $0.lastPathComponent.hasSuffix("0.2_0.2-seed2") ? .absent : .finished(epochs: 1) }
        #expect(summary.rows.map(\.label) == ["784-5-10 learning-rates=0.1,0.1", "784-5-10 learning-rates=0.2,0.2"])
        #expect(summary.rows.map(\.finished) == [2, 1])
        #expect(summary.rows.map(\.finalTestErrors) == [[10, 11], [12]])
        let lines = summary.csv.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("architecture,options,runs,finished_runs,epochs,mean_test_error_percent,"))
        #expect(lines[1].hasPrefix("784-5-10,\"learning-rates=0.1,0.1\",2,2,1,10.50,0.71,10.00,11.00"))
        #expect(lines[2].hasPrefix("784-5-10,\"learning-rates=0.2,0.2\",2,1,1,12.00,,12.00,12.00"))
        #expect(summary.byEpochCSV.contains("\n784-5-10,\"learning-rates=0.1,0.1\",1,2,10.50,"))
        #expect(summary.markdown(title: "t", command: "c").contains("| 784-5-10 | learning-rates=0.2,0.2 | 2 | 1 | 1 | 12.00 |"))
    }
}

@Suite("Run lock")
struct RunLockTests {
    @Test("A run directory can be locked once at a time; the lock names its holder and goes with it")
    func exclusive() throws {
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let run = parent.appendingPathComponent("run")
        var held: RunLock? = try RunLock(directory: run)
        do {
            _ = try RunLock(directory: run)
            Issue.record("a second lock was granted")
        } catch let error as RecorderError {
            #expect(error.description.contains("being trained by another process (pid \(getpid()))"))
        }
        #expect(held != nil)
        held = nil
        #expect(throws: Never.self) { _ = try RunLock(directory: run) }
        // A new run may start in a directory that holds only the lock file.
        #expect(throws: Never.self) { try RunRecorder.checkUsable(run) }
        let file = parent.appendingPathComponent("file")
        try Data().write(to: file)
        #expect(throws: RecorderError.self) { _ = try RunLock(directory: file) }
    }
}

@Suite("Compute threads")
struct ComputeThreadsTests {
    @Test("Parallel work uses the cores, but no more than a Slurm task's CPUs or DENDRITES_THREADS")
    func limits() {
        #expect(ComputeThreads.available(environment: [:], cores: 8) == 8)
        #expect(ComputeThreads.available(environment: ["SLURM_CPUS_PER_TASK": "2"], cores: 8) == 2)
        #expect(ComputeThreads.available(environment: ["SLURM_CPUS_PER_TASK": "16"], cores: 8) == 8)
        #expect(ComputeThreads.available(environment: ["SLURM_CPUS_PER_TASK": "4", "DENDRITES_THREADS": "3"], cores: 8) == 3)
        #expect(ComputeThreads.available(environment: ["DENDRITES_THREADS": "zero"], cores: 8) == 8)
        #expect(ComputeThreads.available(environment: ["DENDRITES_THREADS": "0"], cores: 0) == 1)
    }
}
