import Foundation

/// A linear read-out of a layer's activity: one-vs-rest least squares with a ridge penalty.
/// Features are standardized with the training mean and SD; each class's score is a linear
/// function of them, fitted to a 0/1 target by minimizing ‖X B − T‖² + λ‖B‖² (intercept not
/// penalized), solved through the eigen-decomposition of XᵀX. The prediction is the class with
/// the largest score.
public struct LinearReadout: Sendable {
    public let mean: [Double]
    public let scale: [Double]
    /// Features × classes.
    public let coefficients: Matrix<Double>
    public let intercepts: [Double]

    /// The default penalty per training sample: λ = `ridgePerSample` · n. On the pixels of
    /// 1,000 MNIST training images, 1.0 gives 77% test accuracy (0.01: 65%, 0.1: 72%, 3: 76%).
    public static let defaultRidgePerSample = 1.0

    /// Fits on `features` (samples × features) and `labels` in 0..<classes.
    public init(features x: Matrix<Double>, labels: [Int], classes: Int,
                ridgePerSample: Double = LinearReadout.defaultRidgePerSample) throws {
        precondition(x.rows == labels.count && x.rows > 0)
        let n = x.rows, d = x.columns
        var mean = [Double](repeating: 0, count: d)
        var scale = [Double](repeating: 0, count: d)
        for r in 0..<n { for c in 0..<d { mean[c] += x[r, c] } }
        for c in 0..<d { mean[c] /= Double(n) }
        for r in 0..<n { for c in 0..<d { let v = x[r, c] - mean[c]; scale[c] += v * v } }
        for c in 0..<d {
            let sd = (scale[c] / Double(n)).squareRoot()
            scale[c] = sd > 1e-12 ? 1 / sd : 0
        }
        var z = x
        for r in 0..<n { for c in 0..<d { z[r, c] = (x[r, c] - mean[c]) * scale[c] } }
        var targetMean = [Double](repeating: 0, count: classes)
        for label in labels { targetMean[label] += 1 / Double(n) }
        var t = Matrix<Double>(rows: n, columns: classes)
        for (r, label) in labels.enumerated() {
            for k in 0..<classes { t[r, k] = (k == label ? 1 : 0) - targetMean[k] }
        }
        let zt = z.transposed
        let gram = zt.multiplied(by: z)            // d × d
        let rhs = zt.multiplied(by: t)             // d × classes
        let (values, vectorsOrNil) = try SymmetricEigen.decompose(gram, vectors: true)
        let v = vectorsOrNil!
        // B = V diag(1/(w + λ)) Vᵀ rhs
        let lambda = ridgePerSample * Double(n)
        var projected = v.transposed.multiplied(by: rhs)
        for i in 0..<d {
            let f = 1 / (max(values[i], 0) + lambda)
            for k in 0..<classes { projected[i, k] *= f }
        }
        self.mean = mean
        self.scale = scale
        coefficients = v.multiplied(by: projected)
        intercepts = targetMean
    }

    /// The predicted class of each row of `features`.
    public func predict(_ x: Matrix<Double>) -> [Int] {
        precondition(x.columns == mean.count)
        var z = x
        for r in 0..<x.rows { for c in 0..<x.columns { z[r, c] = (x[r, c] - mean[c]) * scale[c] } }
        let scores = z.multiplied(by: coefficients)
        return (0..<x.rows).map { r in
            var best = 0
            var bestValue = -Double.infinity
            for k in 0..<coefficients.columns where scores[r, k] + intercepts[k] > bestValue {
                bestValue = scores[r, k] + intercepts[k]
                best = k
            }
            return best
        }
    }

    /// Percent of rows predicted as their label.
    public func accuracy(_ x: Matrix<Double>, labels: [Int]) -> Double {
        let predicted = predict(x)
        let right = zip(predicted, labels).filter { $0 == $1 }.count
        return 100 * Double(right) / Double(max(labels.count, 1))
    }
}

/// Every layer's mean firing rates for test-style presentations of images (state cleared,
/// MODEL.md §4), one matrix (images × neurons) per layer, input layer first: the input rates
/// λ_max·pixel, then hidden layers, then the output layer.
public enum LayerActivity {
    /// Rate mode: the feedforward steady state, λ = λ_max σ(k_B(W s + b)) for hidden layers,
    /// λ_max σ(k_D(W s + b)) for the output layer (what a rate-mode test computes).
    public static func rateMode(configuration: NetworkConfiguration, weights: NetworkWeights<Double>,
                                images: LabeledImages, indices: [Int]) -> [Matrix<Double>] {
        // The rate-mode test's own feedforward pass; the output potentials become rates.
        var layers = RateEvaluator<Double>(configuration: configuration)
            .layerValues(images: images, indices: indices, weights: weights)
        let soma = SomaticDynamics<Double>(configuration.neuron)
        for i in layers[layers.count - 1].values.indices {
            layers[layers.count - 1].values[i] = soma.rate(somatic: layers[layers.count - 1].values[i])
        }
        return layers
    }

