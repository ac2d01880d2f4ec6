import Foundation

/// One swept option (`--vary OPTION=V1|V2|…`): every run takes one of its values, and the
/// axes of a sweep multiply (a grid). The value `off` leaves the option out (its default);
/// `on` gives a flag, e.g. `--vary symmetric-feedback=off|on`; any other value is passed as
/// `--OPTION VALUE`, e.g. `--vary learning-rates=0.21,0.21|0.1,0.1`.
///
/// The axis `options` takes whole sets of train options instead, split at spaces (`none`: no
/// option), for alternatives that are not values of one option, such as feedback variants:
/// `--vary 'options=none|--sparse-feedback 0.8|--symmetric-feedback|--backprop'`.
public struct SweepAxis: Codable, Equatable, Sendable {
    /// The `train` option without its leading dashes.
    public var option: String
    public var values: [String]

    public init(option: String, values: [String]) {
        self.option = option
        self.values = values
    }

    /// Parses `OPTION=V1|V2|…` (the option may be written with its dashes).
    public init(parsing text: String) throws {
        guard let equals = text.firstIndex(of: "=") else {
            throw SweepError("--vary '\(text)' has no '=': write OPTION=VALUE1|VALUE2, e.g. sparse-feedback=off|0.8")
        }
        var option = String(text[..<equals])
        while option.hasPrefix("-") { option.removeFirst() }
        let values = text[text.index(after: equals)...].split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard !option.isEmpty, option.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw SweepError("--vary '\(text)': '\(option)' is not an option name")
        }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw SweepError("--vary '\(text)' holds a control character (a newline or tab would break plan.tsv)")
        }
        if let empty = values.firstIndex(where: \.isEmpty) {
            throw SweepError("--vary '\(text)': value \(empty + 1) is empty (use 'off' to leave the option out)")
        }
        guard Set(values).count == values.count else { throw SweepError("--vary '\(text)' lists a value twice") }
        self.init(option: option, values: values)
    }

    /// The axis whose values are sets of options.
    public static let optionSets = "options"

    /// The `train` arguments of one value.
    public func arguments(for value: String) -> [String] {
        if option == Self.optionSets {
            return value == "none" ? [] : value.split(separator: " ").map(String.init)
        }
        switch value {
        case "off": return []
        case "on": return ["--\(option)"]
        default: return ["--\(option)", value]
        }
    }
}

/// A sweep: architectures × settings of the swept options × seeds, each run a `train` command
/// with its own run directory inside the sweep directory. `ablate` runs the plan on local cores
/// or submits it to Slurm; both give the same run directories.
public struct SweepPlan: Sendable {
    /// Absolute.
    public var sweepDirectory: URL
    /// Hidden-layer sizes of each architecture (`[]`: no hidden layer).
    public var architectures: [[Int]]
    public var seeds: [UInt64]
    public var axes: [SweepAxis]
    /// Options given to every run's `train`.
    public var trainOptions: [String]
    /// The epochs each run trains (a run with fewer is resumed and extended).
    public var epochs: Int
    /// Run directories in the plan are relative to this directory (absolute when outside it),
    /// and cluster tasks start in it. Absolute.
    public var root: URL
    /// Named alternatives instead of the grid (the paper's sweep, `SweepPlan.paper`): when set,
    /// the groups and runs are these, each with its own options and seeds, and `architectures`,
    /// `seeds` and `axes` are not used.
    public var alternatives: [Alternative]? = nil

    /// One row of a sweep of alternatives: an architecture, its own train options and seeds.
    public struct Alternative: Codable, Equatable, Sendable {
        /// In the run names ("784-500-10-sparse-seed1") and the summary's options column; ""
        /// for the plain network ("784-500-10-seed1").
        public var name: String
        public var architecture: [Int]
        /// Train options of this alternative, before the plan's `trainOptions`.
        public var options: [String]
        public var seeds: [UInt64]

        public init(name: String, architecture: [Int], options: [String] = [], seeds: [UInt64]) {
            self.name = name
            self.architecture = architecture
            self.options = options
            self.seeds = seeds
        }
    }

