import Testing
import Dendrites

@Suite("Learning rule: W_0 left to the dynamics")
struct LearningRuleTests {
    /// The same 45 updates by a rule that updates W_0 and by one that leaves it to the dynamics
    /// (spiking mode): biases and the upper layers' weights are identical at every image; W_0 stays
    /// as it was, and the updates left out are counted.
    @Test("a rule that leaves W_0 to the dynamics updates everything else identically", arguments: [false, true])
    func bottomWeightsLeftToDynamics(float: Bool) {
        if float { bottomWeightsLeftToDynamics(Float.self) } else { bottomWeightsLeftToDynamics(Double.self) }
    }

    func bottomWeightsLeftToDynamics<Scalar: DendriteScalar>(_: Scalar.Type) {
        let configuration = NetworkConfiguration(hiddenSizes: [30, 12], inputSize: 40, classCount: 10)
        var generator = Xoshiro256(seed: 41)
        let initial: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        var full: NetworkWeights<Scalar> = initial.converted(), leaving = full
        var fullRule = LearningRule<Scalar>(configuration: configuration, learningRates: [0.23, 0.23, 0.12])
        var leavingRule = fullRule
        leavingRule.bottomWeightsKeptByDynamics = true
        #expect(leavingRule.leavesBottomWeights && !fullRule.leavesBottomWeights)
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
            fullRule.update(&full, from: averages, generator: &generator)
            leavingRule.update(&leaving, from: averages, generator: &generator)
            #expect(leavingRule.pendingBottomUpdates == n && fullRule.pendingBottomUpdates == 0)
            #expect(leavingRule.errors == fullRule.errors && leavingRule.stepSizes == fullRule.stepSizes)
            #expect(leaving.bias == full.bias && Array(leaving.forward[1...]) == Array(full.forward[1...]), "image \(n)")
            #expect(leaving.forward[0] == initial.converted().forward[0])
        }
        #expect(maximumRelativeDifference(full.forward[0], leaving.forward[0]) > 1e-3)
        leavingRule.bottomWeightsDidSynchronize()
        #expect(leavingRule.pendingBottomUpdates == 0)
        // Without hidden layers W_0 is the output layer's, which measurements read: always updated.
        var outputOnly = LearningRule<Scalar>(configuration: NetworkConfiguration(hiddenSizes: [], inputSize: 40, classCount: 10),
                                              learningRates: [0.12])
        outputOnly.bottomWeightsKeptByDynamics = true
        #expect(!outputOnly.leavesBottomWeights)
    }

    private func maximumRelativeDifference<Scalar: DendriteScalar>(_ a: Matrix<Scalar>, _ b: Matrix<Scalar>) -> Double {
        let scale = b.values.map { abs(Double($0)) }.max() ?? 1
        return zip(a.values, b.values).map { abs(Double($0) - Double($1)) }.max()! / scale
    }
}
