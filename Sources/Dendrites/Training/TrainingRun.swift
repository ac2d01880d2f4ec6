import Foundation

/// Everything a user chooses for one training run; `TrainingRun` turns it into a trained,
/// recorded network. The command-line tool only fills this in.
public struct TrainingRunSpec: Sendable {
    public var mode: SimulationMode = .spiking
    public var precision: Precision = .float64
    /// Time course of spiking mode (ignored in rate mode).
    public var spiking = SpikingOptions()
    public var network: NetworkConfiguration
    public var training: TrainingOptions
    public var dataset: DatasetKind = .mnist
    /// `--data DIR`, if given.
    public var dataDirectory: String? = nil
    /// `--init-weights DIR` and the file prefix there, if given.
    public var initialWeightsDirectory: String? = nil
    public var initialWeightsPrefix: String = ""
    public var pixelOrder: PixelOrder = .rowMajor
    public var outputDirectory: URL
    /// The preset (`--preset`) the spec started from, if any; recorded in config.json.
    public var preset: String? = nil
    /// Alignment angles, the Jacobian condition and per-layer read-outs (`Measurements/`).
    public var measurements = MeasurementOptions()
    /// A TensorBoard event file in the run directory, written as the run trains
    /// (`TensorBoardRecorder`). On by default: it costs a few writes per 100 images and changes
    /// no result, so it is recorded in config.json but is not part of what makes a run
    /// different (`RunRecord.differences`).
    public var tensorboard = true
    /// Threads for the tests; with two or more they run beside training (`Trainer.run`).
    /// Results do not depend on it.
    public var testThreads = ComputeThreads.available

    public init(network: NetworkConfiguration, training: TrainingOptions, outputDirectory: URL) {
        self.network = network
        self.training = training
        self.outputDirectory = outputDirectory
    }
}

extension TrainingRunSpec {
    /// The config.json of a run of this spec (`network` with its input size set from the data).
    public func record(network: NetworkConfiguration, dataset: ImageDataset, commandLine: [String]) -> RunRecord {
        let initial = initialWeightsDirectory.map { "\($0) (prefix '\(initialWeightsPrefix)')" } ?? "random"
        var record = RunRecord(mode: mode, precision: precision, network: network, training: training,
                               dataset: dataset.kind, dataDirectory: dataset.directory,
                               initialWeights: initial, pixelOrder: pixelOrder, commandLine: commandLine)
        record.spiking = mode == .spiking ? spiking : nil
        record.preset = preset
        record.measurements = measurements
        record.tensorboard = tensorboard
        return record
    }
}

