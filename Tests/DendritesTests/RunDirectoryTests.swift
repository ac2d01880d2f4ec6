import Foundation
import Testing
import Dendrites

// MARK: - Helpers

/// Keeps the weights of every finished epoch (as float64).
private final class WeightCapture: TrainingObserver {
    var epochs: [NetworkWeights<Double>] = []
    func didFinishEpoch<Scalar>(_ summary: EpochSummary, weights: NetworkWeights<Scalar>) throws {
        guard let weights = weights as? NetworkWeights<Double> else {
            Issue.record("expected float64 weights, got \(type(of: weights))")
            return
        }
        epochs.append(weights)
    }
}

/// A small rate-mode (float64) spec on MNIST that trains in well under a second.
private func smallSpec(hidden: [Int] = [20], images: Int = 100, epochs: Int = 1, output: URL) -> TrainingRunSpec {
    let network = NetworkConfiguration(hiddenSizes: hidden)
    var training = TrainingOptions(learningRates: TrainingOptions.defaultLearningRates(hiddenLayers: hidden.count))
    training.epochs = epochs
    training.imagesPerEpoch = images
    training.quickTestInterval = 0
    training.quickTestImages = 20
    training.fullTestImages = 50
    var spec = TrainingRunSpec(network: network, training: training, outputDirectory: output)
    spec.mode = .rate
    spec.precision = .float64
    return spec
}

/// A path inside a fresh temporary directory, not created yet.
private func freshRunDirectory(_ label: String = #function) throws -> (parent: URL, run: URL) {
    let parent = try SharedPaths.temporaryDirectory(label)
    return (parent, parent.appendingPathComponent("run"))
}

private func lines(_ url: URL) throws -> [String] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        .map(String.init).filter { !$0.isEmpty }
}

private func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

/// Checks two sets of weights hold the same numbers, array by array.
private func expectSameWeights(_ a: NetworkWeights<Double>, _ b: NetworkWeights<Double>,
                               sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.forward == b.forward, "W", sourceLocation: sourceLocation)
    #expect(a.bias == b.bias, "b", sourceLocation: sourceLocation)
    #expect(a.feedback == b.feedback, "Y", sourceLocation: sourceLocation)
    #expect(a.apicalBias == b.apicalBias, "c", sourceLocation: sourceLocation)
}

/// Writes weights under our names or the authors' (`f_weights_m` …), with a prefix.
private func writeWeights(_ w: NetworkWeights<Double>, to directory: URL, prefix: String = "", authorsNames: Bool = false) throws {
    func write(_ values: [Double], _ shape: [Int], _ ours: String, _ authors: String) throws {
        try NPY.write(values: values, shape: shape,
                      to: directory.appendingPathComponent(prefix + (authorsNames ? authors : ours) + ".npy"))
    }
    for m in 0..<w.layerCount {
        try write(w.forward[m].values, [w.forward[m].rows, w.forward[m].columns], "W_\(m)", "f_weights_\(m)")
        try write(w.bias[m], [w.bias[m].count, 1], "b_\(m)", "f_bias_\(m)")
    }
    for l in w.feedback.indices {
        try write(w.feedback[l].values, [w.feedback[l].rows, w.feedback[l].columns], "Y_\(l)", "b_weights_\(l)")
        try write(w.apicalBias[l], [w.apicalBias[l].count, 1], "c_\(l)", "b_bias_\(l)")
    }
}

/// Distinct, recognisable weights for a network (no two entries alike).
private func distinctWeights(for configuration: NetworkConfiguration) -> NetworkWeights<Double> {
    var generator = Xoshiro256(seed: 42)
    var weights: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
    weights.apicalBias = weights.apicalBias.enumerated().map { l, c in c.indices.map { Double($0) * 0.01 + Double(l) } }
    return weights
}