    /// Spiking mode: λ_max σ(C̄) of every layer, C̄ the mean somatic voltage over a test's
    /// averaging window (as `PhaseAverages` gives hidden rates), from `SpikingEvaluator.layerPotentials`.
    public static func spikingMode<Scalar: DendriteScalar>(
        configuration: NetworkConfiguration, options: SpikingOptions, weights: NetworkWeights<Scalar>,
        images: LabeledImages, indices: [Int], seed: UInt64
    ) -> [Matrix<Double>] {
        let r = configuration.neuron.maximumRate
        let potentials = SpikingEvaluator<Scalar>(configuration: configuration, options: options)
            .layerPotentials(images: images, indices: indices, weights: weights, seed: seed)
        var layers = [inputMatrix(images: images, indices: indices, maximumRate: r)]
        for m in 0..<configuration.layerCount {
            let n = configuration.layerSizes[m]
            var values = [Double]()
            values.reserveCapacity(indices.count * n)
            for row in potentials { values += doubles(row[m]).map { r * sigmoid($0) } }
            layers.append(Matrix(rows: indices.count, columns: n, values: values))
        }
        return layers
    }

    static func inputMatrix(images: LabeledImages, indices: [Int], maximumRate: Double) -> Matrix<Double> {
        var values = [Double]()
        values.reserveCapacity(indices.count * images.pixelsPerImage)
        for index in indices { for p in images.image(index) { values.append(maximumRate * Double(p) / 255) } }
        return Matrix(rows: indices.count, columns: images.pixelsPerImage, values: values)
    }

    /// Names of the layers of `rateMode` / `spikingMode`, in order.
    public static func layerNames(_ configuration: NetworkConfiguration) -> [String] {
        ["input"] + (0..<configuration.hiddenLayerCount).map { "hidden_\($0)" } + ["output"]
    }
}

/// At each full test, fits a linear read-out of every layer's rates on the first
/// `readoutImages` training images (file order) and tests it on the full test's images, then
/// writes `layer_accuracy.csv`: `epoch,layer,accuracy_percent`, one row per layer (`input`,
/// `hidden_<l>`, `output`) plus `network`, the network's own test accuracy.
public final class LayerAccuracyRecorder<Scalar: DendriteScalar>: TrainingObserver {
    public typealias Activity = (_ images: LabeledImages, _ indices: [Int], _ weights: NetworkWeights<Scalar>) -> [Matrix<Double>]
    public let configuration: NetworkConfiguration
    private let dataset: ImageDataset
    private let readoutImages: Int
    private let testImages: Int
    private let activity: Activity
    private let ridgePerSample: Double
    private let file: CSVFile

    public init(directory: URL, configuration: NetworkConfiguration, dataset: ImageDataset, readoutImages: Int,
                testImages: Int, ridgePerSample: Double = LinearReadout.defaultRidgePerSample,
                activity: @escaping Activity) throws {
        self.ridgePerSample = ridgePerSample
        self.configuration = configuration
        self.dataset = dataset
        self.readoutImages = min(readoutImages, dataset.train.count)
        self.testImages = min(testImages, dataset.test.count)
        self.activity = activity
        file = try CSVFile(directory.appendingPathComponent("layer_accuracy.csv"), header: "epoch,layer,accuracy_percent")
    }

    public func didFinishEpoch<S>(_ summary: EpochSummary, weights: NetworkWeights<S>) throws {
        guard let weights = weights as? NetworkWeights<Scalar> else { return }
        for (name, accuracy) in try measure(weights) {
            try file.append("\(summary.epoch),\(name),\(String(format: "%.4f", accuracy))")
        }
        try file.append("\(summary.epoch),network,\(String(format: "%.4f", 100 - summary.testError))")
    }

    /// Read-out accuracy of every layer, in percent.
    public func measure(_ weights: NetworkWeights<Scalar>) throws -> [(String, Double)] {
        let trainIndices = Array(0..<readoutImages)
        let testIndices = Array(0..<testImages)
        let trainLabels = trainIndices.map { Int(dataset.train.labels[$0]) }
        let testLabels = testIndices.map { Int(dataset.test.labels[$0]) }
        let trainActivity = activity(dataset.train, trainIndices, weights)
        let testActivity = activity(dataset.test, testIndices, weights)
        let names = LayerActivity.layerNames(configuration)
        return try names.indices.map { m in
            let readout = try LinearReadout(features: trainActivity[m], labels: trainLabels, classes: configuration.classCount,
                                          ridgePerSample: ridgePerSample)
            return (names[m], readout.accuracy(testActivity[m], labels: testLabels))
        }
    }
}
