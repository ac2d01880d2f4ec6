import RealModule

/// Poisson spike counts for one step, with rates that stay constant within the step.
public enum SpikeGeneration {
    /// Thinning: each neuron i has a Poisson number of candidate events at the constant rate
    /// λ_max, and each candidate is kept with probability q_i (σ(C_i) for a neuron, p_j for an
    /// input pixel), so the kept count is Poisson with mean λ_max q_i. Exact in distribution.
    ///
    /// Built to vectorize: one uniform u_i per neuron from `streams`, compared with the constant
    /// e^{−λ_max} (u_i < e^{−λ_max}: no candidate, ~82% of neurons at λ_max = 0.2), so no
    /// transcendental function is evaluated per neuron; then one uniform v per candidate, kept if
    /// v < q_i, tested as v · (1/q_i) < 1 (for a neuron 1/σ(C_i) = 1 + e^{−C_i}: no division). Neurons with two or more candidates (u_i ≥ e^{−λ_max}(1 + λ_max), ~2%) take the
    /// sequential search of `RandomNumberGenerator.poisson` from the same u_i.
    ///
    /// Reads 1/q_i = `buffers.inverseAcceptance[i]` and records `buffers.labels[i]`, for i < `count`.
    public static func thinned<Scalar: DendriteScalar>(
        count n: Int, maximumRate: Double, streams: inout UniformStreams,
        buffers: inout ThinningBuffers<Scalar>, into history: inout SpikeHistory
    ) {
        precondition(n <= buffers.capacity)
        let noCandidate = Double.exp(-maximumRate)          // P(0 candidates)
        let atMostOne = noCandidate * (1 + maximumRate)     // P(≤ 1 candidate)
        let (threshold0, threshold1) = (Scalar(noCandidate), Scalar(atMostOne))
        let room = buffers.candidates.count
        let kept: Int = buffers.uniforms.withUnsafeMutableBufferPointer { uniforms in
            buffers.candidates.withUnsafeMutableBufferPointer { candidateBuffer in
                buffers.kept.withUnsafeMutableBufferPointer { keptBuffer in
                    buffers.inverseAcceptance.withUnsafeBufferPointer { acceptance in
                        buffers.labels.withUnsafeBufferPointer { labelBuffer in
                            // Plain pointers, so the loops below keep them in registers.
                            let (u, candidates, out) = (uniforms.baseAddress!, candidateBuffer.baseAddress!, keptBuffer.baseAddress!)
                            let (inverseQ, labels) = (acceptance.baseAddress!, labelBuffer.baseAddress!)
                            // Candidates: the neurons with u_i ≥ e^{−λ_max}, listed without branches
                            // (a random branch here would be mispredicted for ~1 neuron in 5).
                            streams.fill(u, count: n)
                            var (count, multiple) = (0, 0)
                            for i in 0..<n {
                                candidates[count] = Int32(truncatingIfNeeded: i)
                                count &+= (u[i] >= threshold0).asInteger
                                // Neurons with two or more candidates, listed apart (at the end).
                                candidates[room &- 1 &- multiple] = Int32(truncatingIfNeeded: i)
                                multiple &+= (u[i] >= threshold1).asInteger
                            }
                            // For those, the sequential search goes on from u_i.
                            for m in 0..<multiple {
                                let i = candidates[room - 1 - m]
                                let uniform = Double(u[Int(i)])
                                var (k, probability, cumulative) = (1, noCandidate * maximumRate, atMostOne)
                                while uniform >= cumulative && k < 1000 {
                                    k += 1
                                    probability *= maximumRate / Double(k)
                                    cumulative += probability
                                }
                                precondition(count + k - 1 <= room - multiple, "more spike candidates than the sampler's buffers hold")
                                for _ in 1..<k { candidates[count] = i; count += 1 }
                            }
                            // Each candidate kept with probability q_i, again without branches.
                            streams.fill(u, count: count)
                            var kept = 0
                            for c in 0..<count {
                                let i = Int(candidates[c])
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

    /// The thinned sampler for a layer of neurons: q_i = σ(C_i), so 1/q_i = 1 + e^{−C_i},
    /// evaluated for all neurons at once with the vectorizable `polynomialExp`.
    public static func thinned<Scalar: DendriteScalar>(
        somatic: [Scalar], maximumRate: Double, streams: inout UniformStreams,
        buffers: inout ThinningBuffers<Scalar>, into history: inout SpikeHistory
    ) {
        let n = somatic.count
        precondition(n <= buffers.capacity)
        buffers.inverseAcceptance.withUnsafeMutableBufferPointer { inverseQ in
            somatic.withUnsafeBufferPointer { c in
                for i in 0..<n { inverseQ[i] = 1 + Scalar.polynomialExp(-c[i]) }
            }
        }
        thinned(count: n, maximumRate: maximumRate, streams: &streams, buffers: &buffers, into: &history)
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

/// The working memory of `SpikeGeneration.thinned` for populations of up to `capacity` neurons,
/// allocated once, so that the step loop allocates nothing.
public struct ThinningBuffers<Scalar: DendriteScalar>: Sendable {
    public let capacity: Int
    /// 1/q_i, with q_i the probability that a candidate of neuron i is kept.
    public var inverseAcceptance: [Scalar]
    /// What is recorded for neuron i: i itself for a layer (the default), the pixel for the input.
    public var labels: [Int32]
    var uniforms: [Scalar]
    var candidates: [Int32]
    var kept: [Int32]

    public init(capacity: Int) {
        self.capacity = capacity
        inverseAcceptance = [Scalar](repeating: 1, count: capacity)
        labels = (0..<capacity).map(Int32.init)
        // Candidates number ~λ_max n (listed from the front), neurons with several ~λ_max² n / 2
        // (from the back); 3n plus a margin is never reached in practice.
        let room = 3 * capacity + 64
        uniforms = [Scalar](repeating: 0, count: UniformStreams.paddedCount(room))
        candidates = [Int32](repeating: 0, count: room)
        kept = [Int32](repeating: 0, count: room)
    }
}
