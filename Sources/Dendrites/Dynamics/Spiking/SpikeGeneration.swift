import RealModule

/// Poisson spike counts for one step, with rates that stay constant within the step.
public enum SpikeGeneration {
    /// Thinning: each neuron i has a Poisson number of candidate events at the constant rate
    /// λ_max, and each candidate is kept with probability q_i (σ(C_i) for a neuron, p_j for an
    /// input pixel), so the kept count is Poisson with mean λ_max q_i. Exact in distribution.
    ///
    /// The candidates of the whole population are drawn at once: their number K is Poisson with
    /// mean λ_max n (a tabulated inversion), and each lands on a uniformly random neuron, which
    /// gives every neuron an independent Poisson(λ_max) count. So a step costs ~λ_max n uniforms
    /// (not n), no logarithm, and no data-dependent branch: each candidate is kept if
    /// v · (1/q_i) < 1 for a uniform v (1/σ(C_i) = 1 + e^{−C_i}: no division). Uniforms come from
    /// `streams`.
    ///
    /// Reads 1/q_i = `buffers.inverseAcceptance[i]` and records `buffers.labels[i]`, for i < `count`.
    public static func thinned<Scalar: DendriteScalar>(
        count n: Int, maximumRate: Double, streams: inout UniformStreams,
        buffers: inout ThinningBuffers<Scalar>, into history: inout SpikeHistory
    ) {
        precondition(n <= buffers.capacity)
        guard n > 0 else { return }
        let candidates = buffers.drawCandidateCount(neurons: n, maximumRate: maximumRate, streams: &streams)
        let kept: Int = buffers.uniforms.withUnsafeMutableBufferPointer { uniforms in
            buffers.positionBits.withUnsafeMutableBufferPointer { positionBits in
                buffers.kept.withUnsafeMutableBufferPointer { keptBuffer in
                    buffers.inverseAcceptance.withUnsafeBufferPointer { acceptance in
                        buffers.labels.withUnsafeBufferPointer { labelBuffer in
                            // Plain pointers, so the loop below keeps them in registers.
                            let (u, bits, out) = (uniforms.baseAddress!, positionBits.baseAddress!, keptBuffer.baseAddress!)
                            let (inverseQ, labels) = (acceptance.baseAddress!, labelBuffer.baseAddress!)
                            streams.fill(bits: bits, count: candidates)
                            streams.fill(u, count: candidates)
                            var kept = 0
                            for c in 0..<candidates {
                                // The neuron: ⌊n · bits / 2³²⌋, uniform on 0..<n (to within n / 2³²).
                                let i = Int(truncatingIfNeeded: (UInt64(bits[c]) &* UInt64(n)) &>> 32)
                                out[kept] = labels[i]
                                kept &+= (u[c] * inverseQ[i] < 1).asInteger
                            }
                            return kept
                        }
                    }
                }
            }
        }
        buffers.kept.withUnsafeBufferPointer { history.record(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<kept])) }
    }

    /// The thinned sampler for a layer of neurons: q_i = σ(C_i), so a candidate of neuron i is kept
    /// if v · (1 + e^{−C_i}) < 1. The polynomial e^{−C} is evaluated only for the candidates
    /// (~λ_max n of them), vectorized, not for every neuron; the draws and the test are those of
    /// `thinnedEvaluatingEveryNeuron`, so both give the same spikes.
    public static func thinned<Scalar: DendriteScalar>(
        somatic: [Scalar], maximumRate: Double, streams: inout UniformStreams,
        buffers: inout ThinningBuffers<Scalar>, into history: inout SpikeHistory
    ) {
        let n = somatic.count
        precondition(n <= buffers.capacity)
        guard n > 0 else { return }
        let candidates = buffers.drawCandidateCount(neurons: n, maximumRate: maximumRate, streams: &streams)
        let kept: Int = buffers.uniforms.withUnsafeMutableBufferPointer { uniforms in
            buffers.positionBits.withUnsafeMutableBufferPointer { positionBits in
                buffers.kept.withUnsafeMutableBufferPointer { keptBuffer in
                    buffers.candidateTests.withUnsafeMutableBufferPointer { testBuffer in
                        somatic.withUnsafeBufferPointer { voltages in
                            let (u, bits, out) = (uniforms.baseAddress!, positionBits.baseAddress!, keptBuffer.baseAddress!)
                            let (test, c) = (testBuffer.baseAddress!, voltages.baseAddress!)
                            streams.fill(bits: bits, count: candidates)
                            streams.fill(u, count: candidates)
                            // Each candidate's neuron ⌊n · bits / 2³²⌋ and its voltage (padding: C = 0).
                            for k in 0..<candidates {
                                let i = UInt32(truncatingIfNeeded: (UInt64(bits[k]) &* UInt64(n)) &>> 32)
                                bits[k] = i
                                test[k] = c[Int(i)]
                            }
                            // 1 + e^{−C} in place, 32 at a time: one buffer, so the loop vectorizes
                            // without checks, and four independent vectors hide the polynomial's latency.
                            let groups = (candidates + 31) / 32 * 32
                            for k in candidates..<groups { test[k] = 0 }
                            var start = 0
                            while start < groups {
                                for k in start..<(start + 32) { test[k] = 1 + Scalar.polynomialExp(-test[k]) }
                                start += 32
                            }
                            var kept = 0
                            for k in 0..<candidates {
                                out[kept] = Int32(bitPattern: bits[k])
                                kept &+= (u[k] * test[k] < 1).asInteger
                            }
                            return kept
                        }
                    }
                }
            }
        }
        buffers.kept.withUnsafeBufferPointer { history.record(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<kept])) }
    }

    /// The reference for `thinned(somatic:)`: 1/q_i = 1 + e^{−C_i} for every neuron first, then the
    /// candidates of `thinned(count:)`.
    public static func thinnedEvaluatingEveryNeuron<Scalar: DendriteScalar>(
        somatic: [Scalar], maximumRate: Double, streams: inout UniformStreams,
        buffers: inout ThinningBuffers<Scalar>, into history: inout SpikeHistory
    ) {
        let n = somatic.count
        precondition(n <= buffers.capacity)
        for k in 0..<n { buffers.inverseAcceptance[k] = 1 + Scalar.polynomialExp(-somatic[k]) }
        thinned(count: n, maximumRate: maximumRate, streams: &streams, buffers: &buffers, into: &history)
    }

    /// The other road of issue 3: every neuron's count from one uniform u_i, vectorized. With
    /// λ_i = λ_max σ(C_i) (or λ_max p_i for the input, `noSpike` given), K_i = 0 if u_i < e^{−λ_i}
    /// (a branch-free test, 32 neurons at a time, with the polynomial exp); the rare neurons that
    /// spike continue the inversion, K_i = the least k with u_i < Σ_{j≤k} e^{−λ_i} λ_i^j / j!.
    /// Exact in distribution (to the rounding of the CDF).
    public static func vectorized<Scalar: DendriteScalar>(
        somatic: [Scalar], maximumRate: Double, streams: inout UniformStreams,
        buffers: inout VectorizedBuffers<Scalar>, into history: inout SpikeHistory
    ) {
        let n = somatic.count
        precondition(n <= buffers.capacity)
        guard n > 0 else { return }
        let rate = Scalar(maximumRate)
        buffers.rates.withUnsafeMutableBufferPointer { rates in
            buffers.noSpike.withUnsafeMutableBufferPointer { noSpike in
                somatic.withUnsafeBufferPointer { c in
                    let (lambda, p0, v) = (rates.baseAddress!, noSpike.baseAddress!, c.baseAddress!)
                    // λ = λ_max / (1 + e^{−C}) and e^{−λ}, 32 neurons at a time (padding: C = 0).
                    let groups = (n + 31) / 32 * 32
                    var start = 0
                    while start < groups {
                        let end = min(start + 32, n)
                        for i in start..<(start + 32) { lambda[i] = i < end ? v[i] : 0 }
                        for i in start..<(start + 32) { lambda[i] = rate / (1 + Scalar.polynomialExp(-lambda[i])) }
                        for i in start..<(start + 32) { p0[i] = Scalar.polynomialExp(-lambda[i]) }
                        start += 32
                    }
                }
            }
        }
        countsByInversion(neurons: n, streams: &streams, buffers: &buffers, labels: nil, into: &history)
    }

    /// `vectorized` for the input: λ_j = λ_max p_j and e^{−λ_j} are fixed for the image and set in
    /// `buffers.rates` and `buffers.noSpike` (`VectorizedBuffers.setInput`); spikes are labelled
    /// with their pixels.
    public static func vectorizedInput<Scalar: DendriteScalar>(
        count n: Int, streams: inout UniformStreams, buffers: inout VectorizedBuffers<Scalar>, into history: inout SpikeHistory
    ) {
        precondition(n <= buffers.capacity)
        guard n > 0 else { return }
        countsByInversion(neurons: n, streams: &streams, buffers: &buffers, labels: buffers.labels, into: &history)
    }

    /// One uniform per neuron; K = 0 where u < e^{−λ}, found without branches; the inversion goes on
    /// only for the others.
    private static func countsByInversion<Scalar: DendriteScalar>(
        neurons n: Int, streams: inout UniformStreams, buffers: inout VectorizedBuffers<Scalar>, labels: [Int32]?,
        into history: inout SpikeHistory
    ) {
        let spiking: Int = buffers.uniforms.withUnsafeMutableBufferPointer { uniforms in
            buffers.spiking.withUnsafeMutableBufferPointer { spikingBuffer in
                buffers.noSpike.withUnsafeBufferPointer { noSpike in
                    let (u, out, p0) = (uniforms.baseAddress!, spikingBuffer.baseAddress!, noSpike.baseAddress!)
                    streams.fill(u, count: n)
                    var count = 0
                    for i in 0..<n {
                        out[count] = Int32(truncatingIfNeeded: i)
                        count &+= (u[i] >= p0[i]).asInteger
                    }
                    return count
                }
            }
        }
        // Each of these spikes at least once; the few with K ≥ 2 get their further spikes after.
        var extra: [Int32] = []
        swap(&extra, &buffers.extra)
        extra.removeAll(keepingCapacity: true)
        buffers.spiking.withUnsafeMutableBufferPointer { spikingBuffer in
            buffers.uniforms.withUnsafeBufferPointer { u in
                buffers.rates.withUnsafeBufferPointer { rates in
                    buffers.noSpike.withUnsafeBufferPointer { noSpike in
                        for k in 0..<spiking {
                            let i = Int(spikingBuffer[k])
                            let spikes = poissonCountAfterNone(uniform: Double(u[i]), mean: Double(rates[i]),
                                                               noSpike: Double(noSpike[i]))
                            let label = labels?[i] ?? Int32(truncatingIfNeeded: i)
                            spikingBuffer[k] = label
                            for _ in 1..<spikes { extra.append(label) }
                        }
                    }
                }
            }
        }
        buffers.spiking.withUnsafeBufferPointer { history.record(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<spiking])) }
        extra.withUnsafeBufferPointer { history.record(contentsOf: $0) }
        swap(&extra, &buffers.extra)
    }

    /// The inversion of a Poisson(λ) count for a uniform u already known to satisfy u ≥ P(K = 0)
    /// = `noSpike`: the least k ≥ 1 with u < P(K ≤ k). The CDF is summed in Double and the scan
    /// stops where it can no longer grow, so a u above the rounded CDF's limit gives a tail count,
    /// not a run to underflow.
    @inline(__always)
    public static func poissonCountAfterNone(uniform u: Double, mean lambda: Double, noSpike: Double) -> Int {
        var probability = noSpike * lambda
        var cumulative = noSpike + probability
        var count = 1
        while u >= cumulative {  // u ≥ P(K ≤ count)
            count += 1
            probability *= lambda / Double(count)
            let next = cumulative + probability
            if next == cumulative { break }
            cumulative = next
        }
        return count
    }

    /// The reference: a Poisson draw with mean λ_max σ(C_i) for every neuron.
    public static func perNeuron<Scalar: DendriteScalar>(
        somatic: [Scalar], maximumRate: Double, generator: inout Xoshiro256, into history: inout SpikeHistory
    ) {
        for i in somatic.indices {
            let count = generator.poisson(mean: maximumRate * Double(sigmoid(somatic[i])))
            for _ in 0..<count { history.record(Int32(i)) }
        }
    }

    /// The reference for input neurons with rates λ_max p_j, over the image's non-zero pixels only.
    public static func perNeuronInput(
        pixels: [Int32], probabilities: [Double], maximumRate: Double, generator: inout Xoshiro256, into history: inout SpikeHistory
    ) {
        for k in pixels.indices {
            let count = generator.poisson(mean: maximumRate * probabilities[k])
            for _ in 0..<count { history.record(pixels[k]) }
        }
    }
}

