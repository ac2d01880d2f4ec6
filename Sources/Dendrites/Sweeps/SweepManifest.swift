import Foundation

/// What a sweep directory says about itself: `sweep.json` (the plan, for `collect` and for
/// checking the format) and `plan.tsv` (one line per run: its task number, its run directory
/// and its whole `train` command line, which is what a Slurm array task runs).
public struct SweepManifest: Codable, Equatable, Sendable {
    public static let formatName = "dendrites-sweep"
    /// Raise when the layout of a sweep directory or of its runs changes. Version 2 adds
    /// `alternatives`; a sweep without them is still written as version 1.
    public static let currentVersion = 2
    public static let readableVersions = 1...2
    public static let fileName = "sweep.json"
    public static let planFileName = "plan.tsv"

    public var format = Self.formatName
    public var version: Int
    public var title: String
    /// The command that made the plan, for summary.md.
    public var command: String
    /// Absolute; run paths in plan.tsv are relative to it.
    public var root: String
    public var architectures: [[Int]]
    public var seeds: [UInt64]
    public var axes: [SweepAxis]
    public var trainOptions: [String]
    public var epochs: Int
    /// Task number → run directory as in plan.tsv (for readers that skip the TSV).
    public var runs: [String]
    /// The plan's alternatives, for a sweep of alternatives (`SweepPlan.alternatives`).
    public var alternatives: [SweepPlan.Alternative]?

    public init(plan: SweepPlan, title: String, command: String) {
        self.title = title
        self.command = command
        root = plan.root.path
        architectures = plan.architectures
        seeds = plan.seeds
        axes = plan.axes
        trainOptions = plan.trainOptions
        epochs = plan.epochs
        runs = plan.runs.map(\.planPath)
        alternatives = plan.alternatives
        version = plan.alternatives == nil ? 1 : 2
    }

    /// The plan, with the sweep directory where it now is.
    public func plan(sweepDirectory: URL) -> SweepPlan {
        var plan = SweepPlan(sweepDirectory: sweepDirectory, architectures: architectures, seeds: seeds, axes: axes,
                             trainOptions: trainOptions, epochs: epochs, root: URL(fileURLWithPath: root))
        plan.alternatives = alternatives
        return plan
    }

    /// plan.tsv: comment lines, then `task<TAB>run directory<TAB>train arguments` (shell-quoted).
    public static func planTable(_ plan: SweepPlan) -> String {
        var lines = [
            "# Dendrites sweep plan (format \(plan.alternatives == nil ? 1 : 2)). Line N is Slurm array task N:",
            "#   cd \(ShellQuoting.quote(plan.root.path)) && dendrite-train train <train arguments>",
            "# task\trun directory\ttrain arguments",
        ]
        for run in plan.runs {
            lines.append("\(run.task)\t\(run.planPath)\t\(run.trainArguments.map(ShellQuoting.quote).joined(separator: " "))")
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// Writes sweep.json and plan.tsv into the sweep directory (atomically, each).
    public func write(plan: SweepPlan) throws {
        try FileManager.default.createDirectory(at: plan.sweepDirectory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(Self.planTable(plan).data(using: .utf8)!, to: plan.sweepDirectory.appendingPathComponent(Self.planFileName))
        try AtomicFile.write(try encoder.encode(self), to: plan.sweepDirectory.appendingPathComponent(Self.fileName))
    }

    /// Reads `sweep.json` of a sweep directory: nil when there is none, an error when it is not
    /// a sweep of this version.
    public static func readIfPresent(from sweepDirectory: URL) throws -> SweepManifest? {
        let url = sweepDirectory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        struct Header: Decodable { var format: String?; var version: Int? }
        let data: Data
        let header: Header
        do {
            data = try Data(contentsOf: url)
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            throw SweepError("\(url.path) cannot be read as a sweep description: \(error)")
        }
        guard header.format == formatName, let version = header.version else {
            throw SweepError("\(url.path) is not a Dendrites sweep description (no \"format\": \"\(formatName)\")")
        }
        guard readableVersions.contains(version) else {
            throw SweepError("\(sweepDirectory.path) was made by another version of dendrite-train (sweep format \(version); "
                             + "this version reads formats \(readableVersions.lowerBound)–\(readableVersions.upperBound)). Collect it with the version that made it, "
                             + "or run the sweep again into a new directory.")
        }
        do {
            return try JSONDecoder().decode(SweepManifest.self, from: data)
        } catch {
            throw SweepError("\(url.path) cannot be read: \(error)")
        }
    }

    /// Reads `sweep.json`, which must be there.
    public static func read(from sweepDirectory: URL) throws -> SweepManifest {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: sweepDirectory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SweepError("\(sweepDirectory.path) is not a directory")
        }
        guard let manifest = try readIfPresent(from: sweepDirectory) else {
            throw SweepError("\(sweepDirectory.path) is not a sweep directory: it has no \(fileName) "
                             + "(sweeps made before dendrite-train wrote one: run the same `ablate` command again to write it)")
        }
        return manifest
    }
}

/// POSIX shell quoting for command lines that scripts run with `eval`.
public enum ShellQuoting {
    /// The word as is when it needs no quoting, else in single quotes.
    public static func quote(_ word: String) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./,=:+@%")
        if !word.isEmpty && word.allSatisfy({ plain.contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
