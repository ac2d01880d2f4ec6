/// A spiking network stepped by the equations of `SpikingReference`, driven by given spikes:
/// it draws nothing, but is told for every step which input and layer neurons spiked (a
/// `SpikeRecorder`'s record of the fast simulator), and computes from them every potential,
/// the teaching conductances, the phase averages, the plateau potentials and the weight
/// updates, plainly: dense matrix-vector products, the PSP kernel summed over the spike
/// history every step, no caching and nothing event-driven.
///
/// Within a step (MODEL.md §1): the input's spikes S_in(t); then for each layer, bottom up,
/// B = W s(t) + b from the spikes of the layer below up to this step, for a hidden layer
/// A = Y s^fb + c from the feedback layer's spikes up to the previous step (it spikes later in
/// the step), the soma, and last the layer's own spikes S(t).
public struct ReferenceSpikingNetwork<Scalar: DendriteScalar> {
    public let configuration: NetworkConfiguration
    public let parameters: ReferenceParameters<Scalar>
    /// W, b, Y, c: updated by `learn` (W_0 too: nothing is kept elsewhere).
    public var weights: NetworkWeights<Scalar>
    /// η per layer (hidden layers, then the output layer).
    public var learningRates: [Double]

    /// S(t), S(t−1), …: spike counts of the last mem steps, newest first, of the input and of
    /// each layer (hidden layers, then the output layer).
    public private(set) var inputSpikes: [[Int]] = []
    public private(set) var layerSpikes: [[[Int]]]
    /// B, C of each layer and A of each hidden layer, after the last step.
    public private(set) var basal: [[Scalar]]
    public private(set) var somatic: [[Scalar]]
    public private(set) var apical: [[Scalar]]

    public init(configuration: NetworkConfiguration, weights: NetworkWeights<Scalar>, learningRates: [Double]) {
        precondition(learningRates.count == configuration.layerCount)
        self.configuration = configuration
        parameters = ReferenceParameters(configuration.neuron)
        self.weights = weights
        self.learningRates = learningRates
        layerSpikes = configuration.layerSizes.map { _ in [] }
        basal = configuration.layerSizes.map { [Scalar](repeating: 0, count: $0) }
        somatic = basal
        apical = configuration.hiddenSizes.map { [Scalar](repeating: 0, count: $0) }
    }

    /// The layer whose spikes reach hidden layer l's apical dendrites: the output layer
    /// (broadcast) or layer l + 1 (layer-wise).
    public func feedbackSource(ofHiddenLayer l: Int) -> Int {
        configuration.feedbackWiring == .broadcast ? configuration.layerCount - 1 : l + 1
    }

    /// Clears every layer's voltages and spike history, and the input's if `inputHistory`.
    public mutating func clearState(inputHistory: Bool) {
        if inputHistory { inputSpikes = [] }
        for m in layerSpikes.indices {
            layerSpikes[m] = []
            for i in basal[m].indices { basal[m][i] = 0; somatic[m][i] = 0 }
        }
        for l in apical.indices { for i in apical[l].indices { apical[l][i] = 0 } }
    }

    // MARK: One step

    /// What one step leaves for the averages.
    public struct StepValues {
        /// C(t) of each layer.
        public var somatic: [[Scalar]] = []
        /// λ(t) = λ_max σ(C(t)) of each layer.
        public var rates: [[Scalar]] = []
        /// s(t): the PSPs at each layer's basal dendrites (layer m: from layer m − 1, or the input).
        public var presynaptic: [[Scalar]] = []
        /// A(t) of each hidden layer.
        public var apical: [[Scalar]] = []
        /// s^fb: the PSPs at each hidden layer's apical dendrites.
        public var apicalInput: [[Scalar]] = []
    }

