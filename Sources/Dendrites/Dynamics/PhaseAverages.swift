/// What one training example leaves for the learning rule: each layer's end-of-phase
/// averages (MODEL.md §2). Spiking and rate mode both fill it; the learning rule reads it.
/// Index m runs over all layers (hidden, then output); index l over hidden layers only.
public struct PhaseAverages<Scalar: DendriteScalar>: Sendable {
    /// C̄^f_m: mean somatic voltage, forward phase.
    public var somaticForward: [[Scalar]]
    /// λ̄^f_m: mean firing rate, forward phase. Spiking mode fills only the output layer's (the
    /// learning rule reads no other); rate mode fills every layer's.
    public var rateForward: [[Scalar]]
    /// s̄^f_m: mean presynaptic input (PSP) of layer m, forward phase.
    public var presynapticForward: [[Scalar]]
    /// λ̄^t_m: mean firing rate, target phase (spiking mode: output layer only, as above).
    public var rateTarget: [[Scalar]]
    /// Ā^f_l: mean apical voltage, forward phase.
    public var apicalForward: [[Scalar]]
    /// s̄^f_A,l: the apical input (feedback PSP) of the forward phase's averaging window.
    public var apicalInputForward: [[Scalar]]
    /// α^f_l, α^t_l: the plateau potentials at the end of the forward and target phases.
    public var plateauForward: [[Scalar]]
    public var plateauTarget: [[Scalar]]

    public init(configuration c: NetworkConfiguration) {
        let sizes = c.layerSizes
        let zeros = { (n: Int) in [Scalar](repeating: 0, count: n) }
        somaticForward = sizes.map(zeros)
        rateForward = sizes.map(zeros)
        rateTarget = sizes.map(zeros)
        presynapticForward = (0..<sizes.count).map { zeros(c.inputCount(ofLayer: $0)) }
        apicalForward = c.hiddenSizes.map(zeros)
        plateauForward = c.hiddenSizes.map(zeros)
        plateauTarget = c.hiddenSizes.map(zeros)
        apicalInputForward = (0..<c.hiddenLayerCount).map { zeros(c.feedbackInputCount(ofHiddenLayer: $0)) }
    }

    /// The class whose output neurons have the largest mean forward somatic voltage.
    public func forwardPrediction(neuronsPerClass: Int) -> Int {
        predictedClass(outputPotentials: somaticForward[somaticForward.count - 1], neuronsPerClass: neuronsPerClass)
    }
}

/// The prediction rule of MODEL.md §4: the class whose output neurons have the largest mean C̄.
public func predictedClass<C: Collection>(outputPotentials: C, neuronsPerClass k: Int) -> Int
where C.Element: BinaryFloatingPoint, C.Index == Int {
    let classes = outputPotentials.count / k
    var best = 0
    var bestValue = -C.Element.infinity
    for cls in 0..<classes {
        var sum: C.Element = 0
        for j in 0..<k { sum += outputPotentials[outputPotentials.startIndex + cls * k + j] }
        if sum / C.Element(k) > bestValue {
            bestValue = sum / C.Element(k)
            best = cls
        }
    }
    return best
}
