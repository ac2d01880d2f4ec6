import Testing
import Dendrites

@Suite("Learning rule: W_0 kept by the spiking dynamics while it trains")
struct LearningRuleTests {
    /// The same 45 updates by the rule alone and by the spiking dynamics' learning step, which keeps
    /// W_0 itself: biases and the upper layers' weights are identical at every image; the learner's
    /// W_0 stays as it was until `synchronize`, which brings it to the rule's (to rounding).
    @Test("the spiking dynamics' learning step updates everything but W_0 as the rule does", arguments: [false, true])
    func bottomWeightsKeptByDynamics(float: Bool) {
        if float { bottomWeightsKeptByDynamics(Float.self) } else { bottomWeightsKeptByDynamics(Double.self) }
    }

    func bottomWeightsKeptByDynamics<Scalar: DendriteScalar>(_: Scalar.Type) {
        let configuration = NetworkConfiguration(hiddenSizes: [30, 12], inputSize: 40, classCount: 10)
        var generator = Xoshiro256(seed: 41)
        let initial: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        var full: NetworkWeights<Scalar> = initial.converted(), kept = full
        var fullRule = LearningRule<Scalar>(configuration: configuration, learningRates: [0.23, 0.23, 0.12])
        var keptRule = fullRule
        var dynamics = SpikingDynamics<Scalar>(configuration: configuration)
        dynamics.weightsDidChange(kept)
        var averages = PhaseAverages<Scalar>(configuration: configuration)
        for n in 1...45 {
            func random(_ values: inout [[Scalar]], _ low: Double, _ high: Double, sparse: Bool = false) {
                for m in values.indices {
                    for i in values[m].indices {
                        values[m][i] = sparse && generator.uniform() < 0.6 ? 0 : Scalar(generator.uniform(low, high))
                    }
                }
            }
            random(&averages.somaticForward, -2, 4)
            random(&averages.rateTarget, 0, 0.2)
            random(&averages.presynapticForward, 0, 0.1, sparse: true)
            random(&averages.plateauForward, 0, 1)
            random(&averages.plateauTarget, 0, 1)
            var copy = generator
            let fullLoss = fullRule.update(&full, from: averages, generator: &generator)
            let keptLoss = dynamics.learn(&keptRule, weights: &kept, averages: averages, generator: &copy)
            #expect(fullLoss == keptLoss)
            #expect(keptRule.errors == fullRule.errors && keptRule.stepSizes == fullRule.stepSizes)
            #expect(kept.bias == full.bias && Array(kept.forward[1...]) == Array(full.forward[1...]), "image \(n)")
            #expect(kept.forward[0] == initial.converted().forward[0])
        }
        #expect(maximumRelativeDifference(full.forward[0], kept.forward[0]) > 1e-3)
        dynamics.synchronize(&kept)
        #expect(maximumRelativeDifference(full.forward[0], kept.forward[0]) < (Scalar.self == Float.self ? 1e-5 : 1e-12))
        // Without hidden layers W_0 is the output layer's, which measurements read: always the learner's.
        let outputOnly = NetworkConfiguration(hiddenSizes: [], inputSize: 40, classCount: 10)
        let drawn: NetworkWeights<Double> = WeightInitialization().makeWeights(for: outputOnly, using: &generator)
        var weights: NetworkWeights<Scalar> = drawn.converted()
        var rule = LearningRule<Scalar>(configuration: outputOnly, learningRates: [0.12])
        var shallow = SpikingDynamics<Scalar>(configuration: outputOnly)
        shallow.weightsDidChange(weights)
        var shallowAverages = PhaseAverages<Scalar>(configuration: outputOnly)
        for i in shallowAverages.presynapticForward[0].indices { shallowAverages.presynapticForward[0][i] = 0.05 }
        for i in shallowAverages.rateTarget[0].indices { shallowAverages.rateTarget[0][i] = 0.2 }
        let before = weights.forward[0]
        _ = shallow.learn(&rule, weights: &weights, averages: shallowAverages, generator: &generator)
        #expect(weights.forward[0] != before)
    }

    private func maximumRelativeDifference<Scalar: DendriteScalar>(_ a: Matrix<Scalar>, _ b: Matrix<Scalar>) -> Double {
        let scale = b.values.map { abs(Double($0)) }.max() ?? 1
        return zip(a.values, b.values).map { abs(Double($0) - Double($1)) }.max()! / scale
    }
}
