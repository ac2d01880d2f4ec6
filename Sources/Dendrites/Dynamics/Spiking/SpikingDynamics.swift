import Foundation
import RealModule

/// Spiking mode, as the paper ran it (MODEL.md §1–§4): Poisson spikes at every layer
/// including the input, the truncated PSP kernel κ, conductance-based somatic integration,
/// phases of 50 + floor(Wald(2, 1)) steps averaged over their last 20 steps, plateau
/// potentials at the end of each phase, and no reset between training images.
///
/// Within a step (MODEL.md §1): new input spikes; hidden layer 0 (basal input from this
/// step's input spikes, apical input from the previous step's feedback spikes); hidden
/// layer 1 (basal from layer 0's spikes of this step); …; the output layer last.
public struct SpikingDynamics<Scalar: DendriteScalar>: NetworkDynamics {
    public let configuration: NetworkConfiguration
    public let options: SpikingOptions
    let soma: SomaticDynamics<Scalar>
    let kernel: [Scalar]

    // Spikes and synaptic input. Index m: all layers; l: hidden layers.
    var inputHistory: SpikeHistory
    var histories: [SpikeHistory]
    var forwardProjections: [SynapticProjection<Scalar>]   // into layer m
    var feedbackProjections: [SynapticProjection<Scalar>]  // into hidden layer l
    /// The layer whose spikes reach hidden layer l's apical dendrites.
    let feedbackSources: [Int]

    // Compartments.
    public private(set) var basal: [[Scalar]]     // B_m
    public private(set) var apical: [[Scalar]]    // A_l
    public private(set) var somatic: [[Scalar]]   // C_m
    private var teaching: [TeachingConductances<Scalar>]

    /// Draws every step's spikes, with its own working memory (`NetworkSampler`).
    private var sampler: NetworkSampler<Scalar>

    // Sums over the averaging window of the current phase.
    private var sums: PhaseSums<Scalar>
    /// The apical voltages of the last window + 5 steps (random plateau times only).
    private var apicalRing: [[Scalar]]
    private var plateauDelays: [[Int]]
    private let ringLength: Int
    private var weightsLoaded = false
    /// Learning steps applied in place since the last full reload of the weights.
    private var updatesSinceReload = 0
    /// Whether the W_0 kept here has learning steps that the learner's `weights.forward[0]`
    /// lacks (see `learn`; `synchronize` hands them over).
    private var bottomWeightsAhead = false
    /// In-place updates drift from the learner's matrices only by rounding, and the cached drives
    /// from their matrices; a reload (or, for a W_0 kept here alone, a rebuild of its drives)
    /// this often keeps them equal to ~1e-15.
    public var reloadInterval = 1000
    /// Sees every step's spikes, the phases and the random plateau times (`SpikeObserver`; a
    /// `SpikeRecorder` feeds `ReferenceSpikingNetwork`). Nil: nothing is recorded, and a step
    /// costs one nil check more. Copies of the dynamics share it.
    public var spikeObserver: (any SpikeObserver)? = nil

