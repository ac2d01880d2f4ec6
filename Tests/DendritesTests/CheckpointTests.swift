import Foundation
import Testing
import Dendrites
#if canImport(Glibc)
import Glibc
#endif

// Checkpoints and exact resume (issue 6): a run stopped after some epochs and resumed gives
// bit for bit what an uninterrupted run gives; a SIGKILLed process leaves no corrupted file.

private func checkpointSpec(mode: SimulationMode, precision: Precision = .float64, hidden: [Int] = [30],
                            images: Int = 300, epochs: Int, output: URL) -> TrainingRunSpec {
    let network = NetworkConfiguration(hiddenSizes: hidden)
    var training = TrainingOptions(learningRates: TrainingOptions.defaultLearningRates(hiddenLayers: hidden.count))
    training.epochs = epochs
    training.imagesPerEpoch = images
    training.quickTestInterval = 100      // quick tests draw from the generator too
    training.quickTestImages = 10
    training.fullTestImages = 60
    var spec = TrainingRunSpec(network: network, training: training, outputDirectory: output)
    spec.mode = mode
    spec.precision = precision
    return spec
}

private func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

/// metrics.csv without its `seconds` column.
private func metricsWithoutTimes(_ run: URL) throws -> [String] {
    try text(run.appendingPathComponent("metrics.csv")).split(separator: "\n").map {
        $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",")
    }
}

/// Every recorded series and the weights of every epoch, byte for byte.
private func expectSameRun(_ a: URL, _ b: URL, epochs: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(try metricsWithoutTimes(a) == metricsWithoutTimes(b), sourceLocation: sourceLocation)
    #expect(try metricsWithoutTimes(a).count == epochs + 1, sourceLocation: sourceLocation)
    // Every series but metrics.csv (its seconds column): the measurement files too.
    let series = try FileManager.default.contentsOfDirectory(atPath: a.path)
        .filter { $0.hasSuffix(".csv") && $0 != "metrics.csv" }.sorted()
    #expect(series.contains("loss.csv") && series.contains("quick_test.csv"), sourceLocation: sourceLocation)
    for name in series {
        #expect(try text(a.appendingPathComponent(name)) == text(b.appendingPathComponent(name)), "\(name)", sourceLocation: sourceLocation)
    }
    let npys = try FileManager.default.contentsOfDirectory(atPath: a.path)
        .filter { $0.hasSuffix(".npy") && ($0.hasPrefix("epoch_") || $0.hasPrefix("initial_")) }.sorted()
    #expect(npys.contains("epoch_\(epochs)_W_0.npy"), sourceLocation: sourceLocation)
    for name in npys {
        let x = try Data(contentsOf: a.appendingPathComponent(name))
        let y = try Data(contentsOf: b.appendingPathComponent(name))
        #expect(x == y, "\(name) differs", sourceLocation: sourceLocation)
    }
    let ca = try #require(try Checkpoint.read(from: a))
    let cb = try #require(try Checkpoint.read(from: b))
    #expect(ca.completedEpochs == epochs && cb.completedEpochs == epochs, sourceLocation: sourceLocation)
    #expect(ca.generator == cb.generator && ca.weightsChecksum == cb.weightsChecksum && ca.inputSpikes == cb.inputSpikes,
            sourceLocation: sourceLocation)
}

