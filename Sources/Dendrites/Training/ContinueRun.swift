import Foundation

/// What `TrainingRun.runOrContinue` did.
public enum ContinueOutcome: Sendable {
    /// The directory held no run: a new one was trained.
    case started([EpochSummary])
    /// The directory held an unfinished run of the same spec: it was resumed from its checkpoint.
    case resumed(afterEpoch: Int, [EpochSummary])
    /// The directory held a run of the same spec with at least the epochs asked for.
    case alreadyFinished(epochs: Int)
}

extension TrainingRun {
    /// `train --resume-existing`, the command of every sweep task: trains `spec` into its output
    /// directory, or, when that directory already holds a run of the same spec, resumes it from
    /// its checkpoint (exactly as `resume` does), or does nothing when it has finished. A task
    /// can therefore be run again at any time, alone or in its array, without losing work.
    ///
    /// A directory holding a *different* run is an error and is left untouched; so is one whose
    /// config.json cannot be read, and one that another process is training (`RunLock`). A run killed before its first checkpoint (config.json and no
    /// checkpoint, no finished epoch) is removed and started again.
    public static func runOrContinue(
        _ spec: TrainingRunSpec, dataset: ImageDataset, commandLine: [String], observers: [TrainingObserver],
        stop: StopRequest? = nil
    ) throws -> ContinueOutcome {
        let directory = spec.outputDirectory
        let configURL = directory.appendingPathComponent("config.json")
        let fm = FileManager.default
        guard fm.fileExists(atPath: configURL.path) else {
            return .started(try run(spec, dataset: dataset, commandLine: commandLine, observers: observers, stop: stop))
        }
        // Held from here to the end, so no other process trains or removes the run meanwhile.
        let lock = try RunLock(directory: directory)
        defer { withExtendedLifetime(lock) {} }
        let existing = try RunRecord.read(from: directory)
        var network = spec.network
        network.inputSize = dataset.train.pixelsPerImage
        let differences = existing.differences(from: spec.record(network: network, dataset: dataset, commandLine: commandLine))
        if !differences.isEmpty {
            throw CheckpointError("\(directory.path) holds a different run (it differs in \(differences.joined(separator: ", "))); it was left as it is: choose another \(setting: .outputDirectory)")
        }
        guard let checkpoint = try Checkpoint.read(from: directory) else {
            let epochFiles = ((try? fm.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasPrefix("epoch_") }
            guard epochFiles.isEmpty else {
                throw CheckpointError("\(directory.path) holds a run with finished epochs but no \(Checkpoint.fileName); it was left as it is: choose another \(setting: .outputDirectory)")
            }
            // Killed before its first checkpoint: nothing to keep (but the lock we hold).
            for name in try fm.contentsOfDirectory(atPath: directory.path) where name != RunLock.fileName {
                try fm.removeItem(at: directory.appendingPathComponent(name))
            }
            return .started(try run(spec, dataset: dataset, commandLine: commandLine, observers: observers, locking: false, stop: stop))
        }
        if checkpoint.completedEpochs >= spec.training.epochs {
            return .alreadyFinished(epochs: checkpoint.completedEpochs)
        }
        let summaries = try resume(directory: directory, dataset: dataset, epochs: spec.training.epochs,
                                   tensorboard: spec.tensorboard, observers: observers, locking: false, stop: stop)
        return .resumed(afterEpoch: checkpoint.completedEpochs, summaries)
    }
}

extension RunRecord {
    /// Checks a record read back from `file` as strictly as the command line checks a new run:
    /// the network, the schedule against the data, the spiking time course and the measurements.
    public func validate(dataset: ImageDataset, file: String) throws {
        do {
            guard network.inputSize == dataset.train.pixelsPerImage else {
                throw ConfigurationError("the network takes \(network.inputSize) inputs but the images have \(dataset.train.pixelsPerImage) pixels")
            }
            try network.validate()
            try training.validate(for: network, trainingImages: dataset.train.count, testImages: dataset.test.count)
            if training.epochs > 1_000_000 { throw ConfigurationError("\(setting: .epochs) must be at most 1000000, not \(training.epochs)") }
            try (measurements ?? MeasurementOptions()).validate()
            if mode == .spiking { try (spiking ?? SpikingOptions()).validate() }
            if mode == .rate && precision != .float64 { throw ConfigurationError("rate mode runs in float64 only, not \(setting: .precision) \(precision.rawValue)") }
        } catch let error as ConfigurationError {
            throw CheckpointError("\(file) is not a valid run: \(error.description)")
        }
    }

    /// Reads `config.json` of a run directory.
    public static func read(from directory: URL) throws -> RunRecord {
        let url = directory.appendingPathComponent("config.json")
        do {
            return try JSONFile.decode(RunRecord.self, path: url.path)
        } catch let error as DataError {
            throw CheckpointError("\(error.file) cannot be read: \(error.problem)")
        }
    }

    /// The fields that make `other` a different run from this one: everything that changes the
    /// results, not the date, commit, command line, data directory, the number of epochs or
    /// whether a TensorBoard event file is written.
    public func differences(from other: RunRecord) -> [String] {
        var names: [String] = []
        if mode != other.mode { names.append("mode") }
        if precision != other.precision { names.append("precision") }
        if spiking != other.spiking { names.append("spiking options") }
        if network != other.network { names.append("network") }
        var training = self.training
        training.epochs = other.training.epochs
        if training != other.training { names.append("training options") }
        if dataset != other.dataset { names.append("data set") }
        if initialWeights != other.initialWeights { names.append("initial weights") }
        if pixelOrder != other.pixelOrder { names.append("pixel order") }
        if (measurements ?? MeasurementOptions()) != (other.measurements ?? MeasurementOptions()) { names.append("measurements") }
        return names
    }
}
