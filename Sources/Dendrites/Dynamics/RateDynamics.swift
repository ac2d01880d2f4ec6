/// Rate mode (MODEL.md §8, the authors' `nonspiking_mode`): every spike train is replaced by
/// the presynaptic rate, and somatic voltages jump to their steady state each step. Each phase
/// is 2 steps and every "average" is the value at the phase's last step.
public struct RateDynamics<Scalar: DendriteScalar>: NetworkDynamics {
    public let configuration: NetworkConfiguration
    public let soma: SomaticDynamics<Scalar>
    /// Steps per phase (2: the first step still sees the previous image's feedback).
    public var stepsPerPhase = 2

    // State, carried from step to step and image to image. Index m: all layers; l: hidden.
    public private(set) var basal: [[Scalar]]       // B_m
    public private(set) var somatic: [[Scalar]]     // C_m
    public private(set) var rate: [[Scalar]]        // λ_m
    public private(set) var apical: [[Scalar]]      // A_l
    public private(set) var apicalInput: [[Scalar]] // the feedback rates A_l was computed from
    private var teaching: [TeachingConductances<Scalar>]

    public init(configuration: NetworkConfiguration) {
        self.configuration = configuration
        soma = SomaticDynamics(configuration.neuron)
        let zeros = { (n: Int) in [Scalar](repeating: 0, count: n) }
        basal = configuration.layerSizes.map(zeros)
        somatic = configuration.layerSizes.map(zeros)
        rate = configuration.layerSizes.map(zeros)
        apical = configuration.hiddenSizes.map(zeros)
        apicalInput = (0..<configuration.hiddenLayerCount).map { zeros(configuration.feedbackInputCount(ofHiddenLayer: $0)) }
        teaching = Array(repeating: .none, count: configuration.outputSize)
    }

    public mutating func clearState() {
        for m in basal.indices {
            zero(&basal[m]); zero(&somatic[m]); zero(&rate[m])
        }
        for l in apical.indices {
            zero(&apical[l]); zero(&apicalInput[l])
        }
    }

    public mutating func weightsDidChange(_ weights: NetworkWeights<Scalar>) {}

    /// One time step, in the order of MODEL.md §8: hidden layers bottom-up (basal input from
    /// this step's rates below, apical input from the previous step's rates above), then the
    /// output layer.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func step(input: [Scalar], weights: NetworkWeights<Scalar>, target: Bool) {
        let layerCount = configuration.layerCount
        let output = layerCount - 1
        for m in 0..<layerCount {
            // B = W s + b
            copyValues(weights.bias[m], into: &basal[m])
            if m == 0 {
                Self.multiplyAdd(weights.forward[m], input, into: &basal[m])
            } else {
                Self.multiplyAdd(weights.forward[m], rate[m - 1], into: &basal[m])
            }
            if m < output {
                // A = Y r + c, r = the rates above from the previous step (not yet updated).
                copyValues(configuration.feedbackWiring == .broadcast ? rate[output] : rate[m + 1], into: &apicalInput[m])
                copyValues(weights.apicalBias[m], into: &apical[m])
                Self.multiplyAdd(weights.feedback[m], apicalInput[m], into: &apical[m])
                for i in somatic[m].indices {
                    somatic[m][i] = soma.hiddenSteadyState(basal: basal[m][i])
                    rate[m][i] = soma.rate(somatic: somatic[m][i])
                }
            } else {
                for i in somatic[m].indices {
                    somatic[m][i] = soma.outputSteadyState(basal: basal[m][i], teaching: target ? teaching[i] : .none)
                    rate[m][i] = soma.rate(somatic: somatic[m][i])
                }
            }
        }
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func presentTrainingExample(
        input: [Scalar], label: Int, weights: NetworkWeights<Scalar>,
        averages: inout PhaseAverages<Scalar>, generator: inout Xoshiro256
    ) {
        // Forward phase.
        for _ in 0..<stepsPerPhase { step(input: input, weights: weights, target: false) }
        let layerCount = configuration.layerCount
        for m in 0..<layerCount {
            copyValues(somatic[m], into: &averages.somaticForward[m])
            copyValues(rate[m], into: &averages.rateForward[m])
            copyValues(m == 0 ? input : rate[m - 1], into: &averages.presynapticForward[m])
        }
        for l in 0..<configuration.hiddenLayerCount {
            copyValues(apical[l], into: &averages.apicalForward[l])
            copyValues(apicalInput[l], into: &averages.apicalInputForward[l])
            for i in apical[l].indices { averages.plateauForward[l][i] = soma.plateau(meanApical: apical[l][i]) }
        }
        // Target phase: teaching conductances on the output layer.
        setTeaching(label: label)
        for _ in 0..<stepsPerPhase { step(input: input, weights: weights, target: true) }
        for m in 0..<layerCount { copyValues(rate[m], into: &averages.rateTarget[m]) }
        for l in 0..<configuration.hiddenLayerCount {
            for i in apical[l].indices { averages.plateauTarget[l][i] = soma.plateau(meanApical: apical[l][i]) }
        }
    }

    private mutating func setTeaching(label: Int) {
        let k = configuration.neuronsPerClass
        for i in teaching.indices { teaching[i] = i / k == label ? .correctClass : .otherClass }
    }