extension Bool {
    /// 1 or 0, without a branch.
    @inline(__always) var asInteger: Int { Int(unsafeBitCast(self, to: UInt8.self)) }
}

/// The distribution function of a Poisson count K with mean μ, tabulated over μ ± (12√μ + 12),
/// which holds all but ~1e-30 of the mass, for inversion: K is the least k with u < P(K ≤ k).
public struct PoissonTable: Sendable {
    public let mean: Double
    let first: Int
    let cumulative: [Double]
    /// guide[g]: the least index k with P(K ≤ first + k) > g / guide.count, where `draw` starts.
    let guide: [Int32]
    /// The largest count the table returns.
    public var largest: Int { first + cumulative.count - 1 }

    public init(mean: Double) {
        precondition(mean >= 0 && mean.isFinite)
        self.mean = mean
        let spread = 12 * mean.squareRoot() + 12
        first = max(0, Int((mean - spread).rounded(.down)))
        let last = Int((mean + spread).rounded(.up))
        var total = 0.0
        cumulative = (first...last).map { k in
            // P(K = k) = e^{−μ} μ^k / k!, in logarithms so that large μ does not underflow.
            let logProbability = mean == 0 ? (k == 0 ? 0 : -Double.infinity)
                : -mean + Double(k) * Double.log(mean) - Double.logGamma(Double(k + 1))
            total += Double.exp(logProbability)
            return total
        }
        let (table, guideCount) = (cumulative, 256)
        var k = 0
        guide = (0..<guideCount).map { g in
            while k < table.count - 1 && table[k] <= Double(g) / Double(guideCount) { k += 1 }
            return Int32(k)
        }
    }

