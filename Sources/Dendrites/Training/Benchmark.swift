import Foundation

/// Per-image training and test times of one network in one mode, measured in this process.
public struct BenchmarkResult: Codable, Sendable {
    public var network: String
    public var mode: SimulationMode
    public var precision: Precision
    /// Milliseconds per training image (forward and target phase, update), one core.
    public var trainMilliseconds: Double
    /// Milliseconds per test image on one core, and per image with `threads` cores.
    public var testMillisecondsOneThread: Double
    public var testMillisecondsAllThreads: Double
    public var threads: Int
}

public enum Benchmark {
    /// Trains `trainImages` images (after `warmUp` untimed ones) and tests `testImages` images,
    /// with the paper's initialization and learning rates.
    public static func measure(
        hidden: [Int], mode: SimulationMode, precision: Precision, dataset: ImageDataset,
        trainImages: Int, testImages: Int, warmUp: Int = 20, spiking: SpikingOptions = SpikingOptions()
    ) -> BenchmarkResult {
        let blasThreads = BLASThreads.count
        defer { BLASThreads.set(blasThreads) }
        BLASThreads.set(mode == .spiking ? 1 : blasThreads)
        struct Measure: SimulationTask {
            let hidden: [Int], mode: SimulationMode, configuration: NetworkConfiguration, dataset: ImageDataset
            let trainImages: Int, testImages: Int, warmUp: Int
            func run<D: NetworkDynamics, E: NetworkEvaluator>(_ simulation: Simulation<D, E>) -> BenchmarkResult {
                Benchmark.run(hidden: hidden, mode: mode, configuration: configuration, dataset: dataset, trainImages: trainImages,
                              testImages: testImages, warmUp: warmUp, dynamics: simulation.makeDynamics(),
                              evaluator: simulation.makeEvaluator)
            }
        }
        let configuration = NetworkConfiguration(hiddenSizes: hidden, inputSize: dataset.train.pixelsPerImage)
        let task = Measure(hidden: hidden, mode: mode, configuration: configuration, dataset: dataset,
                           trainImages: trainImages, testImages: testImages, warmUp: warmUp)
        // (Nothing in a benchmark throws.)
        return try! Simulations.run(task, mode: mode, precision: precision, network: configuration, spiking: spiking)
    }

    fileprivate static func run<D: NetworkDynamics, E: NetworkEvaluator>(
        hidden: [Int], mode: SimulationMode, configuration: NetworkConfiguration, dataset: ImageDataset, trainImages: Int,
        testImages: Int, warmUp: Int, dynamics: D, evaluator makeEvaluator: (Int?) -> E
    ) -> BenchmarkResult where D.Scalar == E.Scalar {
        typealias Scalar = D.Scalar
        var generator = Xoshiro256(seed: 1)
        let drawn: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        var weights: NetworkWeights<Scalar> = drawn.converted()
        var dynamics = dynamics
        var rule = LearningRule<Scalar>(configuration: configuration,
                                        learningRates: TrainingOptions.defaultLearningRates(hiddenLayers: hidden.count))
        var averages = PhaseAverages<Scalar>(configuration: configuration)
        var input = [Scalar](repeating: 0, count: configuration.inputSize)
        dynamics.weightsDidChange(weights)
        var started = DispatchTime.now()
        for n in 0..<(warmUp + trainImages) {
            if n == warmUp { started = DispatchTime.now() }
            let index = n % dataset.train.count
            _ = dynamics.train(on: dataset.train.image(index), label: Int(dataset.train.labels[index]), weights: &weights,
                               rule: &rule, averages: &averages, input: &input, generator: &generator)
        }
        dynamics.synchronize(&weights)   // as `Trainer` does at an epoch's end
        let trainSeconds = seconds(since: started)
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let indices = Array(0..<min(testImages, dataset.test.count))
        func timeTest(_ threads: Int) -> Double {
            let evaluator = makeEvaluator(threads)
            let start = DispatchTime.now()
            _ = evaluator.outputPotentials(images: dataset.test, indices: indices, weights: weights, seed: 1)
            return seconds(since: start)
        }
        let oneThread = timeTest(1)
        let allThreads = timeTest(threads)
        let name = "784-" + hidden.map(String.init).joined(separator: "-") + (hidden.isEmpty ? "" : "-") + "10"
        return BenchmarkResult(network: name, mode: mode, precision: Scalar.self == Float.self ? .float32 : .float64,
                               trainMilliseconds: 1000 * trainSeconds / Double(trainImages),
                               testMillisecondsOneThread: 1000 * oneThread / Double(indices.count),
                               testMillisecondsAllThreads: 1000 * allThreads / Double(indices.count), threads: threads)
    }

    /// The whole training job, as `train` runs it with the default recording (quick tests, the
    /// full test, read-outs, angles, the Jacobian condition, checkpoints), into a temporary
    /// directory that is removed afterwards: milliseconds per training image, all in (but
    /// loading MNIST), for `epochs` epochs of `imagesPerEpoch` images.
    public static func measureJob(
        hidden: [Int], mode: SimulationMode = .spiking, precision: Precision, dataset: ImageDataset,
        imagesPerEpoch: Int = 60_000, epochs: Int = 1, spiking: SpikingOptions = SpikingOptions()
    ) throws -> Double {
        let network = NetworkConfiguration(hiddenSizes: hidden, inputSize: dataset.train.pixelsPerImage)
        var training = TrainingOptions(learningRates: TrainingOptions.defaultLearningRates(hiddenLayers: hidden.count))
        training.epochs = epochs
        training.imagesPerEpoch = min(imagesPerEpoch, dataset.train.count)
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("dendrites-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: parent) }
        var spec = TrainingRunSpec(network: network, training: training, outputDirectory: parent.appendingPathComponent("run"))
        spec.mode = mode
        spec.precision = precision
        spec.spiking = spiking
        let start = DispatchTime.now()
        try TrainingRun.run(spec, dataset: dataset, commandLine: ["dendrite-train", "bench"], observers: [])
        return 1000 * seconds(since: start) / Double(epochs * training.imagesPerEpoch)
    }

    private static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
