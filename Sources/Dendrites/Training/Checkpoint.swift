import Foundation

// Crash-safe checkpoints and exact resume (issue 6).
//
// At the end of every epoch (and once before the first), a run directory receives
// `checkpoint.json`, written atomically after the epoch's weight files. It names the weight
// files of the last finished epoch (`initial_` or `epoch_<k>_`, themselves written atomically),
// and holds everything else a resumed run needs: the epochs done, the generator's state, the
// sparse-feedback mask and, in spiking mode, the input spike history (the only state that
// survives the end-of-epoch test, MODEL.md §4). The loss-block position of the recorder is
// always 1 at an epoch's end, so nothing of the recorder needs keeping. Everything else
// (mode, precision, network, schedule) is in `config.json`.

/// The spikes of a `SpikeHistory`, as plain data.
public struct SpikeHistoryState: Codable, Equatable, Sendable {
    public var memory: Int
    public var head: Int
    public var slots: [[Int32]]

    public init(memory: Int, head: Int, slots: [[Int32]]) {
        self.memory = memory
        self.head = head
        self.slots = slots
    }
}

extension SpikeHistory {
    public var savedState: SpikeHistoryState { SpikeHistoryState(memory: memory, head: head, slots: slots) }

    /// The history with exactly this state (rebuilt through `advance` and `record`).
    public init(restoring state: SpikeHistoryState) throws {
        guard state.memory > 0, state.slots.count == state.memory, (0..<state.memory).contains(state.head) else {
            throw CheckpointError("the input spike history is malformed (memory \(state.memory), head \(state.head), \(state.slots.count) slots)")
        }
        self.init(memory: state.memory, expectedSpikesPerStep: state.slots.map(\.count).max() ?? 16)
        for _ in 0..<state.head { advance() }
        for step in 1...state.memory {
            advance()
            for neuron in state.slots[(state.head + step) % state.memory] { record(neuron) }
        }
    }
}

/// Dynamics whose state between epochs is more than "cleared" (spiking mode: the input spikes).
public protocol InputSpikeKeeping {
    var inputSpikeState: SpikeHistoryState { get }
    mutating func restoreInputSpikes(_ state: SpikeHistoryState) throws
}

extension SpikingDynamics: InputSpikeKeeping {
    public var inputSpikeState: SpikeHistoryState { inputHistory.savedState }
    public mutating func restoreInputSpikes(_ state: SpikeHistoryState) throws {
        guard state.memory == inputHistory.memory else {
            throw CheckpointError("the checkpoint's input spike history has memory \(state.memory); this network's is \(inputHistory.memory)")
        }
        inputHistory = try SpikeHistory(restoring: state)
        clearState()  // re-derives the cached drives from the restored history
    }
}

/// What a trainer hands over at the end of an epoch, and takes back when resuming.
public struct TrainerState<Scalar: DendriteScalar> {
    public var completedEpochs: Int
    public var generator: Xoshiro256
    public var weights: NetworkWeights<Scalar>
    public var inputSpikes: SpikeHistoryState?
}

extension Trainer {
    public var state: TrainerState<Scalar> {
        TrainerState(completedEpochs: completedEpochs, generator: generator, weights: weights,
                     inputSpikes: (dynamics as? any InputSpikeKeeping)?.inputSpikeState)
    }

    /// Continues from `state`: the next `run` starts with epoch `state.completedEpochs + 1`.
    public mutating func restore(from state: TrainerState<Scalar>) throws {
        try state.weights.checkShapes(against: network)
        weights = state.weights
        generator = state.generator
        completedEpochs = state.completedEpochs
        if let spikes = state.inputSpikes {
            guard var keeping = dynamics as? any InputSpikeKeeping else {
                throw CheckpointError("the checkpoint holds input spikes but this run's dynamics keep none (rate mode?)")
            }
            try keeping.restoreInputSpikes(spikes)
            dynamics = keeping as! Dynamics
        }
        dynamics.weightsDidChange(weights)
    }
}

extension NetworkWeights {
    /// The largest magnitude a weight may reach before the run counts as diverged.
    public static var absurdMagnitude: Double { 1e100 }