    /// The count for a uniform u on [0, 1): the least k with u < P(K ≤ k), found from the guide's
    /// start (no later than the answer) by a short forward scan.
    @inline(__always)
    public func draw(_ u: Double) -> Int {
        cumulative.withUnsafeBufferPointer { c in
            guide.withUnsafeBufferPointer { g in
                let last = c.count - 1
                var k = Int(g[min(Int(u * Double(g.count)), g.count - 1)])
                while k < last && u >= c[k] { k += 1 }
                return first + k
            }
        }
    }

    /// The reference for `draw`: bisection over the whole table.
    public func drawByBisection(_ u: Double) -> Int {
        var (low, high) = (0, cumulative.count - 1)
        while low < high {
            let middle = (low + high) / 2
            if u < cumulative[middle] { high = middle } else { low = middle + 1 }
        }
        return first + low
    }
}

/// The working memory of `SpikeGeneration.thinned` for populations of up to `capacity` neurons,
/// allocated once, so that the step loop allocates nothing.
public struct ThinningBuffers<Scalar: DendriteScalar>: Sendable {
    public let capacity: Int
    /// 1/q_i, with q_i the probability that a candidate of neuron i is kept.
    public var inverseAcceptance: [Scalar]
    /// What is recorded for neuron i: i itself for a layer (the default), the pixel for the input.
    public var labels: [Int32]
    var uniforms: [Scalar] = []
    var positionBits: [UInt32] = []
    var kept: [Int32] = []
    /// 1 + e^{−C} of each candidate's neuron (`thinned(somatic:)`).
    var candidateTests: [Scalar] = []
    /// The distribution of the number of candidates, per population size, and the last one used.
    private var candidateTables: [Int: PoissonTable] = [:]
    private var lastTable = PoissonTable(mean: 0)