/// Trains `epochs` epochs straight, and 1 epoch then a resume to `epochs`, and compares.
private func resumeMatchesUninterrupted(mode: SimulationMode, precision: Precision = .float64, hidden: [Int] = [30],
                                        stopAfter: Int = 1, epochs: Int = 3,
                                        configure: (inout TrainingRunSpec) -> Void = { _ in }) throws {
    let parent = try SharedPaths.temporaryDirectory("resume-\(mode)-\(precision)-\(hidden.count)")
    defer { try? FileManager.default.removeItem(at: parent) }
    let straight = parent.appendingPathComponent("straight")
    let resumed = parent.appendingPathComponent("resumed")
    let dataset = MNISTData.dataset
    func spec(_ epochs: Int, _ output: URL) -> TrainingRunSpec {
        var spec = checkpointSpec(mode: mode, precision: precision, hidden: hidden, epochs: epochs, output: output)
        configure(&spec)
        return spec
    }
    try TrainingRun.run(spec(epochs, straight), dataset: dataset, commandLine: [], observers: [])
    let first = try TrainingRun.run(spec(stopAfter, resumed), dataset: dataset, commandLine: [], observers: [])
    #expect(first.count == stopAfter)
    #expect(try Checkpoint.read(from: resumed)?.completedEpochs == stopAfter)
    if mode == .spiking { #expect(try Checkpoint.read(from: resumed)?.inputSpikes != nil) }
    let rest = try TrainingRun.resume(directory: resumed, dataset: dataset, epochs: epochs)
    #expect(rest.map(\.epoch) == Array((stopAfter + 1)...epochs))
    try expectSameRun(straight, resumed, epochs: epochs)
    // A finished run resumes to nothing.
    #expect(try TrainingRun.resume(directory: resumed, dataset: dataset).isEmpty)
}

/// Reads the checkpoint present when training starts (the one before epoch 1).
private final class InitialCheckpointKeeper: TrainingObserver {
    let directory: URL
    var initial: Checkpoint?
    init(directory: URL) { self.directory = directory }
    func trainingWillStart(epochs: Int, imagesPerEpoch: Int, startingEpoch: Int) {
        initial = try? Checkpoint.read(from: directory)
    }
}

@Suite("Checkpoints and resume")
struct CheckpointTests {
    @Test("Rate mode: 1 epoch + resume to 3 equals 3 epochs, bit for bit")
    func rateResume() throws { try resumeMatchesUninterrupted(mode: .rate) }

    @Test("Rate mode, two hidden layers, stopped after epoch 2")
    func rateResumeDeep() throws { try resumeMatchesUninterrupted(mode: .rate, hidden: [30, 20], stopAfter: 2) }

    @Test("Spiking mode (float64): 1 epoch + resume to 3 equals 3 epochs, bit for bit")
    func spikingResume() throws { try resumeMatchesUninterrupted(mode: .spiking) }

    @Test("Rate mode with sparse, learned feedback and an apical bias (the sparse mask is kept)")
    func rateResumeSparseLearned() throws {
        try resumeMatchesUninterrupted(mode: .rate, hidden: [30, 20], epochs: 2) {
            $0.network.variants.sparseZeroedFraction = 0.8
            $0.network.variants.feedbackLearningRates = [0.05, 0.05]
            $0.network.variants.apicalBias = true
        }
    }

    @Test("Spiking mode with noisy symmetric feedback and random plateau times")
    func spikingResumeVariants() throws {
        try resumeMatchesUninterrupted(mode: .spiking, epochs: 2) {
            $0.network.variants.symmetric = true
            $0.network.variants.symmetricNoiseSD = 0.05
            $0.spiking.randomPlateauTimes = true
        }
    }

    @Test("Spiking mode (float32) resumes exactly too")
    func spikingResumeFloat32() throws { try resumeMatchesUninterrupted(mode: .spiking, precision: .float32, epochs: 2) }

    @Test("A run killed before its first epoch ends resumes from the initial checkpoint")
    func resumeFromInitialCheckpoint() throws {
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let straight = parent.appendingPathComponent("straight")
        let resumed = parent.appendingPathComponent("resumed")
        try TrainingRun.run(checkpointSpec(mode: .rate, epochs: 2, output: straight), dataset: MNISTData.dataset, commandLine: [], observers: [])
        // A run killed mid-epoch 1: its directory holds the checkpoint written before epoch 1
        // (kept aside by an observer when training starts) and the rows a crash leaves.
        let keeper = InitialCheckpointKeeper(directory: resumed)
        try TrainingRun.run(checkpointSpec(mode: .rate, epochs: 2, output: resumed), dataset: MNISTData.dataset, commandLine: [], observers: [keeper])
        let zero = try #require(keeper.initial)
        #expect(zero.completedEpochs == 0 && zero.weightsPrefix == "initial_")
        try AtomicFile.write(try JSONEncoder().encode(zero), to: resumed.appendingPathComponent(Checkpoint.fileName))
        let metrics = resumed.appendingPathComponent("metrics.csv")
        try AtomicFile.write(Data((try text(metrics) + "3,12.5,1").utf8), to: metrics)  // a torn last line
        try TrainingRun.resume(directory: resumed, dataset: MNISTData.dataset)
        try expectSameRun(straight, resumed, epochs: 2)
    }

    @Test("truncateSeries keeps the header and rows up to the epoch, drops torn lines, in either format")
    func truncation() throws {
        let dir = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Format 2 (config.json says which).
        try RunFiles.writeConfig(in: dir, formatVersion: 2, hiddenLayers: 1)
        let csv = dir.appendingPathComponent("loss.csv")
        let header = "step,epoch,first_image,last_image,mean_loss\n"
        try Data((header + "100,1,1,100,0.5\n200,2,1,100,0.25\n300,3,1,100,0.125\n400,3,101,2").utf8).write(to: csv)
        let other = dir.appendingPathComponent("notes.csv")
        try Data("name,b\n9,q\n".utf8).write(to: other)
        try Checkpoint.truncateSeries(in: dir, afterEpoch: 2)
        #expect(try text(csv) == header + "100,1,1,100,0.5\n200,2,1,100,0.25\n")
        #expect(try text(other) == "name,b\n9,q\n")  // not a file of the run
        try Checkpoint.truncateSeries(in: dir, afterEpoch: 0)
        #expect(try text(csv) == header)
        // Format 1: its own header, kept as it is.
        try RunFiles.writeConfig(in: dir, formatVersion: 1, hiddenLayers: 1)
        try Data("epoch,image,angle_layer_0\n1,10,80.5\n2,10,nan\n2,2".utf8).write(to: dir.appendingPathComponent("update_angles.csv"))
        try FileManager.default.removeItem(at: csv)
        try Checkpoint.truncateSeries(in: dir, afterEpoch: 1)
        #expect(try text(dir.appendingPathComponent("update_angles.csv")) == "epoch,image,angle_layer_0\n1,10,80.5\n")
        // A format-2 header in a format-1 run is refused, naming the file, and nothing is written.
        try Data((header + "100,1,1,100,0.5\n").utf8).write(to: csv)
        #expect(throws: DataError.self) { try Checkpoint.truncateSeries(in: dir, afterEpoch: 0) }
        #expect(try text(dir.appendingPathComponent("update_angles.csv")) == "epoch,image,angle_layer_0\n1,10,80.5\n")
    }

    @Test("A spike history survives a save and restore, head included")
    func spikeHistoryRoundTrip() throws {
        var history = SpikeHistory(memory: 10)
        var generator = Xoshiro256(seed: 7)
        for _ in 0..<23 {
            history.advance()
            for _ in 0..<Int(generator.next() % 5) { history.record(Int32(generator.next() % 784)) }
        }
        let restored = try SpikeHistory(restoring: history.savedState)
        #expect(restored.head == history.head)
        #expect(restored.slots == history.slots)
        #expect(throws: CheckpointError.self) {
            try SpikeHistory(restoring: SpikeHistoryState(memory: 10, head: 12, slots: []))
        }
    }

    @Test("Weights that blow up stop the run at epoch 1, image 1, keeping the initial checkpoint")
    func divergence() throws {
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let run = parent.appendingPathComponent("run")
        var spec = checkpointSpec(mode: .rate, epochs: 2, output: run)
        spec.training.learningRates = [1e300, 1e300]
        #expect(throws: TrainingError.diverged(epoch: 1, image: 1)) {
            try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: [])
        }
        #expect(String(describing: TrainingError.diverged(epoch: 1, image: 1)).contains("epoch 1, image 1"))
        let checkpoint = try #require(try Checkpoint.read(from: run))
        #expect(checkpoint.completedEpochs == 0)
        var network = spec.network
        network.inputSize = 784
        let state: TrainerState<Double> = try checkpoint.state(in: run, configuration: network)
        #expect(state.weights.isSane)
    }

    @Test("Absurd but finite weights count as divergence")
    func absurdWeights() throws {
        let network = NetworkConfiguration(hiddenSizes: [3])
        var generator = Xoshiro256(seed: 1)
        var weights: NetworkWeights<Double> = WeightInitialization(maximumRate: network.neuron.maximumRate)
            .makeWeights(for: network, using: &generator)
        #expect(weights.isSane && weights.isFinite)
        weights.forward[0].values[5] = 1e101
        #expect(!weights.isSane && weights.isFinite)
        weights.forward[0].values[5] = .nan
        #expect(!weights.isSane)
    }

    @Test("A checkpoint whose weight files were changed is refused")
    func checksumMismatch() throws {
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let run = parent.appendingPathComponent("run")
        try TrainingRun.run(checkpointSpec(mode: .rate, epochs: 1, output: run), dataset: MNISTData.dataset, commandLine: [], observers: [])
        let b = run.appendingPathComponent("epoch_1_b_0.npy")
        let array = try NPY.read(path: b.path)
        try NPY.write(values: array.values.map { $0 + 1 }, shape: array.shape, to: b)
        #expect(throws: CheckpointError.self) { try TrainingRun.resume(directory: run, dataset: MNISTData.dataset, epochs: 2) }
    }
}

