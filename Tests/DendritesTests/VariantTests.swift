import Foundation
import Testing
import Dendrites

/// Each feedback variant of MODEL.md §6 changes exactly what it should.
@Suite("Feedback variants")
struct VariantTests {
    /// Trains `images` MNIST images in rate mode and returns the weights before and after.
    static func train(_ configuration: NetworkConfiguration, images: Int = 30, seed: UInt64 = 3,
                      rates: [Double]? = nil) -> (NetworkWeights<Double>, NetworkWeights<Double>) {
        var generator = Xoshiro256(seed: seed)
        let initial: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        var weights = initial
        var dynamics = RateDynamics<Double>(configuration: configuration)
        var rule = LearningRule<Double>(configuration: configuration,
                                        learningRates: rates ?? TrainingOptions.defaultLearningRates(hiddenLayers: configuration.hiddenLayerCount))
        var averages = PhaseAverages<Double>(configuration: configuration)
        var input = [Double](repeating: 0, count: 784)
        for n in 0..<images {
            inputRates(MNISTData.dataset.train.image(n), maximumRate: 0.2, into: &input)
            dynamics.presentTrainingExample(input: input, label: Int(MNISTData.dataset.train.labels[n]), weights: weights,
                                            averages: &averages, generator: &generator)
            rule.update(&weights, from: averages, generator: &generator)
        }
        return (initial, weights)
    }

    @Test("sparse feedback: the fraction is zeroed, survivors scaled, and the mask never moves", arguments: [5.0, 1.0])
    func sparse(scale: Double) {
        var plain = NetworkConfiguration(hiddenSizes: [50, 20])
        var sparse = plain
        sparse.variants.sparseZeroedFraction = 0.8
        sparse.variants.sparseScale = scale
        var g1 = Xoshiro256(seed: 9), g2 = Xoshiro256(seed: 9)
        let p: NetworkWeights<Double> = WeightInitialization().makeWeights(for: plain, using: &g1)
        let s: NetworkWeights<Double> = WeightInitialization().makeWeights(for: sparse, using: &g2)
        for l in 0..<2 {
            let count = s.feedback[l].values.count
            let zeros = s.feedback[l].values.filter { $0 == 0 }.count
            #expect(zeros == Int(0.8 * Double(count)))
            for i in 0..<count where s.feedback[l].values[i] != 0 {
                #expect(abs(s.feedback[l].values[i] - scale * p.feedback[l].values[i]) < 1e-15)
            }
        }
        #expect(s.forward == p.forward)
        let (before, after) = Self.train(sparse)
        #expect(after.feedback == before.feedback)
        #expect(after.forward != before.forward)
        plain.variants = FeedbackVariants()
    }

    @Test("symmetric feedback: Y is the transported forward weights after every update",
          arguments: [FeedbackWiring.broadcast, .layerwise])
    func symmetric(wiring: FeedbackWiring) {
        var configuration = NetworkConfiguration(hiddenSizes: [30, 20], feedbackWiring: wiring)
        configuration.variants.symmetric = true
        let (before, after) = Self.train(configuration)
        #expect(after.feedback != before.feedback)
        for weights in [before, after] {
            // Y^1 = (W^2)ᵀ in both wirings; Y^0 = (W^1)ᵀ Y^1 (broadcast) or (W^1)ᵀ (layer-wise).
            #expect(weights.feedback[1] == weights.forward[2].transposed)
            let expected = wiring == .broadcast
                ? weights.forward[1].transposed.multiplied(by: weights.feedback[1])
                : weights.forward[1].transposed
            #expect(relativeDifference(weights.feedback[0].values, expected.values) < 1e-14)
            for l in 0..<2 {
                let transported = FeedbackPathway.transportedWeights(forHiddenLayer: l, weights: weights, wiring: wiring)
                #expect(relativeDifference(weights.feedback[l].values, transported.values) < 1e-14)
            }
        }
    }

    @Test("noisy symmetric feedback: N(0, SD) around the transported weights, fresh each update")
    func noisySymmetric() {
        var configuration = NetworkConfiguration(hiddenSizes: [200])
        configuration.variants.symmetric = true
        configuration.variants.symmetricNoiseSD = 0.05
        let (before, after) = Self.train(configuration, images: 3)
        for weights in [before, after] {
            let transported = weights.forward[1].transposed.values
            let noise = zip(weights.feedback[0].values, transported).map { $0 - $1 }
            let mean = noise.reduce(0, +) / Double(noise.count)
            let sd = (noise.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(noise.count)).squareRoot()
            #expect(abs(mean) < 0.01)
            #expect(abs(sd - 0.05) < 0.005)
        }
        let noiseBefore = zip(before.feedback[0].values, before.forward[1].transposed.values).map { $0 - $1 }
        let noiseAfter = zip(after.feedback[0].values, after.forward[1].transposed.values).map { $0 - $1 }
        #expect(noiseBefore != noiseAfter)
    }

