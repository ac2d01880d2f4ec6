import Foundation
import Testing
import Dendrites

// A sweep through a real one-node Slurm (issue 7): Scripts/slurm-local.sh starts munged,
// slurmctld and slurmd in a private directory; the test submits sweeps with
// `ablate --slurm`, waits for them, and stops every daemon by its process id.

/// A local Slurm for one test; nil (after printing why) where it cannot start.
private final class LocalSlurm {
    /// Root, and the daemons and client tools installed (Debian: slurm-wlm, munge). Where this
    /// is false the test is reported as skipped.
    static let prerequisitesMet: Bool = {
        guard getuid() == 0 else { return false }
        let tools = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo"]
        return tools.allSatisfy { tool in
            ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
        }
    }()

    let directory: URL
    let environment: [String: String]
    private static var script: String { SharedPaths.packageRoot.appendingPathComponent("Scripts/slurm-local.sh").path }

    init?(in parent: URL, test: String) throws {
        let directory = parent.appendingPathComponent("slurm")
        self.directory = directory
        // Ports of their own, so a cluster a user runs on the default ports is not disturbed.
        let base = 20_000 + Int(getpid() % 20_000)
        let ports = ["DENDRITES_SLURMCTLD_PORT": String(base), "DENDRITES_SLURMD_PORT": String(base + 1)]
        let start = try runCapturing("/bin/bash", [Self.script, "start", directory.path], environment: ports)
        if start.status == 3 {
            print("SKIPPED \(test): a local Slurm cannot start here: \(start.error.trimmingCharacters(in: .whitespacesAndNewlines))")
            return nil
        }
        guard start.status == 0 else {
            let logs = ["slurmctld.log", "slurmd.log", "munged.log"].compactMap {
                try? String(contentsOf: directory.appendingPathComponent("log/\($0)"), encoding: .utf8).suffix(2_000)
            }
            Issue.record("Scripts/slurm-local.sh start failed (exit \(start.status)): \(start.output)\(start.error)\n\(logs.joined(separator: "\n"))")
            _ = try? runCapturing("/bin/bash", [Self.script, "stop", directory.path])
            return nil
        }
        environment = ["SLURM_CONF": directory.appendingPathComponent("slurm.conf").path]
    }

    /// Stops the daemons by the pids in their pid files, and checks that they are gone.
    func stop() {
        let pids = ["munged.pid", "slurmctld.pid", "slurmd.pid"].compactMap {
            (try? String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8))
                .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        let result = try? runCapturing("/bin/bash", [Self.script, "stop", directory.path])
        #expect(result?.status == 0)
        for pid in pids {
            // Gone, or a zombie (where PID 1 does not reap orphans, a stopped daemon stays one).
            let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?
                .split(separator: ")").last?.split(separator: " ").first
            #expect(kill(pid, 0) != 0 || state == "Z", "daemon \(pid) still runs after stop")
        }
    }

    /// Waits until none of `jobs` is queued or running (bounded).
    func wait(for jobs: [String], timeout: TimeInterval) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let queue = try runCapturing("/usr/bin/env", ["squeue", "--noheader", "--format=%i", "--jobs=" + jobs.joined(separator: ",")],
                                         environment: environment)
            // squeue fails for job ids it no longer knows; an empty answer means all have ended.
            if queue.status != 0 || queue.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return true }
            usleep(500_000)
        }
        return false
    }
}

@Suite("Slurm sweeps", .serialized, .timeLimit(.minutes(20)))
struct SlurmSweepTests {
    /// `--slurm` submissions print "submitted array job N" and "collect job M".
    private func jobIDs(_ output: String) -> [String] {
        output.split(separator: "\n").compactMap { line -> String? in
            for prefix in ["submitted array job ", "collect job "] where line.hasPrefix(prefix) {
                return String(line.dropFirst(prefix.count).prefix { $0.isNumber })
            }
            return nil
        }
    }