    /// Every weight finite and at most `absurdMagnitude` in size.
    public var isSane: Bool {
        func sane(_ values: [Scalar]) -> Bool { values.allSatisfy { $0.isFinite && Double($0).magnitude <= Self.absurdMagnitude } }
        return forward.allSatisfy { sane($0.values) } && bias.allSatisfy(sane)
            && feedback.allSatisfy { sane($0.values) } && apicalBias.allSatisfy(sane)
    }

    /// The cheap per-image part of `isSane`: the biases only.
    public var biasesAreSane: Bool {
        bias.allSatisfy { $0.allSatisfy { $0.isFinite && Double($0).magnitude <= Self.absurdMagnitude } }
    }

    /// FNV-1a over the bit patterns (as float64) of every array, to check a checkpoint's files.
    public var checksum: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ values: [Scalar]) {
            for v in values {
                var bits = Double(v).bitPattern
                for _ in 0..<8 {
                    hash = (hash ^ (bits & 0xff)) &* 0x100_0000_01b3
                    bits >>= 8
                }
            }
        }
        for m in forward.indices { mix(forward[m].values); mix(bias[m]) }
        for l in feedback.indices { mix(feedback[l].values); mix(apicalBias[l]) }
        return hash
    }
}

public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, naming settings (`outputDirectory`), which the command line prints as its options.
    public let message: SettingMessage
    public init(_ message: SettingMessage) { self.message = message }
    @_disfavoredOverload public init(_ text: String) { self.message = SettingMessage(stringLiteral: text) }
    public var description: String { message.description }
    public func description(naming name: (Setting) -> String) -> String { message.rendered(naming: name) }
}

/// `checkpoint.json` of a run directory.
public struct Checkpoint: Codable, Equatable, Sendable {
    public static let fileName = "checkpoint.json"

    /// The run directory's format (`RunRecord.formatVersion`): a checkpoint's own fields are the
    /// same in formats 1 and 2, so a resumed format-1 run keeps writing 1 and an older binary
    /// can still resume it.
    public var formatVersion = RunFormat.current
    /// Epochs finished; the next run starts with epoch `completedEpochs + 1`.
    public var completedEpochs: Int
    /// Prefix of the weight files in the run directory: `initial_` or `epoch_<k>_`.
    public var weightsPrefix: String
    /// FNV-1a of the weights (see `NetworkWeights.checksum`), checked when they are loaded.
    public var weightsChecksum: String
    public var generator: Xoshiro256
    public var feedbackMask: [[Bool]]
    /// Spiking mode: the input spikes of the last 10 steps.
    public var inputSpikes: SpikeHistoryState?
    public var date: String

    public static func weightsPrefix(afterEpoch epoch: Int) -> String { epoch == 0 ? "initial_" : "epoch_\(epoch)_" }

    public init<Scalar>(_ state: TrainerState<Scalar>, formatVersion: Int = RunFormat.current) {
        self.formatVersion = formatVersion
        completedEpochs = state.completedEpochs
        weightsPrefix = Self.weightsPrefix(afterEpoch: state.completedEpochs)
        weightsChecksum = String(state.weights.checksum, radix: 16)
        generator = state.generator
        feedbackMask = state.weights.feedbackMask
        inputSpikes = state.inputSpikes
        date = ISO8601DateFormatter().string(from: Date())
    }

