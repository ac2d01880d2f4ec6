import Foundation

/// Records the feedback-alignment measurements of a run as it trains (Docs/Formats.md; the
/// columns below are format 2's, each file starting with `step`; `RunCSV` has both formats):
/// - `update_angles.csv`: `step,epoch,image,hidden_0_deg,…`, the angle between E^l and E_bp^l
///   of every hidden layer, every `updateInterval`-th image;
/// - `update_angles_smoothed.csv`: `step,epoch,first_image,last_image,hidden_0_deg,…`, the mean
///   of every image's angle over each block of `smoothingBlock` images;
/// - `weight_angles.csv`: `step,epoch,image,hidden_0_deg,…`, the angle between Y^l and the forward
///   weights it stands in for, every `interval` images;
/// - `jacobian.csv`: `step,epoch,image,max_eigenvalue,max_eigenvalue_weights`, Theorem 1's largest
///   eigenvalue of (I − U)ᵀ(I − U) with U = J_β J_γ averaged over the last `jacobianWindow`
///   images, and with U = k_D W^out Y^{L−1}, every `interval` images.
/// Only networks with at least one hidden layer are measured. Every line is flushed.
/// `listeners` receive each row's numbers as it is written (the TensorBoard recorder), so
/// other formats need not measure again.
public final class MeasurementRecorder: TrainingObserver {
    public let configuration: NetworkConfiguration
    public let updateInterval: Int
    public let interval: Int
    public let smoothingBlock: Int
    public let jacobianWindow: Int
    /// The format, hidden layers and images per epoch the files are written for.
    public let layout: RunLayout
    private let updateAngles: CSVWriter
    private let smoothedAngles: CSVWriter
    private let weightAngles: CSVWriter
    private let jacobian: CSVWriter
    private var angleSums: [Double]
    private var angleCounts: [Int]
    private var blockCount = 0
    private var blockStart = 1
    /// The last `jacobianWindow` products J_β J_γ (each n_out × n_out), a ring.
    private var products: [Matrix<Double>] = []
    private var productHead = 0
    /// Told of every measurement this recorder writes, right after its CSV row.
    public var listeners: [MeasurementListener] = []

    public init(directory: URL, configuration: NetworkConfiguration, updateInterval: Int = 10, interval: Int = 100,
                smoothingBlock: Int = 100, jacobianWindow: Int = 100, layout: RunLayout? = nil) throws {
        precondition(configuration.hiddenLayerCount > 0, "MeasurementRecorder needs a hidden layer")
        precondition(updateInterval > 0 && interval > 0 && smoothingBlock > 0 && jacobianWindow > 0)
        self.configuration = configuration
        self.updateInterval = updateInterval
        self.interval = interval
        self.smoothingBlock = smoothingBlock
        self.jacobianWindow = jacobianWindow
        // Without `layout`, that of the run directory's config.json (written before the
        // recorders are made, and a resumed run's own). The files are appended to when they exist:
        // a new run's directory is empty, and `resume` has checked a resumed run's files.
        let layout = try layout ?? RunLayout(directory: directory)
        precondition(layout.hiddenLayers == configuration.hiddenLayerCount)
        self.layout = layout
        func writer(_ file: RunCSV) throws -> CSVWriter {
            try CSVWriter(directory.appendingPathComponent(file.fileName), columns: layout.columns(file), appending: true)
        }
        updateAngles = try writer(.updateAngles)
        smoothedAngles = try writer(.updateAnglesSmoothed)
        weightAngles = try writer(.weightAngles)
        jacobian = try writer(.jacobian)
        angleSums = Array(repeating: 0, count: configuration.hiddenLayerCount)
        angleCounts = Array(repeating: 0, count: configuration.hiddenLayerCount)
    }

    public func didLearn<Scalar>(epoch: Int, image: Int, rule: LearningRule<Scalar>, averages: PhaseAverages<Scalar>,
                                 weights: NetworkWeights<Scalar>) throws {
        let hidden = configuration.hiddenLayerCount
        let output = configuration.layerCount - 1
        // Update angles, every image (for the smoothed series).
        var angles = [Double](repeating: .nan, count: hidden)
        for l in 0..<hidden {
            angles[l] = Angles.degrees(doubles(rule.errors[l]), doubles(rule.backpropErrors[l]))
            if angles[l].isFinite {
                angleSums[l] += angles[l]
                angleCounts[l] += 1
            }
        }
        if image % updateInterval == 0 {
            try updateAngles.append(layout.measurementRow(epoch: epoch, image: image, angles))
        }
        blockCount += 1
        if blockCount == smoothingBlock { try flushBlock(epoch: epoch, lastImage: image) }

        // J_β J_γ of this image, kept for the last `jacobianWindow` images.
        let imagesToRecord = interval - (image % interval == 0 ? interval : image % interval)
        if imagesToRecord < jacobianWindow {
            let w = matrix(weights.forward[output])
            let y = matrix(weights.feedback[hidden - 1])
            let u = JacobianCondition.product(outputSomatic: doubles(averages.somaticForward[output]), outputWeights: w,
                                              feedback: y, dendriticCoupling: configuration.neuron.dendriticCoupling,
                                              maximumRate: configuration.neuron.maximumRate)
            if products.count < jacobianWindow { products.append(u) } else { products[productHead] = u }
            productHead = (productHead + 1) % jacobianWindow
        }
        if image % interval == 0 { try recordWeights(epoch: epoch, image: image, weights: weights) }
    }

