import RealModule

// The synapse of MODEL.md §1: the PSP kernel κ, the convolution s(t) = Σ_k κ(k) S(t−k+1) of a
// spike history, the window weights that sum it over an averaging window, and the recursive
// filters that keep it per postsynaptic neuron (`SynapticProjection`).

/// The post-synaptic potential kernel κ(t) = (e^{−t/τ_L} − e^{−t/τ_s}) / (τ_L − τ_s), truncated
/// to the last `mem` steps: s_j(t) = Σ_{k=1…mem} κ(k) S_j(t−k+1) (MODEL.md §1).
public enum PSPKernel {
    /// κ(k) = (e^{−k/τ_L} − e^{−k/τ_s}) / (τ_L − τ_s), at t = k steps.
    public static func value(step k: Int, _ p: NeuronParameters) -> Double {
        let t = Double(k)
        return (Double.exp(-t / p.kernelDecayTime) - Double.exp(-t / p.kernelRiseTime)) / (p.kernelDecayTime - p.kernelRiseTime)
    }

    /// κ(1), …, κ(mem)
    public static func values<Scalar: DendriteScalar>(_ p: NeuronParameters) -> [Scalar] {
        (1...p.kernelMemory).map { Scalar(value(step: $0, p)) }
    }

    /// sum_j += s_j(t) = Σ_{k=1…mem} κ(k) S_j(t−k+1), from the spikes of the history's last `mem`
    /// steps (t: the newest; `kernel[k − 1]` = κ(k)): the convolution, with one addition per spike.
    @inline(__always)
    public static func addPotentials<Scalar: DendriteScalar>(of history: SpikeHistory, kernel: [Scalar], into sum: inout [Scalar]) {
        sum.withUnsafeMutableBufferPointer { s in
            for k in 0..<history.memory {
                let weight = kernel[k]
                history.withSpikes(inSlot: history.slot(lag: k)) { spikes in
                    for j in spikes { s[Int(j)] += weight }
                }
            }
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