    @Test("A 3-depth × 2-seed ablation through a real local Slurm gives the local ablate's table; failures are reported, not spread",
          .enabled(if: LocalSlurm.prerequisitesMet, "a local Slurm needs root and the Debian packages slurm-wlm and munge"))
    func sweepThroughSlurm() throws {
        guard let binary = dendriteTrainBinary(orSkip: "sweepThroughSlurm") else { return }
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        guard let slurm = try LocalSlurm(in: parent, test: "sweepThroughSlurm") else { return }
        defer { slurm.stop() }
        let env = slurm.environment
        let options = ["--mode", "rate", "--images-per-epoch", "300", "--test-images", "500", "--quick-test-interval", "100",
                       "--quick-test-images", "20", "--data", SharedPaths.mnist.path]
        let ablation = ["ablate", "--hidden", "none", "20", "20,10", "--seeds", "2"] + options

        // Bad input: an unknown partition and a request sbatch rejects; neither writes a sweep.
        let badPartition = try runCapturing(binary, ablation + ["--sweep", "bad", "--slurm", "--partition", "nope"],
                                            environment: env, workingDirectory: parent)
        #expect(badPartition.status != 0 && badPartition.error.contains("--partition nope") && badPartition.error.contains("debug"))
        #expect(!FileManager.default.fileExists(atPath: parent.appendingPathComponent("bad").path))
        let rejected = try runCapturing(binary, ablation + ["--sweep", "rejected", "--slurm", "--mem", "999999G"],
                                        environment: env, workingDirectory: parent)
        #expect(rejected.status != 0 && rejected.error.contains("sbatch rejected"), "\(rejected.error)")
        #expect(!FileManager.default.fileExists(atPath: parent.appendingPathComponent("rejected/slurm_jobs.tsv").path))

        // The sweep through Slurm, two tasks at a time; collect runs after it as its own job.
        let submitted = try runCapturing(binary, ablation + ["--sweep", "cluster", "--slurm", "--throttle", "2", "--time", "00:10:00"],
                                         environment: env, workingDirectory: parent)
        #expect(submitted.status == 0, "\(submitted.output)\(submitted.error)")
        let jobs = jobIDs(submitted.output)
        try #require(jobs.count == 2, "\(submitted.output)")
        #expect(try slurm.wait(for: jobs, timeout: 600), "the sweep did not end within 10 minutes")
        let cluster = parent.appendingPathComponent("cluster")
        let jobsTable = try String(contentsOf: cluster.appendingPathComponent("slurm_jobs.tsv"), encoding: .utf8)
        #expect(jobsTable.hasSuffix("\t\(jobs[0])\t\(jobs[1])\t1-6\n"), "\(jobsTable)")
        let collectLog = try String(contentsOf: cluster.appendingPathComponent("logs/collect-\(jobs[1]).out"), encoding: .utf8)
        #expect(collectLog.contains("all 6 runs finished"), "\(collectLog)")
        for task in 1...6 {
            #expect(FileManager.default.fileExists(atPath: cluster.appendingPathComponent("logs/slurm-\(jobs[0])_\(task).out").path))
        }

        // The same ablation on local cores gives the same table.
        let local = try runCapturing(binary, ablation + ["--sweep", "local"], workingDirectory: parent)
        #expect(local.status == 0, "\(local.error)")
        for name in ["summary.csv", "summary_by_epoch.csv"] {
            let a = try String(contentsOf: cluster.appendingPathComponent(name), encoding: .utf8)
            let b = try String(contentsOf: parent.appendingPathComponent("local/\(name)"), encoding: .utf8)
            #expect(a == b, "\(name) differs:\n\(a)\n\(b)")
            #expect(a.split(separator: "\n").count >= 4)
        }

        // A task run again alone leaves its finished run as it was.
        let run = cluster.appendingPathComponent("784-20-10-seed1")
        let before = try Data(contentsOf: run.appendingPathComponent("metrics.csv"))
        let again = try runCapturing("/bin/bash", [cluster.appendingPathComponent("sweep.sbatch").path],
                                     environment: env.merging(["SLURM_ARRAY_TASK_ID": "3"]) { $1 })
        #expect(again.status == 0 && again.output.contains("nothing to do"), "\(again.output)\(again.error)")
        #expect(try Data(contentsOf: run.appendingPathComponent("metrics.csv")) == before)

        // A sweep with a task that fails (layer-wise feedback needs a hidden layer): the other
        // run and the summary are intact, and collect names the failed task and its log.
        let failing = ["ablate", "--hidden", "none", "--seeds", "1", "--vary", "feedback=broadcast|layerwise",
                       "--sweep", "failing", "--slurm"] + options
        let failingSubmission = try runCapturing(binary, failing, environment: env, workingDirectory: parent)
        #expect(failingSubmission.status == 0, "\(failingSubmission.error)")
        let failingJobs = jobIDs(failingSubmission.output)
        try #require(failingJobs.count == 2)
        #expect(try slurm.wait(for: failingJobs, timeout: 300))
        let sweep = parent.appendingPathComponent("failing")
        let collected = try runCapturing(binary, ["collect", sweep.path])
        #expect(collected.status != 0)
        #expect(collected.error.contains("784-10-feedback_layerwise-seed1 (task 2)")
                && collected.error.contains("logs/slurm-\(failingJobs[0])_2.out"), "\(collected.error)")
        #expect(!collected.error.contains("feedback_broadcast"))
        let slurmLog = try String(contentsOf: sweep.appendingPathComponent("logs/slurm-\(failingJobs[0])_2.out"), encoding: .utf8)
        #expect(slurmLog.contains("needs at least one hidden layer"), "\(slurmLog)")
        #expect(RunStatus.of(sweep.appendingPathComponent("784-10-feedback_broadcast-seed1")) == .finished(epochs: 1))
        let summary = try String(contentsOf: sweep.appendingPathComponent("summary.csv"), encoding: .utf8)
        #expect(summary.contains("\n784-10,feedback=broadcast,1,1,1,") && summary.contains("\n784-10,feedback=layerwise,1,0,0,"))

