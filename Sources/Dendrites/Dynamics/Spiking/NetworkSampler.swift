/// The spike sampler of one network (`SpikingOptions.sampler`) with its own working memory: the
/// image's non-zero pixels and their spike probabilities, the SIMD uniform streams (reseeded
/// from the run's generator at the start of every phase), and the thinning or vectorized
/// sampler's buffers for the input and for each layer. `SpikingDynamics` asks it for each
/// step's spikes and knows nothing of how they are drawn.
struct NetworkSampler<Scalar: DendriteScalar> {
    let kind: SpikeSampler
    let maximumRate: Double

    // The image being shown: its non-zero pixels and their spike probabilities p_j.
    private var inputPixels: [Int32] = []
    private var inputProbabilities: [Double] = []
    // The thinning sampler: uniforms in SIMD lanes and working memory for the input
    // (acceptance p_j, labels = the non-zero pixels) and for each layer.
    private var streams: UniformStreams
    private var inputThinning: ThinningBuffers<Scalar>
    private var layerThinning: [ThinningBuffers<Scalar>]
    // The vectorized per-neuron sampler's working memory (`SpikeSampler.vectorized`).
    private var vectorizedInput: VectorizedBuffers<Scalar>
    private var vectorizedLayers: [VectorizedBuffers<Scalar>]

    init(kind: SpikeSampler, maximumRate: Double, inputSize: Int, layerSizes: [Int]) {
        self.kind = kind
        self.maximumRate = maximumRate
        var unseeded = Xoshiro256(seed: 0)
        streams = UniformStreams(seededFrom: &unseeded)
        inputThinning = ThinningBuffers(capacity: inputSize)
        layerThinning = layerSizes.map { ThinningBuffers(capacity: $0) }
        let vectorized = kind == .vectorized
        vectorizedInput = VectorizedBuffers(capacity: vectorized ? inputSize : 0)
        vectorizedLayers = layerSizes.map { VectorizedBuffers(capacity: vectorized ? $0 : 0) }
    }

    /// Shows an image: input rates λ_max p_j, with p_j = pixel / 255.
    mutating func setInput(_ rates: [Scalar]) {
        inputPixels.removeAll(keepingCapacity: true)
        inputProbabilities.removeAll(keepingCapacity: true)
        for (j, rate) in rates.enumerated() where rate > 0 {
            inputPixels.append(Int32(j))
            inputProbabilities.append(Double(rate) / maximumRate)
        }
        for k in inputPixels.indices {
            inputThinning.labels[k] = inputPixels[k]
            inputThinning.inverseAcceptance[k] = Scalar(1 / inputProbabilities[k])
        }
        if kind == .vectorized {
            vectorizedInput.setInput(pixels: inputPixels, probabilities: inputProbabilities, maximumRate: maximumRate)
        }
    }

    /// At the start of every phase: the SIMD streams are reseeded from the run's generator (the
    /// per-neuron reference draws from the generator itself).
    @inline(__always)
    mutating func phaseWillStart(generator: inout Xoshiro256) {
        if kind != .perNeuron { streams = UniformStreams(seededFrom: &generator) }
    }

    /// This step's input spikes, into `history` (advanced by the caller).
    @inline(__always)
    mutating func sampleInput(into history: inout SpikeHistory, generator: inout Xoshiro256) {
        switch kind {
        case .thinning:
            SpikeGeneration.thinned(count: inputPixels.count, maximumRate: maximumRate, streams: &streams,
                                    buffers: &inputThinning, into: &history)
        case .vectorized:
            SpikeGeneration.vectorizedInput(count: inputPixels.count, streams: &streams, buffers: &vectorizedInput, into: &history)
        case .perNeuron:
            SpikeGeneration.perNeuronInput(pixels: inputPixels, probabilities: inputProbabilities, maximumRate: maximumRate,
                                           generator: &generator, into: &history)
        }
    }

    /// This step's spikes of layer `m` from its somatic voltages, into `history` (advanced by the caller).
    @inline(__always)
    mutating func sampleLayer(_ m: Int, somatic: inout [Scalar], into history: inout SpikeHistory, generator: inout Xoshiro256) {
        switch kind {
        case .thinning:
            Self.thinned(somatic: &somatic, maximumRate: maximumRate, streams: &streams,
                         buffers: &layerThinning[m], into: &history)
        case .vectorized:
            Self.vectorized(somatic: &somatic, maximumRate: maximumRate, streams: &streams,
                            buffers: &vectorizedLayers[m], into: &history)
        case .perNeuron:
            SpikeGeneration.perNeuron(somatic: somatic, maximumRate: maximumRate, generator: &generator, into: &history)
        }
    }

    /// The layer's spikes of this step (`SpikeGeneration.thinned`).
    @inline(never)
    private static func thinned(somatic: inout [Scalar], maximumRate: Double, streams: inout UniformStreams,
                                buffers: inout ThinningBuffers<Scalar>, into history: inout SpikeHistory) {
        SpikeGeneration.thinned(somatic: somatic, maximumRate: maximumRate, streams: &streams, buffers: &buffers, into: &history)
    }

    /// The layer's spikes of this step (`SpikeGeneration.vectorized`).
    @inline(never)
    private static func vectorized(somatic: inout [Scalar], maximumRate: Double, streams: inout UniformStreams,
                                   buffers: inout VectorizedBuffers<Scalar>, into history: inout SpikeHistory) {
        SpikeGeneration.vectorized(somatic: somatic, maximumRate: maximumRate, streams: &streams, buffers: &buffers, into: &history)
    }
}

/// The sums over the averaging window of the current phase, from which a training phase's
/// averages (`PhaseAverages`) and a test's mean voltages are read.
struct PhaseSums<Scalar: DendriteScalar> {
    /// Σ C_m
    var somatic: [[Scalar]]
    /// Σ A_l
    var apical: [[Scalar]]
    /// The presynaptic PSP sums behind s̄_m (the forward phase's only).
    var presynaptic: [[Scalar]]
    /// The apical inputs' PSP sums behind s̄_A,l.
    var apicalInput: [[Scalar]]
    /// Σ λ_max σ(C) of the output layer.
    var outputRate: [Scalar]

    init(configuration: NetworkConfiguration) {
        let zeros = { (n: Int) in [Scalar](repeating: 0, count: n) }
        somatic = configuration.layerSizes.map(zeros)
        apical = configuration.hiddenSizes.map(zeros)
        presynaptic = (0..<configuration.layerCount).map { zeros(configuration.inputCount(ofLayer: $0)) }
        apicalInput = (0..<configuration.hiddenLayerCount).map { zeros(configuration.feedbackInputCount(ofHiddenLayer: $0)) }
        outputRate = zeros(configuration.outputSize)
    }

    /// Zeroes the sums a phase fills: the somatic ones always, the others for training phases.
    mutating func clear(training: Bool) {
        for m in somatic.indices { zero(&somatic[m]) }
        if training {
            for m in presynaptic.indices { zero(&presynaptic[m]) }
            for l in apical.indices { zero(&apical[l]); zero(&apicalInput[l]) }
            zero(&outputRate)
        }
    }
}
