/// The constants of the spiking model (MODEL.md §5) as plain values, each converted to `Scalar`
/// from `NeuronParameters` once.
public struct ReferenceParameters<Scalar: DendriteScalar>: Sendable {
    /// λ_max, spikes per step
    public var maximumRate: Scalar
    /// g_L, g_B, g_A, g_D
    public var leakConductance: Scalar, basalConductance: Scalar, apicalConductance: Scalar, dendriticConductance: Scalar
    /// E_E, E_I
    public var excitatoryReversal: Scalar, inhibitoryReversal: Scalar
    /// dt
    public var timeStep: Scalar
    /// k_B = g_B / (g_L + g_B + g_A), k_D = g_D / (g_L + g_D)
    public var basalCoupling: Scalar, dendriticCoupling: Scalar
    /// P_hidden = 20 / λ_max, P_out = 20 / λ_max²
    public var hiddenLearningScale: Scalar, outputLearningScale: Scalar
    /// κ(1), …, κ(mem) (`PSPKernel.value`, the one κ)
    public var kernel: [Scalar]

    public init(_ p: NeuronParameters) {
        maximumRate = Scalar(p.maximumRate)
        leakConductance = Scalar(p.leakConductance)
        basalConductance = Scalar(p.basalConductance)
        apicalConductance = Scalar(p.apicalConductance)
        dendriticConductance = Scalar(p.dendriticConductance)
        excitatoryReversal = Scalar(p.excitatoryReversal)
        inhibitoryReversal = Scalar(p.inhibitoryReversal)
        timeStep = Scalar(p.timeStep)
        basalCoupling = Scalar(p.basalCoupling)
        dendriticCoupling = Scalar(p.dendriticCoupling)
        hiddenLearningScale = Scalar(p.hiddenLearningScale)
        outputLearningScale = Scalar(p.outputLearningScale)
        kernel = (1...p.kernelMemory).map { Scalar(PSPKernel.value(step: $0, p)) }
    }
}

/// The spiking model of MODEL.md §1–§3, one function per equation, each in plain loops: the
/// spec in code. `ReferenceSpikingNetwork` steps a network with these; the fast simulator
/// (`SpikingDynamics`) is tested against it on the same spikes.
public enum SpikingReference {
    // MARK: Synapses

    /// s_j(t) = Σ_{k=1…mem} κ(k) S_j(t−k+1), with `spikeCounts[k − 1]` = S(t−k+1) (newest first;
    /// steps before the first are absent: no spikes) and `kernel[k − 1]` = κ(k).
    public static func postsynapticPotentials<Scalar: DendriteScalar>(spikeCounts: [[Int]], kernel: [Scalar],
                                                                      neurons: Int) -> [Scalar] {
        var s = [Scalar](repeating: 0, count: neurons)
        for k in 1...kernel.count where k <= spikeCounts.count {
            for j in 0..<neurons {
                s[j] += kernel[k - 1] * Scalar(spikeCounts[k - 1][j])
            }
        }
        return s
    }

