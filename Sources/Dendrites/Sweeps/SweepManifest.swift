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
        try OutputDirectory.create(plan.sweepDirectory)
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
            data = try InputFile.read(url.path, what: "a sweep description")
            header = try JSONFile.decode(Header.self, from: data, name: url.path)
        } catch let error as DataError {
            throw SweepError("\(url.path) cannot be read as a sweep description: \(error.problem)")
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
            return try JSONFile.decode(SweepManifest.self, from: data, name: url.path)
        } catch let error as DataError {
            throw SweepError("\(url.path) cannot be read: \(error.problem)")
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

extension SweepManifest {
    /// The `train` arguments of task `task` in a plan.tsv, read without a shell (what a Slurm
    /// array task runs: `dendrite-train sweep-task PLAN TASK`). A missing task, a malformed line
    /// or a word that `ShellQuoting.quote` would not have written is an error naming the file.
    public static func taskArguments(planFile: URL, task: Int) throws -> [String] {
        let text: String
        do { text = try InputFile.readText(planFile.path, what: "a sweep plan") } catch let error as DataError {
            throw SweepError("\(planFile.path) cannot be read as a sweep plan: \(error.problem)")
        }
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty && !line.hasPrefix("#") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3, let n = Int(fields[0]) else {
                throw SweepError("\(planFile.path), line \(number + 1): not 'task<TAB>run directory<TAB>train arguments'")
            }
            guard n == task else { continue }
            do { return try ShellQuoting.split(String(fields[2])) } catch let error as SweepError {
                throw SweepError("\(planFile.path), line \(number + 1): \(error.description)")
            }
        }
        throw SweepError("\(planFile.path) has no task \(task)")
    }
}

/// POSIX shell quoting for the command lines of plan.tsv, and its exact inverse.
public enum ShellQuoting {
    /// The word as is when it needs no quoting, else in single quotes.
    public static func quote(_ word: String) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./,=:+@%")
        if !word.isEmpty && word.allSatisfy({ plain.contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The words of a line of `quote`d words separated by single spaces. Only what `quote` writes
    /// is accepted (plain words of its safe characters; single-quoted text, with `'\\''` for a
    /// quote): no expansion, no other quoting, no control characters, so nothing a shell would
    /// interpret differently can get through.
    public static func split(_ line: String) throws -> [String] {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./,=:+@%")
        if let control = line.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw SweepError("the arguments hold a control character (U+\(String(control.value, radix: 16, uppercase: true)))")
        }
        var words: [String] = []
        var word = ""
        var inWord = false
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            switch c {
            case " ":
                guard inWord else { throw SweepError("the arguments have an empty word or a double space") }
                words.append(word); word = ""; inWord = false
            case "'":
                // A quoted part, up to the next quote; "'\\''" inside quoted text stands for a quote.
                inWord = true
                while true {
                    guard let q = chars.popFirst() else { throw SweepError("the arguments have an unterminated quote") }
                    if q != "'" { word.append(q); continue }
                    if chars.starts(with: ["\\", "'", "'"]) { chars.removeFirst(3); word.append("'"); continue }
                    break
                }
            case "\\":
                guard chars.first == "'" else { throw SweepError("the arguments have a backslash outside quotes") }
                chars.removeFirst(); word.append("'"); inWord = true
            default:
                guard plain.contains(c) else {
                    throw SweepError("the arguments have '\(c)' outside quotes, which plan.tsv never holds (no shell syntax is run)")
                }
                word.append(c); inWord = true
            }
        }
        if inWord { words.append(word) } else if !line.isEmpty { throw SweepError("the arguments end with a space") }
        return words
    }
}
