/// A way of simulating the network through time: rate mode or spiking mode. The training
/// loop and the learning rule see only this.
public protocol NetworkDynamics {
    associatedtype Scalar: DendriteScalar

    /// Shows one training image for a forward phase and a target phase (no reset before it:
    /// the state carries over from the previous image) and fills `averages`.
    /// `input` holds the input rates λ_max·pixel.
    mutating func presentTrainingExample(
        input: [Scalar], label: Int, weights: NetworkWeights<Scalar>,
        averages: inout PhaseAverages<Scalar>, generator: inout Xoshiro256)

    /// Clears every layer's state (as after a test).
    mutating func clearState()

    /// Called whenever the weights were replaced (and before the first image).
    mutating func weightsDidChange(_ weights: NetworkWeights<Scalar>)

    /// The learning step after a training image: `rule`'s update (MODEL.md §3) from `averages`,
    /// applied to `weights` and to whatever the dynamics holds of them. Returns the output loss.
    /// A dynamics may keep part of the weights itself while it trains, so `weights` is complete
    /// only after `synchronize`.
    mutating func learn(_ rule: inout LearningRule<Scalar>, weights: inout NetworkWeights<Scalar>,
                        averages: PhaseAverages<Scalar>, generator: inout Xoshiro256) -> Scalar

    /// Brings `weights` up to date with every learning step so far, for whoever reads them (a
    /// test, a check, a checkpoint). Cheap when they already are.
    mutating func synchronize(_ weights: inout NetworkWeights<Scalar>)
}

extension NetworkDynamics {
    public mutating func learn(_ rule: inout LearningRule<Scalar>, weights: inout NetworkWeights<Scalar>,
                               averages: PhaseAverages<Scalar>, generator: inout Xoshiro256) -> Scalar {
        let loss = rule.update(&weights, from: averages, generator: &generator)
        weightsDidChange(weights)
        return loss
    }

    public mutating func synchronize(_ weights: inout NetworkWeights<Scalar>) {}

    /// One training image, as the trainer and the benchmark run it: its input rates (into the
    /// buffer `input`), the forward and target phases (`averages`), then the learning step.
    /// Returns the output loss.
    mutating func train(
        on pixels: ArraySlice<UInt8>, label: Int, weights: inout NetworkWeights<Scalar>, rule: inout LearningRule<Scalar>,
        averages: inout PhaseAverages<Scalar>, input: inout [Scalar], generator: inout Xoshiro256
    ) -> Scalar {
        inputRates(pixels, maximumRate: Scalar(rule.configuration.neuron.maximumRate), into: &input)
        presentTrainingExample(input: input, label: label, weights: weights, averages: &averages, generator: &generator)
        return learn(&rule, weights: &weights, averages: averages, generator: &generator)
    }
}

/// A way of testing the network (MODEL.md §4): mean output somatic voltages for images shown
/// from a cleared state.
public protocol NetworkEvaluator {
    associatedtype Scalar: DendriteScalar
    /// Mean output somatic potentials C̄ for each image (one row per index), in the order of
    /// `indices`. `seed` seeds each image's own generator from its index, so the result does not
    /// depend on threads.
    func outputPotentials(
        images: LabeledImages, indices: [Int], weights: NetworkWeights<Scalar>, seed: UInt64
    ) -> [[Scalar]]

    /// Every layer's activity in the same tests (`TestActivity`), seeded as `outputPotentials`,
    /// whose output potentials it returns too.
    func testActivity(
        images: LabeledImages, indices: [Int], weights: NetworkWeights<Scalar>, seed: UInt64
    ) -> TestActivity

    /// This evaluator on at most `threads` threads (results do not depend on it).
    func limited(toThreads threads: Int) -> Self
}

extension NetworkEvaluator {
    public func limited(toThreads threads: Int) -> Self { self }
}

/// What a test of many images shows of every layer: the output potentials the prediction
/// reads, and each layer's rates, the features of the linear read-outs (`LayerReadouts`).
public struct TestActivity: Sendable {
    /// Mean output somatic potentials C̄, images × output neurons.
    public var outputPotentials: Matrix<Double>
    /// Images × neurons for each layer, input first: the input rates λ_max·pixel, then the
    /// rates of each hidden layer and of the output layer (spiking mode: λ_max σ(C̄) of the
    /// mean somatic voltage over the test window; rate mode: the steady-state rates).
    public var layerRates: [Matrix<Double>]

    /// The predicted class of every image (the class whose neurons have the largest C̄).
    public func predictions(neuronsPerClass: Int) -> [Int] {
        let n = outputPotentials.columns
        return (0..<outputPotentials.rows).map { row in
            predictedClass(outputPotentials: Array(outputPotentials.values[row * n..<(row + 1) * n]),
                           neuronsPerClass: neuronsPerClass)
        }
    }

    /// The input rates λ_max·pixel/255 of the images, images × pixels.
    static func inputRates(images: LabeledImages, indices: [Int], maximumRate: Double) -> Matrix<Double> {
        var values = [Double]()
        values.reserveCapacity(indices.count * images.pixelsPerImage)
        for index in indices { for p in images.image(index) { values.append(maximumRate * Double(p) / 255) } }
        return Matrix(rows: indices.count, columns: images.pixelsPerImage, values: values)
    }
}

/// Input rates λ_max · pixel / 255 of one image, pixels in row-major order.
@inlinable
public func inputRates<Scalar: DendriteScalar>(
    _ pixels: ArraySlice<UInt8>, maximumRate: Scalar, into rates: inout [Scalar]
) {
    var i = 0
    for p in pixels {
        rates[i] = maximumRate * (Scalar(p) / 255)
        i += 1
    }
}
