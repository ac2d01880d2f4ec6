import Foundation

/// The paper's runs (MODEL.md §7) as named presets for `dendrite-train train --preset NAME`:
/// each sets the network, variant, learning rates and 60 epochs of spiking training. Settings
/// the caller sets itself override it (`apply(to:keeping:)`).
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
            throw ConfigurationError("\(setting: .preset) \(name) is unknown; the presets are \(all.map(\.name).joined(separator: ", "))")
        }
        return preset
    }

    /// Sets every part of `spec` the preset defines, except the settings in `kept`, which the
    /// caller set itself (a command line's options given beside the preset override it). When
    /// `hiddenSizes` is kept but `learningRates` is not, the rates are the paper's for that depth.
    public func apply(to spec: inout TrainingRunSpec, keeping kept: Set<Setting>) {
        spec.preset = name
        if !kept.contains(.mode) { spec.mode = .spiking }
        if !kept.contains(.hiddenSizes) { spec.network.hiddenSizes = hidden }
        if !kept.contains(.learningRates) {
            spec.training.learningRates = spec.network.hiddenSizes == hidden
                ? learningRates : TrainingOptions.defaultLearningRates(hiddenLayers: spec.network.hiddenSizes.count)
        }
        if !kept.contains(.epochs) { spec.training.epochs = epochs }
        if let sparseFeedback, !kept.contains(.sparseFeedbackFraction) { spec.network.variants.sparseZeroedFraction = sparseFeedback }
        if let sparseScale, !kept.contains(.sparseFeedbackScale) { spec.network.variants.sparseScale = sparseScale }
        if symmetricFeedback { spec.network.variants.symmetric = true }
        if let symmetricNoise, !kept.contains(.symmetricNoise) { spec.network.variants.symmetricNoiseSD = symmetricNoise }
        if randomPlateauTimes { spec.spiking.randomPlateauTimes = true }
        if let apicalConductance, !kept.contains(.apicalConductance) {
            spec.network.neuron.apicalConductance = apicalConductance
        }
    }
}