    public init(capacity: Int) {
        self.capacity = capacity
        inverseAcceptance = [Scalar](repeating: 1, count: capacity)
        labels = (0..<capacity).map(Int32.init)
    }

    /// K ~ Poisson(λ_max n), the number of candidates of n neurons, from the table made once per n
    /// (the buffers grow to hold its largest K). The table is used in place, not copied.
    mutating func drawCandidateCount(neurons n: Int, maximumRate: Double, streams: inout UniformStreams) -> Int {
        let mean = maximumRate * Double(n)
        if lastTable.mean != mean { useTable(neurons: n, mean: mean) }
        return lastTable.draw(streams.nextUniform())
    }

    private mutating func useTable(neurons n: Int, mean: Double) {
        if let table = candidateTables[n], table.mean == mean {
            lastTable = table
            return
        }
        let table = PoissonTable(mean: mean)
        candidateTables[n] = table
        lastTable = table
        let room = UniformStreams.paddedCount(table.largest)
        if uniforms.count < room {
            uniforms = [Scalar](repeating: 0, count: room)
            positionBits = [UInt32](repeating: 0, count: room)
            kept = [Int32](repeating: 0, count: room)
        }
        // `thinned(somatic:)` works in groups of 32 candidates.
        let groups = (table.largest + 31) / 32 * 32
        if candidateTests.count < groups { candidateTests = [Scalar](repeating: 0, count: groups) }
    }
}