    public func didFinishTraining(epoch: Int, images: Int) throws {
        if blockCount > 0 { try flushBlock(epoch: epoch, lastImage: images) }
        blockStart = 1
        // Every series restarts with the epoch, so a run resumed from an epoch's checkpoint
        // records exactly what the uninterrupted run does.
        products.removeAll()
        productHead = 0
    }

    private func flushBlock(epoch: Int, lastImage: Int) throws {
        let means = (0..<angleSums.count).map { angleCounts[$0] > 0 ? angleSums[$0] / Double(angleCounts[$0]) : .nan }
        try smoothedAngles.append(layout.measurementRow(epoch: epoch, firstImage: blockStart, image: lastImage, means))
        for listener in listeners {
            try listener.didMeasureSmoothedUpdateAngles(epoch: epoch, firstImage: blockStart, lastImage: lastImage, degrees: means)
        }
        for l in angleSums.indices { angleSums[l] = 0; angleCounts[l] = 0 }
        blockCount = 0
        blockStart = lastImage + 1
    }

    private func recordWeights<Scalar>(epoch: Int, image: Int, weights: NetworkWeights<Scalar>) throws {
        let hidden = configuration.hiddenLayerCount
        let output = configuration.layerCount - 1
        // Only what the angles need: W^1 … W^out and Y (W^0 is the large one and is never used).
        let forward = weights.forward.indices.map { $0 == 0 ? Matrix<Double>(rows: 0, columns: 0) : matrix(weights.forward[$0]) }
        let converted = NetworkWeights<Double>(forward: forward, bias: [], feedback: weights.feedback.map(matrix), apicalBias: [])
        let angles = Angles.weightAngles(weights: converted, wiring: configuration.feedbackWiring)
        try weightAngles.append(layout.measurementRow(epoch: epoch, image: image, angles))
        for listener in listeners { try listener.didMeasureWeightAngles(epoch: epoch, image: image, degrees: angles) }

        var eigen = Double.nan
        if !products.isEmpty {
            var mean = Matrix<Double>(rows: products[0].rows, columns: products[0].columns)
            for u in products { for i in mean.values.indices { mean.values[i] += u.values[i] } }
            for i in mean.values.indices { mean.values[i] /= Double(products.count) }
            eigen = (try? JacobianCondition.largestEigenvalue(of: mean)) ?? .nan
        }
        let u = JacobianCondition.weightProduct(outputWeights: converted.forward[output], feedback: converted.feedback[hidden - 1],
                                                dendriticCoupling: configuration.neuron.dendriticCoupling)
        let eigenWeights = (try? JacobianCondition.largestEigenvalue(of: u)) ?? .nan
        try jacobian.append(layout.measurementRow(epoch: epoch, image: image, [eigen, eigenWeights]))
        for listener in listeners {
            try listener.didMeasureJacobian(epoch: epoch, image: image, maxEigenvalue: eigen, maxEigenvalueWeights: eigenWeights)
        }
    }
}

/// Receives the numbers of the rows `MeasurementRecorder` writes (angles in degrees, per hidden
/// layer, bottom first; NaN where undefined), on the training thread, right after each row.
public protocol MeasurementListener: AnyObject {
    /// A row of `update_angles_smoothed.csv`: the mean update angle over images `firstImage…lastImage`.
    func didMeasureSmoothedUpdateAngles(epoch: Int, firstImage: Int, lastImage: Int, degrees: [Double]) throws
    /// A row of `weight_angles.csv`.
    func didMeasureWeightAngles(epoch: Int, image: Int, degrees: [Double]) throws
    /// A row of `jacobian.csv`.
    func didMeasureJacobian(epoch: Int, image: Int, maxEigenvalue: Double, maxEigenvalueWeights: Double) throws
}

/// The values as `Double`, without a generic element-by-element conversion (which is slow
/// from an unspecialized context such as an observer).
func doubles<Scalar>(_ values: [Scalar]) -> [Double] {
    if Scalar.self == Double.self { return unsafeBitCast(values, to: [Double].self) }
    if Scalar.self == Float.self { return unsafeBitCast(values, to: [Float].self).map(Double.init) }
    return values.map { Double(String(describing: $0))! }
}

func matrix<Scalar: DendriteScalar>(_ m: Matrix<Scalar>) -> Matrix<Double> {
    Matrix<Double>(rows: m.rows, columns: m.columns, values: doubles(m.values))
}
