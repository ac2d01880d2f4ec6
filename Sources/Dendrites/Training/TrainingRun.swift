import Foundation

/// Everything a user chooses for one training run; `TrainingRun` turns it into a trained,
/// recorded network. The command-line tool only fills this in.
public struct TrainingRunSpec: Sendable {
    public var mode: SimulationMode = .rate
    public var precision: Precision = .float64
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

    public init(network: NetworkConfiguration, training: TrainingOptions, outputDirectory: URL) {
        self.network = network
        self.training = training
        self.outputDirectory = outputDirectory
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
        _ spec: TrainingRunSpec, dataset: ImageDataset, commandLine: [String], observers: [TrainingObserver]
    ) throws -> [EpochSummary] {
        var network = spec.network
        network.inputSize = dataset.train.pixelsPerImage
        try network.validate()
        try spec.training.validate(for: network, trainingImages: dataset.train.count, testImages: dataset.test.count)
        guard spec.mode == .rate else {
            throw ConfigurationError("--mode spiking is not available yet; use --mode rate")
        }
        var generator = Xoshiro256(seed: spec.training.seed)
        let weights: NetworkWeights<Double>
        let initialDescription: String
        if let directory = spec.initialWeightsDirectory {
            weights = try WeightFiles.load(from: URL(fileURLWithPath: directory), prefix: spec.initialWeightsPrefix,
                                           configuration: network, pixelOrder: spec.pixelOrder,
                                           imageShape: (dataset.train.rows, dataset.train.columns))
            initialDescription = "\(directory) (prefix '\(spec.initialWeightsPrefix)')"
        } else {
            weights = WeightInitialization(maximumRate: network.neuron.maximumRate).makeWeights(for: network, using: &generator)
            initialDescription = "random"
        }
        let record = RunRecord(mode: spec.mode, precision: spec.precision, network: network, training: spec.training,
                               dataset: dataset.kind, dataDirectory: dataset.directory,
                               initialWeights: initialDescription, pixelOrder: spec.pixelOrder, commandLine: commandLine)
        let recorder = try RunRecorder(directory: spec.outputDirectory, record: record)
        try recorder.saveInitialWeights(weights)
        let summaries = SummaryCollector()
        var trainer = Trainer(network: network, options: spec.training, weights: weights,
                              dynamics: RateDynamics<Double>(configuration: network),
                              evaluator: RateEvaluator<Double>(configuration: network), generator: generator)
        try trainer.run(dataset: dataset, observers: [recorder, summaries] + observers)
        return summaries.epochs
    }
}

/// Keeps the epoch summaries of a run.
final class SummaryCollector: TrainingObserver {
    var epochs: [EpochSummary] = []
    func didFinishEpoch<Scalar>(_ summary: EpochSummary, weights: NetworkWeights<Scalar>) throws {
        epochs.append(summary)
    }
}
