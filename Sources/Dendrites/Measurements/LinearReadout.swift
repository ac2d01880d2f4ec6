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
        var gram = zt.multiplied(by: z)            // d × d
        let rhs = zt.multiplied(by: t)             // d × classes
        // B = (ZᵀZ + λI)⁻¹ Zᵀ T, by Cholesky (ZᵀZ + λI is positive definite for λ > 0).
        let lambda = ridgePerSample * Double(n)
        for i in 0..<d { gram[i, i] += lambda }
        self.mean = mean
        self.scale = scale
        coefficients = try SymmetricEigen.solvePositiveDefinite(gram, rhs)
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

/// The linear read-outs of every layer at a full test (README, `layer_accuracy.csv`): for each
/// layer, a `LinearReadout` of its rates fitted on the first `readoutImages` training images
/// (file order) and tested on the full test's images. Pure computation, safe to run off the
/// training thread; the input layer's read-out, which never changes, is fitted once.
public final class LayerReadouts: @unchecked Sendable {
    public let configuration: NetworkConfiguration
    public let readoutImages: Int
    public let ridgePerSample: Double
    private let dataset: ImageDataset
    private var inputAccuracy: (testImages: Int, percent: Double)?

    public init(configuration: NetworkConfiguration, dataset: ImageDataset, readoutImages: Int,
                ridgePerSample: Double = LinearReadout.defaultRidgePerSample) {
        precondition(readoutImages > 0)
        self.configuration = configuration
        self.dataset = dataset
        self.readoutImages = min(readoutImages, dataset.train.count)
        self.ridgePerSample = ridgePerSample
    }

    /// The training images the read-outs are fitted on.
    public var trainingIndices: [Int] { Array(0..<readoutImages) }

    /// Read-out accuracy of every layer (`layerNames`), in percent: fitted on `training`, the
    /// activity of `trainingIndices`, and tested on `test`, the activity of the first test images.
    public func accuracies(training: TestActivity, test: TestActivity) throws -> [LayerAccuracy] {
        let trainLabels = (0..<training.layerRates[0].rows).map { Int(dataset.train.labels[$0]) }
        let testLabels = (0..<test.layerRates[0].rows).map { Int(dataset.test.labels[$0]) }
        let names = Self.layerNames(configuration)
        func accuracy(_ m: Int) throws -> Double {
            let readout = try LinearReadout(features: training.layerRates[m], labels: trainLabels,
                                            classes: configuration.classCount, ridgePerSample: ridgePerSample)
            return readout.accuracy(test.layerRates[m], labels: testLabels)
        }
        return try names.indices.map { m in
            if m == 0 {
                if let cached = inputAccuracy, cached.testImages == testLabels.count {
                    return LayerAccuracy(layer: names[0], percent: cached.percent)
                }
                let percent = try accuracy(0)
                inputAccuracy = (testLabels.count, percent)
                return LayerAccuracy(layer: names[0], percent: percent)
            }
            return LayerAccuracy(layer: names[m], percent: try accuracy(m))
        }
    }

    /// The layers in order: `input`, `hidden_<l>` …, `output`.
    public static func layerNames(_ configuration: NetworkConfiguration) -> [String] {
        RunFormat.layerNames(hiddenLayers: configuration.hiddenLayerCount)
    }
}

/// Writes `layer_accuracy.csv` (format 2: `step,epoch,layer,accuracy_percent`): at each full test, the
/// read-out accuracy of every layer that the trainer measured (`EpochSummary.layerAccuracies`),
/// then `network`, the network's own test accuracy.
public final class LayerAccuracyRecorder: TrainingObserver {
    public let layout: RunLayout
    private let file: CSVWriter

    /// Without `layout`, that of the run directory's config.json (see `MeasurementRecorder`).
    public init(directory: URL, layout: RunLayout? = nil) throws {
        self.layout = try layout ?? RunLayout(directory: directory)
        file = try CSVWriter(directory.appendingPathComponent(RunCSV.layerAccuracy.fileName),
                             columns: self.layout.columns(.layerAccuracy), appending: true)
    }

    public func didFinishEpoch<S>(_ summary: EpochSummary, weights: NetworkWeights<S>) throws {
        for measured in summary.layerAccuracies {
            try file.append(layout.layerAccuracyRow(epoch: summary.epoch, images: summary.images, layer: measured.layer, percent: measured.percent))
        }
        try file.append(layout.layerAccuracyRow(epoch: summary.epoch, images: summary.images, layer: "network", percent: 100 - summary.testError))
    }
}