    /// y ← y + M x
    @inline(__always)
    static func multiplyAdd(_ matrix: Matrix<Scalar>, _ x: [Scalar], into y: inout [Scalar]) {
        guard matrix.rows > 0, matrix.columns > 0 else { return }
        matrix.values.withUnsafeBufferPointer { a in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    Scalar.gemv(rows: matrix.rows, columns: matrix.columns, alpha: 1, matrix: a.baseAddress!,
                                vector: xp.baseAddress!, beta: 1, result: yp.baseAddress!)
                }
            }
        }
    }
}

/// Copies element by element, so that neither array comes to share storage (no copy-on-write
/// allocation later in the step loop).
@inline(__always)
func copyValues<Scalar: DendriteScalar>(_ source: [Scalar], into destination: inout [Scalar]) {
    precondition(source.count == destination.count)
    destination.withUnsafeMutableBufferPointer { d in
        source.withUnsafeBufferPointer { s in
            for i in 0..<s.count { d[i] = s[i] }
        }
    }
}

@inline(__always)
func zero<Scalar: DendriteScalar>(_ v: inout [Scalar]) {
    for i in v.indices { v[i] = 0 }
}

/// The fast path of a rate-mode test: with state cleared, the output voltages after the test
/// phase are the feedforward pass C_hidden = k_B (W s + b), λ = λ_max σ(C), C_out = k_D (W s + b),
/// computed here for many images at once with matrix products. `RateDynamics` is the reference
/// it is tested against.
public struct RateEvaluator<Scalar: DendriteScalar>: NetworkEvaluator {
    public let configuration: NetworkConfiguration
    public let soma: SomaticDynamics<Scalar>
    public var batchSize = 1000

    public init(configuration: NetworkConfiguration) {
        self.configuration = configuration
        soma = SomaticDynamics(configuration.neuron)
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func outputPotentials(
        images: LabeledImages, indices: [Int], weights: NetworkWeights<Scalar>, seed: UInt64
    ) -> [[Scalar]] {
        let output = layerValues(images: images, indices: indices, weights: weights).last!
        return (0..<output.rows).map { Array(output.values[$0 * output.columns..<($0 + 1) * output.columns]) }
    }

    /// The feedforward pass's rates of every layer (the output layer's from its potentials).
    public func testActivity(
        images: LabeledImages, indices: [Int], weights: NetworkWeights<Scalar>, seed: UInt64
    ) -> TestActivity {
        let layers = layerValues(images: images, indices: indices, weights: weights).map(matrix)
        var rates = layers
        let soma = SomaticDynamics<Double>(configuration.neuron)
        for i in rates[rates.count - 1].values.indices {
            rates[rates.count - 1].values[i] = soma.rate(somatic: rates[rates.count - 1].values[i])
        }
        return TestActivity(outputPotentials: layers[layers.count - 1], layerRates: rates)
    }

    /// The whole feedforward pass, one matrix (images × neurons) per layer: the input rates
    /// λ_max·pixel, each hidden layer's rates λ = λ_max σ(k_B (W s + b)), and the output
    /// layer's somatic potentials C = k_D (W s + b). Batched matrix products.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func layerValues(images: LabeledImages, indices: [Int], weights: NetworkWeights<Scalar>) -> [Matrix<Scalar>] {
        let pixelCount = images.pixelsPerImage
        var layers = [Matrix<Scalar>(rows: indices.count, columns: pixelCount)]
            + configuration.layerSizes.map { Matrix<Scalar>(rows: indices.count, columns: $0) }
        var start = 0
        while start < indices.count {
            let batch = Array(indices[start..<min(start + batchSize, indices.count)])
            // Rows: images; columns: the layer's inputs.
            var activity = Matrix<Scalar>(rows: batch.count, columns: pixelCount)
            for (row, index) in batch.enumerated() {
                var p = row * pixelCount
                for pixel in images.image(index) {
                    activity.values[p] = soma.maximumRate * (Scalar(pixel) / 255)
                    p += 1
                }
            }
            store(activity, into: &layers[0], at: start)
            for m in 0..<configuration.layerCount {
                let w = weights.forward[m]
                var next = Matrix<Scalar>(rows: batch.count, columns: w.rows)
                for row in 0..<batch.count { for i in 0..<w.rows { next[row, i] = weights.bias[m][i] } }
                activity.values.withUnsafeBufferPointer { a in
                    w.values.withUnsafeBufferPointer { b in
                        next.values.withUnsafeMutableBufferPointer { c in
                            Scalar.gemmTransposedB(m: batch.count, n: w.rows, k: w.columns, alpha: 1,
                                                   a: a.baseAddress!, b: b.baseAddress!, beta: 1, c: c.baseAddress!)
                        }
                    }
                }
                let isOutput = m == configuration.layerCount - 1
                for i in next.values.indices {
                    if isOutput {
                        next.values[i] = soma.outputSteadyState(basal: next.values[i], teaching: .none)
                    } else {
                        next.values[i] = soma.rate(somatic: soma.hiddenSteadyState(basal: next.values[i]))
                    }
                }
                store(next, into: &layers[m + 1], at: start)
                activity = next
            }
            start += batchSize
        }
        return layers
    }

    /// Copies a batch's rows into the full matrix, starting at row `row`.
    private func store(_ batch: Matrix<Scalar>, into full: inout Matrix<Scalar>, at row: Int) {
        let offset = row * full.columns
        for i in batch.values.indices { full.values[offset + i] = batch.values[i] }
    }
}