// MARK: - SIGKILL


@discardableResult
func runTool(_ binary: String, _ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

@Suite("SIGKILL and resume", .serialized)
struct CheckpointKillTests {
    @Test("kill -9 mid-epoch 2 leaves no corrupted file, and resume equals the uninterrupted run")
    func killAndResume() throws {
        guard let binary = dendriteTrainBinary(orSkip: "killAndResume") else { return }
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let straight = parent.appendingPathComponent("straight")
        let killed = parent.appendingPathComponent("killed")
        func arguments(_ output: URL) -> [String] {
            ["train", "--mode", "spiking", "--hidden", "100", "--epochs", "3", "--images-per-epoch", "1500",
             "--test-images", "100", "--quick-test-interval", "500", "--quick-test-images", "10",
             "--seed", "5", "--quiet", "--data", SharedPaths.mnist.path, "--output", output.path]
        }
        #expect(try runTool(binary, arguments(straight)) == 0)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments(killed)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait for epoch 1's checkpoint, then kill during epoch 2.
        let deadline = Date().addingTimeInterval(300)
        while (try? Checkpoint.read(from: killed))??.completedEpochs ?? 0 < 1 && process.isRunning && Date() < deadline {
            usleep(5_000)
        }
        usleep(300_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        // Nothing is corrupted: config.json, checkpoint.json and every .npy parse.
        let record = try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: killed.appendingPathComponent("config.json")))
        #expect(record.training.epochs == 3)
        let checkpoint = try #require(try Checkpoint.read(from: killed))
        #expect(checkpoint.completedEpochs < 3, "the run finished before the kill; make its epochs longer")
        for name in try FileManager.default.contentsOfDirectory(atPath: killed.path) where name.hasSuffix(".npy") {
            _ = try NPY.read(path: killed.appendingPathComponent(name).path)
        }
        let _: TrainerState<Double> = try checkpoint.state(in: killed, configuration: record.network)

        #expect(try runTool(binary, ["resume", killed.path, "--quiet"]) == 0)
        try expectSameRun(straight, killed, epochs: 3)

        // TensorBoard (on by default): the killed process's events of epoch 2 were dropped, and
        // the resumed process's file continues them: the same scalars, once each.
        func events(_ run: URL) throws -> [String] {
            try EventFiles.urls(in: run).flatMap { url in
                try EventFiles.read(url).flatMap { event in event.scalars.map { "\($0.tag) \(event.step) \($0.value.bitPattern)" } }
            }.sorted()
        }
        #expect(try EventFiles.urls(in: killed).count == 2)
        let resumedEvents = try events(killed)
        #expect(try events(straight) == resumedEvents)
        #expect(Set(resumedEvents).count == resumedEvents.count)
        #expect(resumedEvents.contains { $0.hasPrefix("test/error_percent 4500 ") })
    }
}

