/// How a network is trained: the schedule, not the model.
public struct TrainingOptions: Codable, Equatable, Sendable {
    public var epochs: Int = 1
    /// Images per epoch (at most the training set's size).
    public var imagesPerEpoch: Int = 60_000
    /// η per layer: hidden layers, then the output layer.
    public var learningRates: [Double]
    public var seed: UInt64 = 1
    /// Reshuffle the training set every epoch (false: file order, for comparison runs).
    public var shuffle: Bool = true
    /// A quick test every this many training images (0: never).
    public var quickTestInterval: Int = 1000
    public var quickTestImages: Int = 100
    /// Images in the full test at the end of each epoch (the whole test set by default).
    public var fullTestImages: Int = 10_000

    public init(learningRates: [Double]) { self.learningRates = learningRates }

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
        if quickTestInterval < 0 { throw ConfigurationError("\(setting: .quickTestInterval) must be ≥ 0") }
        if quickTestImages <= 0 || quickTestImages > testImages {
            throw ConfigurationError("\(setting: .quickTestImages) must lie in 1…\(testImages), not \(quickTestImages)")
        }
        if fullTestImages <= 0 || fullTestImages > testImages {
            throw ConfigurationError("\(setting: .fullTestImages) must lie in 1…\(testImages), not \(fullTestImages)")
        }
    }
}
