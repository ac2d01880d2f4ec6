import Foundation

/// Everything that defines a run, written as `config.json` in its directory.
public struct RunRecord: Codable, Equatable, Sendable {
    /// The format of the run directory's files (Docs/Formats.md): `RunFormat.current` for a new
    /// run; a run's own for one read back (a resumed format-1 run stays format 1).
    public var formatVersion = RunFormat.current
    public var mode: SimulationMode
    public var precision: Precision
    /// The time course of spiking mode (absent in rate mode).
    public var spiking: SpikingOptions?
    public var network: NetworkConfiguration
    public var training: TrainingOptions
    public var dataset: DatasetKind
    public var dataDirectory: String
    /// Where the initial weights came from: "random" or a directory and prefix.
    public var initialWeights: String
    public var pixelOrder: PixelOrder
    /// The commit the binary was built from (`buildCommit`), wherever the run was started.
    public var gitCommit: String
    public var date: String
    public var commandLine: [String]
    /// The `--preset` the run started from (options given beside it override it), if any.
    public var preset: String? = nil
    /// Measurement intervals and read-out size (absent in runs recorded before issue 5).
    public var measurements: MeasurementOptions?
    /// Whether the run writes a TensorBoard event file (`TrainingRunSpec.tensorboard`); absent
    /// in runs recorded before it, which `resume` continues without one. It changes no result,
    /// so it is not one of `differences(from:)`.
    public var tensorboard: Bool? = nil

    public init(mode: SimulationMode, precision: Precision, network: NetworkConfiguration, training: TrainingOptions,
                dataset: DatasetKind, dataDirectory: String, initialWeights: String, pixelOrder: PixelOrder,
                commandLine: [String]) {
        self.mode = mode
        self.precision = precision
        self.network = network
        self.training = training
        self.dataset = dataset
        self.dataDirectory = dataDirectory
        self.initialWeights = initialWeights
        self.pixelOrder = pixelOrder
        self.gitCommit = RunRecord.buildCommit
        self.date = ISO8601DateFormatter().string(from: Date())
        self.commandLine = commandLine
    }

    /// The commit the library was built from (`BuildInfo`, written at build time), with "+dirty"
    /// when tracked files had uncommitted changes; "unknown" for a build outside a git checkout.
    public static var buildCommit: String {
        BuildInfo.commit == "unknown" ? "unknown" : BuildInfo.commit + (BuildInfo.treeWasDirty ? "+dirty" : "")
    }
}

public enum SimulationMode: String, Codable, CaseIterable, Sendable {
    case rate
    case spiking
}

public enum Precision: String, Codable, CaseIterable, Sendable {
    case float64
    case float32
}