    @Test("learned feedback moves Y (and c); fixed feedback never does")
    func learnedFeedback() {
        var learned = NetworkConfiguration(hiddenSizes: [40])
        learned.variants.feedbackLearningRates = [0.05]
        learned.variants.apicalBias = true
        let (b1, a1) = Self.train(learned)
        #expect(a1.feedback != b1.feedback)
        #expect(a1.apicalBias != b1.apicalBias)
        let (b2, a2) = Self.train(NetworkConfiguration(hiddenSizes: [40]))
        #expect(a2.feedback == b2.feedback)
        #expect(a2.apicalBias == b2.apicalBias)
    }

    /// The backprop control's updates, before scaling by ηP, are the gradient of
    /// ½‖λ̄^t − λ_max σ(C̄^f)‖² over the output neurons (target rates held fixed).
    @Test("backprop gradients of every layer equal finite differences (rate mode)")
    func backpropGradient() {
        var configuration = NetworkConfiguration(hiddenSizes: [5, 4], inputSize: 6, classCount: 3)
        configuration.variants.backprop = true
        var generator = Xoshiro256(seed: 17)
        let weights: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        let input = (0..<6).map { _ in 0.2 * generator.uniform() }
        let label = 1

        var dynamics = RateDynamics<Double>(configuration: configuration)
        var averages = PhaseAverages<Double>(configuration: configuration)
        dynamics.presentTrainingExample(input: input, label: label, weights: weights, averages: &averages, generator: &generator)
        let targetRates = averages.rateTarget[2]

        func loss(_ w: NetworkWeights<Double>) -> Double {
            var d = RateDynamics<Double>(configuration: configuration)
            for _ in 0..<2 { d.step(input: input, weights: w, target: false) }
            return zip(targetRates, d.somatic[2]).map { 0.5 * pow($0 - 0.2 / (1 + exp(-$1)), 2) }.reduce(0, +)
        }
        let scales = [100.0, 100.0, 500.0]  // P_hidden, P_hidden, P_out
        for m in 0..<3 {
            // Only layer m learns (η = 1), so the layers above keep their weights: ΔW_m = −P E_m s̄_mᵀ.
            var rates = [0.0, 0.0, 0.0]
            rates[m] = 1
            var rule = LearningRule<Double>(configuration: configuration, learningRates: rates)
            var updated = weights
            var g = Xoshiro256(seed: 0)
            rule.update(&updated, from: averages, generator: &g)
            let w = weights.forward[m]
            for r in 0..<w.rows {
                for c in 0..<w.columns {
                    let analytic = -(updated.forward[m][r, c] - w[r, c]) / scales[m]
                    let h = 1e-6
                    var plus = weights, minus = weights
                    plus.forward[m][r, c] += h
                    minus.forward[m][r, c] -= h
                    let numeric = (loss(plus) - loss(minus)) / (2 * h)
                    #expect(abs(analytic - numeric) <= 1e-6 * max(abs(numeric), 1e-4), "W_\(m)[\(r), \(c)]")
                }
            }
        }
    }

    @Test("sparse and symmetric feedback learn on real MNIST", arguments: ["sparse", "symmetric"])
    func variantsLearn(variant: String) throws {
        var configuration = NetworkConfiguration(hiddenSizes: [500])
        if variant == "sparse" { configuration.variants.sparseZeroedFraction = 0.8 } else { configuration.variants.symmetric = true }
        var options = TrainingOptions(learningRates: [0.21, 0.21])
        options.imagesPerEpoch = 5000
        options.shuffle = false
        options.quickTestInterval = 0
        options.fullTestImages = 1000
        var generator = Xoshiro256(seed: 1)
        let weights: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        var trainer = Trainer(network: configuration, options: options, weights: weights,
                              dynamics: RateDynamics<Double>(configuration: configuration),
                              evaluator: RateEvaluator<Double>(configuration: configuration), generator: generator)
        try trainer.run(dataset: MNISTData.dataset, observers: [])
        #expect(trainer.testError(on: MNISTData.dataset.test, indices: Array(0..<1000), seed: 0) < 18)
    }
}
