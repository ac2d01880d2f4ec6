import Foundation

/// The resources each array task asks Slurm for (`ablate --slurm …`).
public struct SlurmOptions: Codable, Equatable, Sendable {
    public var partition: String?
    /// `--time`, e.g. "02:00:00" or "1-12:00:00".
    public var time: String?
    public var cpusPerTask = 1
    /// `--mem`, e.g. "4G".
    public var memory: String?
    public var account: String?
    /// At most this many tasks of the array run at once (the `%` of `--array`).
    public var throttle: Int?

    public init() {}
}

/// A sweep on a Slurm cluster: an `sbatch` array script whose task N runs line N of plan.tsv,
/// and a `collect` job that runs after the whole array (`--dependency=afterany`).
public enum SlurmSweep {
    public static let arrayScriptName = "sweep.sbatch"
    public static let collectScriptName = "collect.sbatch"
    /// One line per submission: date, array job id, collect job id, tasks.
    public static let jobsFileName = "slurm_jobs.tsv"
    public static let logsDirectoryName = "logs"

    /// "1-3,5,7-8" with "%throttle" (tasks sorted, 1-based).
    public static func arraySpecification(tasks: [Int], throttle: Int?) -> String {
        var ranges: [String] = []
        var index = 0
        let sorted = tasks.sorted()
        while index < sorted.count {
            var end = index
            while end + 1 < sorted.count && sorted[end + 1] == sorted[end] + 1 { end += 1 }
            ranges.append(end == index ? "\(sorted[index])" : "\(sorted[index])-\(sorted[end])")
            index = end + 1
        }
        return ranges.joined(separator: ",") + (throttle.map { "%\($0)" } ?? "")
    }

    private static func resourceDirectives(_ options: SlurmOptions, cpus: Int) -> [String] {
        var lines: [String] = []
        if let partition = options.partition { lines.append("#SBATCH --partition=\(partition)") }
        if let account = options.account { lines.append("#SBATCH --account=\(account)") }
        if let time = options.time { lines.append("#SBATCH --time=\(time)") }
        lines.append("#SBATCH --cpus-per-task=\(cpus)")
        if let memory = options.memory { lines.append("#SBATCH --mem=\(memory)") }
        return lines
    }

