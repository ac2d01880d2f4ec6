import Foundation

/// Testing a saved network (ours, or the authors' `.npy` files) on the first N test images in
/// file order, image by image.
public struct SavedNetworkTest: Sendable {
    public var weightsDirectory: URL
    public var prefix: String = ""
    public var mode: SimulationMode = .spiking
    public var precision: Precision = .float64
    public var pixelOrder: PixelOrder = .rowMajor
    public var neuronsPerClass = 1
    public var neuron = NeuronParameters()
    public var spiking = SpikingOptions()
    public var seed: UInt64 = 1
    public var threads = ComputeThreads.available

    public init(weightsDirectory: URL) { self.weightsDirectory = weightsDirectory }

    /// MNIST and Fashion-MNIST both have 10 classes.
    public static let classCount = 10

    /// One row of the per-image table.
    public struct ImageResult: Sendable {
        public var index: Int
        public var label: Int
        public var prediction: Int
        /// Mean output somatic potential C̄ of every output neuron.
        public var potentials: [Double]
    }

    /// The network the files describe; the feedback wiring is read off `Y_0`'s shape.
    public func configuration(imagePixels: Int) throws -> NetworkConfiguration {
        let sizes = try WeightFiles.layerSizes(in: weightsDirectory, prefix: prefix)
        guard sizes.input == imagePixels else {
            throw ConfigurationError("the weights take \(sizes.input) inputs but the images have \(imagePixels) pixels")
        }
        let output = sizes.layers.last!
        guard output % neuronsPerClass == 0 else {
            throw ConfigurationError("the output layer has \(output) neurons, not a multiple of \(setting: .neuronsPerClass) \(neuronsPerClass)")
        }
        guard output / neuronsPerClass == Self.classCount else {
            throw ConfigurationError("the weights have \(output) output neurons (\(neuronsPerClass) per class): \(output / neuronsPerClass) classes, but the images have \(Self.classCount) (\(weightsDirectory.path))")
        }
        var configuration = NetworkConfiguration(hiddenSizes: Array(sizes.layers.dropLast()), inputSize: sizes.input,
                                                 classCount: output / neuronsPerClass, neuronsPerClass: neuronsPerClass)
        configuration.neuron = neuron
        do { try configuration.validate() } catch let error as ConfigurationError {
            throw ConfigurationError("the weights in \(weightsDirectory.path) form no network this tool runs: \(error.message)")
        }
        if configuration.hiddenLayerCount > 1, let columns = try WeightFiles.feedbackColumns(in: weightsDirectory, prefix: prefix),
           columns != output {
            configuration.feedbackWiring = .layerwise
        }
        return configuration
    }

    public func run(on images: LabeledImages, count: Int) throws -> [ImageResult] {
        guard count >= 1 && count <= images.count else {
            throw ConfigurationError("\(setting: .fullTestImages) must lie in 1…\(images.count), not \(count)")
        }
        if mode == .spiking { try spiking.validate() }
        let configuration = try configuration(imagePixels: images.pixelsPerImage)
        let indices = Array(0..<count)
        if mode == .spiking { BLASThreads.set(1) }
        struct Test: SimulationTask {
            let test: SavedNetworkTest, configuration: NetworkConfiguration, images: LabeledImages, indices: [Int]
            func run<D: NetworkDynamics, E: NetworkEvaluator>(_ simulation: Simulation<D, E>) throws -> [[Double]] {
                let weights: NetworkWeights<E.Scalar> = try test.load(configuration, images)
                return simulation.makeEvaluator(test.threads)
                    .outputPotentials(images: images, indices: indices, weights: weights, seed: test.seed)
                    .map { $0.map { Double($0) } }
            }
        }
        let potentials = try Simulations.run(Test(test: self, configuration: configuration, images: images, indices: indices),
                                             mode: mode, precision: precision, network: configuration, spiking: spiking)
        return indices.map { n in
            ImageResult(index: n, label: Int(images.labels[n]),
                        prediction: predictedClass(outputPotentials: potentials[n], neuronsPerClass: neuronsPerClass),
                        potentials: potentials[n])
        }
    }

    fileprivate func load<Scalar: DendriteScalar>(_ configuration: NetworkConfiguration, _ images: LabeledImages) throws -> NetworkWeights<Scalar> {
        try WeightFiles.load(from: weightsDirectory, prefix: prefix, configuration: configuration, pixelOrder: pixelOrder,
                             imageShape: (images.rows, images.columns))
    }

    /// Writes the per-image table as CSV: index (file order), label, prediction, C_0 … C_{n−1}.
    public static func writeCSV(_ results: [ImageResult], to url: URL) throws {
        let neurons = results.first?.potentials.count ?? 0
        // The one CSV number format (Docs/Formats.md): integers as integers, potentials as %.9g.
        var text = "index,label,prediction," + (0..<neurons).map { "C_\($0)" }.joined(separator: ",") + "\n"
        for r in results {
            text += CSVNumber.line([.integer(r.index), .integer(r.label), .integer(r.prediction)] + r.potentials.map { .real($0) }) + "\n"
        }
        try AtomicFile.write(Data(text.utf8), to: url)
    }

    /// Percent of images whose prediction is not their label.
    public static func errorPercent(_ results: [ImageResult]) -> Double {
        100 * Double(results.filter { $0.prediction != $0.label }.count) / Double(max(results.count, 1))
    }
}
