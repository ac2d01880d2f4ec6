import Foundation
import Testing
import Dendrites

/// The reference stepper's equations, each checked by hand.
@Suite("Spiking reference: equations by hand")
struct ReferenceEquationTests {
    static let p = ReferenceParameters<Double>(NeuronParameters())

    @Test("κ(k) = (e^{−k/10} − e^{−k/3}) / 7 and the kernel sum Σ_k κ(k) S(t−k+1) over a spike train")
    func kernelSum() {
        #expect(abs(PSPKernel.value(step: 1, NeuronParameters()) - 0.02690087249459575) < 1e-16)
        #expect(abs(Self.p.kernel[3] - 0.058103272559987505) < 1e-16)
        // Neuron 0 spiked once at t, neuron 1 twice at t − 3 and once at t − 10 (out of memory):
        // s_0 = κ(1), s_1 = 2 κ(4).
        var counts = [[Int]](repeating: [0, 0, 0], count: 11)
        counts[0][0] = 1
        counts[3][1] = 2
        counts[10][1] = 1
        let s = SpikingReference.postsynapticPotentials(spikeCounts: counts, kernel: Self.p.kernel, neurons: 3)
        #expect(abs(s[0] - 0.02690087249459575) < 1e-16)
        #expect(abs(s[1] - 2 * 0.058103272559987505) < 1e-16)
        #expect(s[2] == 0)
        // A history shorter than the kernel: steps before the first had no spikes.
        #expect(SpikingReference.postsynapticPotentials(spikeCounts: [[1], [0], [0], [1]], kernel: Self.p.kernel, neurons: 1)
                == [Self.p.kernel[0] + Self.p.kernel[3]])
        #expect(SpikingReference.spikeCounts([2, 0, 2], neurons: 3) == [1, 0, 2])
    }

    @Test("λ = λ_max σ(C), the somatic steps and the teaching current")
    func neurons() {
        let p = Self.p
        #expect(SpikingReference.firingRate(somatic: 0, p) == 0.1)
        #expect(abs(SpikingReference.firingRate(somatic: log(3), p) - 0.15) < 1e-16)
        // C + dt (−g_L C + g_B (B − C)) with C = 1, B = 3: 1 − 0.1 + 1.2 = 2.1; and g_A (A − C) on top.
        #expect(abs(SpikingReference.hiddenSomaticStep(somatic: 1, basal: 3, apical: 2, p) - 2.1) < 1e-15)
        var coupled = NeuronParameters()
        coupled.apicalConductance = 0.05
        #expect(abs(SpikingReference.hiddenSomaticStep(somatic: 1, basal: 3, apical: 2, ReferenceParameters(coupled)) - 2.15) < 1e-15)
        // Output, C = 1, B = 2: forward 1 − 0.1 + 0.6 = 1.5; correct class + (8 − 1) = 8.5; other class + (−8 − 1) = −7.5.
        let correct: TeachingConductances<Double> = SpikingReference.teachingConductances(neuron: 5, label: 2, neuronsPerClass: 2, target: true)
        let other: TeachingConductances<Double> = SpikingReference.teachingConductances(neuron: 6, label: 2, neuronsPerClass: 2, target: true)
        let forward: TeachingConductances<Double> = SpikingReference.teachingConductances(neuron: 5, label: 2, neuronsPerClass: 2, target: false)
        #expect(correct.excitatory == 1 && correct.inhibitory == 0 && other.excitatory == 0 && other.inhibitory == 1)
        #expect(forward.excitatory == 0 && forward.inhibitory == 0)
        for (g, expected) in [(forward, 1.5), (correct, 8.5), (other, -7.5)] {
            let current = SpikingReference.teachingCurrent(somatic: 1, g, p)
            #expect(abs(SpikingReference.outputSomaticStep(somatic: 1, basal: 2, teachingCurrent: current, p) - expected) < 1e-15)
        }
    }

    @Test("window means, plateaus σ(Ā) at their delays, and the output error")
    func phasesAndLearning() {
        let trace: [[Double]] = (0..<6).map { [Double($0), Double($0)] }
        #expect(SpikingReference.windowMean(trace, last: 5, window: 2) == [4.5, 4.5])
        // Neuron 1's plateau 2 steps before the end: the window of steps 2…3.
        let alpha = SpikingReference.plateauPotentials(apicalTrace: trace, window: 2, delays: [0, 2])
        #expect(abs(alpha[0] - 0.9890130573694068) < 1e-16 && abs(alpha[1] - 0.9241418199787566) < 1e-16)
        // λ̄^t = λ_max, C̄^f = 0: E = −(0.2 − 0.1) · (0.6/0.7) · 0.2 · σ'(0) = −0.1 · 0.857… · 0.05.
        let e = SpikingReference.outputError(rateTarget: [0.2], somaticForward: [0], Self.p)
        #expect(abs(e[0] - -0.004285714285714287) < 1e-17)
        #expect(abs(SpikingReference.outputLoss(rateTarget: [0.2], somaticForward: [0], Self.p) - 0.01) < 1e-17)
        var w = Matrix<Double>(rows: 2, columns: 2, values: [1, 2, 3, 4])
        SpikingReference.updateWeights(&w, step: -0.5, error: [1, 2], presynaptic: [2, 0])
        #expect(w.values == [0, 2, 1, 4])
    }

    @Test("one step in the order of MODEL.md §1: this step's input spikes reach B now, feedback spikes reach A a step later")
    func stepOrder() {
        var configuration = NetworkConfiguration(hiddenSizes: [1], inputSize: 2, classCount: 2)
        configuration.neuron.apicalConductance = 0.05
        let weights = NetworkWeights<Double>(
            forward: [Matrix(rows: 1, columns: 2, values: [2, 3]), Matrix(rows: 2, columns: 1, values: [1, -1])],
            bias: [[0.5], [0.25, 0]], feedback: [Matrix(rows: 1, columns: 2, values: [4, 5])], apicalBias: [[0]])
        var network = ReferenceSpikingNetwork(configuration: configuration, weights: weights, learningRates: [0.1, 0.1])
        let k = network.parameters.kernel
        // Step 0: input 1, hidden 0 and output 0 spike.
        _ = network.step(StepSpikes(input: [1], layers: [[0], [0]]), target: false, label: 0)
        #expect(abs(network.basal[0][0] - (3 * k[0] + 0.5)) < 1e-15)
        #expect(network.apical[0][0] == 0)   // the output has not spiked before step 0
        #expect(abs(network.somatic[0][0] - 0.6 * (3 * k[0] + 0.5)) < 1e-15)
        #expect(abs(network.basal[1][0] - (k[0] + 0.25)) < 1e-15 && abs(network.basal[1][1] - -k[0]) < 1e-15)
        // Step 1, no spikes: the output's spike of step 0 now reaches A with κ(1).
        let c = network.somatic[0][0]
        _ = network.step(StepSpikes(input: [], layers: [[], []]), target: false, label: 0)
        #expect(abs(network.basal[0][0] - (3 * k[1] + 0.5)) < 1e-15)
        #expect(abs(network.apical[0][0] - 4 * k[0]) < 1e-15)
        let expected = c + (-0.1 * c + 0.6 * (3 * k[1] + 0.5 - c) + 0.05 * (4 * k[0] - c))
        #expect(abs(network.somatic[0][0] - expected) < 1e-15)
    }
}