    public init(configuration: NetworkConfiguration, options: SpikingOptions = SpikingOptions()) {
        self.configuration = configuration
        self.options = options
        soma = SomaticDynamics(configuration.neuron)
        kernel = PSPKernel.values(configuration.neuron)
        let memory = configuration.neuron.kernelMemory
        let sizes = configuration.layerSizes
        let expected = { (n: Int) in Int(Double(n) * configuration.neuron.maximumRate * 2) + 8 }
        inputHistory = SpikeHistory(memory: memory, expectedSpikesPerStep: expected(configuration.inputSize))
        histories = sizes.map { SpikeHistory(memory: memory, expectedSpikesPerStep: expected($0)) }
        forwardProjections = (0..<sizes.count).map {
            SynapticProjection(presynaptic: configuration.inputCount(ofLayer: $0), postsynaptic: sizes[$0], memory: memory,
                               neuron: configuration.neuron)
        }
        feedbackSources = (0..<configuration.hiddenLayerCount).map {
            configuration.feedbackWiring == .broadcast ? configuration.layerCount - 1 : $0 + 1
        }
        feedbackProjections = (0..<configuration.hiddenLayerCount).map {
            SynapticProjection(presynaptic: configuration.feedbackInputCount(ofHiddenLayer: $0), postsynaptic: sizes[$0], memory: memory,
                               neuron: configuration.neuron,
                               evaluation: configuration.feedbackInputCount(ofHiddenLayer: $0) <= Self.onDemandFeedbackLimit ? .onDemand : .eventDriven)
        }
        let zeros = { (n: Int) in [Scalar](repeating: 0, count: n) }
        basal = sizes.map(zeros)
        somatic = sizes.map(zeros)
        apical = configuration.hiddenSizes.map(zeros)
        teaching = Array(repeating: .none, count: configuration.outputSize)
        sums = PhaseSums(configuration: configuration)
        ringLength = options.averagingWindow + 5
        apicalRing = options.randomPlateauTimes ? configuration.hiddenSizes.map { zeros($0 * (options.averagingWindow + 5)) } : []
        plateauDelays = configuration.hiddenSizes.map { [Int](repeating: 0, count: $0) }
        sampler = NetworkSampler(kind: options.sampler, maximumRate: configuration.neuron.maximumRate,
                                 inputSize: configuration.inputSize, layerSizes: sizes)
    }

    /// The layer whose spikes reach hidden layer l's apical dendrites.
    func feedbackSource(ofHiddenLayer l: Int) -> Int { feedbackSources[l] }

    /// Feedback from at most this many neurons (the output layer's, in the paper's networks) is
    /// computed only when the apical potential is read, in the averaging windows (without an
    /// apical conductance; with one, every step): `SynapticProjection.Evaluation.onDemand`.
    static var onDemandFeedbackLimit: Int { 32 }

    // MARK: State

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func weightsDidChange(_ weights: NetworkWeights<Scalar>) {
        for m in forwardProjections.indices {
            forwardProjections[m].load(weights.forward[m], history: m == 0 ? inputHistory : histories[m - 1])
        }
        for l in feedbackProjections.indices {
            feedbackProjections[l].load(weights.feedback[l], history: histories[feedbackSource(ofHiddenLayer: l)])
        }
        weightsLoaded = true
        updatesSinceReload = 0
        bottomWeightsAhead = false
    }

