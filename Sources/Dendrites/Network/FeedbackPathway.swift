/// The fixed, learned, sparse or symmetric feedback weights `Y` (MODEL.md §1, §6).
public enum FeedbackPathway {
    /// The forward weights that `Y^l` stands in for: `(W^{l+1})ᵀ` for layer-wise wiring; for
    /// broadcast wiring the product of the transposed forward weights above the layer,
    /// `(W^{l+1})ᵀ (W^{l+2})ᵀ ⋯ (W^out)ᵀ`.
    public static func transportedWeights<Scalar>(
        forHiddenLayer l: Int, weights: NetworkWeights<Scalar>, wiring: FeedbackWiring
    ) -> Matrix<Scalar> {
        switch wiring {
        case .layerwise:
            return weights.forward[l + 1].transposed
        case .broadcast:
            var product = weights.forward[weights.layerCount - 1].transposed
            var m = weights.layerCount - 2
            while m > l {
                product = weights.forward[m].transposed.multiplied(by: product)
                m -= 1
            }
            return product
        }
    }

    /// Symmetric feedback: Y^{L-1} = (W^out)ᵀ and, for broadcast wiring, Y^l = (W^{l+1})ᵀ Y^{l+1};
    /// plus N(0, SD) noise on each entry for the noisy variant. Re-applies a sparse mask.
    public static func makeSymmetric<Scalar, G: RandomNumberGenerator>(
        _ weights: inout NetworkWeights<Scalar>, configuration: NetworkConfiguration, using generator: inout G
    ) {
        let hidden = configuration.hiddenLayerCount
        guard hidden > 0 else { return }
        for l in stride(from: hidden - 1, through: 0, by: -1) {
            var y = weights.forward[l + 1].transposed
            if configuration.feedbackWiring == .broadcast && l < hidden - 1 {
                y = y.multiplied(by: weights.feedback[l + 1])
            }
            if let sd = configuration.variants.symmetricNoiseSD {
                for i in y.values.indices { y.values[i] += Scalar(sd * generator.standardNormal()) }
            }
            weights.feedback[l] = y
        }
        if !weights.feedbackMask.isEmpty {
            applySparseMask(to: &weights, scale: Scalar(configuration.variants.sparseScale))
        }
    }

    /// Zeroes the masked entries of each Y and scales every Y by `scale` (as the authors' code,
    /// which scales after masking, so the zeros stay zero).
    public static func applySparseMask<Scalar>(to weights: inout NetworkWeights<Scalar>, scale: Scalar) {
        for l in weights.feedback.indices {
            let mask = weights.feedbackMask[l]
            for i in weights.feedback[l].values.indices {
                weights.feedback[l].values[i] = mask[i] ? 0 : weights.feedback[l].values[i] * scale
            }
        }
    }
}
