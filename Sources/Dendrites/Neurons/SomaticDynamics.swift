/// The neuron equations of MODEL.md §1, §2 and §8, each in one line, for both modes: the
/// somatic voltage updates, the rate λ and the plateau α. Every other file calls these; none
/// writes its own (except the spiking reference stepper, the spec they are tested against).
public struct SomaticDynamics<Scalar: DendriteScalar>: Sendable {
    public let leak: Scalar            // g_L
    public let basal: Scalar           // g_B
    public let apical: Scalar          // g_A
    public let dendritic: Scalar       // g_D
    public let excitatoryReversal: Scalar  // E_E
    public let inhibitoryReversal: Scalar  // E_I
    public let timeStep: Scalar        // dt
    public let basalCoupling: Scalar   // k_B
    public let dendriticCoupling: Scalar   // k_D
    public let maximumRate: Scalar     // λ_max

    public init(_ p: NeuronParameters) {
        leak = Scalar(p.leakConductance)
        basal = Scalar(p.basalConductance)
        apical = Scalar(p.apicalConductance)
        dendritic = Scalar(p.dendriticConductance)
        excitatoryReversal = Scalar(p.excitatoryReversal)
        inhibitoryReversal = Scalar(p.inhibitoryReversal)
        timeStep = Scalar(p.timeStep)
        basalCoupling = Scalar(p.basalCoupling)
        dendriticCoupling = Scalar(p.dendriticCoupling)
        maximumRate = Scalar(p.maximumRate)
    }

    // MARK: Spiking mode: conductance-based leaky integration, one Euler step of dt.

    /// Hidden soma: C ← C + dt·( −g_L C + g_B (B − C) + g_A (A − C) )
    @inlinable
    public func hiddenStep(somatic C: Scalar, basal B: Scalar, apical A: Scalar) -> Scalar {
        C + timeStep * (-leak * C + basal * (B - C) + apical * (A - C))
    }

    /// Hidden soma without apical coupling (g_A = 0, the paper's setting): C ← C + dt·( −g_L C + g_B (B − C) )
    @inlinable
    public func hiddenStep(somatic C: Scalar, basal B: Scalar) -> Scalar {
        C + timeStep * (-leak * C + basal * (B - C))
    }

    /// Output soma: C ← C + dt·( −g_L C + g_D (B − C) + I ), with the teaching current
    /// I = g_E (E_E − C) + g_I (E_I − C) (zero in the forward phase).
    @inlinable
    public func outputStep(somatic C: Scalar, basal B: Scalar, teaching g: TeachingConductances<Scalar>) -> Scalar {
        let teachingCurrent = g.excitatory * (excitatoryReversal - C) + g.inhibitory * (inhibitoryReversal - C)
        return C + timeStep * (-leak * C + dendritic * (B - C) + teachingCurrent)
    }

    // MARK: Rate mode: the somatic voltage jumps to its steady state (MODEL.md §8).

    /// Hidden soma: C = k_B B (the authors' rate mode leaves A out even when g_A > 0).
    @inlinable
    public func hiddenSteadyState(basal B: Scalar) -> Scalar {
        basalCoupling * B
    }

    /// Output soma: C = (g_D B + g_E E_E + g_I E_I) / (g_L + g_D + g_E + g_I); with no
    /// teaching conductances this is C = k_D B.
    @inlinable
    public func outputSteadyState(basal B: Scalar, teaching g: TeachingConductances<Scalar>) -> Scalar {
        if g.excitatory == 0 && g.inhibitory == 0 { return dendriticCoupling * B }
        return (dendritic * B + g.excitatory * excitatoryReversal + g.inhibitory * inhibitoryReversal)
            / (leak + dendritic + g.excitatory + g.inhibitory)
    }

    // MARK: Rates

    /// λ = λ_max σ(C)
    @inlinable
    public func rate(somatic C: Scalar) -> Scalar {
        maximumRate * sigmoid(C)
    }

    // MARK: Plateau potentials

    /// α = σ(Ā), from the mean apical voltage over the averaging window (rate mode: the last step's A)
    @inlinable
    public func plateau(meanApical A: Scalar) -> Scalar {
        sigmoid(A)
    }
}

/// The teaching signal on one output neuron: g_E = 1, g_I = 0 for the correct class,
/// g_E = 0, g_I = 1 for the others; both 0 in the forward phase.
public struct TeachingConductances<Scalar: DendriteScalar>: Sendable {
    public var excitatory: Scalar
    public var inhibitory: Scalar
    public init(excitatory: Scalar, inhibitory: Scalar) {
        self.excitatory = excitatory
        self.inhibitory = inhibitory
    }
    public static var none: TeachingConductances { .init(excitatory: 0, inhibitory: 0) }
    public static var correctClass: TeachingConductances { .init(excitatory: 1, inhibitory: 0) }
    public static var otherClass: TeachingConductances { .init(excitatory: 0, inhibitory: 1) }
}
