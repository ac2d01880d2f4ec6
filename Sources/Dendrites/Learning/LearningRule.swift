/// The weight update after each target phase (MODEL.md §3), output layer first, then the
/// hidden layers top-down, as the authors' code does it.
///
/// Output layer: E = −(λ̄^t − λ_max σ(C̄^f)) · k_D λ_max σ'(C̄^f)
/// Hidden layer: E = −(α^t − α^f) · k_B λ_max σ'(C̄^f)
/// Backprop:     E_bp^l = (W^{l+1})ᵀ E_bp^{l+1} · k_B λ_max σ'(C̄^f_l)   (W^{l+1} already updated)
/// Update:       W ← W − η P E s̄^fᵀ,  b ← b − η P E
/// Learned feedback (before W of the same layer):
///               E_inv = −(λ_max σ(C̄^f) − α^f) σ'(Ā^f),  Y ← Y − η_b E_inv s̄_Aᵀ,  c ← c − η_b E_inv
public struct LearningRule<Scalar: DendriteScalar> {
    public let configuration: NetworkConfiguration
    /// η per layer (hidden layers, then the output layer).
    public var learningRates: [Double]

    /// E_m of the last update, per layer (what was applied).
    public private(set) var errors: [[Scalar]]
    /// E_bp,m of the last update, per layer (the backprop control; equal to `errors` for the
    /// output layer). Computed every update, so angles can be measured in any variant.
    public private(set) var backpropErrors: [[Scalar]]
    private var feedbackErrors: [[Scalar]]

    /// The factor of each layer's last update, −η P: ΔW_m = stepSizes[m] · E_m s̄_mᵀ.
    public var stepSizes: [Scalar] {
        (0..<configuration.layerCount).map { m in
            -Scalar(learningRates[m]) * (m == configuration.layerCount - 1 ? outputScale : hiddenScale)
        }
    }
    /// Whether an update also changes the feedback weights Y (learned or symmetric feedback).
    public var changesFeedback: Bool {
        configuration.variants.feedbackLearningRates != nil || configuration.variants.symmetric
    }

    private let basalCoupling: Scalar, dendriticCoupling: Scalar, maximumRate: Scalar
    /// λ = λ_max σ(C)
    private let soma: SomaticDynamics<Scalar>
    private let hiddenScale: Scalar, outputScale: Scalar

    public init(configuration: NetworkConfiguration, learningRates: [Double]) {
        precondition(learningRates.count == configuration.layerCount)
        self.configuration = configuration
        self.learningRates = learningRates
        errors = configuration.layerSizes.map { [Scalar](repeating: 0, count: $0) }
        backpropErrors = errors
        feedbackErrors = configuration.hiddenSizes.map { [Scalar](repeating: 0, count: $0) }
        let p = configuration.neuron
        basalCoupling = Scalar(p.basalCoupling)
        dendriticCoupling = Scalar(p.dendriticCoupling)
        maximumRate = Scalar(p.maximumRate)
        soma = SomaticDynamics(p)
        hiddenScale = Scalar(p.hiddenLearningScale)
        outputScale = Scalar(p.outputLearningScale)
    }

    /// The output-layer loss of one image: mean over output neurons of (λ̄^t − λ_max σ(C̄^f))².
    public func outputLoss(_ averages: PhaseAverages<Scalar>) -> Scalar {
        let m = configuration.layerCount - 1
        var sum: Scalar = 0
        for i in averages.rateTarget[m].indices {
            let d = averages.rateTarget[m][i] - soma.rate(somatic: averages.somaticForward[m][i])
            sum += d * d
        }
        return sum / Scalar(averages.rateTarget[m].count)
    }

    /// Computes every layer's error and applies the updates. Returns the output loss.
    @discardableResult
    public mutating func update(
        _ weights: inout NetworkWeights<Scalar>, from averages: PhaseAverages<Scalar>,
        generator: inout Xoshiro256
    ) -> Scalar {
        update(&weights, from: averages, generator: &generator, updatingBottomForward: true)
    }