public enum TrainingRun {
    /// Finds and loads the data set the spec names.
    public static func loadDataset(
        _ kind: DatasetKind, explicit: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> ImageDataset {
        let directory = try DatasetLocator.locate(kind: kind, explicit: explicit, environment: environment,
                                                  workingDirectory: workingDirectory)
        return try ImageDataset.load(kind: kind, directory: directory)
    }

    /// Checks the spec against the data, builds the network, trains it and records the run.
    /// All checks happen before the run directory is created.
    @discardableResult
    public static func run(
        _ spec: TrainingRunSpec, dataset: ImageDataset, commandLine: [String], observers: [TrainingObserver],
        stop: StopRequest? = nil
    ) throws -> [EpochSummary] {
        try run(spec, dataset: dataset, commandLine: commandLine, observers: observers, locking: true, stop: stop)
    }

    /// `locking: false` when the caller already holds the run directory's `RunLock`.
    static func run(
        _ spec: TrainingRunSpec, dataset: ImageDataset, commandLine: [String], observers: [TrainingObserver], locking: Bool,
        stop: StopRequest?
    ) throws -> [EpochSummary] {
        var network = spec.network
        network.inputSize = dataset.train.pixelsPerImage
        try network.validate()
        try spec.training.validate(for: network, trainingImages: dataset.train.count, testImages: dataset.test.count)
        try spec.measurements.validate()
        if spec.mode == .spiking { try spec.spiking.validate() }
        // One BLAS thread in both modes: OpenBLAS's results depend on its thread count, so this
        // makes a seed's run, and a resumed run, the same on every machine (and rate mode is
        // no slower on one thread for these matrix sizes).
        BLASThreads.set(1)
        if spec.mode == .rate && spec.precision != .float64 {
            throw ConfigurationError("\(setting: .precision) float32 is for spiking mode; rate mode runs in float64 to match the authors' code")
        }
        struct Train: SimulationTask {
            let spec: TrainingRunSpec, network: NetworkConfiguration, dataset: ImageDataset, commandLine: [String]
            let observers: [TrainingObserver], locking: Bool, stop: StopRequest?
            func run<D: NetworkDynamics, E: NetworkEvaluator>(_ simulation: Simulation<D, E>) throws -> [EpochSummary] {
                try TrainingRun.train(spec, network: network, dataset: dataset, commandLine: commandLine, observers: observers,
                                      locking: locking, stop: stop, dynamics: simulation.makeDynamics(),
                                      evaluator: simulation.makeEvaluator(nil))
            }
        }
        return try Simulations.run(Train(spec: spec, network: network, dataset: dataset, commandLine: commandLine,
                                         observers: observers, locking: locking, stop: stop),
                                   mode: spec.mode, precision: spec.precision, network: network, spiking: spec.spiking)
    }

    fileprivate static func train<D: NetworkDynamics, E: NetworkEvaluator>(
        _ spec: TrainingRunSpec, network: NetworkConfiguration, dataset: ImageDataset, commandLine: [String],
        observers: [TrainingObserver], locking: Bool, stop: StopRequest?, dynamics: D, evaluator: E
    ) throws -> [EpochSummary] where D.Scalar == E.Scalar {
        var generator = Xoshiro256(seed: spec.training.seed)
        let weights: NetworkWeights<D.Scalar>
        if let directory = spec.initialWeightsDirectory {
            weights = try WeightFiles.load(from: URL(fileURLWithPath: directory), prefix: spec.initialWeightsPrefix,
                                           configuration: network, pixelOrder: spec.pixelOrder,
                                           imageShape: (dataset.train.rows, dataset.train.columns))
        } else {
            // Drawn in float64 whatever the precision, so a seed gives the same network in both.
            let drawn: NetworkWeights<Double> = WeightInitialization(maximumRate: network.neuron.maximumRate)
                .makeWeights(for: network, using: &generator)
            weights = drawn.converted()
        }
        // Taken after every check (and the weights' loading), so a refused run leaves no directory.
        if locking { try RunRecorder.checkUsable(spec.outputDirectory) }  // before the lock file is made
        let lock = locking ? try RunLock(directory: spec.outputDirectory) : nil
        defer { withExtendedLifetime(lock) {} }
        let record = spec.record(network: network, dataset: dataset, commandLine: commandLine)
        let recorder = try RunRecorder(directory: spec.outputDirectory, record: record)
        try recorder.saveInitialWeights(weights)
        let summaries = SummaryCollector()
        let measurements = try measurements(spec, network: network, dataset: dataset)
        var trainer = Trainer(network: network, options: spec.training, weights: weights,
                              dynamics: dynamics, evaluator: evaluator, generator: generator)
        trainer.readouts = measurements.readouts
        trainer.testThreads = spec.testThreads
        trainer.stopRequest = stop
        // Checkpoints (Checkpoint.swift): one before the first epoch, then one after each.
        let directory = spec.outputDirectory
        try Checkpoint.write(trainer.state, to: directory)
        trainer.epochDidEnd = { try Checkpoint.write($0, to: directory) }
        try trainer.run(dataset: dataset, observers: [recorder, summaries] + measurements.observers + observers)
        return summaries.epochs
    }
}

extension TrainingRun {
    /// The measurement recorders of a run: angles and the Jacobian condition (networks with a
    /// hidden layer), and the per-layer read-outs, which the trainer measures with each full test;
    /// and, when the spec asks for it, the TensorBoard recorder, which also gets the angles and
    /// eigenvalues as they are written (`measured: false`: the TensorBoard recorder alone, for
    /// runs recorded before the measurements).
    static func measurements(
        _ spec: TrainingRunSpec, network: NetworkConfiguration, dataset: ImageDataset, measured: Bool = true
    ) throws -> (observers: [TrainingObserver], readouts: LayerReadouts?) {
        let options = spec.measurements
        var observers: [TrainingObserver] = []
        let tensorBoard = spec.tensorboard
            ? try TensorBoardRecorder(directory: spec.outputDirectory, imagesPerEpoch: spec.training.imagesPerEpoch)
            : nil
        if let tensorBoard { observers.append(tensorBoard) }
        guard measured else { return (observers, nil) }
        if network.hiddenLayerCount > 0 {
            let recorder = try MeasurementRecorder(
                directory: spec.outputDirectory, configuration: network, updateInterval: options.updateAngleInterval,
                interval: options.interval, smoothingBlock: options.smoothingBlock, jacobianWindow: options.smoothingBlock)
            if let tensorBoard { recorder.listeners.append(tensorBoard) }
            observers.append(recorder)
        }
        guard options.readoutImages > 0 else { return (observers, nil) }
        observers.append(try LayerAccuracyRecorder(directory: spec.outputDirectory))
        let readouts = LayerReadouts(configuration: network, dataset: dataset, readoutImages: options.readoutImages,
                                     ridgePerSample: options.readoutRidgePerSample)
        return (observers, readouts)
    }
}

/// Keeps the epoch summaries of a run.
final class SummaryCollector: TrainingObserver {
    var epochs: [EpochSummary] = []
    func didFinishEpoch<Scalar>(_ summary: EpochSummary, weights: NetworkWeights<Scalar>) throws {
        epochs.append(summary)
    }
}