    public init(sweepDirectory: URL, architectures: [[Int]], seeds: [UInt64], axes: [SweepAxis] = [],
                trainOptions: [String] = [], epochs: Int = 1, root: URL? = nil) {
        self.sweepDirectory = sweepDirectory.standardizedFileURL
        self.architectures = architectures
        self.seeds = seeds
        self.axes = axes
        self.trainOptions = trainOptions
        self.epochs = epochs
        self.root = (root ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
    }

    /// "784-500-100-10" style label (input and output sizes are MNIST's).
    public static func label(_ hidden: [Int], input: Int = 784, output: Int = 10) -> String {
        ([input] + hidden + [output]).map(String.init).joined(separator: "-")
    }

    /// The `--hidden` value of an architecture.
    public static func hiddenOption(_ hidden: [Int]) -> String {
        hidden.isEmpty ? "none" : hidden.map(String.init).joined(separator: ",")
    }

    /// Every combination of one value per axis, the first axis slowest (`[[]]` without axes).
    public var settings: [[String]] {
        axes.reduce([[]]) { partial, axis in partial.flatMap { prefix in axis.values.map { prefix + [$0] } } }
    }

    /// An architecture with one setting: a row of the summary.
    public struct Group: Sendable, Equatable {
        public var architecture: [Int]
        public var setting: [String]
    }

    public var groups: [Group] {
        if let alternatives { return alternatives.map { Group(architecture: $0.architecture, setting: [$0.name]) } }
        return architectures.flatMap { a in settings.map { Group(architecture: a, setting: $0) } }
    }

    /// The alternative of a group, in a sweep of alternatives.
    func alternative(_ group: Group) -> Alternative? {
        alternatives?.first { $0.architecture == group.architecture && [$0.name] == group.setting }
    }

    /// The seeds each run of the group is trained with.
    public func seeds(for group: Group) -> [UInt64] {
        alternative(group)?.seeds ?? seeds
    }

    /// "sparse-feedback=0.8 symmetric-feedback=on" (empty without axes); an alternative's name.
    public func settingLabel(_ setting: [String]) -> String {
        if alternatives != nil { return setting.joined(separator: " ") }
        return zip(axes, setting).map { "\($0.option)=\($1)" }.joined(separator: " ")
    }

    /// "784-500-10-seed1", with axes "784-500-10-sparse-feedback_0.8-seed1", for an
    /// alternative "784-500-10-sparse-seed1".
    public func runName(architecture: [Int], setting: [String] = [], seed: UInt64) -> String {
        let middle = alternatives != nil ? setting.filter { !$0.isEmpty } : zip(axes, setting).map { "\($0.option)_\($1)" }
        let parts = [Self.label(architecture)] + middle + ["seed\(seed)"]
        return String(parts.joined(separator: "-").map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
    }

    public func runDirectory(architecture: [Int], setting: [String] = [], seed: UInt64) -> URL {
        sweepDirectory.appendingPathComponent(runName(architecture: architecture, setting: setting, seed: seed))
    }

    public struct Run: Sendable {
        /// 1-based: the line of plan.tsv and the Slurm array index.
        public var task: Int
        public var architecture: [Int]
        public var setting: [String]
        public var seed: UInt64
        public var name: String
        /// Absolute.
        public var directory: URL
        /// The run directory as the plan writes it (relative to `root` when inside it).
        public var planPath: String
        /// The whole `train` command line after `dendrite-train train`.
        public var trainArguments: [String]
    }

    /// Architecture by architecture, setting by setting, seed by seed.
    public var runs: [Run] {
        var runs: [Run] = []
        for group in groups {
            for seed in seeds(for: group) {
                let directory = runDirectory(architecture: group.architecture, setting: group.setting, seed: seed)
                let path = planPath(directory)
                let axisArguments = alternative(group)?.options ?? zip(axes, group.setting).flatMap { $0.arguments(for: $1) }
                runs.append(Run(task: runs.count + 1, architecture: group.architecture, setting: group.setting, seed: seed,
                                name: directory.lastPathComponent, directory: directory, planPath: path,
                                trainArguments: ["--output", path, "--resume-existing", "--quiet",
                                                 "--hidden", Self.hiddenOption(group.architecture), "--seed", String(seed)]
                                    + axisArguments + trainOptions))
            }
        }
        return runs
    }

    /// What a sweep does with a run, given where the run stands.
    public enum Action: Equatable, Sendable {
        /// It has trained the plan's epochs.
        case skip
        case start
        case resume(afterEpoch: Int, of: Int)
        /// It has fewer epochs than the plan asks for: resumed with more.
        case extend(from: Int)
    }

    public func action(for status: RunStatus) -> Action {
        if status.hasFinished(epochs: epochs) { return .skip }
        switch status {
        case let .finished(done): return .extend(from: done)
        case let .unfinished(_, planned) where planned < epochs: return .extend(from: planned)
        case let .unfinished(done, planned): return .resume(afterEpoch: done, of: planned)
        case .absent: return .start
        }
    }

    /// Writes sweep.json, plan.tsv and command.txt, and makes logs/. A sweep directory made by
    /// another version is refused before anything is written.
    public func prepareDirectory(title: String, command: String) throws {
        _ = try SweepManifest.readIfPresent(from: sweepDirectory)
        try OutputDirectory.create(sweepDirectory.appendingPathComponent(SlurmSweep.logsDirectoryName))
        try SweepManifest(plan: self, title: title, command: command).write(plan: self)
        try AtomicFile.write(Data((command + "\n").utf8), to: sweepDirectory.appendingPathComponent("command.txt"))
    }

    /// `directory` relative to `root` when inside it, else absolute.
    public func planPath(_ directory: URL) -> String {
        let rootPath = root.path.hasSuffix("/") ? root.path : root.path + "/"
        let path = directory.standardizedFileURL.path
        return path.hasPrefix(rootPath) ? String(path.dropFirst(rootPath.count)) : path
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
        guard let record = try? JSONFile.decode(RunRecord.self, path: config.path),
              let checkpoint = try? Checkpoint.read(from: directory) else { return .absent }
        if checkpoint.completedEpochs >= record.training.epochs { return .finished(epochs: record.training.epochs) }
        return .unfinished(completedEpochs: checkpoint.completedEpochs, epochs: record.training.epochs)
    }

    /// Whether a run in this state has trained `epochs` epochs.
    public func hasFinished(epochs wanted: Int) -> Bool {
        switch self {
        case let .finished(epochs): return epochs >= wanted
        case let .unfinished(completed, _): return completed >= wanted
        case .absent: return false
        }
    }
}

public struct SweepError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension SweepPlan {
    /// The paper's experiments (MODEL.md §6–7), as one sweep of alternatives:
    /// - depth: 784-10, 784-500-10, 784-500-100-10 and 784-500-100-100-10, each over `seeds`;
    /// - feedback at 784-500-10: sparse (80% zeroed, ×5), symmetric, noisy symmetric (0.05), the
    ///   backprop control and random plateau times, each over `variantSeeds`;
    /// - apical coupling at 784-500-100-10: g_A = 0.05 and 0.6, over `variantSeeds`.
    /// Every run takes the paper's learning rates for its depth and `trainOptions`.
    public static func paper(sweepDirectory: URL, seeds: [UInt64], variantSeeds: [UInt64], trainOptions: [String],
                             root: URL? = nil) -> SweepPlan {
        let depths: [[Int]] = [[], [500], [500, 100], [500, 100, 100]]
        var alternatives = depths.map { Alternative(name: "", architecture: $0, seeds: seeds) }
        alternatives += paperVariants.map { Alternative(name: $0.name, architecture: $0.architecture, options: $0.options, seeds: variantSeeds) }
        var plan = SweepPlan(sweepDirectory: sweepDirectory, architectures: depths, seeds: seeds,
                             trainOptions: trainOptions, root: root)
        plan.alternatives = alternatives
        return plan
    }

    /// The variants of the paper's sweep: name, architecture, train options.
    public static let paperVariants: [(name: String, architecture: [Int], options: [String])] = [
        ("sparse", [500], ["--sparse-feedback", "0.8", "--sparse-scale", "5"]),
        ("symmetric", [500], ["--symmetric-feedback"]),
        ("noisy-symmetric", [500], ["--symmetric-feedback", "--symmetric-noise", "0.05"]),
        ("backprop", [500], ["--backprop"]),
        ("random-plateau-times", [500], ["--random-plateau-times"]),
        ("apical-0.05", [500, 100], ["--apical-conductance", "0.05"]),
        ("apical-0.6", [500, 100], ["--apical-conductance", "0.6"]),
    ]
}