/// The fast simulator (`SpikingDynamics`) against the reference stepper on the fast
/// simulator's own spikes: phase averages, plateaus, errors and weights agree to rounding.
@Suite("Spiking mode: the fast simulator against the reference stepper")
struct ReferenceParityTests {
    /// A network and time course to compare.
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var hidden: [Int]
        var wiring = FeedbackWiring.broadcast
        var apicalConductance = 0.0
        var randomPlateauTimes = false
        var feedbackLearningRates: [Double]? = nil
        var apicalBias = false
        var backprop = false
        var sparseFraction: Double? = nil
        var symmetric = false
        var neuronsPerClass = 1
        var fixedPhases = false
        var sampler = SpikeSampler.thinning
        var reloadInterval = 1000
        var images = 30

        var description: String { name }

        var configuration: NetworkConfiguration {
            var c = NetworkConfiguration(hiddenSizes: hidden, neuronsPerClass: neuronsPerClass, feedbackWiring: wiring)
            c.neuron.apicalConductance = apicalConductance
            c.variants.feedbackLearningRates = feedbackLearningRates
            c.variants.apicalBias = apicalBias
            c.variants.backprop = backprop
            c.variants.sparseZeroedFraction = sparseFraction
            c.variants.symmetric = symmetric
            return c
        }

