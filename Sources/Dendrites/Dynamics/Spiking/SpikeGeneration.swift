import RealModule

/// Poisson spike counts for one step, with rates that stay constant within the step.
public enum SpikeGeneration {
    /// Neurons with rates λ_max σ(C_i): candidate events at rate λ_max per neuron (a Poisson
    /// process laid along the neurons, with exponential gaps), each kept with probability
    /// σ(C_i) = λ_i / λ_max. Exact in distribution, and σ is evaluated only for the ~λ_max·n
    /// candidates.
    @inline(__always)
    public static func thinned<Scalar: DendriteScalar>(
        somatic: [Scalar], maximumRate: Double, generator: inout Xoshiro256, into history: inout SpikeHistory
    ) {
        let n = Double(somatic.count)
        var position = exponentialGap(maximumRate, &generator)
        while position < n {
            let i = Int(position)
            // U < σ(C) ⟺ U (1 + e^{−C}) < 1
            if generator.uniform() * (1 + Double(Scalar.exp(-somatic[i]))) < 1 { history.record(Int32(i)) }
            position += exponentialGap(maximumRate, &generator)
        }
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

    /// Input neurons with rates λ_max p_j, over the image's non-zero pixels only.
    @inline(__always)
    public static func input(
        pixels: [Int32], probabilities: [Double], maximumRate: Double, sampler: SpikeSampler,
        generator: inout Xoshiro256, into history: inout SpikeHistory
    ) {
        switch sampler {
        case .thinning:
            let n = Double(pixels.count)
            var position = exponentialGap(maximumRate, &generator)
            while position < n {
                let k = Int(position)
                if generator.uniform() < probabilities[k] { history.record(pixels[k]) }
                position += exponentialGap(maximumRate, &generator)
            }
        case .perNeuron:
            for k in pixels.indices {
                let count = generator.poisson(mean: maximumRate * probabilities[k])
                for _ in 0..<count { history.record(pixels[k]) }
            }
        }
    }

    /// An Exp(rate) gap: −log(1 − U) / rate.
    @inline(__always)
    static func exponentialGap(_ rate: Double, _ generator: inout Xoshiro256) -> Double {
        -Double.log(1 - generator.uniform()) / rate
    }
}