// MARK: - Files read back are untrusted (issue 16)

@Suite("Damaged or edited checkpoints and configs")
struct UntrustedRunFileTests {
    /// Every file of a run directory, byte for byte (but the lock).
    private func snapshot(_ run: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: run.path) where name != RunLock.fileName {
            files[name] = try Data(contentsOf: run.appendingPathComponent(name))
        }
        return files
    }

    /// A run of one epoch (of two), in `mode`, with sparse feedback.
    private func unfinishedRun(_ mode: SimulationMode, _ label: String) throws -> URL {
        let run = try SharedPaths.temporaryDirectory(label).appendingPathComponent("run")
        var spec = checkpointSpec(mode: mode, precision: mode == .rate ? .float64 : .float32, hidden: [20], images: 100, epochs: 1, output: run)
        spec.network.variants.sparseZeroedFraction = 0.8
        spec.measurements.readoutImages = 0
        try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: ["test"], observers: [])
        return run
    }

    /// Edits a JSON file of the run with `edit`, then expects `resume` to refuse the run with a
    /// message containing `expected` and naming the file, leaving every file as it was.
    private func expectRefused(_ run: URL, file: String, _ expected: String, epochs: Int? = 2,
                               sourceLocation: SourceLocation = #_sourceLocation, _ edit: (inout [String: Any]) -> Void) throws {
        let url = run.appendingPathComponent(file)
        let original = try Data(contentsOf: url)
        var json = try JSONSerialization.jsonObject(with: original) as! [String: Any]
        edit(&json)
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: url)
        let before = try snapshot(run)
        do {
            try TrainingRun.resume(directory: run, dataset: MNISTData.dataset, epochs: epochs)
            Issue.record("resume accepted \(file) edited for '\(expected)'", sourceLocation: sourceLocation)
        } catch {
            let message = String(describing: error)
            #expect(message.contains(expected) && message.contains(file), "\(message)", sourceLocation: sourceLocation)
        }
        #expect(try snapshot(run) == before, "a refused resume changed the run", sourceLocation: sourceLocation)
        try original.write(to: url)
    }

    @Test("Checkpoint fields out of range are refused before anything is touched")
    func checkpointFields() throws {
        let run = try unfinishedRun(.spiking, "untrusted-checkpoint")
        let file = "checkpoint.json"
        try expectRefused(run, file: file, "input neuron 100000000") { json in
            var spikes = json["inputSpikes"] as! [String: Any]
            var slots = spikes["slots"] as! [[Int]]
            slots[0] = [3, 100_000_000]
            spikes["slots"] = slots
            json["inputSpikes"] = spikes
        }
        for bad in [784, -1] {
            try expectRefused(run, file: file, "input neuron \(bad)") { json in
                var spikes = json["inputSpikes"] as! [String: Any]
                spikes["slots"] = [[bad]] + Array(repeating: [Int](), count: 9)
                json["inputSpikes"] = spikes
            }
        }
        try expectRefused(run, file: file, "head") { json in
            var spikes = json["inputSpikes"] as! [String: Any]
            spikes["head"] = 12
            json["inputSpikes"] = spikes
        }
        try expectRefused(run, file: file, "completedEpochs is -1") { $0["completedEpochs"] = -1 }
        try expectRefused(run, file: file, "weightsPrefix '../elsewhere/epoch_1_'") { $0["weightsPrefix"] = "../elsewhere/epoch_1_" }
        try expectRefused(run, file: file, "formatVersion 3") { $0["formatVersion"] = 3 }
        try expectRefused(run, file: file, "feedbackMask 0 has 3 entries") { $0["feedbackMask"] = [[true, false, true]] }
        try expectRefused(run, file: file, "feedbackMask has 0 masks") { $0["feedbackMask"] = [[Bool]]() }
        try expectRefused(run, file: file, "inputSpikes is missing") { $0["inputSpikes"] = nil }
        // Untouched, it resumes.
        try TrainingRun.resume(directory: run, dataset: MNISTData.dataset, epochs: 2)
        #expect(try Checkpoint.read(from: run)?.completedEpochs == 2)
    }

    @Test("config.json is validated on resume as the command line is; a refused --epochs rewrites nothing")
    func configFields() throws {
        let run = try unfinishedRun(.rate, "untrusted-config")
        let file = "config.json"
        func network(_ edit: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
            { json in var n = json["network"] as! [String: Any]; edit(&n); json["network"] = n }
        }
        func training(_ edit: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
            { json in var t = json["training"] as! [String: Any]; edit(&t); json["training"] = t }
        }
        try expectRefused(run, file: file, "layer 0 has -5 neurons", network { $0["hiddenSizes"] = [-5] })
        try expectRefused(run, file: file, "layer 0 has 100000000 neurons", network { $0["hiddenSizes"] = [100_000_000] })
        try expectRefused(run, file: file, "imagesPerEpoch must lie in 1…60000", training { $0["imagesPerEpoch"] = 1_000_000_000 })
        try expectRefused(run, file: file, "fullTestImages must lie in 1…10000", training { $0["fullTestImages"] = 0 })
        try expectRefused(run, file: file, "learningRates has 1 values", training { $0["learningRates"] = [0.1] })
        try expectRefused(run, file: file, "rate mode runs in float64 only") { $0["precision"] = "float32" }
        // --epochs fewer than those done: refused, config.json untouched.
        try expectRefused(run, file: file, "epochs 0 is fewer than", epochs: 0) { _ in }
    }

    @Test("A spiking config with a zero phase or test length is refused on resume")
    func spikingConfig() throws {
        let run = try unfinishedRun(.spiking, "untrusted-spiking-config")
        func spiking(_ edit: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
            { json in var s = json["spiking"] as! [String: Any]; edit(&s); json["spiking"] = s }
        }
        try expectRefused(run, file: "config.json", "phaseLength must lie in 1…100000", spiking { $0["minimumPhaseLength"] = 0 })
        try expectRefused(run, file: "config.json", "testLength must lie in 1…100000", spiking { $0["testLength"] = 0 })
    }

    @Test("test refuses weights that form no valid network; collect skips a run that claims no epoch")
    func invalidNetworksAndEmptyRuns() throws {
        let dir = try SharedPaths.temporaryDirectory("untrusted-weights")
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(outputs: Int, hidden: Int) throws -> URL {
            let run = dir.appendingPathComponent("w\(outputs)-\(hidden)")
            try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
            try NPY.write(values: [Double](repeating: 0.01, count: hidden * 784), shape: [hidden, 784], to: run.appendingPathComponent("W_0.npy"))
            try NPY.write(values: [Double](repeating: 0, count: hidden), shape: [hidden, 1], to: run.appendingPathComponent("b_0.npy"))
            try NPY.write(values: [Double](repeating: 0.01, count: outputs * hidden), shape: [outputs, hidden], to: run.appendingPathComponent("W_1.npy"))
            try NPY.write(values: [Double](repeating: 0, count: outputs), shape: [outputs, 1], to: run.appendingPathComponent("b_1.npy"))
            try NPY.write(values: [Double](repeating: 0.01, count: hidden * outputs), shape: [hidden, outputs], to: run.appendingPathComponent("Y_0.npy"))
            return run
        }
        for outputs in [1, 7] {
            var test = SavedNetworkTest(weightsDirectory: try write(outputs: outputs, hidden: 5))
            test.mode = .rate
            do {
                _ = try test.run(on: MNISTData.dataset.test, count: 5)
                Issue.record("\(outputs) outputs accepted")
            } catch {
                #expect(String(describing: error).contains("\(outputs) output neurons"), "\(error)")
            }
        }
        var good = SavedNetworkTest(weightsDirectory: try write(outputs: 10, hidden: 5))
        good.mode = .rate
        #expect(try good.run(on: MNISTData.dataset.test, count: 5).count == 5)

        // A sweep whose run claims to have finished 0 epochs: no trap, no finished run.
        let sweep = dir.appendingPathComponent("sweep")
        let plan = SweepPlan(sweepDirectory: sweep, architectures: [[5]], seeds: [1])
        let run = plan.runDirectory(architecture: [5], seed: 1)
        try RunFiles.writeConfig(in: run, hiddenLayers: 1)
        try "epoch,test_error_percent,training_error_percent,mean_loss,images,seconds\n".write(
            to: run.appendingPathComponent("metrics.csv"), atomically: true, encoding: .utf8)
        let summary = try AblationSummary.collect(plan) { _ in .finished(epochs: 0) }
        #expect(summary.rows.map(\.finished) == [0])
    }

    @Test("Options out of range, NaN or infinite are refused with the option's name and range")
    func optionRanges() throws {
        var network = NetworkConfiguration(hiddenSizes: [100_000_000])
        #expect(throws: ConfigurationError.self) { try network.validate() }
        network = NetworkConfiguration(hiddenSizes: [500], neuronsPerClass: 100_000_000)
        #expect(throws: ConfigurationError.self) { try network.validate() }
        network = NetworkConfiguration(hiddenSizes: [500])
        network.variants.feedbackLearningRates = [.nan]
        #expect(throws: ConfigurationError.self) { try network.validate() }
        network = NetworkConfiguration(hiddenSizes: [500])
        network.variants.symmetric = true
        for sd in [Double.nan, -0.1, .infinity] {
            network.variants.symmetricNoiseSD = sd
            #expect(throws: ConfigurationError.self, "\(sd)") { try network.validate() }
        }
        network = NetworkConfiguration(hiddenSizes: [500])
        network.neuron.apicalConductance = .infinity
        do { try network.validate(); Issue.record("g_A = inf accepted") } catch let error as ConfigurationError {
            #expect(error.description.contains("apicalConductance must be finite") && error.settings == [.apicalConductance])
        }
        network = NetworkConfiguration(hiddenSizes: [500])
        network.variants.sparseZeroedFraction = 1.5
        do { try network.validate(); Issue.record("sparse 1.5 accepted") } catch let error as ConfigurationError {
            #expect(error.description.contains("sparseFeedbackFraction must lie in [0, 1)") && error.settings == [.sparseFeedbackFraction])
        }
    }
}