        // Submitted again, only the failed run is in the array.
        let retry = try runCapturing(binary, failing + ["--dry-run"], environment: env, workingDirectory: parent)
        #expect(retry.status == 0 && retry.output.contains("#SBATCH --array=2\n"), "\(retry.output)")
    }
}

@Suite("Sweep command line")
struct SweepCommandTests {
    @Test("collect and ablate refuse a sweep directory from another version, and leave it as it is")
    func otherVersion() throws {
        guard let binary = dendriteTrainBinary(orSkip: "otherVersion") else { return }
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let sweep = parent.appendingPathComponent("old")
        try FileManager.default.createDirectory(at: sweep, withIntermediateDirectories: true)
        let manifest = "{\"format\": \"dendrites-sweep\", \"version\": 0, \"runs\": []}"
        try manifest.write(to: sweep.appendingPathComponent("sweep.json"), atomically: true, encoding: .utf8)
        let collect = try runCapturing(binary, ["collect", sweep.path])
        #expect(collect.status != 0 && collect.error.contains("another version of dendrite-train"), "\(collect.error)")
        let ablate = try runCapturing(binary, ["ablate", "--hidden", "none", "--seeds", "1", "--mode", "rate", "--sweep", sweep.path,
                                               "--data", SharedPaths.mnist.path])
        #expect(ablate.status != 0 && ablate.error.contains("another version of dendrite-train"), "\(ablate.error)")
        #expect(try String(contentsOf: sweep.appendingPathComponent("sweep.json"), encoding: .utf8) == manifest)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sweep.path) == ["sweep.json"])
        let notSweep = try runCapturing(binary, ["collect", parent.path])
        #expect(notSweep.status != 0 && notSweep.error.contains("not a sweep directory"))
    }

    @Test("train --resume-existing refuses a directory holding a different run, and leaves it untouched")
    func differentRun() throws {
        guard let binary = dendriteTrainBinary(orSkip: "differentRun") else { return }
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let run = parent.appendingPathComponent("run")
        let base = ["train", "--mode", "rate", "--hidden", "20", "--images-per-epoch", "200", "--test-images", "100",
                    "--quick-test-interval", "0", "--quiet", "--data", SharedPaths.mnist.path, "--output", run.path, "--resume-existing"]
        #expect(try runTool(binary, base + ["--seed", "1"]) == 0)
        let metrics = try Data(contentsOf: run.appendingPathComponent("metrics.csv"))
        let other = try runCapturing(binary, base + ["--seed", "2"])
        #expect(other.status != 0 && other.error.contains("holds a different run") && other.error.contains("training options"), "\(other.error)")
        #expect(try Data(contentsOf: run.appendingPathComponent("metrics.csv")) == metrics)
        // The same run with more epochs is extended; with as many, nothing happens.
        let same = try runCapturing(binary, base + ["--seed", "1"])
        #expect(same.status == 0 && same.output.contains("nothing to do"))
        #expect(try runTool(binary, base + ["--seed", "1", "--epochs", "2"]) == 0)
        #expect(RunStatus.of(run) == .finished(epochs: 2))
        #expect(try AblationSummary.testErrors(in: run).count == 2)
    }

    @Test("A run being trained is locked: a second train --resume-existing or resume is refused, and the run finishes intact")
    func concurrentRuns() throws {
        guard let binary = dendriteTrainBinary(orSkip: "concurrentRuns") else { return }
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let run = parent.appendingPathComponent("run")
        // Four epochs: after the first one's checkpoint, three remain (several seconds, even on a
        // loaded machine) for the second train and the resume to find the run locked.
        let arguments = ["train", "--mode", "spiking", "--hidden", "300", "--epochs", "4", "--images-per-epoch", "3000",
                         "--test-images", "100", "--quick-test-interval", "0", "--readout-images", "0", "--seed", "4",
                         "--quiet", "--data", SharedPaths.mnist.path, "--output", run.path, "--resume-existing"]
        let first = try spawnDetached(binary, arguments)
        let deadline = Date().addingTimeInterval(120)
        while (try? Checkpoint.read(from: run)) == nil && Date() < deadline { usleep(20_000) }
        let second = try runCapturing(binary, arguments)
        let resumed = try runCapturing(binary, ["resume", run.path, "--quiet"])
        let firstStillRunning = isRunning(first)
        #expect(waitForExit(first) == 0)
        #expect(firstStillRunning, "the first run ended before the others tried it; the test must train longer")
        #expect(second.status != 0 && second.error.contains("being trained by another process"), "\(second.error)")
        #expect(resumed.status != 0 && resumed.error.contains("being trained by another process"), "\(resumed.error)")
        #expect(RunStatus.of(run) == .finished(epochs: 4))
        #expect(try AblationSummary.testErrors(in: run).count == 4)
        // The lock went with the process.
        let again = try runCapturing(binary, arguments)
        #expect(again.status == 0 && again.output.contains("nothing to do"), "\(again.error)")
    }
}
