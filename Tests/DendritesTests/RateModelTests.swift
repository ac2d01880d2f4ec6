import Foundation
import Testing
import Dendrites

/// A tiny network whose every number can be followed by hand: 2 inputs, 1 hidden neuron,
/// 2 output neurons (2 classes).
private func tinyNetwork() -> (NetworkConfiguration, NetworkWeights<Double>) {
    let configuration = NetworkConfiguration(hiddenSizes: [1], inputSize: 2, classCount: 2)
    let weights = NetworkWeights<Double>(
        forward: [Matrix(rows: 1, columns: 2, values: [0.5, -1.0]), Matrix(rows: 2, columns: 1, values: [2.0, -1.0])],
        bias: [[0.1], [0.0, 0.5]],
        feedback: [Matrix(rows: 1, columns: 2, values: [0.3, -0.2])],
        apicalBias: [[0.0]])
    return (configuration, weights)
}

private func logistic(_ v: Double) -> Double { 1 / (1 + exp(-v)) }

@Suite("Rate mode: equations by hand")
struct RateEquationTests {
    @Test("one forward and one target phase of a tiny network")
    func tinyNetworkPhases() throws {
        let (configuration, weights) = tinyNetwork()
        var dynamics = RateDynamics<Double>(configuration: configuration)
        var averages = PhaseAverages<Double>(configuration: configuration)
        var generator = Xoshiro256(seed: 0)
        let input = [0.2, 0.1]
        dynamics.presentTrainingExample(input: input, label: 0, weights: weights, averages: &averages, generator: &generator)

        // By hand. k_B = 0.6/0.7, k_D = 0.6/0.7, λ_max = 0.2.
        let kB = 0.6 / 0.7, kD = 0.6 / 0.7
        let hiddenBasal = 0.5 * 0.2 - 1.0 * 0.1 + 0.1            // B = W s + b = 0.1
        let hiddenSomatic = kB * hiddenBasal                       // C = k_B B
        let hiddenRate = 0.2 * logistic(hiddenSomatic)             // λ = λ_max σ(C)
        let outputBasal = [2.0 * hiddenRate, -1.0 * hiddenRate + 0.5]
        let outputForward = outputBasal.map { kD * $0 }            // C = k_D B
        let outputRateForward = outputForward.map { 0.2 * logistic($0) }
        // Step 2 of the forward phase sees step 1's output rates (the same as step 2's here).
        let apicalForward = 0.3 * outputRateForward[0] - 0.2 * outputRateForward[1]
        #expect(abs(averages.somaticForward[0][0] - hiddenSomatic) < 1e-15)
        #expect(abs(averages.somaticForward[1][0] - outputForward[0]) < 1e-15)
        #expect(abs(averages.somaticForward[1][1] - outputForward[1]) < 1e-15)
        #expect(abs(averages.apicalForward[0][0] - apicalForward) < 1e-15)
        #expect(abs(averages.plateauForward[0][0] - logistic(apicalForward)) < 1e-15)
        #expect(averages.presynapticForward[0] == input)
        #expect(abs(averages.presynapticForward[1][0] - hiddenRate) < 1e-15)

        // Target phase, label 0: g_E = 1 on neuron 0, g_I = 1 on neuron 1.
        // C = (g_D B + g_E E_E + g_I E_I) / (g_L + g_D + g_E + g_I)
        let outputTarget = [(0.6 * outputBasal[0] + 8) / 1.7, (0.6 * outputBasal[1] - 8) / 1.7]
        let outputRateTarget = outputTarget.map { 0.2 * logistic($0) }
        #expect(abs(averages.rateTarget[1][0] - outputRateTarget[0]) < 1e-15)
        #expect(abs(averages.rateTarget[1][1] - outputRateTarget[1]) < 1e-15)
        // The teaching signal drives the correct neuron up and the other down.
        #expect(outputRateTarget[0] > outputRateForward[0])
        #expect(outputRateTarget[1] < outputRateForward[1])
        // α^t: the apical potential at the target phase's last step sees its first step's rates.
        let apicalTarget = 0.3 * outputRateTarget[0] - 0.2 * outputRateTarget[1]
        #expect(abs(averages.plateauTarget[0][0] - logistic(apicalTarget)) < 1e-15)
    }

