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
            throw ConfigurationError("\(setting: .phaseLength) must lie in 1…\(Self.maximumLength), not \(minimumPhaseLength)")
        }
        if averagingWindow < 1 || averagingWindow > minimumPhaseLength {
            throw ConfigurationError("\(setting: .averagingWindow) must lie in 1…\(minimumPhaseLength) (the phase length), not \(averagingWindow)")
        }
        if !(1...Self.maximumLength).contains(testLength) {
            throw ConfigurationError("\(setting: .testLength) must lie in 1…\(Self.maximumLength), not \(testLength)")
        }
        if testAveragingWindow < 1 || testAveragingWindow > testLength {
            throw ConfigurationError("\(setting: .testAveragingWindow) must lie in 1…\(testLength) (the test length), not \(testAveragingWindow)")
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