    /// With hidden layers, W_0 (the largest matrix) lives in the bottom projection's transposed
    /// copy during training, updated in place after every image (the rows with s̄_j ≠ 0 only):
    /// the learner's `weights.forward[0]` is left behind, as updating it too would cost a pass
    /// over the whole matrix per image, until `synchronize` copies it over. Nothing in the
    /// learning rule reads W_0 (it reads W_{l+1}); biases and every other matrix are the
    /// learner's, updated as always.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func learn(_ rule: inout LearningRule<Scalar>, weights: inout NetworkWeights<Scalar>,
                               averages: PhaseAverages<Scalar>, generator: inout Xoshiro256) -> Scalar {
        let keepsBottom = configuration.hiddenLayerCount > 0
        let loss = rule.update(&weights, from: averages, generator: &generator, updatingBottomForward: !keepsBottom)
        if keepsBottom { bottomWeightsAhead = true }
        weightsDidLearn(weights, rule: rule, averages: averages, keepsBottom: keepsBottom)
        return loss
    }

    /// Copies the W_0 kept here, with every learning step, into `weights.forward[0]` (see `learn`).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func synchronize(_ weights: inout NetworkWeights<Scalar>) {
        guard bottomWeightsAhead else { return }
        forwardProjections[0].copyMatrix(into: &weights.forward[0])
        bottomWeightsAhead = false
    }

    /// Applies the learning step to the transposed copies and cached drives in place (the
    /// forward update is rank one), instead of reloading every matrix. Every `reloadInterval`
    /// images the copies are reloaded from `weights` and the drives rebuilt, which keeps the
    /// in-place updates from drifting (by rounding) from the learner's matrices; W_0, when the
    /// learner leaves it to the dynamics, is kept here alone, and only its drives are rebuilt.
    private mutating func weightsDidLearn(_ weights: NetworkWeights<Scalar>, rule: LearningRule<Scalar>,
                                          averages: PhaseAverages<Scalar>, keepsBottom: Bool) {
        precondition(weightsLoaded || !keepsBottom, "the dynamics holds no W_0 to update")
        updatesSinceReload += 1
        guard weightsLoaded, updatesSinceReload < reloadInterval || keepsBottom else {
            weightsDidChange(weights)
            return
        }
        let steps = rule.stepSizes
        for m in forwardProjections.indices where steps[m] != 0 {
            forwardProjections[m].applyRankOneUpdate(
                scale: steps[m], postsynaptic: rule.errors[m], presynaptic: averages.presynapticForward[m],
                history: m == 0 ? inputHistory : histories[m - 1])
        }
        if updatesSinceReload >= reloadInterval {
            forwardProjections[0].rebuild(from: inputHistory)
            for m in forwardProjections.indices.dropFirst() {
                forwardProjections[m].load(weights.forward[m], history: histories[m - 1])
            }
            for l in feedbackProjections.indices {
                feedbackProjections[l].load(weights.feedback[l], history: histories[feedbackSource(ofHiddenLayer: l)])
            }
            updatesSinceReload = 0
        } else if rule.changesFeedback {
            for l in feedbackProjections.indices {
                feedbackProjections[l].load(weights.feedback[l], history: histories[feedbackSource(ofHiddenLayer: l)])
            }
        }
    }

    /// The largest relative difference between the cached event-driven synaptic input of every
    /// projection and the direct dense computation with `weights`: a consistency check.
    public func cachedInputDeviation(from weights: NetworkWeights<Scalar>) -> Double {
        var worst = 0.0
        func compare(_ projection: SynapticProjection<Scalar>, _ matrix: Matrix<Scalar>, _ history: SpikeHistory) {
            let zeros = [Scalar](repeating: 0, count: projection.postsynapticCount)
            var cached = zeros
            projection.current(base: zeros, into: &cached)
            let direct = SynapticProjection<Scalar>.directCurrent(matrix: matrix, history: history, kernel: kernel, base: zeros)
            let scale = max(direct.map { abs(Double($0)) }.max() ?? 0, 1e-300)
            for (a, b) in zip(cached, direct) { worst = max(worst, abs(Double(a) - Double(b)) / scale) }
        }
        for m in forwardProjections.indices {
            compare(forwardProjections[m], weights.forward[m], m == 0 ? inputHistory : histories[m - 1])
        }
        for l in feedbackProjections.indices {
            compare(feedbackProjections[l], weights.feedback[l], histories[feedbackSource(ofHiddenLayer: l)])
        }
        return worst
    }

    /// Clears every layer's voltages and spike history; the input spike history is kept
    /// (as after a test in the authors' code, MODEL.md §4).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func clearState() {
        clearLayers()
        spikeObserver?.stateWasCleared(inputHistory: false)
    }

    /// Clears everything, the input spike history too (before each test image).
    public mutating func reset() {
        inputHistory.clear()
        clearLayers()
        spikeObserver?.stateWasCleared(inputHistory: true)
    }

    private mutating func clearLayers() {
        for m in histories.indices {
            histories[m].clear()
            zero(&basal[m]); zero(&somatic[m])
        }
        for l in apical.indices { zero(&apical[l]) }
        refreshDrives()
    }

    private mutating func refreshDrives() {
        for m in forwardProjections.indices {
            forwardProjections[m].rebuild(from: m == 0 ? inputHistory : histories[m - 1])
        }
        for l in feedbackProjections.indices {
            feedbackProjections[l].rebuild(from: histories[feedbackSource(ofHiddenLayer: l)])
        }
    }

    /// Shows an image: input rates λ_max p_j, with p_j = pixel / 255.
    public mutating func setInput(_ rates: [Scalar]) {
        sampler.setInput(rates)
    }

    // MARK: One time step

    /// What a step must keep beyond the voltages.
    struct Bookkeeping {
        var computeApical: Bool
        var accumulate: Bool
        var trainingAverages: Bool
        /// The presynaptic PSP sums s̄ (only the forward phase's reach the learning rule).
        var presynapticAverages: Bool
        /// The weight of this step's spikes in the presynaptic window sums (`PSPKernel.windowWeight`).
        var presynapticWeight: Scalar
    }

    mutating func step(weights: NetworkWeights<Scalar>, target: Bool, bookkeeping: Bookkeeping, generator: inout Xoshiro256) {
        let output = configuration.layerCount - 1
        inputHistory.advance()
        sampler.sampleInput(into: &inputHistory, generator: &generator)
        if bookkeeping.presynapticWeight != 0 {
            Self.addSpikes(of: inputHistory, weight: bookkeeping.presynapticWeight, into: &sums.presynaptic[0])
        }
        // B = W s(t) + b, for each layer as soon as the layer below has spiked.
        // (A hidden layer's B = W s(t) + b is formed in its soma update, from the projection's W s(t).)
        if output == 0 {
            Self.push(&forwardProjections[0], newestOf: &inputHistory, bias: weights.bias, layer: 0, into: &basal[0])
        } else {
            Self.push(&forwardProjections[0], newestOf: &inputHistory)
        }

        for m in 0...output {
            if m < output {
                let source = feedbackSources[m]
                if bookkeeping.computeApical {
                    // A = Y s_fb(t−1) + c: the source layer has not spiked yet this step.
                    Self.current(of: &feedbackProjections[m], apicalBias: weights.apicalBias, layer: m, into: &apical[m])
                }
                Self.updateHiddenSoma(soma, input: &forwardProjections[m], bias: weights.bias, layer: m,
                                      basal: &basal[m], apical: &apical[m], somatic: &somatic[m])
                if bookkeeping.accumulate && bookkeeping.presynapticAverages {
                    PSPKernel.addPotentials(of: histories[source], kernel: kernel, into: &sums.apicalInput[m])
                }
            } else {
                Self.updateOutputSoma(soma, basal: &basal[m], teaching: &teaching, target: target, somatic: &somatic[m])
            }
            if bookkeeping.accumulate {
                Self.add(&somatic[m], to: &sums.somatic[m])
                if bookkeeping.trainingAverages {
                    if m < output { Self.add(&apical[m], to: &sums.apical[m]) }
                    else { for i in somatic[m].indices { sums.outputRate[i] += soma.rate(somatic: somatic[m][i]) } }
                }
            }
            // Spikes, then hand them to the projections that read this layer.
            histories[m].advance()
            sampler.sampleLayer(m, somatic: &somatic[m], into: &histories[m], generator: &generator)
            if m < output && bookkeeping.presynapticWeight != 0 {
                Self.addSpikes(of: histories[m], weight: bookkeeping.presynapticWeight, into: &sums.presynaptic[m + 1])
            }
            if m < output {
                if m + 1 == output {
                    Self.push(&forwardProjections[m + 1], newestOf: &histories[m], bias: weights.bias, layer: m + 1, into: &basal[m + 1])
                } else {
                    Self.push(&forwardProjections[m + 1], newestOf: &histories[m])
                }
            }
            for l in feedbackSources.indices where feedbackSources[l] == m {
                Self.push(&feedbackProjections[l], newestOf: &histories[m])
            }
        }
        if let observer = spikeObserver {
            observer.stepDidEnd(StepSpikes(input: Array(inputHistory.spikes(inSlot: inputHistory.head)),
                                           layers: histories.map { Array($0.spikes(inSlot: $0.head)) }))
        }
    }

    // The step's calls take the arrays they only read (elements of the layer arrays) inout as well:
    // an inout element costs a uniqueness check, where passing it by value costs an atomic retain
    // and release, and these run several times per layer and step.

    /// B = W s(t) + b, then C ← C + dt·( −g_L C + g_B (B − C) + g_A (A − C) ), in one pass.
    @inline(never)
    private static func updateHiddenSoma(_ soma: SomaticDynamics<Scalar>, input: inout SynapticProjection<Scalar>,
                                         bias: [[Scalar]], layer: Int, basal: inout [Scalar], apical: inout [Scalar],
                                         somatic: inout [Scalar]) {
        let n = basal.count
        input.withSynapticInput { p in
            bias[layer].withUnsafeBufferPointer { w in
                somatic.withUnsafeMutableBufferPointer { c in
                    basal.withUnsafeMutableBufferPointer { b in
                        apical.withUnsafeBufferPointer { a in
                            if soma.apical == 0 {  // (A is then not even read)
                                for i in 0..<n {
                                    b[i] = p[i] + w[i]
                                    c[i] = soma.hiddenStep(somatic: c[i], basal: b[i])
                                }
                            } else {
                                for i in 0..<n {
                                    b[i] = p[i] + w[i]
                                    c[i] = soma.hiddenStep(somatic: c[i], basal: b[i], apical: a[i])
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// B = M s(t) + b from the newest spikes of `history` (the forward projection into `layer`).
    @inline(never)
    private static func push(_ projection: inout SynapticProjection<Scalar>, newestOf history: inout SpikeHistory,
                             bias: [[Scalar]], layer: Int, into result: inout [Scalar]) {
        let head = history.head
        history.withSpikes(inSlot: head) { projection.push($0, slot: head) }
        projection.current(bases: bias, layer: layer, into: &result)
    }

    /// The newest spikes of `history` into a feedback projection (read at the next step).
    @inline(never)
    private static func push(_ projection: inout SynapticProjection<Scalar>, newestOf history: inout SpikeHistory) {
        let head = history.head
        history.withSpikes(inSlot: head) { projection.push($0, slot: head) }
    }

    /// A = Y s_fb(t−1) + c
    @inline(never)
    private static func current(of projection: inout SynapticProjection<Scalar>, apicalBias: [[Scalar]], layer: Int,
                                into result: inout [Scalar]) {
        projection.refreshPresynapticPotentials()
        projection.current(bases: apicalBias, layer: layer, into: &result)
    }

    /// sum += values
    @inline(__always)
    private static func add(_ values: inout [Scalar], to sum: inout [Scalar]) {
        sum.withUnsafeMutableBufferPointer { s in
            values.withUnsafeBufferPointer { v in
                for i in 0..<v.count { s[i] += v[i] }
            }
        }
    }

    /// C ← C + dt·( −g_L C + g_D (B − C) + I )
    @inline(never)
    private static func updateOutputSoma(_ soma: SomaticDynamics<Scalar>, basal: inout [Scalar], teaching: inout [TeachingConductances<Scalar>],
                                         target: Bool, somatic: inout [Scalar]) {
        somatic.withUnsafeMutableBufferPointer { c in
            basal.withUnsafeBufferPointer { b in
                teaching.withUnsafeBufferPointer { g in
                    for i in 0..<c.count {
                        c[i] = soma.outputStep(somatic: c[i], basal: b[i], teaching: target ? g[i] : .none)
                    }
                }
            }
        }
    }

    /// sum_j += weight for each spike of the history's step `lag` steps before the newest.
    private static func addSpikes(of history: SpikeHistory, lag: Int = 0, weight: Scalar, into sum: inout [Scalar]) {
        sum.withUnsafeMutableBufferPointer { s in
            history.withSpikes(inSlot: history.slot(lag: lag)) { spikes in
                for j in spikes { s[Int(j)] += weight }
            }
        }
    }

    // MARK: Phases

    /// Runs one phase of `length` steps and leaves its window sums in the accumulators.
    mutating func runPhase(length: Int, window: Int, target: Bool, trainingAverages: Bool,
                           weights: NetworkWeights<Scalar>, generator: inout Xoshiro256) {
        sums.clear(training: trainingAverages)
        // With g_A = 0 the apical potential reaches nothing but the window averages (and, for
        // random plateau times, the 5 steps before the window), so it is computed only there.
        let apicalAlways = configuration.neuron.apicalConductance != 0
        let apicalFrom = trainingAverages ? length - window - (options.randomPlateauTimes ? 5 : 0) : length
        sampler.phaseWillStart(generator: &generator)
        spikeObserver?.phaseWillStart(length: length, window: window, target: target, training: trainingAverages)
        let presynapticAverages = trainingAverages && !target
        if presynapticAverages && length - window < kernel.count {
            // Spikes from before the phase still in memory reach a window that starts this early.
            for lag in 0..<(kernel.count - 1) {
                let weight = PSPKernel.windowWeight(spikeStep: -1 - lag, windowStart: length - window, windowEnd: length - 1,
                                                    kernel: kernel)
                if weight == 0 { continue }
                Self.addSpikes(of: inputHistory, lag: lag, weight: weight, into: &sums.presynaptic[0])
                for m in 1..<sums.presynaptic.count {
                    Self.addSpikes(of: histories[m - 1], lag: lag, weight: weight, into: &sums.presynaptic[m])
                }
            }
        }
        for t in 0..<length {
            // s̄ sums s(t) over the window; a spike of step t counts there with its window weight.
            let presynapticWeight = presynapticAverages
                ? PSPKernel.windowWeight(spikeStep: t, windowStart: length - window, windowEnd: length - 1, kernel: kernel) : 0
            let book = Bookkeeping(computeApical: apicalAlways || t >= apicalFrom, accumulate: t >= length - window,
                                   trainingAverages: trainingAverages, presynapticAverages: presynapticAverages,
                                   presynapticWeight: presynapticWeight)
            step(weights: weights, target: target, bookkeeping: book, generator: &generator)
            if trainingAverages && options.randomPlateauTimes {
                for l in apicalRing.indices {
                    let n = apical[l].count
                    let row = (t % ringLength) * n
                    for i in 0..<n { apicalRing[l][row + i] = apical[l][i] }
                }
            }
        }
    }

    /// α_l = σ(mean A over the window): at the phase's end, or (random plateau times) for each
    /// neuron the window ending its own delay before the end.
    private mutating func plateaus(layer l: Int, phaseLength: Int, window: Int, into alpha: inout [Scalar], generator: inout Xoshiro256) {
        let n = apical[l].count
        if !options.randomPlateauTimes {
            for i in 0..<n { alpha[i] = soma.plateau(meanApical: sums.apical[l][i] / Scalar(window)) }
            return
        }
        for i in 0..<n {
            // min(|trunc(N(0, 3))|, 5) steps before the end.
            let delay = min(min(Int(abs(3 * generator.standardNormal())), 5), phaseLength - window)
            plateauDelays[l][i] = delay
            var sum: Scalar = 0
            let last = phaseLength - 1 - delay
            for t in (last - window + 1)...last { sum += apicalRing[l][(t % ringLength) * n + i] }
            alpha[i] = soma.plateau(meanApical: sum / Scalar(window))
        }
        spikeObserver?.plateauTimesDrawn(layer: l, delays: plateauDelays[l])
    }

    private func phaseLength(_ generator: inout Xoshiro256) -> Int {
        guard options.randomPhaseLengths else { return options.minimumPhaseLength }
        return options.minimumPhaseLength + Int(generator.wald(mean: 2, shape: 1).rounded(.down))
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func presentTrainingExample(
        input: [Scalar], label: Int, weights: NetworkWeights<Scalar>,
        averages: inout PhaseAverages<Scalar>, generator: inout Xoshiro256
    ) {
        if !weightsLoaded { weightsDidChange(weights) }
        spikeObserver?.trainingExampleWillStart(label: label)
        setInput(input)
        let window = options.averagingWindow
        let scale = 1 / Scalar(window)
        let output = configuration.layerCount - 1

        // Forward phase.
        let forwardLength = phaseLength(&generator)
        runPhase(length: forwardLength, window: window, target: false, trainingAverages: true, weights: weights, generator: &generator)
        // Mean rates λ̄ only for the output layer: the learning rule reads no hidden layer's.
        for m in 0...output {
            scaledCopy(sums.somatic[m], by: scale, into: &averages.somaticForward[m])
            scaledCopy(sums.presynaptic[m], by: scale, into: &averages.presynapticForward[m])
        }
        scaledCopy(sums.outputRate, by: scale, into: &averages.rateForward[output])
        for l in 0..<configuration.hiddenLayerCount {
            scaledCopy(sums.apical[l], by: scale, into: &averages.apicalForward[l])
            scaledCopy(sums.apicalInput[l], by: scale, into: &averages.apicalInputForward[l])
            plateaus(layer: l, phaseLength: forwardLength, window: window, into: &averages.plateauForward[l], generator: &generator)
        }

        // Target phase.
        let k = configuration.neuronsPerClass
        for i in teaching.indices { teaching[i] = i / k == label ? .correctClass : .otherClass }
        let targetLength = phaseLength(&generator)
        runPhase(length: targetLength, window: window, target: true, trainingAverages: true, weights: weights, generator: &generator)
        scaledCopy(sums.outputRate, by: scale, into: &averages.rateTarget[output])
        for l in 0..<configuration.hiddenLayerCount {
            plateaus(layer: l, phaseLength: targetLength, window: window, into: &averages.plateauTarget[l], generator: &generator)
        }
    }

    /// A test (MODEL.md §4): from a cleared state, one forward phase of `testLength` steps; the
    /// mean output somatic voltage over the last `testAveragingWindow` steps.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func testPotentials(input: [Scalar], weights: NetworkWeights<Scalar>, generator: inout Xoshiro256) -> [Scalar] {
        testLayerPotentials(input: input, weights: weights, generator: &generator).last!
    }

}

/// result = values · scale
@inline(__always)
func scaledCopy<Scalar: DendriteScalar>(_ values: [Scalar], by scale: Scalar, into result: inout [Scalar]) {
    precondition(result.count == values.count)
    result.withUnsafeMutableBufferPointer { r in
        values.withUnsafeBufferPointer { v in
            for i in 0..<v.count { r[i] = v[i] * scale }
        }
    }
}

/// Tests of spiking mode, one image per task on all cores. Each image has its own generator,
/// seeded from the run seed and the image index, so results do not depend on the thread count.
public struct SpikingEvaluator<Scalar: DendriteScalar>: NetworkEvaluator {
    public let configuration: NetworkConfiguration
    public let options: SpikingOptions
    public var threads: Int

    public init(configuration: NetworkConfiguration, options: SpikingOptions = SpikingOptions(),
                threads: Int = ComputeThreads.available) {
        self.configuration = configuration
        self.options = options
        self.threads = max(1, threads)
    }

    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func outputPotentials(
        images: LabeledImages, indices: [Int], weights: NetworkWeights<Scalar>, seed: UInt64
    ) -> [[Scalar]] {
        forEachImage(images: images, indices: indices, weights: weights, seed: seed) { dynamics, input, weights, generator in
            dynamics.testPotentials(input: input, weights: weights, generator: &generator)
        }
    }

    /// Runs `test` for each image on all cores: one dynamics per worker, one generator per
    /// image seeded from `seed` and the image index. Results come back in the order of `indices`.
    func forEachImage<Result>(
        images: LabeledImages, indices: [Int], weights: NetworkWeights<Scalar>, seed: UInt64,
        _ test: @escaping (inout SpikingDynamics<Scalar>, [Scalar], NetworkWeights<Scalar>, inout Xoshiro256) -> Result
    ) -> [Result] {
        var results = [Result?](repeating: nil, count: indices.count)
        let workers = min(threads, indices.count)
        guard workers > 0 else { return [] }
        let maximumRate = Scalar(configuration.neuron.maximumRate)
        let (configuration, options) = (self.configuration, self.options)
        results.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var dynamics = SpikingDynamics<Scalar>(configuration: configuration, options: options)
                dynamics.weightsDidChange(weights)
                var input = [Scalar](repeating: 0, count: configuration.inputSize)
                var row = worker
                while row < indices.count {
                    let index = indices[row]
                    inputRates(images.image(index), maximumRate: maximumRate, into: &input)
                    var generator = Xoshiro256(seed: seed, stream: UInt64(index) + 1)
                    out[row] = test(&dynamics, input, weights, &generator)
                    row += workers
                }
            }
        }
        return results.map { $0! }
    }
}

// Every layer's test potentials, for measurements (per-layer read-outs).
extension SpikingDynamics {
    /// As `testPotentials`, but the mean somatic voltage C̄ of every layer (hidden layers, then
    /// the output layer) over the test's averaging window.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public mutating func testLayerPotentials(input: [Scalar], weights: NetworkWeights<Scalar>, generator: inout Xoshiro256) -> [[Scalar]] {
        if !weightsLoaded { weightsDidChange(weights) }
        reset()
        setInput(input)
        runPhase(length: options.testLength, window: options.testAveragingWindow, target: false,
                 trainingAverages: false, weights: weights, generator: &generator)
        let scale = 1 / Scalar(options.testAveragingWindow)
        return sums.somatic.map { $0.map { $0 * scale } }
    }
}

extension SpikingEvaluator {
    /// Every layer's mean test potentials C̄ for each image (row per index; inside, one array
    /// per layer), seeded as `outputPotentials` is, on all cores.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func layerPotentials(
        images: LabeledImages, indices: [Int], weights: NetworkWeights<Scalar>, seed: UInt64
    ) -> [[[Scalar]]] {
        forEachImage(images: images, indices: indices, weights: weights, seed: seed) { dynamics, input, weights, generator in
            dynamics.testLayerPotentials(input: input, weights: weights, generator: &generator)
        }
    }

    /// Every layer's test activity: λ_max σ(C̄) of each layer's mean somatic voltage over the
    /// test window (as `PhaseAverages` gives hidden rates), and the output potentials C̄.
    public func testActivity(
        images: LabeledImages, indices: [Int], weights: NetworkWeights<Scalar>, seed: UInt64
    ) -> TestActivity {
        let (r, soma) = (configuration.neuron.maximumRate, SomaticDynamics<Double>(configuration.neuron))
        let potentials = layerPotentials(images: images, indices: indices, weights: weights, seed: seed)
        var layers = [TestActivity.inputRates(images: images, indices: indices, maximumRate: r)]
        var output: [Double] = []
        for m in 0..<configuration.layerCount {
            let n = configuration.layerSizes[m]
            var values = [Double]()
            values.reserveCapacity(indices.count * n)
            for row in potentials {
                let potential = doubles(row[m])
                values += potential.map { soma.rate(somatic: $0) }
                if m == configuration.layerCount - 1 { output += potential }
            }
            layers.append(Matrix(rows: indices.count, columns: n, values: values))
        }
        return TestActivity(outputPotentials: Matrix(rows: indices.count, columns: configuration.layerSizes.last!, values: output),
                            layerRates: layers)
    }

    public func limited(toThreads threads: Int) -> SpikingEvaluator {
        var limited = self
        limited.threads = max(1, min(self.threads, threads))
        return limited
    }
}