    @Test("the update of a tiny network, by hand")
    func tinyNetworkUpdate() throws {
        let (configuration, initial) = tinyNetwork()
        var weights = initial
        var dynamics = RateDynamics<Double>(configuration: configuration)
        var averages = PhaseAverages<Double>(configuration: configuration)
        var generator = Xoshiro256(seed: 0)
        dynamics.presentTrainingExample(input: [0.2, 0.1], label: 0, weights: weights, averages: &averages, generator: &generator)
        var rule = LearningRule<Double>(configuration: configuration, learningRates: [0.1, 0.2])
        let loss = rule.update(&weights, from: averages, generator: &generator)

        let kB = 0.6 / 0.7, kD = 0.6 / 0.7
        let cOut = averages.somaticForward[1], rateT = averages.rateTarget[1]
        let dsig = { (v: Double) in logistic(v) * (1 - logistic(v)) }
        // Output: E = −(λ̄^t − λ_max σ(C̄^f)) k_D λ_max σ'(C̄^f); W ← W − η P_out E s̄ᵀ, P_out = 500.
        let eOut = (0..<2).map { -(rateT[$0] - 0.2 * logistic(cOut[$0])) * kD * 0.2 * dsig(cOut[$0]) }
        let s1 = averages.presynapticForward[1][0]
        for i in 0..<2 {
            #expect(abs(weights.forward[1][i, 0] - (initial.forward[1][i, 0] - 0.2 * 500 * eOut[i] * s1)) < 1e-14)
            #expect(abs(weights.bias[1][i] - (initial.bias[1][i] - 0.2 * 500 * eOut[i])) < 1e-14)
        }
        // Hidden: E = −(α^t − α^f) k_B λ_max σ'(C̄^f); P_hidden = 100.
        let eHidden = -(averages.plateauTarget[0][0] - averages.plateauForward[0][0]) * kB * 0.2 * dsig(averages.somaticForward[0][0])
        #expect(abs(weights.forward[0][0, 0] - (0.5 - 0.1 * 100 * eHidden * 0.2)) < 1e-14)
        #expect(abs(weights.forward[0][0, 1] - (-1.0 - 0.1 * 100 * eHidden * 0.1)) < 1e-14)
        // Loss: mean over output neurons of (λ̄^t − λ_max σ(C̄^f))².
        let expectedLoss = (0..<2).map { pow(rateT[$0] - 0.2 * logistic(cOut[$0]), 2) }.reduce(0, +) / 2
        #expect(abs(loss - expectedLoss) < 1e-16)
        // Fixed feedback never moves.
        #expect(weights.feedback == initial.feedback)
    }