// MARK: - Graceful interrupts (SIGINT, SIGTERM)

/// Makes a stop request when epoch `epoch` has trained its images, before its full test.
private final class StopAfterTraining: TrainingObserver {
    let request: StopRequest
    let epoch: Int
    init(_ request: StopRequest, epoch: Int) { self.request = request; self.epoch = epoch }
    func didFinishTraining(epoch: Int, images: Int) throws {
        if epoch == self.epoch { request.stop(reason: "a test") }
    }
}

@Suite("Graceful interrupts", .serialized)
struct InterruptTests {
    @Test("A stop request ends training before the next image, keeps the finished epoch's background test, and resume equals the uninterrupted run")
    func stopRequestAndResume() throws {
        let parent = try SharedPaths.temporaryDirectory("interrupt")
        defer { try? FileManager.default.removeItem(at: parent) }
        let straight = parent.appendingPathComponent("straight")
        let stopped = parent.appendingPathComponent("stopped")
        func spec(_ output: URL) -> TrainingRunSpec {
            var spec = checkpointSpec(mode: .spiking, precision: .float32, hidden: [30], epochs: 3, output: output)
            spec.testThreads = 2   // epoch 1's full test runs in the background while epoch 2 starts
            return spec
        }
        try TrainingRun.run(spec(straight), dataset: MNISTData.dataset, commandLine: [], observers: [])
        let request = StopRequest()
        do {
            try TrainingRun.run(spec(stopped), dataset: MNISTData.dataset, commandLine: [],
                                observers: [StopAfterTraining(request, epoch: 1)], stop: request)
            Issue.record("expected TrainingError.interrupted")
        } catch let error as TrainingError {
            #expect(error == .interrupted(reason: "a test", epoch: 2, image: 0, lastCheckpoint: 1))
            #expect(error.description.contains("stopped by a test at epoch 2") && error.description.contains("after epoch 1"))
        }
        // The test of epoch 1, still running when the request came, was waited for and recorded.
        #expect(try Checkpoint.read(from: stopped)?.completedEpochs == 1)
        #expect(try metricsWithoutTimes(stopped).count == 2)
        #expect(FileManager.default.fileExists(atPath: stopped.appendingPathComponent("epoch_1_W_0.npy").path))
        let rest = try TrainingRun.resume(directory: stopped, dataset: MNISTData.dataset)
        #expect(rest.map(\.epoch) == [2, 3])
        try expectSameRun(straight, stopped, epochs: 3)
    }