    /// Writes `checkpoint.json` atomically. The weight files it names must already be written
    /// (the run recorder writes `epoch_<k>_*` before the trainer's end-of-epoch hook runs).
    public static func write<Scalar>(_ state: TrainerState<Scalar>, to directory: URL, formatVersion: Int = RunFormat.current) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(Checkpoint(state, formatVersion: formatVersion)), to: directory.appendingPathComponent(fileName))
        // A process killed inside an earlier write leaves its temporary file; the run directory's
        // lock is held here, so none is another writer's.
        AtomicFile.removeStaleTemporaries(in: directory, target: fileName)
    }

    /// The checkpoint of a run directory, or nil when it has none.
    public static func read(from directory: URL) throws -> Checkpoint? {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONFile.decode(Checkpoint.self, path: url.path)
        } catch let error as DataError {
            throw CheckpointError("\(error.file) cannot be read: \(error.problem)")
        }
    }

    /// Checks every field against the run's `config.json` before any of it is used: the format,
    /// the epochs done, the weight files it names, the feedback mask's shape, and each input
    /// spike (an index into the input layer) and the history's shape. `file` names the checkpoint
    /// in messages.
    public func validate(against record: RunRecord, file: String) throws {
        func bad(_ what: String) -> CheckpointError { CheckpointError("\(file): \(what); the run was left as it is") }
        guard RunFormat.readable.contains(formatVersion) else {
            throw bad("formatVersion \(formatVersion) is not one this version reads (\(RunFormat.readable.lowerBound)…\(RunFormat.readable.upperBound))")
        }
        guard completedEpochs >= 0 && completedEpochs <= 1_000_000 else {
            throw bad("completedEpochs is \(completedEpochs); it must lie in 0…1000000")
        }
        let expected = Self.weightsPrefix(afterEpoch: completedEpochs)
        guard weightsPrefix == expected else {
            throw bad("weightsPrefix '\(weightsPrefix)' is not the prefix of epoch \(completedEpochs)'s weights ('\(expected)')")
        }
        guard weightsChecksum.count <= 16, UInt64(weightsChecksum, radix: 16) != nil else {
            throw bad("weightsChecksum '\(weightsChecksum)' is not a 64-bit hexadecimal checksum")
        }
        let network = record.network
        let sizes = network.layerSizes
        let hidden = network.hiddenLayerCount
        if network.variants.sparseZeroedFraction != nil {
            guard feedbackMask.count == hidden else {
                throw bad("feedbackMask has \(feedbackMask.count) masks; sparse feedback in this network needs \(hidden)")
            }
            for l in 0..<hidden {
                let columns = network.feedbackWiring == .layerwise ? sizes[l + 1] : sizes[sizes.count - 1]
                guard feedbackMask[l].count == sizes[l] * columns else {
                    throw bad("feedbackMask \(l) has \(feedbackMask[l].count) entries; Y_\(l) has \(sizes[l]) × \(columns)")
                }
            }
        } else if !feedbackMask.isEmpty {
            throw bad("feedbackMask is given, but the run has no sparse feedback")
        }
        switch (record.mode, inputSpikes) {
        case (.rate, nil): break
        case (.rate, .some): throw bad("inputSpikes is given, but the run is in rate mode")
        case (.spiking, nil): throw bad("inputSpikes is missing; a spiking run needs the input spikes of the last steps")
        case let (.spiking, .some(spikes)):
            let memory = network.neuron.kernelMemory
            guard spikes.memory == memory, spikes.slots.count == memory, (0..<memory).contains(spikes.head) else {
                throw bad("inputSpikes has memory \(spikes.memory), head \(spikes.head) and \(spikes.slots.count) slots; it needs memory \(memory), a head in 0…\(memory - 1) and \(memory) slots")
            }
            for (k, slot) in spikes.slots.enumerated() {
                guard slot.count <= 64 * network.inputSize else {
                    throw bad("inputSpikes slot \(k) holds \(slot.count) spikes, more than the input layer can fire in a step")
                }
                if let neuron = slot.first(where: { !(0..<Int32(network.inputSize)).contains($0) }) {
                    throw bad("inputSpikes slot \(k) names input neuron \(neuron); the input layer has neurons 0…\(network.inputSize - 1)")
                }
            }
        }
    }

    /// The trainer state this checkpoint describes, with its weights loaded and checked.
    public func state<Scalar: DendriteScalar>(in directory: URL, configuration: NetworkConfiguration,
                                              as: Scalar.Type = Scalar.self) throws -> TrainerState<Scalar> {
        var weights: NetworkWeights<Scalar> = try WeightFiles.load(from: directory, prefix: weightsPrefix,
                                                                   configuration: configuration)
        weights.feedbackMask = feedbackMask
        guard String(weights.checksum, radix: 16) == weightsChecksum else {
            throw CheckpointError("the weight files \(directory.path)/\(weightsPrefix)*.npy do not match \(Checkpoint.fileName) (checksum); they were changed after the checkpoint")
        }
        return TrainerState(completedEpochs: completedEpochs, generator: generator, weights: weights,
                            inputSpikes: inputSpikes)
    }

    /// Drops every row of the run directory's CSV files (`RunCSV`) from epochs after `epoch`,
    /// and an unterminated last line, so that a resumed run appends without duplicates. Each
    /// file is read with `CSVReader` in the run's format (`layout`; without it, config.json's),
    /// and every file is read and checked before the first is written: a malformed row is an
    /// error naming the file and the line, and nothing is changed.
    public static func truncateSeries(in directory: URL, afterEpoch epoch: Int, layout: RunLayout? = nil) throws {
        for (url, text) in try truncatedSeries(in: directory, afterEpoch: epoch, layout: layout ?? RunLayout(directory: directory)) {
            try AtomicFile.write(Data(text.utf8), to: url)
        }
    }

    /// The CSV files `truncateSeries` changes, with their new contents; nothing is written.
    static func truncatedSeries(in directory: URL, afterEpoch epoch: Int, layout: RunLayout) throws -> [(URL, String)] {
        var changes: [(URL, String)] = []
        for file in RunCSV.allCases {
            let url = directory.appendingPathComponent(file.fileName)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let columns = layout.columns(file)
            let (table, _, _) = try CSVReader.read(url.path, alternatives: [columns])
            let epochColumn = table.header.firstIndex(of: "epoch")!
            let kept = table.filtered { Int($0[epochColumn])! <= epoch }
            let truncated = ([table.header.joined(separator: ",")] + kept.lines).map { $0 + "\n" }.joined()
            let original = try InputFile.readText(url.path, what: "a CSV file")
            if truncated != original { changes.append((url, truncated)) }
        }
        return changes
    }
}

