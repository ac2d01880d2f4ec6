/// How a network is trained: the schedule, not the model.
public struct TrainingOptions: Codable, Equatable, Sendable {
    public var epochs: Int = 1
    /// Images per epoch (at most the training set's size).
    public var imagesPerEpoch: Int = 60_000
    /// η per layer: hidden layers, then the output layer.
    public var learningRates: [Double]
    /// A step decay of η over epochs (nil: the paper's constant rates).
    public var learningRateDecay: LearningRateDecay? = nil
    public var seed: UInt64 = 1
    /// Reshuffle the training set every epoch (false: file order, for comparison runs).
    public var shuffle: Bool = true
    /// A quick test every this many training images (0: never).
    public var quickTestInterval: Int = 1000
    public var quickTestImages: Int = 100
    /// Images in the full test at the end of each epoch (the whole test set by default).
    public var fullTestImages: Int = 10_000

    public init(learningRates: [Double]) { self.learningRates = learningRates }

    /// η per layer in epoch `epoch` (1-based): `learningRates`, decayed by `learningRateDecay`.
    public func learningRates(inEpoch epoch: Int) -> [Double] {
        guard let decay = learningRateDecay else { return learningRates }
        let factor = decay.multiplier(inEpoch: epoch)
        return learningRates.map { $0 * factor }
    }

    /// The paper's learning rates per depth (MODEL.md §5). Deeper networks, which the paper
    /// did not give rates for, repeat the 2-hidden-layer hidden rate: (0.23, …, 0.23, 0.12).
    public static func defaultLearningRates(hiddenLayers: Int) -> [Double] {
        switch hiddenLayers {
        case 0: return [0.19]
        case 1: return [0.21, 0.21]
        default: return Array(repeating: 0.23, count: hiddenLayers) + [0.12]
        }
    }

    public func validate(for network: NetworkConfiguration, trainingImages: Int, testImages: Int) throws {
        if epochs <= 0 { throw ConfigurationError("\(setting: .epochs) must be at least 1, not \(epochs)") }
        if imagesPerEpoch <= 0 || imagesPerEpoch > trainingImages {
            throw ConfigurationError("\(setting: .imagesPerEpoch) must lie in 1…\(trainingImages), not \(imagesPerEpoch)")
        }
        if learningRates.count != network.layerCount {
            throw ConfigurationError("\(setting: .learningRates) has \(learningRates.count) values; a network with \(network.hiddenLayerCount) hidden layers needs \(network.layerCount) (hidden layers, then the output layer)")
        }
        if let bad = learningRates.first(where: { !($0.isFinite && $0 >= 0) }) {
            throw ConfigurationError("\(setting: .learningRates) must be finite and ≥ 0, not \(bad)")
        }
        if let decay = learningRateDecay {
            if !(decay.factor.isFinite && decay.factor > 0 && decay.factor <= 1) {
                throw ConfigurationError("\(setting: .learningRateDecay) must lie in (0, 1], not \(decay.factor)")
            }
            if decay.interval < 1 {
                throw ConfigurationError("\(setting: .learningRateDecayInterval) must be at least 1 epoch, not \(decay.interval)")
            }
        }
        if quickTestInterval < 0 { throw ConfigurationError("\(setting: .quickTestInterval) must be ≥ 0") }
        if quickTestImages <= 0 || quickTestImages > testImages {
            throw ConfigurationError("\(setting: .quickTestImages) must lie in 1…\(testImages), not \(quickTestImages)")
        }
        if fullTestImages <= 0 || fullTestImages > testImages {
            throw ConfigurationError("\(setting: .fullTestImages) must lie in 1…\(testImages), not \(fullTestImages)")
        }
    }
}

/// A step decay of the learning rates: after every `interval` epochs, every η is multiplied by
/// `factor`, so epoch e trains at η · factor^⌊(e − 1) / interval⌋. It depends on the epoch alone,
/// so a resumed run trains at the rates the uninterrupted run would.
public struct LearningRateDecay: Codable, Equatable, Sendable {
    /// Multiplies η at each step, in (0, 1].
    public var factor: Double
    /// Epochs between steps, at least 1.
    public var interval: Int

    public init(factor: Double, interval: Int) {
        self.factor = factor
        self.interval = interval
    }

    /// factor^⌊(epoch − 1) / interval⌋ for epoch ≥ 1.
    public func multiplier(inEpoch epoch: Int) -> Double {
        let steps = max(0, epoch - 1) / max(1, interval)
        var result = 1.0
        for _ in 0..<steps { result *= factor }
        return result
    }
}