    @Test("SIGTERM (sent twice, as Slurm and a process group may) stops the CLI with exit 143 and a resume hint; resume equals the uninterrupted run")
    func sigtermAndResume() throws {
        guard let binary = dendriteTrainBinary(orSkip: "sigtermAndResume") else { return }
        let parent = try SharedPaths.temporaryDirectory("sigterm")
        defer { try? FileManager.default.removeItem(at: parent) }
        let straight = parent.appendingPathComponent("straight")
        let stopped = parent.appendingPathComponent("stopped")
        func arguments(_ output: URL) -> [String] {
            ["train", "--mode", "spiking", "--hidden", "100", "--epochs", "2", "--images-per-epoch", "6000",
             "--test-images", "100", "--quick-test-interval", "500", "--quick-test-images", "10",
             "--seed", "6", "--quiet", "--data", SharedPaths.mnist.path, "--output", output.path]
        }
        #expect(try runTool(binary, arguments(straight)) == 0)

        let errors = parent.appendingPathComponent("stderr")
        let pid = try spawnWithDefaultSignals(binary, arguments(stopped), errorPath: errors.path)
        let deadline = Date().addingTimeInterval(300)
        while (try? Checkpoint.read(from: stopped))??.completedEpochs ?? 0 < 1 && isRunning(pid) && Date() < deadline {
            usleep(5_000)
        }
        kill(pid, SIGTERM)
        kill(pid, SIGTERM)   // a repeat within a second counts once
        #expect(waitForExit(pid, within: 120) == 143)
        let message = try String(contentsOf: errors, encoding: .utf8)
        #expect(message.contains("stopped by SIGTERM at epoch 2"), "\(message)")
        #expect(message.contains("the run's last checkpoint is after epoch 1"), "\(message)")
        #expect(message.contains("continue with: dendrite-train resume \(stopped.path)"), "\(message)")
        #expect(try Checkpoint.read(from: stopped)?.completedEpochs == 1)
        #expect(try runTool(binary, ["resume", stopped.path, "--quiet"]) == 0)
        try expectSameRun(straight, stopped, epochs: 2)
    }