@Suite("Run directory")
struct RunDirectoryTests {
    @Test("a run records its configuration, metrics, tests, losses and weights")
    func recordsEverything() throws {
        let (parent, dir) = try freshRunDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        var spec = smallSpec(hidden: [20], images: 400, epochs: 2, output: dir)
        spec.training.quickTestInterval = 100
        spec.training.quickTestImages = 20
        spec.training.fullTestImages = 200
        spec.training.seed = 7
        let capture = WeightCapture()
        let summaries = try TrainingRun.run(spec, dataset: MNISTData.dataset,
                                            commandLine: ["dendrite-train", "train", "--test"], observers: [capture])
        let run = (spec: spec, summaries: summaries, epochWeights: capture.epochs)

        // config.json
        let record = try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: dir.appendingPathComponent("config.json")))
        #expect(record.mode == .rate)
        #expect(record.precision == .float64)
        #expect(record.network == run.spec.network)
        #expect(record.network.layerSizes == [20, 10])
        #expect(record.training == run.spec.training)
        #expect(record.dataset == .mnist)
        #expect(record.dataDirectory == MNISTData.dataset.directory)
        #expect(record.initialWeights == "random")
        #expect(record.pixelOrder == .rowMajor)
        #expect(record.commandLine == ["dendrite-train", "train", "--test"])
        #expect(!record.gitCommit.isEmpty)

        // metrics.csv: a header and one row per epoch, matching the returned summaries.
        #expect(run.summaries.map(\.epoch) == [1, 2])
        let metrics = try lines(dir.appendingPathComponent("metrics.csv"))
        #expect(metrics.count == 3)
        #expect(record.formatVersion == RunFormat.current)
        #expect(metrics.first == "step,epoch,test_error_percent,training_error_percent,mean_loss,images,time_s")
        // Numbers with 9 significant digits (CSVNumber): equal to the summaries' to 5e-9 relative.
        func close(_ field: String, _ value: Double) -> Bool {
            guard let x = Double(field) else { return false }
            return x == Double(String(format: "%.9g", value)) && abs(x - value) <= 5e-9 * max(abs(value), 1e-300)
        }
        for (row, summary) in zip(metrics.dropFirst(), run.summaries) {
            let fields = row.split(separator: ",").map(String.init)
            try #require(fields.count == 7, "\(row)")
            #expect(Int(fields[0]) == summary.epoch * 400)
            #expect(Int(fields[1]) == summary.epoch)
            #expect(close(fields[2], summary.testError))
            #expect(close(fields[3], summary.trainingError))
            #expect(close(fields[4], summary.meanLoss))
            #expect(Int(fields[5]) == 400)
            #expect((0...100).contains(summary.testError))
            #expect(summary.meanLoss.isFinite)
        }

        // quick_test.csv: after images 100, 200, 300 of each epoch (not after the last image).
        let quick = try lines(dir.appendingPathComponent("quick_test.csv"))
        #expect(quick.first == "step,epoch,image,test_error_percent")
        let quickRows = quick.dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(quickRows.map { "\($0[0]),\($0[1]),\($0[2])" } == ["100,1,100", "200,1,200", "300,1,300", "500,2,100", "600,2,200", "700,2,300"])
        for row in quickRows {
            let error = try #require(Double(row[3]))
            #expect((0...100).contains(error))
        }

        // loss.csv: one row per block of 100 images, 4 per epoch, finite.
        let loss = try lines(dir.appendingPathComponent("loss.csv"))
        #expect(loss.first == "step,epoch,first_image,last_image,mean_loss")
        let lossRows = loss.dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(lossRows.map { "\($0[0]),\($0[1]),\($0[2]),\($0[3])" } == [
            "100,1,1,100", "200,1,101,200", "300,1,201,300", "400,1,301,400",
            "500,2,1,100", "600,2,101,200", "700,2,201,300", "800,2,301,400",
        ])
        for row in lossRows {
            let value = try #require(Double(row[4]))
            #expect(value.isFinite && value >= 0)
        }
        // The epoch's mean loss is the mean of its four blocks (each written to 9 digits).
        for epoch in 1...2 {
            let blocks = lossRows.filter { $0[1] == "\(epoch)" }.compactMap { Double($0[4]) }
            let mean = blocks.reduce(0, +) / Double(blocks.count)
            #expect(abs(mean - run.summaries[epoch - 1].meanLoss) <= 1e-8 * max(1, abs(mean)))
        }

        // Weights: every array, with the network's shapes.
        let shapes: [String: [Int]] = ["W_0": [20, 784], "b_0": [20, 1], "W_1": [10, 20], "b_1": [10, 1],
                                       "Y_0": [20, 10], "c_0": [20, 1]]
        for prefix in ["initial_", "epoch_1_", "epoch_2_"] {
            for (name, shape) in shapes {
                let array = try NPY.read(path: dir.appendingPathComponent("\(prefix)\(name).npy").path)
                #expect(array.shape == shape, "\(prefix)\(name)")
                #expect(array.values.allSatisfy { $0.isFinite }, "\(prefix)\(name)")
            }
        }
        #expect(!exists(dir.appendingPathComponent("epoch_3_W_0.npy")))

        // initial_ is the seeded random initialization; epoch_k_ are the trainer's weights.
        var generator = Xoshiro256(seed: 7)
        let expectedInitial: NetworkWeights<Double> = WeightInitialization().makeWeights(for: run.spec.network, using: &generator)
        let network = run.spec.network
        expectSameWeights(try WeightFiles.load(from: dir, prefix: "initial_", configuration: network), expectedInitial)
        try #require(run.epochWeights.count == 2)
        expectSameWeights(try WeightFiles.load(from: dir, prefix: "epoch_1_", configuration: network), run.epochWeights[0])
        expectSameWeights(try WeightFiles.load(from: dir, prefix: "epoch_2_", configuration: network), run.epochWeights[1])
        // Training moved the weights.
        #expect(run.epochWeights[1].forward[1] != expectedInitial.forward[1])
        #expect(run.epochWeights[1].forward[1] != run.epochWeights[0].forward[1])
    }

    @Test("a second run into the same directory is refused and changes nothing")
    func refusesExistingRun() throws {
        let (parent, run) = try freshRunDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let spec = smallSpec(images: 50, output: run)
        try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: [])
        let config = try Data(contentsOf: run.appendingPathComponent("config.json"))
        let metrics = try Data(contentsOf: run.appendingPathComponent("metrics.csv"))
        let files = try FileManager.default.contentsOfDirectory(atPath: run.path).sorted()

        var again = spec
        again.training.seed = 2
        #expect(throws: RecorderError.self) {
            try TrainingRun.run(again, dataset: MNISTData.dataset, commandLine: ["again"], observers: [])
        }
        #expect(try Data(contentsOf: run.appendingPathComponent("config.json")) == config)
        #expect(try Data(contentsOf: run.appendingPathComponent("metrics.csv")) == metrics)
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).sorted() == files)
    }

    @Test("a non-empty directory is refused and left as it was")
    func refusesNonEmptyDirectory() throws {
        let (parent, run) = try freshRunDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let notes = run.appendingPathComponent("notes.txt")
        try Data("mine".utf8).write(to: notes)
        do {
            try TrainingRun.run(smallSpec(images: 50, output: run), dataset: MNISTData.dataset, commandLine: [], observers: [])
            Issue.record("expected a RecorderError")
        } catch let error as RecorderError {
            #expect(error.description.contains(run.path))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.path) == ["notes.txt"])
        #expect(try Data(contentsOf: notes) == Data("mine".utf8))
    }

    @Test("an empty existing directory is accepted")
    func acceptsEmptyDirectory() throws {
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        try TrainingRun.run(smallSpec(images: 20, output: parent), dataset: MNISTData.dataset, commandLine: [], observers: [])
        #expect(exists(parent.appendingPathComponent("config.json")))
        #expect(exists(parent.appendingPathComponent("epoch_1_W_1.npy")))
    }

    static let badOptions = [
        "epochs 0", "learning-rate count", "hidden size 0", "hidden size negative", "too many images",
        "layerwise without hidden layer", "sparse fraction 1", "learned-feedback rate count", "learned and symmetric",
    ]

    @Test("bad options are refused before the run directory is created", arguments: badOptions)
    func refusesBadOptions(_ problem: String) throws {
        let (parent, run) = try freshRunDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        var spec = smallSpec(images: 50, output: run)
        var expectedWords: [String]
        switch problem {
        case "epochs 0":
            spec.training.epochs = 0
            expectedWords = ["epochs"]
        case "learning-rate count":
            spec.training.learningRates = [0.1]
            expectedWords = ["learningRates"]
        case "hidden size 0":
            spec.network.hiddenSizes = [0]
            expectedWords = ["hiddenSizes"]
        case "hidden size negative":
            spec.network.hiddenSizes = [500, -3]
            spec.training.learningRates = [0.23, 0.23, 0.12]
            expectedWords = ["hiddenSizes", "-3"]
        case "too many images":
            spec.training.imagesPerEpoch = MNISTData.dataset.train.count + 1
            expectedWords = ["imagesPerEpoch"]
        case "layerwise without hidden layer":
            spec.network = NetworkConfiguration(hiddenSizes: [], feedbackWiring: .layerwise)
            spec.training.learningRates = [0.19]
            expectedWords = ["layerwise"]
        case "sparse fraction 1":
            spec.network.variants.sparseZeroedFraction = 1.0
            expectedWords = ["sparseFeedbackFraction"]
        case "learned-feedback rate count":
            spec.network.variants.feedbackLearningRates = [0.1, 0.1]
            expectedWords = ["feedbackLearningRates"]
        case "learned and symmetric":
            spec.network.variants.feedbackLearningRates = [0.1]
            spec.network.variants.symmetric = true
            expectedWords = ["learned", "symmetric"]
        default:
            Issue.record("unknown case \(problem)")
            return
        }
        do {
            try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: [])
            Issue.record("\(problem): expected a ConfigurationError")
        } catch let error as ConfigurationError {
            for word in expectedWords {
                #expect(error.description.contains(word), "\(problem): \(error)")
            }
        }
        #expect(!exists(run), "\(problem): the run directory was created")
    }

    @Test("divergence names the epoch and image and leaves the record intact")
    func divergence() throws {
        let (parent, run) = try freshRunDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        var spec = smallSpec(images: 100, output: run)
        spec.training.learningRates = [1e308, 1e308]
        do {
            try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: [])
            Issue.record("expected TrainingError.diverged")
        } catch let error as TrainingError {
            switch error {
            case let .diverged(epoch, image):
                #expect(epoch == 1)
                #expect((1...100).contains(image))
                #expect(error.description.contains("epoch 1, image \(image)"))
            default:
                Issue.record("expected TrainingError.diverged, not \(error)")
            }
        }
        let record = try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: run.appendingPathComponent("config.json")))
        #expect(record.training.learningRates == [1e308, 1e308])
        var generator = Xoshiro256(seed: spec.training.seed)
        let expected: NetworkWeights<Double> = WeightInitialization().makeWeights(for: spec.network, using: &generator)
        expectSameWeights(try WeightFiles.load(from: run, prefix: "initial_", configuration: spec.network), expected)
        #expect(!exists(run.appendingPathComponent("epoch_1_W_0.npy")))
        #expect(try lines(run.appendingPathComponent("metrics.csv")).count == 1)
    }

    @Test("saturation: learning rates of 1e50 pin every output; the run stops with the last good checkpoint")
    func saturation() throws {
        let (parent, run) = try freshRunDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        var spec = smallSpec(images: 1500, epochs: 2, output: run)
        spec.training.learningRates = [1e50, 1e50]
        do {
            try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: [])
            Issue.record("a saturated run ended successfully")
        } catch let error as TrainingError {
            guard case let .saturated(epoch, image, images) = error else {
                Issue.record("expected TrainingError.saturated, got \(error)")
                return
            }
            #expect(epoch == 1 && images == SaturationStop.images && (SaturationStop.images...1500).contains(image))
            #expect(error.description.contains("training saturated") && error.description.contains("epoch 1, image \(image)"))
            #expect(error.description.contains("keeps the last good checkpoint"))
        }
        #expect(try Checkpoint.read(from: run)?.completedEpochs == 0)
        #expect(!exists(run.appendingPathComponent("epoch_1_W_0.npy")))
        #expect(try lines(run.appendingPathComponent("metrics.csv")).count == 1)
    }

    @Test("saturation: a run with the paper's learning rates stays far from the saturation stop")
    func noSaturationOnNormalRuns() throws {
        // How close each image comes: the smallest |C̄^f| over the output neurons (the stop
        // needs it ≥ SaturationStop.voltage on 1,000 images in a row).
        final class Closest: TrainingObserver {
            var largest = 0.0
            var images = 0
            func didLearn<Scalar>(epoch: Int, image: Int, rule: LearningRule<Scalar>, averages: PhaseAverages<Scalar>,
                                  weights: NetworkWeights<Scalar>) throws {
                let output = averages.somaticForward[averages.somaticForward.count - 1]
                largest = max(largest, output.map { Double($0).magnitude }.min()!)
                images += 1
            }
        }
        let (parent, run) = try freshRunDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        var spec = smallSpec(hidden: [500], images: 2000, output: run)
        spec.training.learningRates = TrainingOptions.defaultLearningRates(hiddenLayers: 1)
        let closest = Closest()
        try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: [closest])
        #expect(closest.images == 2000)
        #expect(closest.largest > 0 && closest.largest < SaturationStop.voltage / 4, "\(closest.largest)")
    }

    @Test("--init-weights: training from the fixture's initial weights reproduces its final weights")
    func initialWeightsFromFixture() throws {
        let fixture = try RateFixture("one-hidden")
        let (parent, run) = try freshRunDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        var spec = smallSpec(hidden: [50], images: 100, output: run)
        spec.network = fixture.configuration
        spec.training.learningRates = [0.21, 0.21]
        spec.training.shuffle = false
        spec.initialWeightsDirectory = fixture.directory.path
        spec.initialWeightsPrefix = "initial_"
        #expect(fixture.images == 100 && fixture.learningRates == [0.21, 0.21] && fixture.configuration.layerSizes == [50, 10])
        try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: [])

        let record = try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: run.appendingPathComponent("config.json")))
        #expect(record.initialWeights.contains(fixture.directory.path))
        expectSameWeights(try WeightFiles.load(from: run, prefix: "initial_", configuration: fixture.configuration),
                          try fixture.weights("initial_"))
        let trained = try WeightFiles.load(from: run, prefix: "epoch_1_", configuration: fixture.configuration) as NetworkWeights<Double>
        let expected = try fixture.weights("final_")
        for m in 0..<2 {
            #expect(relativeDifference(trained.forward[m].values, expected.forward[m].values) < 1e-9, "W_\(m)")
            #expect(relativeDifference(trained.bias[m], expected.bias[m]) < 1e-9, "b_\(m)")
        }
        #expect(relativeDifference(trained.feedback[0].values, expected.feedback[0].values) < 1e-9, "Y_0")
        let initial = try fixture.weights("initial_")
        #expect(relativeDifference(initial.forward[1].values, expected.forward[1].values) > 1e-6)
    }
}