extension TrainingRun {
    /// Continues the run in `directory` from its last checkpoint, reading `config.json` for
    /// everything else, and appends to its files. With `epochs`, the run is extended (or
    /// shortened, if not yet past it) to that many epochs and `config.json` records it.
    /// The result equals, bit for bit, that of an uninterrupted run with the same seed.
    /// Returns the summaries of the epochs run now (none when the run was already complete).
    ///
    /// TensorBoard: the run goes on writing event files if config.json says it did (`tensorboard`;
    /// runs recorded before it did not), or as `tensorboard` says when given, which config.json
    /// then records. Each resumed process writes a new event file; the events that earlier files
    /// hold past the checkpoint are dropped first, as the CSV rows are, so no step is written twice.
    @discardableResult
    public static func resume(directory: URL, dataset: ImageDataset? = nil, epochs: Int? = nil, tensorboard: Bool? = nil,
                              observers: [TrainingObserver] = [], stop: StopRequest? = nil) throws -> [EpochSummary] {
        try resume(directory: directory, dataset: dataset, epochs: epochs, tensorboard: tensorboard, observers: observers,
                   locking: true, stop: stop)
    }

    /// `locking: false` when the caller already holds the run directory's `RunLock`.
    static func resume(directory: URL, dataset: ImageDataset?, epochs: Int?, tensorboard: Bool? = nil,
                       observers: [TrainingObserver], locking: Bool, stop: StopRequest? = nil) throws -> [EpochSummary] {
        let configURL = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw CheckpointError("\(directory.path) holds no run (no config.json)")
        }
        let lock = locking ? try RunLock(directory: directory) : nil
        defer { withExtendedLifetime(lock) {} }
        var record = try RunRecord.read(from: directory)
        guard let checkpoint = try Checkpoint.read(from: directory) else {
            throw CheckpointError("\(directory.path) has no \(Checkpoint.fileName) (a run from before checkpoints, or one killed before its first)")
        }
        // Everything read back is checked as the command line is, before anything is written.
        let data = try dataset ?? loadDataset(record.dataset, explicit: record.dataDirectory)
        try record.validate(dataset: data, file: configURL.path)
        try checkpoint.validate(against: record, file: directory.appendingPathComponent(Checkpoint.fileName).path)
        // The CSV files too, before config.json may be rewritten below.
        let layout = RunLayout(record)
        guard RunFormat.readable.contains(layout.formatVersion) else {
            throw CheckpointError("\(configURL.path): formatVersion \(layout.formatVersion) is not one this version reads (\(RunFormat.readable.lowerBound)…\(RunFormat.readable.upperBound)); the run was left as it is")
        }
        let truncations = try Checkpoint.truncatedSeries(in: directory, afterEpoch: checkpoint.completedEpochs, layout: layout)
        var changed = false
        if let epochs, epochs != record.training.epochs {
            guard epochs >= checkpoint.completedEpochs, epochs > 0 else {
                throw CheckpointError("\(setting: .epochs) \(epochs) is fewer than the \(checkpoint.completedEpochs) epochs already done; \(configURL.path) was left as it is")
            }
            record.training.epochs = epochs
            try record.validate(dataset: data, file: configURL.path)
            changed = true
        }
        if let tensorboard, tensorboard != (record.tensorboard ?? false) {
            record.tensorboard = tensorboard
            changed = true
        }
        if changed {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(record), to: configURL)
        }
        // Temporary files of writes that a kill interrupted (the lock is held: none is live).
        AtomicFile.removeStaleTemporaries(in: directory)
        for (url, text) in truncations { try AtomicFile.write(Data(text.utf8), to: url) }
        try EventFiles.truncate(in: directory, afterStep: Int64(checkpoint.completedEpochs) * Int64(record.training.imagesPerEpoch))
        if checkpoint.completedEpochs >= record.training.epochs { return [] }

        let network = record.network
        BLASThreads.set(1)  // as TrainingRun.run: results depend on OpenBLAS's thread count
        let spiking = record.spiking ?? SpikingOptions()
        struct Resume: SimulationTask {
            let record: RunRecord, checkpoint: Checkpoint, directory: URL, dataset: ImageDataset
            let observers: [TrainingObserver], stop: StopRequest?
            func run<D: NetworkDynamics, E: NetworkEvaluator>(_ simulation: Simulation<D, E>) throws -> [EpochSummary] {
                try TrainingRun.resume(record, checkpoint, directory: directory, dataset: dataset, observers: observers, stop: stop,
                                       dynamics: simulation.makeDynamics(), evaluator: simulation.makeEvaluator(nil))
            }
        }
        return try Simulations.run(Resume(record: record, checkpoint: checkpoint, directory: directory, dataset: data,
                                          observers: observers, stop: stop),
                                   mode: record.mode, precision: record.precision, network: network, spiking: spiking)
    }

    fileprivate static func resume<D: NetworkDynamics, E: NetworkEvaluator>(
        _ record: RunRecord, _ checkpoint: Checkpoint, directory: URL, dataset: ImageDataset,
        observers: [TrainingObserver], stop: StopRequest?, dynamics: D, evaluator: E
    ) throws -> [EpochSummary] where D.Scalar == E.Scalar {
        let state: TrainerState<D.Scalar> = try checkpoint.state(in: directory, configuration: record.network)
        // The run's own format: a format-1 run goes on writing format-1 rows, so each file keeps
        // one header and one number format (Docs/Formats.md).
        let recorder = try RunRecorder(resumingIn: directory, layout: RunLayout(record))
        let summaries = SummaryCollector()
        // The measurement recorders append to their files (runs recorded before them have none);
        // the TensorBoard recorder starts a new event file.
        var spec = TrainingRunSpec(network: record.network, training: record.training, outputDirectory: directory)
        spec.mode = record.mode
        spec.precision = record.precision
        spec.spiking = record.spiking ?? SpikingOptions()
        spec.measurements = record.measurements ?? MeasurementOptions()
        spec.tensorboard = record.tensorboard ?? false
        let measurements = try TrainingRun.measurements(spec, network: record.network, dataset: dataset,
                                                        measured: record.measurements != nil)
        var trainer = Trainer(network: record.network, options: record.training, weights: state.weights,
                              dynamics: dynamics, evaluator: evaluator, generator: state.generator)
        try trainer.restore(from: state)
        trainer.readouts = measurements.readouts
        trainer.stopRequest = stop
        trainer.epochDidEnd = { try Checkpoint.write($0, to: directory, formatVersion: record.formatVersion) }
        try trainer.run(dataset: dataset, observers: [recorder, summaries] + measurements.observers + observers)
        return summaries.epochs
    }
}