    /// The output layer's step is a gradient step on the loss, so it lowers the loss at every
    /// depth; with one hidden layer the whole update does too. (With two hidden layers, early
    /// plateau-driven hidden updates are not descent steps on each single image.)
    @Test("a learning step lowers the output loss on that image",
          arguments: [([Int](), false), ([100], false), ([100], true), ([60, 30], true)])
    func updateLowersLoss(hidden: [Int], outputLayerOnly: Bool) throws {
        let configuration = NetworkConfiguration(hiddenSizes: hidden)
        var generator = Xoshiro256(seed: 7)
        var weights: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        var rates = TrainingOptions.defaultLearningRates(hiddenLayers: hidden.count)
        if outputLayerOnly { for l in 0..<hidden.count { rates[l] = 0 } }
        var rule = LearningRule<Double>(configuration: configuration, learningRates: rates)
        let train = MNISTData.dataset.train
        var input = [Double](repeating: 0, count: 784)
        for n in 0..<10 {
            inputRates(train.image(n), maximumRate: 0.2, into: &input)
            let label = Int(train.labels[n])
            func lossNow() -> Double {
                var dynamics = RateDynamics<Double>(configuration: configuration)
                var averages = PhaseAverages<Double>(configuration: configuration)
                var g = Xoshiro256(seed: 0)
                dynamics.presentTrainingExample(input: input, label: label, weights: weights, averages: &averages, generator: &g)
                return rule.outputLoss(averages)
            }
            let before = lossNow()
            var dynamics = RateDynamics<Double>(configuration: configuration)
            var averages = PhaseAverages<Double>(configuration: configuration)
            dynamics.presentTrainingExample(input: input, label: label, weights: weights, averages: &averages, generator: &generator)
            rule.update(&weights, from: averages, generator: &generator)
            #expect(lossNow() < before, "image \(n)")
        }
    }

    @Test("the batched test path equals the step-by-step reference")
    func evaluatorMatchesDynamics() throws {
        let configuration = NetworkConfiguration(hiddenSizes: [50, 20])
        var generator = Xoshiro256(seed: 3)
        let weights: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        let test = MNISTData.dataset.test
        let indices = [0, 5, 17, 999, 4242]
        var evaluator = RateEvaluator<Double>(configuration: configuration)
        evaluator.batchSize = 2
        let fast = evaluator.outputPotentials(images: test, indices: indices, weights: weights, seed: 0)
        var input = [Double](repeating: 0, count: 784)
        for (row, index) in indices.enumerated() {
            var dynamics = RateDynamics<Double>(configuration: configuration)
            inputRates(test.image(index), maximumRate: 0.2, into: &input)
            for _ in 0..<2 { dynamics.step(input: input, weights: weights, target: false) }
            #expect(relativeDifference(fast[row], dynamics.somatic.last!) < 1e-13)
        }
    }
}

@Suite("Initialization (MODEL.md §5)")
struct InitializationTests {
    @Test("the moments follow the formulas")
    func moments() {
        let initialization = WeightInitialization()
        // By hand for N = 784: ν = 0.05, W_avg = 2.2 / (0.05·784·3).
        let (mean, sd) = initialization.forwardWeightMoments(inputCount: 784)
        #expect(abs(mean - 2.2 / 117.6) < 1e-15)
        let n = 784.0, nu = 0.05, wAvg = 2.2 / 117.6
        let wSM = (18 + nu * nu * (n - n * n) * wAvg * wAvg * 9 - 2 * n * nu * 0.8 * 3 * wAvg - 0.64) / (n * nu * nu * 18)
        #expect(abs(sd - (wSM - wAvg * wAvg).squareRoot()) < 1e-15)
    }

    @Test("drawn weights have the intended statistics", arguments: [[500], [300, 100]])
    func statistics(hidden: [Int]) {
        let configuration = NetworkConfiguration(hiddenSizes: hidden)
        var generator = Xoshiro256(seed: 11)
        let initialization = WeightInitialization()
        let weights: NetworkWeights<Double> = initialization.makeWeights(for: configuration, using: &generator)
        for m in 0..<configuration.layerCount {
            let (mean, sd) = initialization.forwardWeightMoments(inputCount: configuration.inputCount(ofLayer: m))
            let values = weights.forward[m].values
            let sampleMean = values.reduce(0, +) / Double(values.count)
            let sampleSD = (values.map { ($0 - sampleMean) * ($0 - sampleMean) }.reduce(0, +) / Double(values.count)).squareRoot()
            // W = W_avg + 3.465 W_sd U(−1, 1): SD 3.465 W_sd / √3, range ±3.465 W_sd.
            let spreadSD = 3.465 * sd / 3.0.squareRoot()
            #expect(abs(sampleMean - mean) < 5 * spreadSD / Double(values.count).squareRoot())
            #expect(abs(sampleSD / spreadSD - 1) < 0.05)
            #expect(values.allSatisfy { abs($0 - mean) <= 3.465 * sd })
            #expect(weights.bias[m].allSatisfy { abs($0 - 0.8) <= 3.465 * 0.001 })
            if m > 0 {
                // Y_{m−1} is drawn with layer m's moments.
                let y = weights.feedback[m - 1].values
                #expect(abs(y.reduce(0, +) / Double(y.count) - mean) < 5 * spreadSD / Double(y.count).squareRoot())
                #expect(weights.feedback[m - 1].columns == configuration.outputSize)
            }
        }
    }
}