@Suite("Weight files")
struct WeightFileTests {
    @Test("a column-major W_0 is put back in row-major pixel order")
    func columnMajorPixelOrder() throws {
        let network = NetworkConfiguration(hiddenSizes: [5])
        let weights = distinctWeights(for: network)
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeWeights(weights, to: directory)
        // Column j of the column-major matrix belongs to pixel (row j % 28, column j / 28).
        let w = weights.forward[0]
        let columnMajor = Matrix<Double>(rows: w.rows, columns: 784) { i, j in w[i, (j % 28) * 28 + j / 28] }
        #expect(columnMajor != w)
        try NPY.write(values: columnMajor.values, shape: [w.rows, 784], to: directory.appendingPathComponent("W_0.npy"))

        let loaded: NetworkWeights<Double> = try WeightFiles.load(from: directory, prefix: "", configuration: network,
                                                                  pixelOrder: .columnMajor)
        expectSameWeights(loaded, weights)
        // Read as row-major, it is the permuted matrix.
        let asIs: NetworkWeights<Double> = try WeightFiles.load(from: directory, prefix: "", configuration: network)
        #expect(asIs.forward[0] == columnMajor)
    }

    @Test("the authors' file names load like ours", arguments: ["", "final_"])
    func authorsFileNames(prefix: String) throws {
        let network = NetworkConfiguration(hiddenSizes: [6, 4])
        let weights = distinctWeights(for: network)
        let ours = try SharedPaths.temporaryDirectory()
        let authors = try SharedPaths.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: ours)
            try? FileManager.default.removeItem(at: authors)
        }
        try writeWeights(weights, to: ours, prefix: prefix)
        try writeWeights(weights, to: authors, prefix: prefix, authorsNames: true)
        #expect(exists(authors.appendingPathComponent("\(prefix)f_weights_0.npy")))
        #expect(!exists(authors.appendingPathComponent("\(prefix)W_0.npy")))

        let fromOurs: NetworkWeights<Double> = try WeightFiles.load(from: ours, prefix: prefix, configuration: network)
        let fromAuthors: NetworkWeights<Double> = try WeightFiles.load(from: authors, prefix: prefix, configuration: network)
        expectSameWeights(fromOurs, weights)
        expectSameWeights(fromAuthors, fromOurs)
        let sizes = try WeightFiles.layerSizes(in: authors, prefix: prefix)
        #expect(sizes.input == 784 && sizes.layers == [6, 4, 10])

        // b_bias_l is optional, like c_l.
        for l in 0..<2 { try FileManager.default.removeItem(at: authors.appendingPathComponent("\(prefix)b_bias_\(l).npy")) }
        let withoutApicalBias: NetworkWeights<Double> = try WeightFiles.load(from: authors, prefix: prefix, configuration: network)
        #expect(withoutApicalBias.apicalBias == [[Double](repeating: 0, count: 6), [Double](repeating: 0, count: 4)])
        #expect(withoutApicalBias.forward == weights.forward)

        // A missing authors' file is named.
        try FileManager.default.removeItem(at: authors.appendingPathComponent("\(prefix)b_weights_1.npy"))
        do {
            let _: NetworkWeights<Double> = try WeightFiles.load(from: authors, prefix: prefix, configuration: network)
            Issue.record("expected a WeightFileError")
        } catch let error as WeightFileError {
            #expect(error.file.hasSuffix("/\(prefix)b_weights_1.npy"))
        }
    }

    @Test("no weights at all: the error names W_0.npy and the directory must exist")
    func missingWeights() throws {
        let network = NetworkConfiguration(hiddenSizes: [5])
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let _: NetworkWeights<Double> = try WeightFiles.load(from: directory, prefix: "initial_", configuration: network)
            Issue.record("expected a WeightFileError")
        } catch let error as WeightFileError {
            #expect(error.file == directory.appendingPathComponent("initial_W_0.npy").path)
            #expect(error.description.contains("missing"))
        }
        let nowhere = directory.appendingPathComponent("nowhere")
        do {
            let _: NetworkWeights<Double> = try WeightFiles.load(from: nowhere, prefix: "", configuration: network)
            Issue.record("expected a WeightFileError")
        } catch let error as WeightFileError {
            #expect(error.file == nowhere.path)
        }
    }

    static let wrongShapes: [(file: String, shape: [Int])] = [
        ("W_0", [20, 783]), ("b_0", [21, 1]), ("W_1", [10, 21]), ("b_1", [11, 1]), ("Y_0", [20, 11]), ("c_0", [19, 1]),
    ]

    @Test("weight files of the wrong shape are refused, naming the file", arguments: 0..<6)
    func wrongShape(_ index: Int) throws {
        let (name, shape) = Self.wrongShapes[index]
        let network = NetworkConfiguration(hiddenSizes: [20])
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeWeights(distinctWeights(for: network), to: directory, prefix: "initial_")
        let file = directory.appendingPathComponent("initial_\(name).npy")
        try NPY.write(values: [Double](repeating: 0.5, count: shape.reduce(1, *)), shape: shape, to: file)

        do {
            let _: NetworkWeights<Double> = try WeightFiles.load(from: directory, prefix: "initial_", configuration: network)
            Issue.record("\(name): expected a WeightFileError")
        } catch let error as WeightFileError {
            #expect(error.file == file.path)
            #expect(error.description.contains(file.path))
            #expect(error.description.contains("shape"))
        }

        // Through a training run: refused before the run directory exists.
        let run = directory.appendingPathComponent("run")
        var spec = smallSpec(hidden: [20], images: 20, output: run)
        spec.initialWeightsDirectory = directory.path
        spec.initialWeightsPrefix = "initial_"
        do {
            try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: [])
            Issue.record("\(name): expected a WeightFileError from the run")
        } catch let error as WeightFileError {
            #expect(error.file == file.path)
        }
        #expect(!exists(run))
    }

    @Test("weights for another network are refused, naming the file")
    func weightsOfAnotherNetwork() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeWeights(distinctWeights(for: NetworkConfiguration(hiddenSizes: [30])), to: directory)
        do {
            let _: NetworkWeights<Double> = try WeightFiles.load(from: directory, prefix: "",
                                                                 configuration: NetworkConfiguration(hiddenSizes: [20]))
            Issue.record("expected a WeightFileError")
        } catch let error as WeightFileError {
            #expect(error.file.hasSuffix("/W_0.npy"))
            #expect(error.description.contains("(20, 784)"))
        }
    }
}