    @Test("sweep.sbatch passes SIGTERM to its task and requeues the task that it stopped")
    func slurmTaskRequeues() throws {
        let parent = try SharedPaths.temporaryDirectory("requeue")
        defer { try? FileManager.default.removeItem(at: parent) }
        let plan = SweepPlan(sweepDirectory: parent.appendingPathComponent("sweep"), architectures: [[5]], seeds: [1])
        let script = parent.appendingPathComponent("sweep.sbatch")
        try SlurmSweep.arrayScript(plan: plan, tasks: [1], options: SlurmOptions(), executable: "/nonexistent")
            .write(to: script, atomically: true, encoding: .utf8)
        #expect(try String(contentsOf: script, encoding: .utf8).contains("#SBATCH --requeue"))
        // A stand-in for dendrite-train that, like it, exits 143 on SIGTERM; and one for scontrol.
        let bin = parent.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let fakeTrain = bin.appendingPathComponent("fake-train")
        let started = parent.appendingPathComponent("started")
        try "#!/bin/bash\ntrap 'exit 143' TERM\ntouch \(started.path)\nwhile true; do sleep 0.05; done\n".write(to: fakeTrain, atomically: true, encoding: .utf8)
        let calls = parent.appendingPathComponent("scontrol-calls")
        try "#!/bin/bash\necho \"$@\" >> \(calls.path)\n".write(to: bin.appendingPathComponent("scontrol"), atomically: true, encoding: .utf8)
        for name in ["fake-train", "scontrol"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin.appendingPathComponent(name).path)
        }
        let pid = try spawnWithDefaultSignals("/bin/bash", [script.path], environment: [
            "PATH": bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "DENDRITE_TRAIN": fakeTrain.path, "SLURM_ARRAY_TASK_ID": "1", "SLURM_JOB_ID": "4242",
        ])
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: started.path) && Date() < deadline { usleep(10_000) }
        usleep(300_000)   // the batch shell sets its trap right after starting the task
        kill(pid, SIGTERM)   // Slurm's --signal=B:TERM goes to the batch shell
        #expect(waitForExit(pid, within: 30) == 0)
        #expect(try String(contentsOf: calls, encoding: .utf8) == "requeue 4242\n")
    }
}

// MARK: - Run files that are no regular file, no text, or left half-written by a kill

