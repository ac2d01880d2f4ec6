import Foundation
import Testing
import Dendrites

/// Rate mode against the authors' own simulator, number for number (MODEL.md §8).
@Suite("Parity with the authors' simulator (rate mode)")
struct FixtureParityTests {
    @Test("final weights, losses and forward potentials match", arguments: RateFixture.allNames)
    func matchesFixture(name: String) throws {
        let fixture = try RateFixture(name)
        var weights = try fixture.weights("initial_")
        let expectedWeights = try fixture.weights("final_")
        let expectedLoss = try fixture.array("loss.npy").values
        let expectedPotentials = try fixture.array("forward_output_potential.npy")

        var dynamics = RateDynamics<Double>(configuration: fixture.configuration)
        var rule = LearningRule<Double>(configuration: fixture.configuration, learningRates: fixture.learningRates)
        var averages = PhaseAverages<Double>(configuration: fixture.configuration)
        var generator = Xoshiro256(seed: 1)
        var input = [Double](repeating: 0, count: 784)
        var losses: [Double] = []
        var potentials: [Double] = []
        let train = MNISTData.dataset.train
        for n in 0..<fixture.images {
            inputRates(train.image(n), maximumRate: 0.2, into: &input)
            dynamics.presentTrainingExample(input: input, label: Int(train.labels[n]), weights: weights,
                                            averages: &averages, generator: &generator)
            potentials += averages.somaticForward.last!
            losses.append(rule.update(&weights, from: averages, generator: &generator))
            dynamics.weightsDidChange(weights)
        }
        #expect(relativeDifference(losses, expectedLoss) < 1e-9)
        #expect(relativeDifference(potentials, expectedPotentials.values) < 1e-9)
        for m in 0..<weights.layerCount {
            #expect(relativeDifference(weights.forward[m].values, expectedWeights.forward[m].values) < 1e-9, "W_\(m)")
            #expect(relativeDifference(weights.bias[m], expectedWeights.bias[m]) < 1e-9, "b_\(m)")
        }
        for l in weights.feedback.indices {
            #expect(relativeDifference(weights.feedback[l].values, expectedWeights.feedback[l].values) < 1e-9, "Y_\(l)")
            #expect(relativeDifference(weights.apicalBias[l], expectedWeights.apicalBias[l]) < 1e-9, "c_\(l)")
        }
        // Training really moved the weights: the comparison is not initial against initial.
        let initial = try fixture.weights("initial_")
        #expect(relativeDifference(initial.forward.last!.values, expectedWeights.forward.last!.values) > 1e-6)
    }
}
