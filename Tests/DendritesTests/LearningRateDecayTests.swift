import Dendrites
import Testing

@Suite("Learning-rate decay")
struct LearningRateDecayTests {
    @Test("epoch e trains at η · factor^⌊(e − 1) / interval⌋")
    func ratesPerEpoch() {
        var options = TrainingOptions(learningRates: [0.2, 0.1])
        #expect(options.learningRates(inEpoch: 1) == [0.2, 0.1])
        #expect(options.learningRates(inEpoch: 200) == [0.2, 0.1])
        options.learningRateDecay = LearningRateDecay(factor: 0.5, interval: 20)
        #expect(options.learningRates(inEpoch: 1) == [0.2, 0.1])
        #expect(options.learningRates(inEpoch: 20) == [0.2, 0.1])
        #expect(options.learningRates(inEpoch: 21) == [0.1, 0.05])
        #expect(options.learningRates(inEpoch: 40) == [0.1, 0.05])
        #expect(options.learningRates(inEpoch: 41) == [0.05, 0.025])
        #expect(LearningRateDecay(factor: 0.2, interval: 60).multiplier(inEpoch: 61) == 0.2)
        #expect(abs(LearningRateDecay(factor: 0.2, interval: 60).multiplier(inEpoch: 121) - 0.04) < 1e-15)
    }

    @Test("a factor outside (0, 1] or an interval below 1 is rejected, naming the setting")
    func validation() {
        let network = NetworkConfiguration(hiddenSizes: [500])
        for (decay, setting) in [(LearningRateDecay(factor: 0, interval: 5), Setting.learningRateDecay),
                                 (LearningRateDecay(factor: 1.5, interval: 5), .learningRateDecay),
                                 (LearningRateDecay(factor: .nan, interval: 5), .learningRateDecay),
                                 (LearningRateDecay(factor: 0.5, interval: 0), .learningRateDecayInterval)] {
            var options = TrainingOptions(learningRates: [0.21, 0.21])
            options.learningRateDecay = decay
            do {
                try options.validate(for: network, trainingImages: 60_000, testImages: 10_000)
                Issue.record("\(decay) was accepted")
            } catch let error as ConfigurationError {
                #expect(error.settings == [setting])
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    /// Rate mode, file order: training is a function of the weights and the rates alone.
    private func train(from weights: NetworkWeights<Double>, rates: [Double], epochs: Int,
                       decay: LearningRateDecay?) throws -> NetworkWeights<Double> {
        let configuration = NetworkConfiguration(hiddenSizes: [30])
        var options = TrainingOptions(learningRates: rates)
        options.epochs = epochs
        options.imagesPerEpoch = 300
        options.shuffle = false
        options.fullTestImages = 100
        options.quickTestInterval = 0
        options.learningRateDecay = decay
        var trainer = Trainer(network: configuration, options: options, weights: weights,
                              dynamics: RateDynamics<Double>(configuration: configuration),
                              evaluator: RateEvaluator<Double>(configuration: configuration),
                              generator: Xoshiro256(seed: 1))
        try trainer.run(dataset: MNISTData.dataset, observers: [])
        return trainer.weights
    }

    @Test("a decayed run equals its epochs trained one by one at the decayed rates (rate mode, real MNIST)")
    func decayedRunMatchesStepwiseRuns() throws {
        var generator = Xoshiro256(seed: 3)
        let initial: NetworkWeights<Double> = WeightInitialization().makeWeights(
            for: NetworkConfiguration(hiddenSizes: [30]), using: &generator)
        let rates = [0.21, 0.21]
        let decayed = try train(from: initial, rates: rates, epochs: 3, decay: LearningRateDecay(factor: 0.5, interval: 2))
        let first = try train(from: initial, rates: rates, epochs: 2, decay: nil)
        let stepwise = try train(from: first, rates: rates.map { $0 * 0.5 }, epochs: 1, decay: nil)
        #expect(decayed == stepwise)
        let constant = try train(from: initial, rates: rates, epochs: 3, decay: nil)
        #expect(decayed != constant)
    }
}
