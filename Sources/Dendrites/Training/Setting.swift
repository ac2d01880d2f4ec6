/// A setting of a run, named as a field: what the library's errors name, and what a caller
/// says it set explicitly when a preset would otherwise set it (`Preset.apply(to:keeping:)`).
/// The library never sees a command line: the command-line tool maps each setting to its
/// option (`--sparse-feedback` for `sparseFeedbackFraction`) when it prints a message.
public enum Setting: String, CaseIterable, Sendable, Hashable {
    // The network (`NetworkConfiguration`) and its variants.
    case hiddenSizes, neuronsPerClass, feedbackWiring
    case sparseFeedbackFraction, sparseFeedbackScale, symmetricFeedback, symmetricNoise
    case feedbackLearningRates, apicalBias, apicalConductance, backprop
    // The schedule (`TrainingOptions`).
    case epochs, imagesPerEpoch, learningRates, learningRateDecay, learningRateDecayInterval, seed, shuffle
    case quickTestInterval, quickTestImages, fullTestImages
    // The simulation (`SpikingOptions`, mode and precision).
    case mode, precision, phaseLength, randomPhaseLengths, averagingWindow, randomPlateauTimes
    case testLength, testAveragingWindow, spikeSampler
    // Data, files and recording.
    case dataset, dataDirectory, outputDirectory, initialWeights, initialWeightsPrefix, pixelOrder
    case updateAngleInterval, measurementInterval, readoutImages, tensorboard
    case preset, configFile
}

/// A message that names settings (`\(setting: .epochs) must be at least 1`), rendered with the
/// settings' own names by default, or with any other names (the command line's options).
public struct SettingMessage: Equatable, Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    enum Part: Equatable, Sendable {
        case text(String)
        case setting(Setting)
    }

    var parts: [Part]

    public init(stringLiteral value: String) { parts = [.text(value)] }

    public init(stringInterpolation: StringInterpolation) { parts = stringInterpolation.parts }

    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []
        public init(literalCapacity: Int, interpolationCount: Int) {}
        public mutating func appendLiteral(_ literal: String) { parts.append(.text(literal)) }
        public mutating func appendInterpolation<T>(_ value: T) { parts.append(.text("\(value)")) }
        public mutating func appendInterpolation(setting: Setting) { parts.append(.setting(setting)) }
        /// Another message, its settings kept.
        public mutating func appendInterpolation(_ message: SettingMessage) { parts += message.parts }
    }

    /// The settings the message names, in order.
    public var settings: [Setting] {
        parts.compactMap { if case let .setting(s) = $0 { return s } else { return nil } }
    }

    /// The message with each setting written as `name(setting)`.
    public func rendered(naming name: (Setting) -> String) -> String {
        parts.map { part in
            switch part {
            case let .text(text): return text
            case let .setting(setting): return name(setting)
            }
        }.joined()
    }

    public var description: String { rendered(naming: \.rawValue) }
}
