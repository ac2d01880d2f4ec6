import Foundation

/// Writes a run's directory as it trains (see the README's "Run directory" section):
/// `config.json`, `metrics.csv`, `quick_test.csv`, `loss.csv`, and the weights as `.npy`
/// (`initial_*`, `epoch_<k>_*`). Every line is flushed when written, so a crashed run keeps
/// what it had.
public final class RunRecorder: TrainingObserver {
    public let directory: URL
    /// loss.csv holds the mean loss of each block of this many images.
    public let lossBlock: Int
    /// The format, hidden layers and images per epoch the files are written for.
    public let layout: RunLayout
    private let metrics: CSVWriter
    private let quickTests: CSVWriter
    private let losses: CSVWriter
    private var lossSum = 0.0
    private var lossCount = 0
    private var blockStart = 1

    /// Creates the run directory. Refuses one that already holds a run (`config.json`) or any
    /// other file (but its `RunLock`), so an earlier run is never overwritten. The files are
    /// written in `record.formatVersion` (a new record's is `RunFormat.current`).
    public init(directory: URL, record: RunRecord, lossBlock: Int = 100) throws {
        self.directory = directory
        self.lossBlock = lossBlock
        layout = RunLayout(record)
        try Self.checkUsable(directory)
        try OutputDirectory.create(directory)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(record), to: directory.appendingPathComponent("config.json"))
        metrics = try CSVWriter(directory.appendingPathComponent(RunCSV.metrics.fileName), columns: layout.columns(.metrics))
        quickTests = try CSVWriter(directory.appendingPathComponent(RunCSV.quickTest.fileName), columns: layout.columns(.quickTest))
        losses = try CSVWriter(directory.appendingPathComponent(RunCSV.loss.fileName), columns: layout.columns(.loss))
    }

    /// Throws unless `directory` is absent or empty (but for its `RunLock`): a new run never
    /// overwrites anything.
    public static func checkUsable(_ directory: URL) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw RecorderError("\(directory.path) exists and is not a directory")
            }
            if fm.fileExists(atPath: directory.appendingPathComponent("config.json").path) {
                throw RecorderError("\(directory.path) already holds a run (config.json); continue it with `dendrite-train resume \(directory.path)`, or choose another \(setting: .outputDirectory)")
            }
            if let contents = try? fm.contentsOfDirectory(atPath: directory.path), contents.contains(where: { $0 != RunLock.fileName }) {
                throw RecorderError("\(directory.path) is not empty; choose another \(setting: .outputDirectory)")
            }
        }
    }

    /// Reopens a run directory to append to its CSV files (resuming from a checkpoint, after
    /// `Checkpoint.truncateSeries`), in the run's own format (`layout`, from its config.json:
    /// a format-1 run goes on writing format-1 rows). A missing file is created with its header.
    public init(resumingIn directory: URL, layout: RunLayout? = nil, lossBlock: Int = 100) throws {
        self.directory = directory
        self.lossBlock = lossBlock
        self.layout = try layout ?? RunLayout(directory: directory)
        metrics = try CSVWriter(directory.appendingPathComponent(RunCSV.metrics.fileName), columns: self.layout.columns(.metrics), appending: true)
        quickTests = try CSVWriter(directory.appendingPathComponent(RunCSV.quickTest.fileName), columns: self.layout.columns(.quickTest), appending: true)
        losses = try CSVWriter(directory.appendingPathComponent(RunCSV.loss.fileName), columns: self.layout.columns(.loss), appending: true)
    }

    public func saveInitialWeights<Scalar>(_ weights: NetworkWeights<Scalar>) throws {
        try WeightFiles.save(weights, to: directory, prefix: "initial_")
    }

    public func didTrain(epoch: Int, image: Int, loss: Double, correct: Bool) throws {
        lossSum += loss
        lossCount += 1
        if lossCount == lossBlock {
            try losses.append(layout.lossRow(epoch: epoch, firstImage: blockStart, lastImage: image, meanLoss: lossSum / Double(lossCount)))
            lossSum = 0
            lossCount = 0
            blockStart = image + 1
        }
    }

    public func didQuickTest(epoch: Int, image: Int, error: Double) throws {
        try quickTests.append(layout.quickTestRow(epoch: epoch, image: image, error: error))
    }

    public func didFinishTraining(epoch: Int, images: Int) throws {
        if lossCount > 0 {
            try losses.append(layout.lossRow(epoch: epoch, firstImage: blockStart, lastImage: blockStart + lossCount - 1,
                                             meanLoss: lossSum / Double(lossCount)))
        }
        lossSum = 0
        lossCount = 0
        blockStart = 1
    }

    public func didFinishEpoch<Scalar>(_ s: EpochSummary, weights: NetworkWeights<Scalar>) throws {
        try WeightFiles.save(weights, to: directory, prefix: "epoch_\(s.epoch)_")
        try metrics.append(layout.metricsRow(s))
    }
}

public struct RecorderError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, naming settings (`outputDirectory`), which the command line prints as its options.
    public let message: SettingMessage
    public init(_ message: SettingMessage) { self.message = message }
    @_disfavoredOverload public init(_ text: String) { self.message = SettingMessage(stringLiteral: text) }
    public var description: String { message.description }
    public func description(naming name: (Setting) -> String) -> String { message.rendered(naming: name) }
}