        var options: SpikingOptions {
            var o = SpikingOptions()
            o.randomPlateauTimes = randomPlateauTimes
            o.randomPhaseLengths = !fixedPhases
            o.sampler = sampler
            return o
        }
    }

    static let cases: [Case] = [
        Case(name: "784-20-10, W_0 updated in place over 50 images", hidden: [20], images: 50),
        Case(name: "784-30-20-10", hidden: [30, 20]),
        Case(name: "784-10 (no hidden layer)", hidden: []),
        Case(name: "784-30-20-10, g_A = 0.05", hidden: [30, 20], apicalConductance: 0.05),
        Case(name: "784-30-20-10, g_A = 0.6", hidden: [30, 20], apicalConductance: 0.6),
        Case(name: "784-20-10, random plateau times", hidden: [20], randomPlateauTimes: true),
        Case(name: "784-30-20-10, random plateau times, g_A = 0.05", hidden: [30, 20], apicalConductance: 0.05, randomPlateauTimes: true),
        // Layer 0 hears layer 1's 40 neurons: an event-driven feedback projection.
        Case(name: "784-30-40-10, layer-wise feedback", hidden: [30, 40], wiring: .layerwise),
        Case(name: "784-30-20-10, learned feedback with apical bias", hidden: [30, 20], feedbackLearningRates: [0.05, 0.05], apicalBias: true),
        Case(name: "784-30-40-10, layer-wise learned feedback", hidden: [30, 40], wiring: .layerwise, feedbackLearningRates: [0.05, 0.05]),
        Case(name: "784-20-10, sparse learned feedback", hidden: [20], feedbackLearningRates: [0.05], sparseFraction: 0.8),
        Case(name: "784-30-20-10, symmetric feedback", hidden: [30, 20], symmetric: true),
        Case(name: "784-30-20-10, backprop control", hidden: [30, 20], backprop: true),
        Case(name: "784-20-20 (2 neurons per class), fixed phases, per-neuron sampler", hidden: [20], neuronsPerClass: 2,
             fixedPhases: true, sampler: .perNeuron),
        Case(name: "784-30-20-10, vectorized sampler, reload every 7 images", hidden: [30, 20], sampler: .vectorized, reloadInterval: 7),
    ]

    /// The worst relative difference (max |fast − reference| / max |reference|, per layer) of
    /// each compared quantity over all images.
    struct Deviations {
        var worst: [String: Double] = [:]

        mutating func note<Scalar: DendriteScalar>(_ name: String, _ fast: [[Scalar]], _ reference: [[Scalar]]) {
            precondition(fast.count == reference.count, "\(name): \(fast.count) and \(reference.count) layers")
            worst[name] = worst[name] ?? 0
            for (a, b) in zip(fast, reference) {
                worst[name] = max(worst[name] ?? 0, relativeDifference(a, b.map { Double($0) }))
            }
        }

        mutating func note<Scalar: DendriteScalar>(_ name: String, _ fast: [Matrix<Scalar>], _ reference: [Matrix<Scalar>]) {
            note(name, fast.map(\.values), reference.map(\.values))
        }
    }

    /// Trains `c.images` MNIST images in the fast simulator with learning after each, recording
    /// its spikes; the reference, from the same initial weights, learns from those spikes alone.
    /// Then a test of one image, recorded the same way.
    static func compare<Scalar: DendriteScalar>(_ c: Case, _: Scalar.Type) -> Deviations {
        let configuration = c.configuration
        var generator = Xoshiro256(seed: 17)
        let initial: NetworkWeights<Scalar> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        let rates = TrainingOptions.defaultLearningRates(hiddenLayers: configuration.hiddenLayerCount)
        let recorder = SpikeRecorder()
        var fast = SpikingDynamics<Scalar>(configuration: configuration, options: c.options)
        fast.reloadInterval = c.reloadInterval
        fast.spikeObserver = recorder
        var weights = initial
        var rule = LearningRule<Scalar>(configuration: configuration, learningRates: rates)
        var averages = PhaseAverages<Scalar>(configuration: configuration)
        var reference = ReferenceSpikingNetwork(configuration: configuration, weights: initial, learningRates: rates)
        var deviations = Deviations()
        var input = [Scalar](repeating: 0, count: configuration.inputSize)
        let train = MNISTData.dataset.train
        let output = configuration.layerCount - 1
        var hiddenErrorSeen = configuration.hiddenLayerCount == 0
        fast.weightsDidChange(weights)
        for n in 0..<c.images {
            let label = Int(train.labels[n])
            inputRates(train.image(n), maximumRate: Scalar(0.2), into: &input)
            fast.presentTrainingExample(input: input, label: label, weights: weights, averages: &averages, generator: &generator)
            let events = recorder.takeEvents()
            guard events.count == 3, events[0] == .trainingExample(label: label),
                  case let .phase(forward) = events[1], case let .phase(target) = events[2] else {
                Issue.record("image \(n): recorded \(events.count) events, not a training example and its two phases")
                return deviations
            }
            #expect(forward.length >= 50 && target.length >= 50 && forward.window == 20)
            #expect(forward.plateauDelays.count == (c.randomPlateauTimes ? configuration.hiddenLayerCount : 0))
            let expected = reference.presentTrainingExample(label: label, forward: forward, target: target)
            deviations.note("C̄^f", averages.somaticForward, expected.somaticForward)
            deviations.note("s̄^f", averages.presynapticForward, expected.presynapticForward)
            deviations.note("λ̄^f (output)", [averages.rateForward[output]], [expected.rateForward[output]])
            deviations.note("λ̄^t (output)", [averages.rateTarget[output]], [expected.rateTarget[output]])
            deviations.note("Ā^f", averages.apicalForward, expected.apicalForward)
            deviations.note("s̄^f_A", averages.apicalInputForward, expected.apicalInputForward)
            deviations.note("α^f", averages.plateauForward, expected.plateauForward)
            deviations.note("α^t", averages.plateauTarget, expected.plateauTarget)

            let loss = fast.learn(&rule, weights: &weights, averages: averages, generator: &generator)
            let update = reference.learn(from: expected)
            deviations.note("E", rule.errors, update.errors)
            deviations.note("E_bp", rule.backpropErrors, update.backpropErrors)
            deviations.note("loss", [[loss]], [[update.loss]])
            if configuration.hiddenLayerCount > 0 && rule.errors[0].contains(where: { $0 != 0 }) { hiddenErrorSeen = true }
        }
        #expect(hiddenErrorSeen, "the hidden layers learned something")
        fast.synchronize(&weights)
        #expect(weights.forward != initial.forward)
        deviations.note("W", weights.forward, reference.weights.forward)
        deviations.note("b", weights.bias, reference.weights.bias)
        deviations.note("Y", weights.feedback, reference.weights.feedback)
        deviations.note("c", weights.apicalBias, reference.weights.apicalBias)
        if configuration.variants.feedbackLearningRates != nil || configuration.variants.symmetric {
            #expect(weights.feedback != initial.feedback)
        }

        // A test (MODEL.md §4) with the learned weights: cleared state, one phase of 250 steps.
        inputRates(MNISTData.dataset.test.image(0), maximumRate: Scalar(0.2), into: &input)
        let potentials = fast.testLayerPotentials(input: input, weights: weights, generator: &generator)
        let events = recorder.takeEvents()
        guard events.count == 2, events[0] == .cleared(inputHistory: true), case let .phase(test) = events[1] else {
            Issue.record("a test recorded \(events.count) events, not a reset and its phase")
            return deviations
        }
        #expect(test.length == 250 && test.window == 220 && !test.training)
        deviations.note("test C̄", potentials, reference.testPotentials(test))
        return deviations
    }

    @Test("float64: the same phase averages, plateaus, errors, weights and test potentials to 1e-12", arguments: cases)
    func float64(_ c: Case) {
        let deviations = Self.compare(c, Double.self)
        #expect(deviations.worst.count == 16)
        for (name, worst) in deviations.worst.sorted(by: { $0.key < $1.key }) {
            #expect(worst < 1e-12, "\(name): \(worst)")
        }
        print("reference parity (float64) \(c):", deviations.worst.values.max() ?? .nan)
    }

    @Test("float32: the same to float rounding", arguments: [cases[1], cases[3], cases[6], cases[7]])
    func float32(_ c: Case) {
        let deviations = Self.compare(c, Float.self)
        for (name, worst) in deviations.worst.sorted(by: { $0.key < $1.key }) {
            #expect(worst < 1e-4, "\(name): \(worst)")
        }
        print("reference parity (float32) \(c):", deviations.worst.values.max() ?? .nan)
    }

    @Test("the comparison sees a single spike: one input spike less in the forward window changes s̄ and C̄")
    func oneSpikeMatters() {
        let configuration = NetworkConfiguration(hiddenSizes: [20])
        var generator = Xoshiro256(seed: 17)
        let weights: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        let recorder = SpikeRecorder()
        var fast = SpikingDynamics<Double>(configuration: configuration)
        fast.spikeObserver = recorder
        var averages = PhaseAverages<Double>(configuration: configuration)
        var input = [Double](repeating: 0, count: 784)
        inputRates(MNISTData.dataset.train.image(0), maximumRate: 0.2, into: &input)
        fast.presentTrainingExample(input: input, label: 5, weights: weights, averages: &averages, generator: &generator)
        guard case let .phase(forward) = recorder.events[1], case let .phase(target) = recorder.events[2] else {
            Issue.record("no phases recorded")
            return
        }
        var altered = forward
        let t = altered.steps.lastIndex { !$0.input.isEmpty }!
        #expect(t >= forward.length - forward.window)
        altered.steps[t].input.removeLast()
        var same = ReferenceSpikingNetwork(configuration: configuration, weights: weights, learningRates: [0.21, 0.21])
        var other = same
        let exact = same.presentTrainingExample(label: 5, forward: forward, target: target)
        let changed = other.presentTrainingExample(label: 5, forward: altered, target: target)
        #expect(relativeDifference(averages.presynapticForward[0], exact.presynapticForward[0]) < 1e-12)
        #expect(relativeDifference(averages.presynapticForward[0], changed.presynapticForward[0]) > 1e-4)
        #expect(relativeDifference(averages.somaticForward[0], changed.somaticForward[0]) > 1e-6)
    }

    @Test("an observer changes nothing: the same averages and weights bit for bit, with and without it")
    func observerChangesNothing() {
        func train(observed: Bool) -> (PhaseAverages<Float>, NetworkWeights<Float>, Int) {
            let configuration = NetworkConfiguration(hiddenSizes: [30, 20])
            var options = SpikingOptions()
            options.randomPlateauTimes = true
            var generator = Xoshiro256(seed: 23)
            var weights: NetworkWeights<Float> = WeightInitialization().makeWeights(for: configuration, using: &generator)
            let recorder = SpikeRecorder()
            var fast = SpikingDynamics<Float>(configuration: configuration, options: options)
            if observed { fast.spikeObserver = recorder }
            var rule = LearningRule<Float>(configuration: configuration, learningRates: [0.23, 0.23, 0.12])
            var averages = PhaseAverages<Float>(configuration: configuration)
            var input = [Float](repeating: 0, count: 784)
            for n in 0..<10 {
                inputRates(MNISTData.dataset.train.image(n), maximumRate: 0.2, into: &input)
                fast.presentTrainingExample(input: input, label: Int(MNISTData.dataset.train.labels[n]), weights: weights,
                                            averages: &averages, generator: &generator)
                _ = fast.learn(&rule, weights: &weights, averages: averages, generator: &generator)
            }
            fast.synchronize(&weights)
            return (averages, weights, recorder.events.count)
        }
        let (plainAverages, plainWeights, nothing) = train(observed: false)
        let (observedAverages, observedWeights, recorded) = train(observed: true)
        #expect(nothing == 0 && recorded == 30)
        #expect(plainWeights == observedWeights)
        #expect(plainAverages.somaticForward == observedAverages.somaticForward)
        #expect(plainAverages.plateauTarget == observedAverages.plateauTarget)
        #expect(plainAverages.presynapticForward == observedAverages.presynapticForward)
    }

    @Test("a whole training run of the trainer (two epochs, quick tests clearing state) replayed on the reference")
    func trainerReplay() throws {
        let configuration = NetworkConfiguration(hiddenSizes: [30, 20])
        var options = TrainingOptions(learningRates: [0.23, 0.23, 0.12])
        options.epochs = 2
        options.imagesPerEpoch = 25
        options.quickTestInterval = 10
        options.quickTestImages = 3
        options.fullTestImages = 5
        var generator = Xoshiro256(seed: 29)
        let initial: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        var trainer = Trainer(network: configuration, options: options, weights: initial,
                              dynamics: SpikingDynamics<Double>(configuration: configuration),
                              evaluator: SpikingEvaluator<Double>(configuration: configuration, threads: 1), generator: generator)
        let recorder = SpikeRecorder()
        trainer.dynamics.spikeObserver = recorder
        try trainer.run(dataset: MNISTData.dataset, observers: [])
        let events = recorder.events
        let examples = events.filter { if case .trainingExample = $0 { return true } else { return false } }.count
        let clears = events.filter { $0 == .cleared(inputHistory: false) }.count
        #expect(examples == 50)
        #expect(clears == 6)   // in each epoch: after the quick tests at images 10 and 20, and at its end
        var reference = ReferenceSpikingNetwork(configuration: configuration, weights: initial, learningRates: options.learningRates)
        let updates = reference.replay(events)
        #expect(updates.count == 50)
        for m in 0..<configuration.layerCount {
            #expect(relativeDifference(trainer.weights.forward[m].values, reference.weights.forward[m].values) < 1e-12)
            #expect(relativeDifference(trainer.weights.bias[m], reference.weights.bias[m]) < 1e-12)
        }
        #expect(trainer.weights.forward != initial.forward)
    }
}