    /// `update`, but with `updatingBottomForward: false` W_0's step (its error, the step size and
    /// s̄^f_0 are computed as always) is left to the caller, which applies it to a copy of its
    /// own (`SpikingDynamics.learn`); nothing here reads W_0.
    @discardableResult
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    mutating func update(
        _ weights: inout NetworkWeights<Scalar>, from averages: PhaseAverages<Scalar>,
        generator: inout Xoshiro256, updatingBottomForward: Bool
    ) -> Scalar {
        let loss = outputLoss(averages)
        let output = configuration.layerCount - 1
        let variants = configuration.variants

        // Output layer.
        for i in errors[output].indices {
            let c = averages.somaticForward[output][i]
            let e = -(averages.rateTarget[output][i] - soma.rate(somatic: c))
                * dendriticCoupling * maximumRate * sigmoidDerivative(c)
            errors[output][i] = e
            backpropErrors[output][i] = e
        }
        applyForwardUpdate(&weights, layer: output, scale: outputScale, averages: averages,
                           matrix: output != 0 || updatingBottomForward)

        // Hidden layers, top-down.
        for l in stride(from: output - 1, through: 0, by: -1) {
            if let feedbackRates = variants.feedbackLearningRates {
                updateFeedback(&weights, layer: l, rate: Scalar(feedbackRates[l]), averages: averages)
            }
            // E_bp from the layer above (its W already updated, as in the authors' code).
            let above = weights.forward[l + 1].transposeApplied(to: backpropErrors[l + 1])
            let (coupling, backprop) = (basalCoupling * maximumRate, variants.backprop)
            // (Through buffers: a subscript write into a nested array checks its uniqueness.)
            errors[l].withUnsafeMutableBufferPointer { e in
                backpropErrors[l].withUnsafeMutableBufferPointer { bp in
                    averages.somaticForward[l].withUnsafeBufferPointer { c in
                        averages.plateauTarget[l].withUnsafeBufferPointer { target in
                            averages.plateauForward[l].withUnsafeBufferPointer { forward in
                                for i in 0..<e.count {
                                    let gain = coupling * sigmoidDerivative(c[i])
                                    bp[i] = above[i] * gain
                                    e[i] = backprop ? bp[i] : -(target[i] - forward[i]) * gain
                                }
                            }
                        }
                    }
                }
            }
            applyForwardUpdate(&weights, layer: l, scale: hiddenScale, averages: averages,
                               matrix: l != 0 || updatingBottomForward)
        }

        if variants.symmetric {
            FeedbackPathway.makeSymmetric(&weights, configuration: configuration, using: &generator)
        } else if !weights.feedbackMask.isEmpty && variants.feedbackLearningRates != nil {
            // Learned sparse feedback keeps its zeros (without the authors' repeated ×5 rescale).
            for l in weights.feedback.indices {
                for i in weights.feedback[l].values.indices where weights.feedbackMask[l][i] {
                    weights.feedback[l].values[i] = 0
                }
            }
        }
        return loss
    }

    /// W ← W − η P E s̄^fᵀ,  b ← b − η P E
    private mutating func applyForwardUpdate(
        _ weights: inout NetworkWeights<Scalar>, layer m: Int, scale: Scalar, averages: PhaseAverages<Scalar>, matrix: Bool
    ) {
        let step = -Scalar(learningRates[m]) * scale
        if matrix {
            weights.forward[m].addOuterProduct(errors[m], averages.presynapticForward[m], scaledBy: step)
        }
        errors[m].withUnsafeBufferPointer { e in
            weights.bias[m].withUnsafeMutableBufferPointer { b in
                for i in 0..<b.count { b[i] += step * e[i] }
            }
        }
    }

    /// Y ← Y − η_b E_inv s̄_Aᵀ,  c ← c − η_b E_inv
    private mutating func updateFeedback(
        _ weights: inout NetworkWeights<Scalar>, layer l: Int, rate: Scalar, averages: PhaseAverages<Scalar>
    ) {
        for i in feedbackErrors[l].indices {
            feedbackErrors[l][i] = -(soma.rate(somatic: averages.somaticForward[l][i]) - averages.plateauForward[l][i])
                * sigmoidDerivative(averages.apicalForward[l][i])
        }
        weights.feedback[l].addOuterProduct(feedbackErrors[l], averages.apicalInputForward[l], scaledBy: -rate)
        if configuration.variants.apicalBias {
            for i in weights.apicalBias[l].indices { weights.apicalBias[l][i] -= rate * feedbackErrors[l][i] }
        }
    }
}
