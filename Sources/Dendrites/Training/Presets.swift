import Foundation

/// The paper's runs (MODEL.md §7) as named presets for `dendrite-train train --preset NAME`:
/// each sets the network, variant, learning rates and 60 epochs of spiking training. Options
/// given on the command line beside the preset override it (`apply(to:given:)`).
public struct Preset: Sendable, Equatable {
    public var name: String
    /// One line for `dendrite-train presets`.
    public var summary: String
    /// What the paper reports for this run.
    public var paperResult: String
    public var hidden: [Int]
    public var learningRates: [Double]
    public var epochs = 60
    public var sparseFeedback: Double? = nil
    public var sparseScale: Double? = nil
    public var symmetricFeedback = false
    public var symmetricNoise: Double? = nil
    public var randomPlateauTimes = false
    public var apicalConductance: Double? = nil

    public init(name: String, summary: String, paperResult: String, hidden: [Int]) {
        self.name = name
        self.summary = summary
        self.paperResult = paperResult
        self.hidden = hidden
        self.learningRates = TrainingOptions.defaultLearningRates(hiddenLayers: hidden.count)
    }

    public static let all: [Preset] = {
        func preset(_ name: String, _ hidden: [Int], _ summary: String, _ paper: String,
                    _ configure: (inout Preset) -> Void = { _ in }) -> Preset {
            var p = Preset(name: name, summary: summary, paperResult: paper, hidden: hidden)
            configure(&p)
            return p
        }
        return [
            preset("no-hidden", [], "784-10, no hidden layer, learning rate 0.19", "8.3%"),
            preset("one-hidden", [500], "784-500-10, random broadcast feedback, learning rates 0.21,0.21", "4.1%"),
            preset("two-hidden", [500, 100], "784-500-100-10, learning rates 0.23,0.23,0.12", "3.2%"),
            preset("sparse-feedback", [500], "784-500-10, 80% of Y zeroed, survivors ×5", "3.7%") {
                $0.sparseFeedback = 0.8; $0.sparseScale = 5
            },
            preset("symmetric-feedback", [500], "784-500-10, Y = Wᵀ after every update (weight transport)", "3.6%") {
                $0.symmetricFeedback = true
            },
            preset("noisy-symmetric", [500], "784-500-10, symmetric feedback plus N(0, 0.05) noise", "worse than random feedback") {
                $0.symmetricFeedback = true; $0.symmetricNoise = 0.05
            },
            preset("random-plateau-times", [500], "784-500-10, each plateau 0–5 steps before the phase ends", "learning not hindered") {
                $0.randomPlateauTimes = true
            },
            preset("apical-conductance-0.05", [500, 100], "784-500-100-10, apical conductance g_A = 0.05", "little change") {
                $0.apicalConductance = 0.05
            },
            preset("apical-conductance-0.6", [500, 100], "784-500-100-10, apical conductance g_A = 0.6", "impaired learning") {
                $0.apicalConductance = 0.6
            },
        ]
    }()

    public static func named(_ name: String) throws -> Preset {
        guard let preset = all.first(where: { $0.name == name }) else {
            throw ConfigurationError("--preset \(name) is unknown; the presets are \(all.map(\.name).joined(separator: ", ")) (dendrite-train presets)")
        }
        return preset
    }

    /// The long option names (without dashes) given in a command line, e.g. "hidden" for
    /// `--hidden 500` or `--hidden=500`.
    public static func givenOptions(in arguments: [String]) -> Set<String> {
        var names = Set<String>()
        for argument in arguments {
            if argument == "--" { break }
            guard argument.hasPrefix("--") else { continue }
            names.insert(String(argument.dropFirst(2).prefix { $0 != "=" }))
        }
        return names
    }

    /// Sets every part of `spec` the preset defines, except those whose option (long name
    /// without dashes) is in `given`: the command line overrides the preset. When `--hidden`
    /// is given but `--learning-rates` is not, the rates are the paper's for that depth.
    public func apply(to spec: inout TrainingRunSpec, given: Set<String>) {
        spec.preset = name
        if !given.contains("mode") { spec.mode = .spiking }
        if !given.contains("hidden") { spec.network.hiddenSizes = hidden }
        if !given.contains("learning-rates") {
            spec.training.learningRates = spec.network.hiddenSizes == hidden
                ? learningRates : TrainingOptions.defaultLearningRates(hiddenLayers: spec.network.hiddenSizes.count)
        }
        if !given.contains("epochs") { spec.training.epochs = epochs }
        if let sparseFeedback, !given.contains("sparse-feedback") { spec.network.variants.sparseZeroedFraction = sparseFeedback }
        if let sparseScale, !given.contains("sparse-scale") { spec.network.variants.sparseScale = sparseScale }
        if symmetricFeedback { spec.network.variants.symmetric = true }
        if let symmetricNoise, !given.contains("symmetric-noise") { spec.network.variants.symmetricNoiseSD = symmetricNoise }
        if randomPlateauTimes { spec.spiking.randomPlateauTimes = true }
        if let apicalConductance, !given.contains("apical-conductance") {
            spec.network.neuron.apicalConductance = apicalConductance
        }
    }

    /// The equivalent `train` options, for listings.
    public var options: String {
        var parts = ["--hidden \(hidden.isEmpty ? "none" : hidden.map(String.init).joined(separator: ","))",
                     "--learning-rates \(learningRates.map { String($0) }.joined(separator: ","))",
                     "--epochs \(epochs)"]
        if let sparseFeedback { parts.append("--sparse-feedback \(sparseFeedback)") }
        if let sparseScale { parts.append("--sparse-scale \(sparseScale)") }
        if symmetricFeedback { parts.append("--symmetric-feedback") }
        if let symmetricNoise { parts.append("--symmetric-noise \(symmetricNoise)") }
        if randomPlateauTimes { parts.append("--random-plateau-times") }
        if let apicalConductance { parts.append("--apical-conductance \(apicalConductance)") }
        return parts.joined(separator: " ")
    }
}
