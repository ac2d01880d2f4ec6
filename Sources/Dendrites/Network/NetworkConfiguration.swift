/// How the feedback reaches the hidden layers' apical dendrites (MODEL.md §1).
public enum FeedbackWiring: String, Codable, CaseIterable, Sendable {
    /// Every hidden layer hears the output layer through its own fixed random `Y^l` (n_l × n_out).
    case broadcast
    /// Hidden layer l hears layer l+1 (`Y^l` is n_l × n_{l+1}).
    case layerwise
}

/// The switches of MODEL.md §6 that change the feedback pathway or the hidden learning rule.
public struct FeedbackVariants: Codable, Equatable, Sendable {
    /// Sparse feedback: this fraction of each `Y` is zeroed once, at initialization.
    public var sparseZeroedFraction: Double? = nil
    /// Sparse feedback: the survivors are multiplied by this (1 = no rescaling).
    public var sparseScale: Double = 5
    /// Symmetric feedback (weight transport): `Y` is derived from the forward weights and
    /// re-derived after every update.
    public var symmetric: Bool = false
    /// Noisy symmetric feedback: N(0, SD) noise added each time `Y` is re-derived.
    public var symmetricNoiseSD: Double? = nil
    /// Learned feedback: `Y` learns with these rates, one per hidden layer.
    public var feedbackLearningRates: [Double]? = nil
    /// An apical bias `c` on every hidden layer.
    public var apicalBias: Bool = false
    /// Backprop control: hidden layers learn from E_bp instead of their plateau difference.
    public var backprop: Bool = false

    public init() {}
}

/// The architecture and variant of one network; with `NeuronParameters`, all a network is.
public struct NetworkConfiguration: Codable, Equatable, Sendable {
    public var inputSize: Int = 784
    /// Sizes of the hidden layers, bottom first; empty for a network with no hidden layer.
    public var hiddenSizes: [Int]
    public var classCount: Int = 10
    /// k: output neurons per class (the output layer has classCount·k neurons).
    public var neuronsPerClass: Int = 1
    public var feedbackWiring: FeedbackWiring = .broadcast
    public var variants = FeedbackVariants()
    public var neuron = NeuronParameters()

    public init(hiddenSizes: [Int], inputSize: Int = 784, classCount: Int = 10, neuronsPerClass: Int = 1,
                feedbackWiring: FeedbackWiring = .broadcast) {
        self.hiddenSizes = hiddenSizes
        self.inputSize = inputSize
        self.classCount = classCount
        self.neuronsPerClass = neuronsPerClass
        self.feedbackWiring = feedbackWiring
    }

    public var outputSize: Int { classCount * neuronsPerClass }
    /// Sizes of every layer with weights: the hidden layers, then the output layer.
    public var layerSizes: [Int] { hiddenSizes + [outputSize] }
    public var layerCount: Int { hiddenSizes.count + 1 }
    public var hiddenLayerCount: Int { hiddenSizes.count }
    /// n_{m-1}: how many inputs layer m receives.
    public func inputCount(ofLayer m: Int) -> Int { m == 0 ? inputSize : layerSizes[m - 1] }
    /// How many apical inputs hidden layer l receives.
    public func feedbackInputCount(ofHiddenLayer l: Int) -> Int {
        feedbackWiring == .broadcast ? outputSize : layerSizes[l + 1]
    }

    /// Checks that the configuration describes a network that can be built; the message
    /// names the option at fault.
    /// The largest layer (and input) this tool accepts: 100,000 neurons.
    public static let maximumLayerSize = 100_000
    public static let maximumHiddenLayers = 20

    public func validate() throws {
        func fail(_ message: SettingMessage) -> ConfigurationError { ConfigurationError(message) }
        if inputSize <= 0 { throw fail("the input size must be positive, not \(inputSize)") }
        if inputSize > Self.maximumLayerSize { throw fail("the input size must be at most \(Self.maximumLayerSize), not \(inputSize)") }
        if hiddenSizes.count > Self.maximumHiddenLayers {
            throw fail("\(setting: .hiddenSizes): at most \(Self.maximumHiddenLayers) hidden layers, not \(hiddenSizes.count)")
        }
        for (i, n) in hiddenSizes.enumerated() where !(1...Self.maximumLayerSize).contains(n) {
            throw fail("\(setting: .hiddenSizes): layer \(i) has \(n) neurons; sizes must lie in 1…\(Self.maximumLayerSize)")
        }
        if !(2...Self.maximumLayerSize).contains(classCount) { throw fail("the number of classes must lie in 2…\(Self.maximumLayerSize), not \(classCount)") }
        if !(1...Self.maximumLayerSize / classCount).contains(neuronsPerClass) {
            throw fail("\(setting: .neuronsPerClass) must lie in 1…\(Self.maximumLayerSize / classCount) (at most \(Self.maximumLayerSize) output neurons), not \(neuronsPerClass)")
        }
        if feedbackWiring == .layerwise && hiddenSizes.isEmpty {
            throw fail("\(setting: .feedbackWiring) layerwise needs at least one hidden layer")
        }
        if let f = variants.sparseZeroedFraction, !(f >= 0 && f < 1) {
            throw fail("\(setting: .sparseFeedbackFraction) must lie in [0, 1), not \(f)")
        }
        if !(variants.sparseScale.isFinite && variants.sparseScale > 0) {
            throw fail("\(setting: .sparseFeedbackScale) must be finite and positive, not \(variants.sparseScale)")
        }
        if let rates = variants.feedbackLearningRates {
            if let bad = rates.first(where: { !($0.isFinite && $0 >= 0) }) {
                throw fail("\(setting: .feedbackLearningRates) must be finite and ≥ 0, not \(bad)")
            }
            if variants.symmetric { throw fail("learned feedback (\(setting: .feedbackLearningRates)) cannot be combined with symmetric feedback (\(setting: .symmetricFeedback))") }
            if rates.count != hiddenSizes.count {
                throw fail("\(setting: .feedbackLearningRates) has \(rates.count) values for \(hiddenSizes.count) hidden layers")
            }
        }
        if let sd = variants.symmetricNoiseSD {
            if !variants.symmetric { throw fail("\(setting: .symmetricNoise) needs \(setting: .symmetricFeedback)") }
            if !(sd.isFinite && sd >= 0) { throw fail("\(setting: .symmetricNoise) must be finite and ≥ 0, not \(sd)") }
        }
        let g = neuron
        if !(g.apicalConductance.isFinite && g.apicalConductance >= 0) {
            throw fail("\(setting: .apicalConductance) must be finite and ≥ 0, not \(g.apicalConductance)")
        }
        if !(g.maximumRate > 0) { throw fail("the maximum rate must be positive") }
    }
}

/// A configuration that cannot work, found before any work starts. The message names the
/// settings at fault (`Setting`); `description` writes them as the settings' names, and a
/// command-line tool writes them as its options with `description(naming:)`.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let message: SettingMessage
    public init(_ message: SettingMessage) { self.message = message }
    /// The settings the message names (the first is the one at fault).
    public var settings: [Setting] { message.settings }
    public var description: String { message.description }
    public func description(naming name: (Setting) -> String) -> String { message.rendered(naming: name) }
}