    /// S_j(t): how often each of `neurons` neurons appears among `spikes`.
    public static func spikeCounts(_ spikes: [Int32], neurons: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: neurons)
        for j in spikes { counts[Int(j)] += 1 }
        return counts
    }

    // MARK: Dendrites

    /// B_i = Σ_j W_ij s_j + b_i (basal dendrite of a hidden neuron; the output neurons' dendrite)
    public static func basalPotential<Scalar: DendriteScalar>(weights W: Matrix<Scalar>, psp s: [Scalar],
                                                              bias b: [Scalar]) -> [Scalar] {
        var basal = [Scalar](repeating: 0, count: W.rows)
        for i in 0..<W.rows {
            var sum: Scalar = 0
            for j in 0..<W.columns { sum += W[i, j] * s[j] }
            basal[i] = sum + b[i]
        }
        return basal
    }

    /// A_i = Σ_j Y_ij s^fb_j + c_i (apical dendrite; s^fb from the feedback layer's spikes up to
    /// the previous step)
    public static func apicalPotential<Scalar: DendriteScalar>(feedback Y: Matrix<Scalar>, psp s: [Scalar],
                                                               bias c: [Scalar]) -> [Scalar] {
        var apical = [Scalar](repeating: 0, count: Y.rows)
        for i in 0..<Y.rows {
            var sum: Scalar = 0
            for j in 0..<Y.columns { sum += Y[i, j] * s[j] }
            apical[i] = sum + c[i]
        }
        return apical
    }

    // MARK: Somata

    /// C ← C + dt·( −g_L C + g_B (B − C) + g_A (A − C) )
    public static func hiddenSomaticStep<Scalar: DendriteScalar>(somatic C: Scalar, basal B: Scalar, apical A: Scalar,
                                                                 _ p: ReferenceParameters<Scalar>) -> Scalar {
        C + p.timeStep * (-p.leakConductance * C + p.basalConductance * (B - C) + p.apicalConductance * (A - C))
    }

    /// g_E = 1, g_I = 0 on the neurons of the correct class (neuron i belongs to class i / k),
    /// g_E = 0, g_I = 1 on all others, in the target phase; both 0 in the forward phase.
    public static func teachingConductances<Scalar: DendriteScalar>(neuron i: Int, label: Int, neuronsPerClass k: Int,
                                                                    target: Bool) -> TeachingConductances<Scalar> {
        guard target else { return .none }
        return i / k == label ? .correctClass : .otherClass
    }

    /// I = g_E (E_E − C) + g_I (E_I − C)
    public static func teachingCurrent<Scalar: DendriteScalar>(somatic C: Scalar, _ g: TeachingConductances<Scalar>,
                                                               _ p: ReferenceParameters<Scalar>) -> Scalar {
        g.excitatory * (p.excitatoryReversal - C) + g.inhibitory * (p.inhibitoryReversal - C)
    }

    /// C ← C + dt·( −g_L C + g_D (B − C) + I )
    public static func outputSomaticStep<Scalar: DendriteScalar>(somatic C: Scalar, basal B: Scalar, teachingCurrent I: Scalar,
                                                                 _ p: ReferenceParameters<Scalar>) -> Scalar {
        C + p.timeStep * (-p.leakConductance * C + p.dendriticConductance * (B - C) + I)
    }

    /// λ = λ_max σ(C)
    public static func firingRate<Scalar: DendriteScalar>(somatic C: Scalar, _ p: ReferenceParameters<Scalar>) -> Scalar {
        p.maximumRate * sigmoid(C)
    }

    // MARK: Phases

    /// x̄ = (1/window) Σ_{t = last−window+1 … last} x(t), for each neuron; `trace[t]` = x(t).
    public static func windowMean<Scalar: DendriteScalar>(_ trace: [[Scalar]], last: Int, window: Int) -> [Scalar] {
        var mean = [Scalar](repeating: 0, count: trace[last].count)
        for t in (last - window + 1)...last {
            for i in mean.indices { mean[i] += trace[t][i] }
        }
        for i in mean.indices { mean[i] /= Scalar(window) }
        return mean
    }

    /// α_i = σ(Ā_i), Ā_i the mean apical voltage over the `window` steps that end `delays[i]`
    /// steps before the phase's last step (0 unless plateau times are random).
    public static func plateauPotentials<Scalar: DendriteScalar>(apicalTrace: [[Scalar]], window: Int,
                                                                 delays: [Int]) -> [Scalar] {
        let last = apicalTrace.count - 1
        return delays.indices.map { i in
            var sum: Scalar = 0
            for t in (last - delays[i] - window + 1)...(last - delays[i]) { sum += apicalTrace[t][i] }
            return sigmoid(sum / Scalar(window))
        }
    }

    // MARK: Learning (MODEL.md §3)

    /// E_i = −(λ̄^t_i − λ_max σ(C̄^f_i)) · k_D λ_max σ'(C̄^f_i)   (output layer)
    public static func outputError<Scalar: DendriteScalar>(rateTarget: [Scalar], somaticForward: [Scalar],
                                                           _ p: ReferenceParameters<Scalar>) -> [Scalar] {
        somaticForward.indices.map { i in
            let c = somaticForward[i]
            return -(rateTarget[i] - p.maximumRate * sigmoid(c)) * p.dendriticCoupling * p.maximumRate * sigmoidDerivative(c)
        }
    }

    /// E_i = −(α^t_i − α^f_i) · k_B λ_max σ'(C̄^f_i)   (hidden layer)
    public static func hiddenError<Scalar: DendriteScalar>(plateauTarget: [Scalar], plateauForward: [Scalar],
                                                           somaticForward: [Scalar], _ p: ReferenceParameters<Scalar>) -> [Scalar] {
        somaticForward.indices.map { i in
            -(plateauTarget[i] - plateauForward[i]) * p.basalCoupling * p.maximumRate * sigmoidDerivative(somaticForward[i])
        }
    }

    /// E_bp,i = Σ_k W^{l+1}_ki E_bp,k^{l+1} · k_B λ_max σ'(C̄^f_i)   (backprop control of hidden layer l)
    public static func backpropError<Scalar: DendriteScalar>(weightsAbove W: Matrix<Scalar>, errorAbove: [Scalar],
                                                             somaticForward: [Scalar], _ p: ReferenceParameters<Scalar>) -> [Scalar] {
        somaticForward.indices.map { i in
            var sum: Scalar = 0
            for k in 0..<W.rows { sum += W[k, i] * errorAbove[k] }
            return sum * p.basalCoupling * p.maximumRate * sigmoidDerivative(somaticForward[i])
        }
    }

    /// E_inv,i = −(λ_max σ(C̄^f_i) − α^f_i) σ'(Ā^f_i)   (learned feedback)
    public static func feedbackError<Scalar: DendriteScalar>(somaticForward: [Scalar], plateauForward: [Scalar],
                                                             apicalForward: [Scalar], _ p: ReferenceParameters<Scalar>) -> [Scalar] {
        somaticForward.indices.map { i in
            -(p.maximumRate * sigmoid(somaticForward[i]) - plateauForward[i]) * sigmoidDerivative(apicalForward[i])
        }
    }

    /// W ← W − η P E s̄ᵀ (`step` = −η P); also Y ← Y − η_b E_inv s̄_Aᵀ (`step` = −η_b)
    public static func updateWeights<Scalar: DendriteScalar>(_ W: inout Matrix<Scalar>, step: Scalar, error E: [Scalar],
                                                             presynaptic s: [Scalar]) {
        for i in 0..<W.rows {
            for j in 0..<W.columns { W.values[i * W.columns + j] += step * E[i] * s[j] }
        }
    }

    /// b ← b − η P E (`step` = −η P); also c ← c − η_b E_inv
    public static func updateBias<Scalar: DendriteScalar>(_ b: inout [Scalar], step: Scalar, error E: [Scalar]) {
        for i in b.indices { b[i] += step * E[i] }
    }

    /// The loss of one image: mean over output neurons of (λ̄^t − λ_max σ(C̄^f))²
    public static func outputLoss<Scalar: DendriteScalar>(rateTarget: [Scalar], somaticForward: [Scalar],
                                                          _ p: ReferenceParameters<Scalar>) -> Scalar {
        var sum: Scalar = 0
        for i in rateTarget.indices {
            let d = rateTarget[i] - p.maximumRate * sigmoid(somaticForward[i])
            sum += d * d
        }
        return sum / Scalar(rateTarget.count)
    }
}