@Suite("Determinism")
struct DeterminismTests {
    private func train(seed: UInt64) throws -> NetworkWeights<Double> {
        let configuration = NetworkConfiguration(hiddenSizes: [30])
        var options = TrainingOptions(learningRates: [0.21, 0.21])
        options.imagesPerEpoch = 300
        options.quickTestInterval = 100
        options.quickTestImages = 20
        options.fullTestImages = 50
        options.seed = seed
        var generator = Xoshiro256(seed: seed)
        let weights: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        var trainer = Trainer(network: configuration, options: options, weights: weights,
                              dynamics: RateDynamics<Double>(configuration: configuration),
                              evaluator: RateEvaluator<Double>(configuration: configuration), generator: generator)
        try trainer.run(dataset: MNISTData.dataset, observers: [])
        return trainer.weights
    }

    @Test("the same seed gives bit-identical weights; another seed does not")
    func sameSeedSameWeights() throws {
        let a = try train(seed: 5), b = try train(seed: 5), c = try train(seed: 6)
        #expect(a == b)
        #expect(a != c)
    }

    @Test("the generator's streams are reproducible and distinct")
    func generatorStreams() {
        var a = Xoshiro256(seed: 9, stream: 3), b = Xoshiro256(seed: 9, stream: 3), c = Xoshiro256(seed: 9, stream: 4)
        let xa = (0..<5).map { _ in a.next() }, xb = (0..<5).map { _ in b.next() }, xc = (0..<5).map { _ in c.next() }
        #expect(xa == xb)
        #expect(xa != xc)
        let restored = Xoshiro256(state: a.state)
        var r = restored
        #expect(r.next() == a.next())
    }
}

@Suite("Learning on real MNIST (rate mode)")
struct RateLearningTests {
    private func testError(hidden: [Int], images: Int) throws -> Double {
        let configuration = NetworkConfiguration(hiddenSizes: hidden)
        var options = TrainingOptions(learningRates: TrainingOptions.defaultLearningRates(hiddenLayers: hidden.count))
        options.imagesPerEpoch = images
        options.shuffle = false
        options.fullTestImages = 1000
        options.quickTestInterval = 0
        var generator = Xoshiro256(seed: options.seed)
        let weights: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        var trainer = Trainer(network: configuration, options: options, weights: weights,
                              dynamics: RateDynamics<Double>(configuration: configuration),
                              evaluator: RateEvaluator<Double>(configuration: configuration), generator: generator)
        let before = trainer.testError(on: MNISTData.dataset.test, indices: Array(0..<1000), seed: 0)
        try trainer.run(dataset: MNISTData.dataset, observers: [])
        let after = trainer.testError(on: MNISTData.dataset.test, indices: Array(0..<1000), seed: 0)
        #expect(after < before)
        return after
    }

    @Test("784-500-10 on the first 5,000 images beats 15% on 1,000 test images (seed 1)")
    func oneHiddenLayerLearns() throws {
        #expect(try testError(hidden: [500], images: 5000) < 15)
    }

    @Test("784-10 learns too")
    func noHiddenLayerLearns() throws {
        #expect(try testError(hidden: [], images: 5000) < 25)
    }
}
