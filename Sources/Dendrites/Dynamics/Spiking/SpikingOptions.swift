import RealModule

/// The time course of spiking mode (MODEL.md §2, §4). Defaults are the paper's code.
public struct SpikingOptions: Codable, Equatable, Sendable {
    /// Phase lengths 50 + floor(Wald(2, 1)), drawn afresh for each phase of each image;
    /// false: every phase lasts `minimumPhaseLength` steps.
    public var randomPhaseLengths = true
    public var minimumPhaseLength = 50
    /// Averages are taken over the last this many steps of each training phase.
    public var averagingWindow = 20
    /// Each hidden neuron's plateau comes min(|trunc(N(0, 3))|, 5) steps before the phase ends.
    public var randomPlateauTimes = false
    /// A test shows each image for this many steps and averages over the last `testAveragingWindow`.
    public var testLength = 250
    public var testAveragingWindow = 220
    /// How spike counts are drawn: `thinning` (fast, exact in distribution), `vectorized` (one
    /// uniform per neuron, SIMD, exact in distribution) or `perNeuron` (a Poisson draw for every
    /// neuron every step; the reference).
    public var sampler: SpikeSampler = .thinning

    public init() {}

    /// The longest phase or test this tool accepts, in steps.
    public static let maximumLength = 100_000

    public func validate() throws {
        if !(1...Self.maximumLength).contains(minimumPhaseLength) {
            throw ConfigurationError("--phase-length must lie in 1…\(Self.maximumLength), not \(minimumPhaseLength)")
        }
        if averagingWindow < 1 || averagingWindow > minimumPhaseLength {
            throw ConfigurationError("--averaging-window must lie in 1…\(minimumPhaseLength) (the phase length), not \(averagingWindow)")
        }
        if !(1...Self.maximumLength).contains(testLength) {
            throw ConfigurationError("--test-length must lie in 1…\(Self.maximumLength), not \(testLength)")
        }
        if testAveragingWindow < 1 || testAveragingWindow > testLength {
            throw ConfigurationError("--test-averaging-window must lie in 1…\(testLength) (the test length), not \(testAveragingWindow)")
        }
    }
}

public enum SpikeSampler: String, Codable, CaseIterable, Sendable {
    /// Candidates at rate λ_max, each kept with probability σ(C) (`SpikeGeneration.thinned`).
    case thinning
    /// Every neuron's count by inversion from one uniform, in SIMD lanes (`SpikeGeneration.vectorized`).
    case vectorized
    /// A scalar Poisson draw for every neuron (`SpikeGeneration.perNeuron`): the reference.
    case perNeuron = "per-neuron"
}

/// The post-synaptic potential kernel κ(t) = (e^{−t/τ_L} − e^{−t/τ_s}) / (τ_L − τ_s), truncated
/// to the last `mem` steps: s_j(t) = Σ_{k=1…mem} κ(k) S_j(t−k+1) (MODEL.md §1).
public enum PSPKernel {
    /// κ(1), …, κ(mem)
    public static func values<Scalar: DendriteScalar>(_ p: NeuronParameters) -> [Scalar] {
        (1...p.kernelMemory).map { k in
            let t = Double(k)
            return Scalar((Double.exp(-t / p.kernelDecayTime) - Double.exp(-t / p.kernelRiseTime))
                / (p.kernelDecayTime - p.kernelRiseTime))
        }
    }

    /// The weight of a spike at step `u` in the sum of s_j(t) over the window t ∈ [start, end]:
    /// Σ_{k=1…mem, start ≤ u+k−1 ≤ end} κ(k). The window sum Σ_t s_j(t) is then Σ_u w(u) S_j(u),
    /// one addition per spike instead of one per spike and kernel step.
    public static func windowWeight<Scalar: DendriteScalar>(spikeStep u: Int, windowStart start: Int, windowEnd end: Int,
                                                            kernel: [Scalar]) -> Scalar {
        var weight: Scalar = 0
        for k in 1...kernel.count where (start...end).contains(u + k - 1) { weight += kernel[k - 1] }
        return weight
    }
}

/// The same kernel as two recursive filters per neuron, so that the κ-weighted sum over the last
/// `mem` drives costs O(1) per step instead of O(mem). With a = e^{−1/τ_L}, b = e^{−1/τ_s},
/// c = 1/(τ_L − τ_s), κ(k) = c (a^k − b^k), and D(t) the drive of step t:
///
///   H(t) = Σ_{k=1…mem} b^{k−1} D(t−k+1)  = b H(t−1) + D(t) − b^mem D(t−mem)
///   P(t) = Σ_{k=1…mem} κ(k) D(t−k+1)     = a P(t−1) + c(a−b) H(t) − c a (a^mem − b^mem) D(t−mem)
///
/// P is the synaptic input itself, so nothing large cancels; the recursion is exact up to
/// rounding, whose errors decay by a factor a or b per step.
public struct PSPFilter<Scalar: DendriteScalar>: Sendable {
    /// a = e^{−1/τ_L}, b = e^{−1/τ_s}
    public let slowDecay: Scalar, fastDecay: Scalar
    /// b^mem: the weight in H of the drive that leaves the memory.
    public let fastTail: Scalar
    /// c (a − b): the weight of H(t) in P(t).
    public let fastIntoSlow: Scalar
    /// c a (a^mem − b^mem): the weight in P of the drive that leaves the memory.
    public let slowTail: Scalar
    /// b^{k−1}, k = 1…mem: H(t) computed directly.
    public let fastWeights: [Scalar]

    public init(_ p: NeuronParameters) {
        let a = Double.exp(-1 / p.kernelDecayTime), b = Double.exp(-1 / p.kernelRiseTime)
        let c = 1 / (p.kernelDecayTime - p.kernelRiseTime)
        let m = Double(p.kernelMemory)
        slowDecay = Scalar(a)
        fastDecay = Scalar(b)
        fastTail = Scalar(Double.pow(b, m))
        fastIntoSlow = Scalar(c * (a - b))
        slowTail = Scalar(c * a * (Double.pow(a, m) - Double.pow(b, m)))
        fastWeights = (0..<p.kernelMemory).map { Scalar(Double.pow(b, Double($0))) }
    }
}
