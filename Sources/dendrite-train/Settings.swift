import Dendrites
import Foundation

/// The command line's names for the library's settings: the library's errors name settings
/// (`sparseFeedbackFraction`), and the tool prints them as its options (`--sparse-feedback`).
extension Setting {
    /// The `train` option that sets this setting, with its dashes.
    var option: String {
        switch self {
        case .hiddenSizes: return "--hidden"
        case .neuronsPerClass: return "--neurons-per-class"
        case .feedbackWiring: return "--feedback"
        case .sparseFeedbackFraction: return "--sparse-feedback"
        case .sparseFeedbackScale: return "--sparse-scale"
        case .symmetricFeedback: return "--symmetric-feedback"
        case .symmetricNoise: return "--symmetric-noise"
        case .feedbackLearningRates: return "--feedback-learning-rates"
        case .apicalBias: return "--apical-bias"
        case .apicalConductance: return "--apical-conductance"
        case .backprop: return "--backprop"
        case .epochs: return "--epochs"
        case .imagesPerEpoch: return "--images-per-epoch"
        case .learningRates: return "--learning-rates"
        case .learningRateDecay: return "--learning-rate-decay"
        case .learningRateDecayInterval: return "--decay-every"
        case .seed: return "--seed"
        case .shuffle: return "--no-shuffle"
        case .quickTestInterval: return "--quick-test-interval"
        case .quickTestImages: return "--quick-test-images"
        case .fullTestImages: return "--test-images"
        case .mode: return "--mode"
        case .precision: return "--precision"
        case .phaseLength: return "--phase-length"
        case .randomPhaseLengths: return "--fixed-phase-length"
        case .averagingWindow: return "--averaging-window"
        case .randomPlateauTimes: return "--random-plateau-times"
        case .testLength: return "--test-length"
        case .testAveragingWindow: return "--test-averaging-window"
        case .spikeSampler: return "--spike-sampler"
        case .dataset: return "--dataset"
        case .dataDirectory: return "--data"
        case .outputDirectory: return "--output"
        case .initialWeights: return "--init-weights"
        case .initialWeightsPrefix: return "--init-prefix"
        case .pixelOrder: return "--pixel-order"
        case .updateAngleInterval: return "--record-interval"
        case .measurementInterval: return "--measure-interval"
        case .readoutImages: return "--readout-images"
        case .tensorboard: return "--tensorboard"
        case .preset: return "--preset"
        case .configFile: return "--config"
        }
    }

    /// The setting a long option (without its dashes) sets, if any.
    init?(optionName name: String) {
        if name == "no-tensorboard" { self = .tensorboard; return }
        guard let setting = Setting.allCases.first(where: { $0.option == "--" + name }) else { return nil }
        self = setting
    }
}

enum CommandLineOptions {
    /// The long option names (without dashes) given in a command line, e.g. "hidden" for
    /// `--hidden 500` or `--hidden=500`.
    static func given(in arguments: [String]) -> Set<String> {
        var names = Set<String>()
        for argument in arguments {
            if argument == "--" { break }
            guard argument.hasPrefix("--") else { continue }
            names.insert(String(argument.dropFirst(2).prefix { $0 != "=" }))
        }
        return names
    }

    /// The settings the options given in a command line set.
    static func settings(givenIn arguments: [String]) -> Set<Setting> {
        Set(given(in: arguments).compactMap(Setting.init(optionName:)))
    }

    /// An error as the tool prints it: a library error's settings written as options.
    static func describe(_ error: Error) -> String {
        if let error = error as? ConfigurationError { return error.description(naming: \.option) }
        if let error = error as? CheckpointError { return error.description(naming: \.option) }
        if let error = error as? RecorderError { return error.description(naming: \.option) }
        if error is CocoaError { return error.localizedDescription }
        return String(describing: error)
    }
}

extension Preset {
    /// The equivalent `train` options, for listings.
    var trainOptions: String {
        var parts = ["\(Setting.hiddenSizes.option) \(hidden.isEmpty ? "none" : hidden.map(String.init).joined(separator: ","))",
                     "\(Setting.learningRates.option) \(learningRates.map { String($0) }.joined(separator: ","))",
                     "\(Setting.epochs.option) \(epochs)"]
        if let sparseFeedback { parts.append("\(Setting.sparseFeedbackFraction.option) \(sparseFeedback)") }
        if let sparseScale { parts.append("\(Setting.sparseFeedbackScale.option) \(sparseScale)") }
        if symmetricFeedback { parts.append(Setting.symmetricFeedback.option) }
        if let symmetricNoise { parts.append("\(Setting.symmetricNoise.option) \(symmetricNoise)") }
        if randomPlateauTimes { parts.append(Setting.randomPlateauTimes.option) }
        if let apicalConductance { parts.append("\(Setting.apicalConductance.option) \(apicalConductance)") }
        return parts.joined(separator: " ")
    }
}
