import Foundation

/// `dendrite-train collect`: the summary of whatever a sweep has finished, and the runs it has not.
public struct SweepCollection: Sendable {
    public var manifest: SweepManifest
    public var plan: SweepPlan
    public var summary: AblationSummary
    public var missing: [MissingRun]

    /// A run of the plan that has not trained its epochs.
    public struct MissingRun: Sendable {
        public var run: SweepPlan.Run
        public var status: RunStatus
        /// The Slurm logs of its array task (`logs/slurm-<job>_<task>.out`), oldest job first.
        public var slurmLogs: [URL]
        /// The log of a local `ablate`, if it ran there.
        public var localLog: URL?

        /// "784-10-seed2 (task 4): not started; logs: …".
        public var description: String {
            let state: String
            switch status {
            case .absent: state = "no run (never started, or failed before its first checkpoint)"
            case let .unfinished(done, epochs): state = "unfinished after epoch \(done) of \(epochs)"
            case let .finished(epochs): state = "finished only \(epochs) epoch(s)"
            }
            let logs = slurmLogs.map(\.path) + (localLog.map { [$0.path] } ?? [])
            return "\(run.name) (task \(run.task)): \(state); "
                + (logs.isEmpty ? "no log (it never ran)" : "log: " + logs.joined(separator: ", "))
        }
    }

    /// Reads a sweep directory, writes its summary files (atomically, from finished runs only)
    /// and lists the runs that are missing.
    public static func collect(sweepDirectory: URL) throws -> SweepCollection {
        let directory = sweepDirectory.standardizedFileURL
        let manifest = try SweepManifest.read(from: directory)
        let plan = manifest.plan(sweepDirectory: directory)
        let summary = try AblationSummary.collect(plan)
        try summary.write(to: directory, title: manifest.title, command: manifest.command)
        var missing: [MissingRun] = []
        for run in plan.runs {
            let status = RunStatus.of(run.directory)
            guard !status.hasFinished(epochs: plan.epochs) else { continue }
            let local = directory.appendingPathComponent(SlurmSweep.logsDirectoryName).appendingPathComponent(run.name + ".log")
            missing.append(MissingRun(run: run, status: status, slurmLogs: SlurmSweep.logs(task: run.task, sweepDirectory: directory),
                                      localLog: FileManager.default.fileExists(atPath: local.path) ? local : nil))
        }
        return SweepCollection(manifest: manifest, plan: plan, summary: summary, missing: missing)
    }
}