    /// One step of dt with the given spikes; `label` sets the teaching conductances when `target`.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func step(_ spikes: StepSpikes, target: Bool, label: Int) -> StepValues {
        let (c, p) = (configuration, parameters)
        let output = c.layerCount - 1
        precondition(spikes.layers.count == c.layerCount, "spikes for \(spikes.layers.count) layers; the network has \(c.layerCount)")
        Self.remember(SpikingReference.spikeCounts(spikes.input, neurons: c.inputSize), in: &inputSpikes, memory: p.kernel.count)
        var values = StepValues()
        for m in 0...output {
            let below = m == 0 ? inputSpikes : layerSpikes[m - 1]
            let s = SpikingReference.postsynapticPotentials(spikeCounts: below, kernel: p.kernel, neurons: c.inputCount(ofLayer: m))
            basal[m] = SpikingReference.basalPotential(weights: weights.forward[m], psp: s, bias: weights.bias[m])
            if m < output {
                let source = feedbackSource(ofHiddenLayer: m)
                let feedbackPSP = SpikingReference.postsynapticPotentials(spikeCounts: layerSpikes[source], kernel: p.kernel,
                                                                          neurons: c.layerSizes[source])
                apical[m] = SpikingReference.apicalPotential(feedback: weights.feedback[m], psp: feedbackPSP, bias: weights.apicalBias[m])
                for i in somatic[m].indices {
                    somatic[m][i] = SpikingReference.hiddenSomaticStep(somatic: somatic[m][i], basal: basal[m][i], apical: apical[m][i], p)
                }
                values.apical.append(apical[m])
                values.apicalInput.append(feedbackPSP)
            } else {
                for i in somatic[m].indices {
                    let g: TeachingConductances<Scalar> = SpikingReference.teachingConductances(
                        neuron: i, label: label, neuronsPerClass: c.neuronsPerClass, target: target)
                    let current = SpikingReference.teachingCurrent(somatic: somatic[m][i], g, p)
                    somatic[m][i] = SpikingReference.outputSomaticStep(somatic: somatic[m][i], basal: basal[m][i], teachingCurrent: current, p)
                }
            }
            values.somatic.append(somatic[m])
            values.rates.append(somatic[m].map { SpikingReference.firingRate(somatic: $0, p) })
            values.presynaptic.append(s)
            Self.remember(SpikingReference.spikeCounts(spikes.layers[m], neurons: c.layerSizes[m]), in: &layerSpikes[m],
                          memory: p.kernel.count)
        }
        return values
    }

    /// The newest step's counts first; the kernel sees only the last `memory` steps.
    private static func remember(_ counts: [Int], in history: inout [[Int]], memory: Int) {
        history.insert(counts, at: 0)
        if history.count > memory { history.removeLast() }
    }

    // MARK: Phases

    /// Every step of a phase, in order.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func run(_ phase: RecordedPhase, label: Int) -> [StepValues] {
        phase.steps.map { step($0, target: phase.target, label: label) }
    }

    /// The mean somatic voltage C̄ of each layer over the phase's averaging window (a test's
    /// result, MODEL.md §4, after `clearState(inputHistory: true)`).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func meanSomaticPotentials(over phase: RecordedPhase) -> [[Scalar]] {
        let trace = run(phase, label: 0)
        return (0..<configuration.layerCount).map {
            SpikingReference.windowMean(trace.map(\.somatic[$0]), last: trace.count - 1, window: phase.window)
        }
    }

    /// A test (MODEL.md §4): clears all state, then C̄ of each layer over the phase's window.
    public mutating func testPotentials(_ phase: RecordedPhase) -> [[Scalar]] {
        clearState(inputHistory: true)
        return meanSomaticPotentials(over: phase)
    }

    /// One training image (MODEL.md §2): the forward phase, then the target phase, with no reset
    /// before; the averages over each phase's window, and the plateau potentials.
    /// λ̄ is given for every layer (the learning rule reads the output layer's).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func presentTrainingExample(label: Int, forward: RecordedPhase, target: RecordedPhase) -> PhaseAverages<Scalar> {
        precondition(forward.training && !forward.target && target.training && target.target, "a forward and a target phase")
        let c = configuration
        var averages = PhaseAverages<Scalar>(configuration: c)
        func mean(_ trace: [StepValues], _ window: Int, _ value: (StepValues) -> [Scalar]) -> [Scalar] {
            SpikingReference.windowMean(trace.map(value), last: trace.count - 1, window: window)
        }
        func delays(_ phase: RecordedPhase, _ l: Int) -> [Int] {
            phase.plateauDelays.isEmpty ? [Int](repeating: 0, count: c.hiddenSizes[l]) : phase.plateauDelays[l]
        }

        let f = run(forward, label: label)
        for m in 0..<c.layerCount {
            averages.somaticForward[m] = mean(f, forward.window) { $0.somatic[m] }
            averages.rateForward[m] = mean(f, forward.window) { $0.rates[m] }
            averages.presynapticForward[m] = mean(f, forward.window) { $0.presynaptic[m] }
        }
        for l in 0..<c.hiddenLayerCount {
            averages.apicalForward[l] = mean(f, forward.window) { $0.apical[l] }
            averages.apicalInputForward[l] = mean(f, forward.window) { $0.apicalInput[l] }
            averages.plateauForward[l] = SpikingReference.plateauPotentials(apicalTrace: f.map(\.apical[l]), window: forward.window,
                                                                           delays: delays(forward, l))
        }

        let t = run(target, label: label)
        for m in 0..<c.layerCount {
            averages.rateTarget[m] = mean(t, target.window) { $0.rates[m] }
        }
        for l in 0..<c.hiddenLayerCount {
            averages.plateauTarget[l] = SpikingReference.plateauPotentials(apicalTrace: t.map(\.apical[l]), window: target.window,
                                                                          delays: delays(target, l))
        }
        return averages
    }

    // MARK: Learning

    /// What one learning step computed.
    public struct Update {
        /// E of each layer (what was applied), and E_bp (the backprop control).
        public var errors: [[Scalar]]
        public var backpropErrors: [[Scalar]]
        /// E_inv of each hidden layer (learned feedback only; empty otherwise).
        public var feedbackErrors: [[Scalar]]
        public var loss: Scalar
    }

    /// The learning step of MODEL.md §3 after a target phase: the output layer, then the hidden
    /// layers top-down, each (with learned feedback) after its Y. E_bp of layer l reads W^{l+1}
    /// already updated, as the authors' code does.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func learn(from averages: PhaseAverages<Scalar>) -> Update {
        let (c, p) = (configuration, parameters)
        let variants = c.variants
        let output = c.layerCount - 1
        var update = Update(errors: c.layerSizes.map { [Scalar](repeating: 0, count: $0) }, backpropErrors: [], feedbackErrors: [],
                            loss: SpikingReference.outputLoss(rateTarget: averages.rateTarget[output],
                                                              somaticForward: averages.somaticForward[output], p))
        update.backpropErrors = update.errors

        update.errors[output] = SpikingReference.outputError(rateTarget: averages.rateTarget[output],
                                                             somaticForward: averages.somaticForward[output], p)
        update.backpropErrors[output] = update.errors[output]
        learnForward(layer: output, error: update.errors[output], scale: p.outputLearningScale, averages: averages)

        for l in stride(from: output - 1, through: 0, by: -1) {
            if let feedbackRates = variants.feedbackLearningRates {
                let error = SpikingReference.feedbackError(somaticForward: averages.somaticForward[l],
                                                           plateauForward: averages.plateauForward[l],
                                                           apicalForward: averages.apicalForward[l], p)
                let step = -Scalar(feedbackRates[l])
                SpikingReference.updateWeights(&weights.feedback[l], step: step, error: error, presynaptic: averages.apicalInputForward[l])
                if variants.apicalBias { SpikingReference.updateBias(&weights.apicalBias[l], step: step, error: error) }
                update.feedbackErrors.insert(error, at: 0)
            }
            update.backpropErrors[l] = SpikingReference.backpropError(weightsAbove: weights.forward[l + 1],
                                                                      errorAbove: update.backpropErrors[l + 1],
                                                                      somaticForward: averages.somaticForward[l], p)
            update.errors[l] = variants.backprop
                ? update.backpropErrors[l]
                : SpikingReference.hiddenError(plateauTarget: averages.plateauTarget[l], plateauForward: averages.plateauForward[l],
                                               somaticForward: averages.somaticForward[l], p)
            learnForward(layer: l, error: update.errors[l], scale: p.hiddenLearningScale, averages: averages)
        }

        if variants.symmetric {
            // Weight transport is the same matrix algebra in every mode: the shared pathway.
            precondition(variants.symmetricNoiseSD == nil, "noisy symmetric feedback draws from the training generator")
            var unused = Xoshiro256(seed: 0)
            FeedbackPathway.makeSymmetric(&weights, configuration: c, using: &unused)
        } else if variants.feedbackLearningRates != nil && !weights.feedbackMask.isEmpty {
            // Learned sparse feedback keeps its zeros.
            for l in weights.feedback.indices {
                for i in weights.feedback[l].values.indices where weights.feedbackMask[l][i] { weights.feedback[l].values[i] = 0 }
            }
        }
        return update
    }

    /// W ← W − η P E s̄^fᵀ,  b ← b − η P E
    private mutating func learnForward(layer m: Int, error: [Scalar], scale: Scalar, averages: PhaseAverages<Scalar>) {
        let step = -Scalar(learningRates[m]) * scale
        SpikingReference.updateWeights(&weights.forward[m], step: step, error: error, presynaptic: averages.presynapticForward[m])
        SpikingReference.updateBias(&weights.bias[m], step: step, error: error)
    }

    // MARK: Replay

    /// Replays a recorded run: each training example (its two phases, then a learning step),
    /// each cleared state, and each other phase (a test on this network's state). Returns the
    /// learning steps, in order.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func replay(_ events: [SpikeEvent]) -> [Update] {
        var updates: [Update] = []
        var next = 0
        while next < events.count {
            switch events[next] {
            case let .cleared(inputHistory):
                clearState(inputHistory: inputHistory)
                next += 1
            case let .trainingExample(label):
                guard next + 2 < events.count, case let .phase(forward) = events[next + 1], case let .phase(target) = events[next + 2] else {
                    preconditionFailure("a training example without its two phases")
                }
                updates.append(learn(from: presentTrainingExample(label: label, forward: forward, target: target)))
                next += 3
            case let .phase(phase):
                _ = meanSomaticPotentials(over: phase)
                next += 1
            }
        }
        return updates
    }
}