    /// The array script. `executable` is the absolute path of dendrite-train on the shared file
    /// system ($DENDRITE_TRAIN overrides it at run time).
    public static func arrayScript(plan: SweepPlan, tasks: [Int], options: SlurmOptions, executable: String) -> String {
        let sweep = plan.sweepDirectory.path
        let lines = [
            "#!/bin/bash",
            "# Dendrites sweep: array task N runs line N of plan.tsv, one `dendrite-train train` command.",
            "# Written by: dendrite-train ablate --slurm. Tasks already finished are left out of --array.",
            "# Run one task again: sbatch --array=N \(ShellQuoting.quote(sweep + "/" + arrayScriptName))",
            "#SBATCH --job-name=\(jobName(plan))",
            "#SBATCH --array=\(arraySpecification(tasks: tasks, throttle: options.throttle))",
            "#SBATCH --output=\(sweep)/\(logsDirectoryName)/slurm-%A_%a.out",
            "# SIGTERM two minutes before the time limit (and on preemption); a task it stops goes back in the queue.",
            "#SBATCH --signal=B:TERM@120",
            "#SBATCH --requeue",
        ] + resourceDirectives(options, cpus: options.cpusPerTask) + [
            "set -euo pipefail",
            "cd \(ShellQuoting.quote(plan.root.path))",
            "export OPENBLAS_NUM_THREADS=1",
            "DENDRITE_TRAIN=\"${DENDRITE_TRAIN:-\(executable)}\"",
            "plan=\(ShellQuoting.quote(sweep + "/" + SweepManifest.planFileName))",
            "task=\"${SLURM_ARRAY_TASK_ID:?run this script with sbatch, or set SLURM_ARRAY_TASK_ID}\"",
            "echo \"task $task on $(hostname): line $task of $plan\"",
            "# dendrite-train reads the plan line itself and runs `train` with its arguments: no shell interprets them.",
            "\"$DENDRITE_TRAIN\" sweep-task \"$plan\" \"$task\" &",
            "child=$!",
            "# On SIGTERM the run stops before its next image, once its finished epochs are written (exit 143).",
            "trap 'kill -TERM \"$child\" 2>/dev/null' TERM",
            "status=0; wait \"$child\" || status=$?",
            "while kill -0 \"$child\" 2>/dev/null; do status=0; wait \"$child\" || status=$?; done",
            "if [[ $status -eq 143 && -n \"${SLURM_JOB_ID:-}\" ]]; then",
            "  echo \"task $task stopped by SIGTERM; requeued, it resumes from its last checkpoint\"",
            "  scontrol requeue \"$SLURM_JOB_ID\" && exit 0",
            "fi",
            "exit \"$status\"",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The job that collects the sweep once every array task has ended, however it ended.
    public static func collectScript(plan: SweepPlan, options: SlurmOptions, executable: String) -> String {
        let sweep = plan.sweepDirectory.path
        let lines = [
            "#!/bin/bash",
            "# Dendrites sweep: summarize the finished runs (submitted with --dependency=afterany:<array job>).",
            "#SBATCH --job-name=\(jobName(plan))-collect",
            "#SBATCH --output=\(sweep)/\(logsDirectoryName)/collect-%j.out",
        ] + resourceDirectives(options, cpus: 1) + [
            "set -euo pipefail",
            "cd \(ShellQuoting.quote(plan.root.path))",
            "exec \"${DENDRITE_TRAIN:-\(executable)}\" collect \(ShellQuoting.quote(sweep))",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    static func jobName(_ plan: SweepPlan) -> String {
        let name = "dendrites-" + plan.sweepDirectory.lastPathComponent
        return String(name.prefix(60).map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
    }

    /// The Slurm logs of task `task` in a sweep directory (one per submission that ran it).
    public static func logs(task: Int, sweepDirectory: URL) -> [URL] {
        let logs = sweepDirectory.appendingPathComponent(logsDirectoryName)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: logs.path)) ?? []
        return names.filter { $0.hasPrefix("slurm-") && $0.hasSuffix("_\(task).out") }.sorted()
            .map { logs.appendingPathComponent($0) }
    }

    /// Writes the array script (for `tasks`) and the collect script into the sweep directory.
    public static func writeScripts(plan: SweepPlan, tasks: [Int], options: SlurmOptions,
                                    executable: String) throws -> (array: URL, collect: URL) {
        let array = plan.sweepDirectory.appendingPathComponent(arrayScriptName)
        let collect = plan.sweepDirectory.appendingPathComponent(collectScriptName)
        try AtomicFile.write(Data(arrayScript(plan: plan, tasks: tasks, options: options, executable: executable).utf8), to: array)
        try AtomicFile.write(Data(collectScript(plan: plan, options: options, executable: executable).utf8), to: collect)
        return (array, collect)
    }

    /// The jobs of one submission.
    public struct Submission: Sendable {
        public var arrayJob: String
        public var collectJob: String
    }

    /// Submits the array script, then the collect script to run after it (afterany), and adds
    /// a line to slurm_jobs.tsv.
    public static func submit(plan: SweepPlan, tasks: [Int], scripts: (array: URL, collect: URL)) throws -> Submission {
        let arrayJob = try submit(script: scripts.array)
        let collectJob: String
        do {
            collectJob = try submit(script: scripts.collect, extraArguments: ["--dependency=afterany:\(arrayJob)"])
        } catch {
            throw SweepError("array job \(arrayJob) was submitted, but not the collect job (\(error)); "
                             + "run `dendrite-train collect \(plan.sweepDirectory.path)` when the array has ended")
        }
        let jobs = plan.sweepDirectory.appendingPathComponent(jobsFileName)
        var table = (try? InputFile.readText(jobs.path)) ?? "submitted\tarray_job\tcollect_job\ttasks\n"
        table += "\(ISO8601DateFormatter().string(from: Date()))\t\(arrayJob)\t\(collectJob)\t"
            + "\(arraySpecification(tasks: tasks, throttle: nil))\n"
        try AtomicFile.write(Data(table.utf8), to: jobs)
        return Submission(arrayJob: arrayJob, collectJob: collectJob)
    }

    // MARK: Talking to Slurm

    /// Runs a Slurm command; nil when it is not installed.
    static func runCommand(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String, error: String)? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both before waiting, so a full pipe cannot stall the child.
        let errorData = LockedData()
        let reader = Thread { errorData.value = error.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1_000) }
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self),
                String(decoding: errorData.value, as: UTF8.self))
    }

    /// The cluster's partitions (`sinfo`), or nil when `sinfo` is not installed.
    public static func partitions() throws -> [String]? {
        guard let result = try runCommand("sinfo", ["--noheader", "--format=%R"]) else { return nil }
        guard result.status == 0 else {
            throw SweepError("sinfo failed (exit \(result.status)): \(result.error.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Fails with a clear message when `partition` is not one of the cluster's (checked only
    /// where `sinfo` is installed).
    public static func checkPartition(_ partition: String) throws {
        guard let known = try partitions() else { return }
        if !known.contains(partition) {
            throw SweepError("--partition \(partition): this cluster has no such partition (it has: \(known.joined(separator: ", ")))")
        }
    }

    /// `sbatch --parsable [extra] script`; returns the job id.
    public static func submit(script: URL, extraArguments: [String] = []) throws -> String {
        guard let result = try runCommand("sbatch", ["--parsable"] + extraArguments + [script.path]) else {
            throw SweepError("sbatch was not found on PATH: submit from a Slurm login node, or use --dry-run to only write \(script.path)")
        }
        let message = result.error.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0 else {
            throw SweepError("sbatch rejected \(script.path) (exit \(result.status)): \(message.isEmpty ? "no message" : message)")
        }
        // --parsable prints "jobid" or "jobid;cluster".
        guard let id = result.output.split(whereSeparator: \.isNewline).first?.split(separator: ";").first,
              !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw SweepError("sbatch accepted \(script.path) but printed no job id: '\(result.output)'")
        }
        return String(id)
    }
}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    var value: Data {
        get { lock.lock(); defer { lock.unlock() }; return data }
        set { lock.lock(); data = newValue; lock.unlock() }
    }
}