/// The working memory of `SpikeGeneration.vectorized` for populations of up to `capacity` neurons.
public struct VectorizedBuffers<Scalar: DendriteScalar>: Sendable {
    public let capacity: Int
    /// λ_i and e^{−λ_i} of each neuron (padded to whole groups of 32).
    var rates: [Scalar]
    var noSpike: [Scalar]
    var uniforms: [Scalar]
    /// The neurons with u_i ≥ e^{−λ_i}.
    var spiking: [Int32]
    /// The input's pixels (`setInput`).
    var labels: [Int32] = []
    /// The second and further spikes of a step (rare at λ ≤ 0.2).
    var extra: [Int32] = []

    public init(capacity: Int) {
        self.capacity = capacity
        let padded = max((capacity + 31) / 32 * 32, UniformStreams.paddedCount(capacity))
        rates = [Scalar](repeating: 0, count: padded)
        noSpike = [Scalar](repeating: 1, count: padded)
        uniforms = [Scalar](repeating: 0, count: padded)
        spiking = [Int32](repeating: 0, count: padded)
        labels = [Int32](repeating: 0, count: capacity)
        extra.reserveCapacity(64)
    }

    /// The input's rates for an image: λ_j = λ_max p_j of the non-zero pixels, and e^{−λ_j}.
    public mutating func setInput(pixels: [Int32], probabilities: [Double], maximumRate: Double) {
        precondition(pixels.count <= capacity && pixels.count == probabilities.count)
        for k in pixels.indices {
            labels[k] = pixels[k]
            let lambda = maximumRate * probabilities[k]
            rates[k] = Scalar(lambda)
            noSpike[k] = Scalar(Double.exp(-lambda))
        }
    }
}
