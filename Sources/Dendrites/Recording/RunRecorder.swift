import Foundation

/// Writes a run's directory as it trains (see the README's "Run directory" section):
/// `config.json`, `metrics.csv`, `quick_test.csv`, `loss.csv`, and the weights as `.npy`
/// (`initial_*`, `epoch_<k>_*`). Every line is flushed when written, so a crashed run keeps
/// what it had.
public final class RunRecorder: TrainingObserver {
    public let directory: URL
    /// loss.csv holds the mean loss of each block of this many images.
    public let lossBlock: Int
    private let metrics: CSVFile
    private let quickTests: CSVFile
    private let losses: CSVFile
    private var lossSum = 0.0
    private var lossCount = 0
    private var blockStart = 1

    /// Creates the run directory. Refuses one that already holds a run (`config.json`) or any
    /// other file (but its `RunLock`), so an earlier run is never overwritten.
    public init(directory: URL, record: RunRecord, lossBlock: Int = 100) throws {
        self.directory = directory
        self.lossBlock = lossBlock
        try Self.checkUsable(directory)
        try OutputDirectory.create(directory)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(record), to: directory.appendingPathComponent("config.json"))
        metrics = try CSVFile(directory.appendingPathComponent("metrics.csv"),
                              header: "epoch,test_error_percent,training_error_percent,mean_loss,images,seconds")
        quickTests = try CSVFile(directory.appendingPathComponent("quick_test.csv"),
                                 header: "epoch,image,test_error_percent")
        losses = try CSVFile(directory.appendingPathComponent("loss.csv"),
                             header: "epoch,first_image,last_image,mean_loss")
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
                throw RecorderError("\(directory.path) already holds a run (config.json); continue it with `dendrite-train resume \(directory.path)`, or choose another --output")
            }
            if let contents = try? fm.contentsOfDirectory(atPath: directory.path), contents.contains(where: { $0 != RunLock.fileName }) {
                throw RecorderError("\(directory.path) is not empty; choose another --output")
            }
        }
    }

    /// Reopens a run directory to append to its CSV files (resuming from a checkpoint, after
    /// `Checkpoint.truncateSeries`). A missing file is created with its header.
    public init(resumingIn directory: URL, lossBlock: Int = 100) throws {
        self.directory = directory
        self.lossBlock = lossBlock
        metrics = try CSVFile(appendingTo: directory.appendingPathComponent("metrics.csv"),
                              header: "epoch,test_error_percent,training_error_percent,mean_loss,images,seconds")
        quickTests = try CSVFile(appendingTo: directory.appendingPathComponent("quick_test.csv"),
                                 header: "epoch,image,test_error_percent")
        losses = try CSVFile(appendingTo: directory.appendingPathComponent("loss.csv"),
                             header: "epoch,first_image,last_image,mean_loss")
    }

    public func saveInitialWeights<Scalar>(_ weights: NetworkWeights<Scalar>) throws {
        try WeightFiles.save(weights, to: directory, prefix: "initial_")
    }

    public func didTrain(epoch: Int, image: Int, loss: Double, correct: Bool) throws {
        lossSum += loss
        lossCount += 1
        if lossCount == lossBlock {
            try losses.append("\(epoch),\(blockStart),\(image),\(lossSum / Double(lossCount))")
            lossSum = 0
            lossCount = 0
            blockStart = image + 1
        }
    }

    public func didQuickTest(epoch: Int, image: Int, error: Double) throws {
        try quickTests.append("\(epoch),\(image),\(error)")
    }

    public func didFinishTraining(epoch: Int, images: Int) throws {
        if lossCount > 0 {
            try losses.append("\(epoch),\(blockStart),\(blockStart + lossCount - 1),\(lossSum / Double(lossCount))")
        }
        lossSum = 0
        lossCount = 0
        blockStart = 1
    }

    public func didFinishEpoch<Scalar>(_ s: EpochSummary, weights: NetworkWeights<Scalar>) throws {
        try WeightFiles.save(weights, to: directory, prefix: "epoch_\(s.epoch)_")
        try metrics.append("\(s.epoch),\(s.testError),\(s.trainingError),\(s.meanLoss),\(s.images),\(String(format: "%.3f", s.seconds))")
    }
}

public struct RecorderError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An append-only CSV file, flushed line by line.
final class CSVFile {
    let url: URL
    private let handle: FileHandle

    /// Creates the file with its header; a file that already starts with this header (a run
    /// being resumed: fresh run directories are always empty) is appended to instead.
    init(_ url: URL, header: String) throws {
        self.url = url
        if let existing = FileManager.default.contents(atPath: url.path),
           existing.starts(with: Data((header + "\n").utf8)) {
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
            return
        }
        guard FileManager.default.createFile(atPath: url.path, contents: Data((header + "\n").utf8)) else {
            throw RecorderError("cannot create \(url.path)")
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    /// Opens an existing file for appending (creating it with `header` when missing).
    init(appendingTo url: URL, header: String) throws {
        self.url = url
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: Data((header + "\n").utf8)) else {
                throw RecorderError("cannot create \(url.path)")
            }
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    func append(_ line: String) throws {
        try handle.write(contentsOf: Data((line + "\n").utf8))
    }

    deinit { try? handle.close() }
}
