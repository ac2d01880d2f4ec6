import Foundation

/// A sweep over architectures × seeds (`dendrite-train ablate`): where each run lives, what
/// state it is in, and the summary over seeds.
public struct AblationPlan: Sendable {
    public var sweepDirectory: URL
    /// Hidden-layer sizes of each architecture (`[]`: no hidden layer).
    public var architectures: [[Int]]
    public var seeds: [UInt64]

    public init(sweepDirectory: URL, architectures: [[Int]], seeds: [UInt64]) {
        self.sweepDirectory = sweepDirectory
        self.architectures = architectures
        self.seeds = seeds
    }

    /// "784-500-100-10" style label (input and output sizes are MNIST's).
    public static func label(_ hidden: [Int], input: Int = 784, output: Int = 10) -> String {
        ([input] + hidden + [output]).map(String.init).joined(separator: "-")
    }

    /// The `--hidden` value of an architecture.
    public static func hiddenOption(_ hidden: [Int]) -> String {
        hidden.isEmpty ? "none" : hidden.map(String.init).joined(separator: ",")
    }

    public func runDirectory(architecture: [Int], seed: UInt64) -> URL {
        sweepDirectory.appendingPathComponent("\(Self.label(architecture))-seed\(seed)")
    }

    public struct Run: Sendable {
        public var architecture: [Int]
        public var seed: UInt64
        public var directory: URL
    }

    public var runs: [Run] {
        architectures.flatMap { a in seeds.map { Run(architecture: a, seed: $0, directory: runDirectory(architecture: a, seed: $0)) } }
    }
}

/// Where one run of a sweep stands.
public enum RunStatus: Equatable, Sendable {
    /// No usable run yet (no directory, or one killed before its first checkpoint).
    case absent
    /// A checkpoint after `completedEpochs` of `epochs`.
    case unfinished(completedEpochs: Int, epochs: Int)
    case finished(epochs: Int)

    public static func of(_ directory: URL) -> RunStatus {
        let config = directory.appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: config),
              let record = try? JSONDecoder().decode(RunRecord.self, from: data),
              let checkpoint = try? Checkpoint.read(from: directory) else { return .absent }
        if checkpoint.completedEpochs >= record.training.epochs { return .finished(epochs: record.training.epochs) }
        return .unfinished(completedEpochs: checkpoint.completedEpochs, epochs: record.training.epochs)
    }
}

/// The summary of a sweep: per architecture, the final test error over seeds, and the test
/// error per epoch. Columns are a list, so measurements can be added as columns later.
public struct AblationSummary: Sendable {
    public struct Row: Sendable {
        public var architecture: String
        public var runs: Int
        /// Runs that finished every epoch (only these enter the statistics).
        public var finished: Int
        public var epochs: Int
        /// Final (last-epoch) test error of each finished run, percent.
        public var finalTestErrors: [Double]
        /// Test error per epoch (index epoch − 1) of each finished run.
        public var testErrorsByEpoch: [[Double]]
    }

    public var rows: [Row]

    public struct Column: Sendable {
        public var header: String
        public var markdownHeader: String
        public var value: @Sendable (Row) -> String
    }

    public static func format(_ x: Double?) -> String { x.map { String(format: "%.2f", $0) } ?? "" }

    /// The columns of summary.csv and summary.md, in order.
    public static let columns: [Column] = [
        Column(header: "architecture", markdownHeader: "network") { $0.architecture },
        Column(header: "runs", markdownHeader: "runs") { String($0.runs) },
        Column(header: "finished_runs", markdownHeader: "finished") { String($0.finished) },
        Column(header: "epochs", markdownHeader: "epochs") { String($0.epochs) },
        Column(header: "mean_test_error_percent", markdownHeader: "mean test error (%)") { format(SweepStatistics.mean($0.finalTestErrors)) },
        Column(header: "sd_test_error_percent", markdownHeader: "SD") { format(SweepStatistics.standardDeviation($0.finalTestErrors)) },
        Column(header: "min_test_error_percent", markdownHeader: "min") { format($0.finalTestErrors.min()) },
        Column(header: "max_test_error_percent", markdownHeader: "max") { format($0.finalTestErrors.max()) },
    ]

