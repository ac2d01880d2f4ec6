/// The physical constants of the neurons (MODEL.md §5). Defaults are the paper's.
public struct NeuronParameters: Codable, Equatable, Sendable {
    /// λ_max: the largest firing rate, spikes per step (200 Hz at dt = 1 ms).
    public var maximumRate: Double = 0.2
    /// τ_s, τ_L: the PSP kernel's rise and decay time constants, in steps.
    public var kernelRiseTime: Double = 3
    public var kernelDecayTime: Double = 10
    /// mem: how many steps of spike history the PSP kernel sees.
    public var kernelMemory: Int = 10
    /// g_B, g_D, g_L, g_A: basal, output-dendrite, leak and apical conductances.
    public var basalConductance: Double = 0.6
    public var dendriticConductance: Double = 0.6
    public var leakConductance: Double = 0.1
    public var apicalConductance: Double = 0
    /// E_E, E_I: reversal potentials of the teaching conductances.
    public var excitatoryReversal: Double = 8
    public var inhibitoryReversal: Double = -8
    /// dt: one time step.
    public var timeStep: Double = 1

    public init() {}

    /// k_B = g_B / (g_L + g_B + g_A)
    public var basalCoupling: Double { basalConductance / (leakConductance + basalConductance + apicalConductance) }
    /// k_D = g_D / (g_L + g_D)
    public var dendriticCoupling: Double { dendriticConductance / (leakConductance + dendriticConductance) }
    /// P_hidden = 20 / λ_max
    public var hiddenLearningScale: Double { 20 / maximumRate }
    /// P_out = 20 / λ_max²
    public var outputLearningScale: Double { 20 / (maximumRate * maximumRate) }
}
