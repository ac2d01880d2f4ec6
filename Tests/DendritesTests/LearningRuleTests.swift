import Testing
import Dendrites

@Suite("Learning rule: batched updates of W_0")
struct LearningRuleTests {
    /// The same 45 updates applied image by image and 20 images at a time: biases and the upper
    /// layers' weights are identical at every image; W_0 lags by the pending images and, once they
    /// are applied, equals the image-by-image W_0 to rounding.
    @Test("W_0 updated 20 images at a time equals W_0 updated every image", arguments: [false, true])
    func batchedBottomUpdates(float: Bool) {
        if float { batchedBottomUpdates(Float.self, tolerance: 1e-5) } else { batchedBottomUpdates(Double.self, tolerance: 1e-12) }
    }

    func batchedBottomUpdates<Scalar: DendriteScalar>(_: Scalar.Type, tolerance: Double) {
        let configuration = NetworkConfiguration(hiddenSizes: [30, 12], inputSize: 40, classCount: 10)
        var generator = Xoshiro256(seed: 41)
        let initial: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        var single: NetworkWeights<Scalar> = initial.converted(), batched = single
        var singleRule = LearningRule<Scalar>(configuration: configuration, learningRates: [0.23, 0.23, 0.12])
        var batchedRule = singleRule
        batchedRule.bottomUpdateBatch = 20
        var averages = PhaseAverages<Scalar>(configuration: configuration)
        var snapshot = single   // the image-by-image weights when the batch last applied
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
            singleRule.update(&single, from: averages, generator: &generator)
            batchedRule.update(&batched, from: averages, generator: &generator)
            #expect(batchedRule.pendingBottomUpdates == n % 20)
            #expect(batched.bias == single.bias && Array(batched.forward[1...]) == Array(single.forward[1...]), "image \(n)")
            if n % 20 == 0 { snapshot = single }
            let expected = n % 20 == 0 ? single : snapshot
            #expect(maximumRelativeDifference(batched.forward[0], expected.forward[0]) < tolerance, "image \(n)")
        }
        #expect(maximumRelativeDifference(batched.forward[0], single.forward[0]) > tolerance)
        batchedRule.applyPendingUpdates(to: &batched)
        #expect(batchedRule.pendingBottomUpdates == 0)
        #expect(maximumRelativeDifference(batched.forward[0], single.forward[0]) < tolerance)
    }

    private func maximumRelativeDifference<Scalar: DendriteScalar>(_ a: Matrix<Scalar>, _ b: Matrix<Scalar>) -> Double {
        let scale = b.values.map { abs(Double($0)) }.max() ?? 1
        return zip(a.values, b.values).map { abs(Double($0) - Double($1)) }.max()! / scale
    }
}