    /// Reads every run's `metrics.csv`.
    public static func collect(_ plan: AblationPlan) throws -> AblationSummary {
        var rows: [Row] = []
        for architecture in plan.architectures {
            var row = Row(architecture: AblationPlan.label(architecture), runs: plan.seeds.count, finished: 0,
                          epochs: 0, finalTestErrors: [], testErrorsByEpoch: [])
            for seed in plan.seeds {
                let directory = plan.runDirectory(architecture: architecture, seed: seed)
                guard case let .finished(epochs) = RunStatus.of(directory) else { continue }
                let errors = try testErrors(in: directory)
                guard errors.count == epochs else {
                    throw CheckpointError("\(directory.path)/metrics.csv has \(errors.count) epochs; the run has \(epochs)")
                }
                row.finished += 1
                row.epochs = max(row.epochs, epochs)
                row.finalTestErrors.append(errors[epochs - 1])
                row.testErrorsByEpoch.append(errors)
            }
            rows.append(row)
        }
        return AblationSummary(rows: rows)
    }

    /// Column `test_error_percent` of a run's metrics.csv, by epoch.
    public static func testErrors(in directory: URL) throws -> [Double] {
        let url = directory.appendingPathComponent("metrics.csv")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        guard let header = lines.first?.split(separator: ",").map(String.init),
              let column = header.firstIndex(of: "test_error_percent") else {
            throw CheckpointError("\(url.path) has no test_error_percent column")
        }
        return try lines.dropFirst().map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard column < fields.count, let value = Double(fields[column]) else {
                throw CheckpointError("\(url.path): cannot read the line '\(line)'")
            }
            return value
        }
    }

    public var csv: String {
        let columns = Self.columns
        return ([columns.map(\.header).joined(separator: ",")]
            + rows.map { row in columns.map { $0.value(row) }.joined(separator: ",") })
            .map { $0 + "\n" }.joined()
    }

    public func markdown(title: String, command: String) -> String {
        let columns = Self.columns
        var lines = ["# \(title)", "", "Command: `\(command)`", "",
                     "Final test error (full test set, last epoch) over seeds; only finished runs count.", "",
                     "| " + columns.map(\.markdownHeader).joined(separator: " | ") + " |",
                     "|" + String(repeating: "---|", count: columns.count)]
        for row in rows { lines.append("| " + columns.map { $0.value(row) }.joined(separator: " | ") + " |") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `architecture,epoch,runs,mean,sd,min,max` of the test error per epoch (for figures).
    public var byEpochCSV: String {
        var lines = ["architecture,epoch,runs,mean_test_error_percent,sd_test_error_percent,min_test_error_percent,max_test_error_percent"]
        for row in rows where row.epochs > 0 {
            for e in 0..<row.epochs {
                let values = row.testErrorsByEpoch.compactMap { e < $0.count ? $0[e] : nil }
                lines.append([row.architecture, String(e + 1), String(values.count), Self.format(SweepStatistics.mean(values)),
                              Self.format(SweepStatistics.standardDeviation(values)), Self.format(values.min()),
                              Self.format(values.max())].joined(separator: ","))
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// Writes summary.csv, summary.md and summary_by_epoch.csv into the sweep directory, atomically.
    public func write(to directory: URL, title: String, command: String) throws {
        try AtomicFile.write(Data(csv.utf8), to: directory.appendingPathComponent("summary.csv"))
        try AtomicFile.write(Data(markdown(title: title, command: command).utf8), to: directory.appendingPathComponent("summary.md"))
        try AtomicFile.write(Data(byEpochCSV.utf8), to: directory.appendingPathComponent("summary_by_epoch.csv"))
    }
}

public enum SweepStatistics {
    public static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// The sample standard deviation (n − 1); nil for fewer than two values.
    public static func standardDeviation(_ values: [Double]) -> Double? {
        guard values.count >= 2, let m = mean(values) else { return nil }
        return (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }
}