// MARK: - Tests beside training

@Suite struct BackgroundTestTests {
    /// Every file of a run, but the timing column of metrics.csv, the date in config.json and
    /// checkpoint.json, and the lock; the TensorBoard events as sorted "tag step value" lines
    /// (their file name and wall times differ, and background tests write them in another order).
    private func contents(of run: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        var events: [String] = []
        for url in try EventFiles.urls(in: run) {
            for event in try EventFiles.read(url) {
                events += event.scalars.map { "\($0.tag) \(event.step) \($0.value.bitPattern)" }
            }
        }
        files["events"] = Data(events.sorted().joined(separator: "\n").utf8)
        for name in try FileManager.default.contentsOfDirectory(atPath: run.path).sorted()
        where !["run.lock", "config.json", "checkpoint.json"].contains(name) && !name.hasPrefix(EventFileWriter.namePrefix) {
            var data = try Data(contentsOf: run.appendingPathComponent(name))
            if name == "metrics.csv" {
                let rows = String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.split(separator: ",").dropLast().joined(separator: ",") }
                data = Data(rows.joined(separator: "\n").utf8)
            }
            files[name] = data
        }
        var checkpoint = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("checkpoint.json"))) as! [String: Any]
        checkpoint["date"] = nil
        files["checkpoint.json"] = try JSONSerialization.data(withJSONObject: checkpoint, options: .sortedKeys)
        return files
    }

    /// Tests on a background thread (2 threads) give the same run directory, byte for byte, as
    /// tests in place (1 thread): quick tests, full tests, read-outs, weights, checkpoints.
    @Test(arguments: [SimulationMode.rate, .spiking])
    func backgroundTestsEqualTestsInPlace(mode: SimulationMode) throws {
        let parent = try SharedPaths.temporaryDirectory("background-\(mode)")
        var runs: [[String: Data]] = []
        for threads in [1, 2] {
            let network = NetworkConfiguration(hiddenSizes: [30])
            var training = TrainingOptions(learningRates: TrainingOptions.defaultLearningRates(hiddenLayers: 1))
            training.epochs = 3
            training.imagesPerEpoch = mode == .rate ? 600 : 300
            training.quickTestInterval = 100
            training.quickTestImages = 20
            training.fullTestImages = 60
            var spec = TrainingRunSpec(network: network, training: training,
                                       outputDirectory: parent.appendingPathComponent("threads\(threads)"))
            spec.mode = mode
            spec.precision = mode == .rate ? .float64 : .float32
            spec.measurements.readoutImages = 50
            spec.testThreads = threads
            try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: ["test"], observers: [])
            runs.append(try contents(of: spec.outputDirectory))
        }
        #expect(runs[0].keys.sorted() == runs[1].keys.sorted())
        #expect(runs[0]["quick_test.csv"].map { String(decoding: $0, as: UTF8.self).split(separator: "\n").count } == 1 + 3 * (mode == .rate ? 5 : 2))
        #expect(runs[0]["layer_accuracy.csv"].map { String(decoding: $0, as: UTF8.self).split(separator: "\n").count } == 1 + 3 * 4)
        for (name, data) in runs[0] { #expect(runs[1][name] == data, "\(name)") }
    }
}
