/// The paper's "weight optimization" initialization (MODEL.md §5): forward weights drawn so
/// that dendritic voltages start with mean 3 and SD 3, biases near 0.8.
public struct WeightInitialization: Sendable {
    public var maximumRate: Double = 0.2
    public var targetVoltageMean: Double = 3   // V_avg
    public var targetVoltageSD: Double = 3     // V_sd
    public var biasMean: Double = 0.8          // b_avg
    public var biasSD: Double = 0.001          // b_sd
    /// The spread multiplier: W = W_avg + 3.465 W_sd U(−1, 1).
    public var spread: Double = 3.465

    public init(maximumRate: Double = 0.2) { self.maximumRate = maximumRate }

    /// (W_avg, W_sd) for a layer with `inputCount` inputs.
    public func forwardWeightMoments(inputCount N: Int) -> (mean: Double, sd: Double) {
        let n = Double(N)
        let nu = 0.25 * maximumRate                       // ν
        let vAvg = targetVoltageMean
        let vSM = targetVoltageSD * targetVoltageSD + vAvg * vAvg   // V_sm
        let bAvg = biasMean
        let wAvg = (vAvg - bAvg) / (nu * n * vAvg)
        let wSM = (vSM + nu * nu * (n - n * n) * wAvg * wAvg * vAvg * vAvg - 2 * n * nu * bAvg * vAvg * wAvg - bAvg * bAvg)
            / (n * nu * nu * vSM)
        return (wAvg, (wSM - wAvg * wAvg).squareRoot())
    }

    /// A fresh network. Draws layer by layer from the top (as the authors' code does):
    /// W_m, b_m, then Y_{m-1} with layer m's moments; then the sparse mask, if any.
    public func makeWeights<Scalar: DendriteScalar, G: RandomNumberGenerator>(
        for configuration: NetworkConfiguration, using generator: inout G
    ) -> NetworkWeights<Scalar> {
        let sizes = configuration.layerSizes
        let layerCount = sizes.count
        var forward = [Matrix<Scalar>?](repeating: nil, count: layerCount)
        var bias = [[Scalar]](repeating: [], count: layerCount)
        var feedback = [Matrix<Scalar>?](repeating: nil, count: configuration.hiddenLayerCount)
        for m in stride(from: layerCount - 1, through: 0, by: -1) {
            let inputs = configuration.inputCount(ofLayer: m)
            let (wAvg, wSD) = forwardWeightMoments(inputCount: inputs)
            forward[m] = Matrix(rows: sizes[m], columns: inputs) { _, _ in
                Scalar(wAvg + spread * wSD * generator.uniform(-1, 1))
            }
            bias[m] = (0..<sizes[m]).map { _ in Scalar(biasMean + spread * biasSD * generator.uniform(-1, 1)) }
            if m > 0 {
                let l = m - 1
                feedback[l] = Matrix(rows: sizes[l], columns: configuration.feedbackInputCount(ofHiddenLayer: l)) { _, _ in
                    Scalar(wAvg + spread * wSD * generator.uniform(-1, 1))
                }
            }
        }
        var weights = NetworkWeights<Scalar>(
            forward: forward.map { $0! }, bias: bias, feedback: feedback.map { $0! },
            apicalBias: configuration.hiddenSizes.map { [Scalar](repeating: 0, count: $0) })
        if let fraction = configuration.variants.sparseZeroedFraction {
            weights.feedbackMask = weights.feedback.map { y in
                let zeroed = generator.sample(Int(fraction * Double(y.values.count)), from: y.values.count)
                var mask = [Bool](repeating: false, count: y.values.count)
                for i in zeroed { mask[i] = true }
                return mask
            }
            FeedbackPathway.applySparseMask(to: &weights, scale: Scalar(configuration.variants.sparseScale))
        }
        if configuration.variants.symmetric {
            FeedbackPathway.makeSymmetric(&weights, configuration: configuration, using: &generator)
        }
        return weights
    }
}