@Suite("Unreadable run files and stale temporary files")
struct UnreadableRunFileTests {
    /// Every regular file of a run directory, byte for byte (but the lock).
    private func snapshot(_ run: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: run.path)
        where name != RunLock.fileName && InputFile.isRegularFile(run.appendingPathComponent(name).path) {
            files[name] = try Data(contentsOf: run.appendingPathComponent(name))
        }
        return files
    }

    private func unfinishedRun(_ label: String) throws -> URL {
        let run = try SharedPaths.temporaryDirectory(label).appendingPathComponent("run")
        var spec = checkpointSpec(mode: .rate, hidden: [20], images: 100, epochs: 1, output: run)
        spec.measurements.readoutImages = 0
        try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: ["test"], observers: [])
        return run
    }

    /// Replaces `file` of the run with what `damage` makes of it, expects `resume --epochs 3` to
    /// fail with a message naming the file and holding `expected`, and every other file unchanged.
    private func expectRefused(_ run: URL, file: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation,
                               damage: (URL) throws -> Void) throws {
        let url = run.appendingPathComponent(file)
        let original = try Data(contentsOf: url)
        try FileManager.default.removeItem(at: url)
        try damage(url)
        let before = try snapshot(run)
        do {
            try TrainingRun.resume(directory: run, dataset: MNISTData.dataset, epochs: 3)
            Issue.record("resume accepted a damaged \(file)", sourceLocation: sourceLocation)
        } catch {
            let message = String(describing: error)
            #expect(message.contains(url.path) && message.contains(expected), "\(message)", sourceLocation: sourceLocation)
            #expect(!message.contains("NSCocoaErrorDomain"), sourceLocation: sourceLocation)
        }
        #expect(try snapshot(run) == before, "a refused resume changed the run", sourceLocation: sourceLocation)
        try? FileManager.default.removeItem(at: url)
        try original.write(to: url)
    }

    @Test("resume refuses a CSV with a malformed row, a wrong header, a non-numeric field or a cut header, by file and line; nothing changes")
    func malformedSeries() throws {
        let run = try unfinishedRun("malformed-series")
        defer { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
        let angles = run.appendingPathComponent("update_angles.csv")
        let good = try String(contentsOf: angles, encoding: .utf8)
        let lines = good.split(separator: "\n").map(String.init)
        #expect(lines[0] == "step,epoch,image,hidden_0_deg" && lines.count == 11)
        func edited(_ line: Int, field: Int, _ value: String) -> String {
            var damaged = lines
            var fields = damaged[line - 1].split(separator: ",").map(String.init)
            fields[field] = value
            damaged[line - 1] = fields.joined(separator: ",")
            return damaged.joined(separator: "\n") + "\n"
        }
        try expectRefused(run, file: "update_angles.csv", "line 3 has 3 fields; the header has 4: '1,20,80'") { url in
            var damaged = lines
            damaged[2] = "1,20,80"
            try Data((damaged.joined(separator: "\n") + "\n").utf8).write(to: url)
        }
        try expectRefused(run, file: "update_angles.csv", "line 1: the header is 'epoch,image,angle_layer_0'; expected 'step,epoch,image,hidden_0_deg'") { url in
            try Data((["epoch,image,angle_layer_0"] + lines.dropFirst()).joined(separator: "\n").utf8 + Data("\n".utf8)).write(to: url)
        }
        try expectRefused(run, file: "update_angles.csv", "line 4, column hidden_0_deg: 'zero' is not a number") { url in
            try Data(edited(4, field: 3, "zero").utf8).write(to: url)
        }
        try expectRefused(run, file: "update_angles.csv", "line 2, column epoch: '1.5' is not an integer") { url in
            try Data(edited(2, field: 1, "1.5").utf8).write(to: url)
        }
        try expectRefused(run, file: "metrics.csv", "has no complete header line") { url in
            try Data("step,epoch,test_err".utf8).write(to: url)
        }
        try expectRefused(run, file: "loss.csv", "is empty: it has no header line") { url in
            try Data().write(to: url)
        }
        #expect(try String(contentsOf: angles, encoding: .utf8) == good)
        // A file cut inside its last row (a process killed while writing it) is the one
        // tolerated damage: resume drops that row and goes on.
        try Data((good + "110,2,1").utf8).write(to: angles)
        try TrainingRun.resume(directory: run, dataset: MNISTData.dataset, epochs: 2)
        let resumed = try String(contentsOf: angles, encoding: .utf8)
        #expect(resumed.hasPrefix(good + "110,2,10,"))
        #expect(resumed.split(separator: "\n").count == 21)
    }

    @Test("a checkpoint, config or CSV that is a FIFO, a directory or not text is refused by name; nothing changes")
    func unreadableFiles() throws {
        let run = try unfinishedRun("unreadable-run-files")
        defer { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
        // Left behind by writes a kill interrupted; a refused resume leaves them too.
        let stale = [".checkpoint.json.tmp-\(UUID().uuidString)", ".metrics.csv.tmp-\(UUID().uuidString)"]
        for name in stale + [".notes.tmp-keep"] { try Data("half".utf8).write(to: run.appendingPathComponent(name)) }

        try expectRefused(run, file: "checkpoint.json", "is not a regular file (it is a FIFO, a named pipe)") { url in
            #expect(mkfifo(url.path, 0o644) == 0)
        }
        try expectRefused(run, file: "config.json", "is a directory, not a file") { url in
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        }
        // Found before config.json is rewritten for --epochs 3.
        try expectRefused(run, file: "loss.csv", "line 2 is not UTF-8 text") { url in
            try Data(Array("epoch,first_image,last_image,mean_loss\n1,1,".utf8) + [0xC3, 0x28, 0x0A]).write(to: url)
        }
        try expectRefused(run, file: "checkpoint.json", "is not valid JSON") { url in
            try Data([0x7B, 0x00, 0xFF]).write(to: url)
        }
        for name in stale { #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(name).path)) }

        // Undamaged, it resumes, and the stale temporary files are gone (not the unrelated one).
        try TrainingRun.resume(directory: run, dataset: MNISTData.dataset, epochs: 2)
        #expect(try Checkpoint.read(from: run)?.completedEpochs == 2)
        for name in stale { #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent(name).path), "\(name)") }
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(".notes.tmp-keep").path))
    }

    @Test("AtomicFile's temporary names are recognised; only those of the given target are removed")
    func staleTemporaries() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let uuid = UUID().uuidString
        #expect(AtomicFile.isTemporaryName(".checkpoint.json.tmp-\(uuid)"))
        #expect(!AtomicFile.isTemporaryName("checkpoint.json.tmp-\(uuid)"))
        #expect(!AtomicFile.isTemporaryName(".checkpoint.json.tmp-1234"))
        #expect(!AtomicFile.isTemporaryName(".tmp-\(uuid)"))
        let names = [".checkpoint.json.tmp-\(uuid)", ".metrics.csv.tmp-\(uuid)", "checkpoint.json"]
        for name in names { try Data().write(to: directory.appendingPathComponent(name)) }
        #expect(AtomicFile.removeStaleTemporaries(in: directory, target: "checkpoint.json") == [names[0]])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == [names[1], names[2]].sorted())
    }
}
