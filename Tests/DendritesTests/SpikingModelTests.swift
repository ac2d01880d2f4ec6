import Foundation
import Testing
import Dendrites

@Suite("Spiking mode: equations and samplers")
struct SpikingEquationTests {
    @Test("the PSP kernel κ(k) = (e^{−k/τ_L} − e^{−k/τ_s}) / (τ_L − τ_s)")
    func kernelValues() {
        let kernel: [Double] = PSPKernel.values(NeuronParameters())
        #expect(kernel.count == 10)
        #expect(abs(kernel[0] - (exp(-0.1) - exp(-1.0 / 3)) / 7) < 1e-16)
        #expect(abs(kernel[9] - (exp(-1.0) - exp(-10.0 / 3)) / 7) < 1e-16)
        // Rises, peaks at k = 5 (τ_sτ_L/(τ_L−τ_s)·ln(τ_L/τ_s) ≈ 5.16), then decays.
        #expect(kernel.firstIndex(of: kernel.max()!) == 4)
    }

    @Test("one neuron's soma against the closed-form solution of its Euler steps")
    func somaticIntegration() {
        let soma = SomaticDynamics<Double>(NeuronParameters())
        // Hidden soma with constant B: C_n = C_∞ + (C_0 − C_∞)(1 − dt(g_L + g_B))ⁿ, C_∞ = g_B B / (g_L + g_B).
        var c = -1.5
        let b = 2.0
        for _ in 0..<7 { c = soma.hiddenStep(somatic: c, basal: b, apical: 5) }
        let steady = 0.6 * b / 0.7
        #expect(abs(c - (steady + (-1.5 - steady) * pow(1 - 0.7, 7))) < 1e-14)
        // Output soma with the excitatory teaching conductance: C_∞ = (g_D B + E_E) / (g_L + g_D + 1).
        var out = 0.0
        for _ in 0..<7 { out = soma.outputStep(somatic: out, basal: b, teaching: .correctClass) }
        let outSteady = (0.6 * b + 8) / 1.7
        #expect(abs(out - (outSteady + (0 - outSteady) * pow(1 - 1.7, 7))) < 1e-12)
        // With g_A > 0 the apical potential enters the soma.
        var p = NeuronParameters()
        p.apicalConductance = 0.05
        let coupled = SomaticDynamics<Double>(p)
        #expect(coupled.hiddenStep(somatic: 0, basal: 1, apical: 3) == 0.6 * 1 + 0.05 * 3)
        #expect(soma.hiddenStep(somatic: 0, basal: 1, apical: 3) == 0.6 * 1)
        // The step without apical coupling (used when g_A = 0) is the same update, to the bit.
        var generator = Xoshiro256(seed: 3)
        for _ in 0..<1000 {
            let (c, b, a) = (generator.uniform(-3, 3), generator.uniform(-3, 3), generator.uniform(-3, 3))
            #expect(soma.hiddenStep(somatic: c, basal: b) == soma.hiddenStep(somatic: c, basal: b, apical: a))
            let single = SomaticDynamics<Float>(NeuronParameters())
            #expect(single.hiddenStep(somatic: Float(c), basal: Float(b)) == single.hiddenStep(somatic: Float(c), basal: Float(b), apical: Float(a)))
        }
    }

    @Test("a spike's window weight: Σ_t s(t) over the window equals Σ_u w(u) S(u)", arguments: [(60, 20), (20, 20), (25, 20), (50, 3)])
    func windowWeights(phaseLength: Int, window: Int) {
        let kernel: [Double] = PSPKernel.values(NeuronParameters())
        var generator = Xoshiro256(seed: 9)
        // Spike counts of steps −9 … phaseLength − 1 (the 9 before the phase can still be in memory).
        let counts = (0..<(phaseLength + 9)).map { _ in generator.uniform() < 0.3 ? Double(1 + Int(generator.uniform() * 2)) : 0 }
        func count(_ u: Int) -> Double { u >= -9 ? counts[u + 9] : 0 }
        let start = phaseLength - window, end = phaseLength - 1
        var direct = 0.0
        for t in start...end { for k in 1...10 { direct += kernel[k - 1] * count(t - k + 1) } }
        var weighted = 0.0
        for u in -9...end {
            weighted += PSPKernel.windowWeight(spikeStep: u, windowStart: start, windowEnd: end, kernel: kernel) * count(u)
        }
        #expect(abs(direct - weighted) < 1e-13 * max(1, direct))
        #expect(direct > 0)
        // A spike in the middle of a long window counts with the whole kernel, one far before it not at all.
        if window >= 20 {
            #expect(abs(PSPKernel.windowWeight(spikeStep: start, windowStart: start, windowEnd: end, kernel: kernel)
                        - kernel.reduce(0, +)) < 1e-15)
        }
        #expect(PSPKernel.windowWeight(spikeStep: start - 10, windowStart: start, windowEnd: end, kernel: kernel) == 0)
    }

    /// A new step of `history`: each of `neurons` spikes with probability `rate`, a tenth of those twice.
    static func randomSpikes(into history: inout SpikeHistory, neurons: Int, rate: Double, generator: inout Xoshiro256) {
        history.advance()
        for j in 0..<neurons where generator.uniform() < rate {
            history.record(Int32(j))
            if generator.uniform() < 0.1 { history.record(Int32(j)) }  // a count of 2
        }
    }

    @Test("The flat spike history keeps what a ring of lists keeps, through growth and clearing")
    func spikeHistoryMatchesRingOfLists() {
        var generator = Xoshiro256(seed: 12)
        var history = SpikeHistory(memory: 4, expectedSpikesPerStep: 16)
        var ring = [[Int32]](repeating: [], count: 4), head = 0
        for step in 0..<60 {
            history.advance()
            head = (head + 1) % 4
            ring[head] = []
            // Up to 90 spikes: the room of 16 per slot grows in the middle of a slot, both ways.
            let count = Int(generator.next() % (step < 30 ? 20 : 90))
            let spikes = (0..<count).map { _ in Int32(generator.next() % 500) }
            if step % 2 == 0 {
                for j in spikes { history.record(j) }
            } else {
                spikes.withUnsafeBufferPointer { history.record(contentsOf: $0) }
            }
            ring[head] = spikes
            #expect(history.head == head)
            #expect(history.slots == ring, "step \(step)")
            for lag in 0..<4 {
                let slot = history.slot(lag: lag)
                #expect(history.withSpikes(inSlot: slot) { Array($0) } == ring[(head - lag + 4) % 4])
                #expect(history.count(inSlot: slot) == ring[slot].count)
            }
            if step == 45 {
                history.clear()
                ring = [[Int32]](repeating: [], count: 4)
                #expect(history.slots == ring)
            }
        }
        #expect(history.capacity >= 89)
    }

    @Test("a projection hands back the matrix it was loaded with, exactly", arguments: [(5, 60), (37, 17), (500, 784)])
    func projectionMatrixRoundTrip(post: Int, pre: Int) {
        var generator = Xoshiro256(seed: 9)
        let matrix = Matrix<Float>(rows: post, columns: pre) { _, _ in Float(generator.uniform(-1, 1)) }
        var projection = SynapticProjection<Float>(presynaptic: pre, postsynaptic: post, memory: 10)
        projection.load(matrix, history: SpikeHistory(memory: 10))
        var copy = Matrix<Float>(rows: post, columns: pre) { _, _ in .nan }
        projection.copyMatrix(into: &copy)
        #expect(copy == matrix)
    }

    /// New weights mid-stream: the spikes still in memory act through them.
    static func expectNewWeightsActOnSpikesInMemory(_ projection: inout SynapticProjection<Double>, history: SpikeHistory,
                                                    base: [Double], kernel: [Double], generator: inout Xoshiro256) {
        let changed = Matrix<Double>(rows: projection.postsynapticCount, columns: projection.presynapticCount) { _, _ in
            generator.uniform(-1, 1)
        }
        projection.load(changed, history: history)
        var result = [Double](repeating: 0, count: projection.postsynapticCount)
        projection.current(base: base, into: &result)
        let direct = SynapticProjection<Double>.directCurrent(matrix: changed, history: history, kernel: kernel, base: base)
        #expect(relativeDifference(result, direct) < 1e-13)
    }

    @Test("event-driven synaptic input equals the direct dense computation", arguments: [5, 17, 37, 100])
    func eventDrivenMatchesDirect(post: Int) {
        var generator = Xoshiro256(seed: 4)
        let pre = 60
        let kernel: [Double] = PSPKernel.values(NeuronParameters())
        let matrix = Matrix<Double>(rows: post, columns: pre) { _, _ in generator.uniform(-1, 1) }
        let base = (0..<post).map { _ in generator.uniform() }
        var history = SpikeHistory(memory: 10)
        var projection = SynapticProjection<Double>(presynaptic: pre, postsynaptic: post, memory: 10)
        projection.load(matrix, history: history)
        var fusedProjection = projection
        var result = [Double](repeating: 0, count: post), fused = result
        for step in 0..<40 {
            Self.randomSpikes(into: &history, neurons: pre, rate: (20..<32).contains(step) ? 0 : 0.2, generator: &generator)  // 12 silent steps empty the memory
            projection.push(history.slots[history.head], slot: history.head)
            projection.current(base: base, into: &result)
            // push and current in one pass give the same input.
            fusedProjection.push(history.slots[history.head], slot: history.head, base: base, into: &fused)
            #expect(fused == result, "step \(step)")
            let direct = SynapticProjection<Double>.directCurrent(matrix: matrix, history: history, kernel: kernel, base: base)
            #expect(relativeDifference(result, direct) < 1e-13, "step \(step)")
            projection.kernelSumCurrent(history: history, base: base, into: &result)
            #expect(relativeDifference(result, direct) < 1e-13, "step \(step)")
        }
        Self.expectNewWeightsActOnSpikesInMemory(&projection, history: history, base: base, kernel: kernel, generator: &generator)
    }

    @Test("on-demand synaptic input (small presynaptic populations) equals the direct dense computation", arguments: [5, 17, 100])
    func onDemandMatchesDirect(post: Int) {
        var generator = Xoshiro256(seed: 9)
        let pre = 10
        let kernel: [Double] = PSPKernel.values(NeuronParameters())
        var matrix = Matrix<Double>(rows: post, columns: pre) { _, _ in generator.uniform(-1, 1) }
        let base = (0..<post).map { _ in generator.uniform() }
        var history = SpikeHistory(memory: 10)
        var projection = SynapticProjection<Double>(presynaptic: pre, postsynaptic: post, memory: 10, evaluation: .onDemand)
        projection.load(matrix, history: history)
        var stale = [Double](repeating: 0, count: post), fresh = stale
        for step in 0..<40 {
            Self.randomSpikes(into: &history, neurons: pre, rate: (20..<32).contains(step) ? 0 : 0.3, generator: &generator)  // 12 silent steps
            projection.push(history.slots[history.head], slot: history.head)
            if step == 25 {
                // A learning step in place, as the dynamics applies it, against the matrix it stands for.
                let x = (0..<post).map { _ in generator.uniform(-1, 1) }, y = (0..<pre).map { _ in generator.uniform() }
                projection.applyRankOneUpdate(scale: 0.1, postsynaptic: x, presynaptic: y, history: history)
                for i in 0..<post { for j in 0..<pre { matrix[i, j] += 0.1 * x[i] * y[j] } }
            }
            // ψ computed by `current` itself, then the step loop's path (refreshed first): the same input.
            projection.current(base: base, into: &stale)
            projection.refreshPresynapticPotentials()
            projection.current(base: base, into: &fresh)
            #expect(fresh == stale, "step \(step)")
            let direct = SynapticProjection<Double>.directCurrent(matrix: matrix, history: history, kernel: kernel, base: base)
            #expect(relativeDifference(fresh, direct) < 1e-13, "step \(step)")
            if (20 + 10..<32).contains(step) { #expect(fresh == base, "step \(step): no spike in memory, no input") }
            projection.kernelSumCurrent(history: history, base: base, into: &stale)
            #expect(relativeDifference(stale, direct) < 1e-13, "step \(step)")
        }
        Self.expectNewWeightsActOnSpikesInMemory(&projection, history: history, base: base, kernel: kernel, generator: &generator)
    }

    /// The recursive filters of PSPFilter against the direct κ-weighted sum of the last `mem`
    /// drives, over a long stream (rounding must not accumulate), in both precisions.
    func recursiveFilterMatchesKernelSum<Scalar: DendriteScalar>(_: Scalar.Type, tolerance: Double) {
        var generator = Xoshiro256(seed: 31)
        let (pre, post) = (80, 117)
        let matrix = Matrix<Scalar>(rows: post, columns: pre) { _, _ in Scalar(generator.uniform(-1, 1)) }
        let base = (0..<post).map { _ in Scalar(generator.uniform()) }
        var history = SpikeHistory(memory: 10)
        var projection = SynapticProjection<Scalar>(presynaptic: pre, postsynaptic: post, memory: 10)
        projection.load(matrix, history: history)
        var filtered = [Scalar](repeating: 0, count: post), summed = filtered
        var worst = 0.0
        for step in 0..<5000 {
            history.advance()
            // Bursts and silences, so that the filters must return to exactly zero input.
            let rate = (step / 100) % 3 == 2 ? 0 : 0.3
            for j in 0..<pre where generator.uniform() < rate { history.record(Int32(j)) }
            projection.push(history.slots[history.head], slot: history.head)
            projection.current(base: base, into: &filtered)
            projection.kernelSumCurrent(history: history, base: base, into: &summed)
            worst = max(worst, relativeDifference(filtered, summed.map(Double.init)))
            // Ten silent steps empty the memory: no synaptic input at all, exactly, as the direct sum.
            if step % 300 == 299 { #expect(filtered == base, "step \(step)") }
        }
        #expect(worst < tolerance)
        #expect(worst > 0 || Scalar.self == Double.self)  // the two paths really are different sums
    }

    @Test("recursive PSP filters equal the direct 10-step kernel sum (Double)")
    func recursiveFilterDouble() { recursiveFilterMatchesKernelSum(Double.self, tolerance: 1e-13) }

    @Test("recursive PSP filters equal the direct 10-step kernel sum (Float)")
    func recursiveFilterFloat() { recursiveFilterMatchesKernelSum(Float.self, tolerance: 2e-5) }

    @Test("Wald(2, 1) draws have mean 2 and variance μ³/λ = 8")
    func waldStatistics() {
        var generator = Xoshiro256(seed: 12)
        let n = 400_000
        let draws = (0..<n).map { _ in generator.wald(mean: 2, shape: 1) }
        let mean = draws.reduce(0, +) / Double(n)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        #expect(abs(mean - 2) < 5 * (8.0 / Double(n)).squareRoot())
        #expect(abs(variance / 8 - 1) < 0.06)
        #expect(draws.allSatisfy { $0 > 0 })
        // The phase lengths of MODEL.md §2: 50 + floor(Wald(2, 1)); mean of floor(Wald) ≈ 1.53.
        let extra = draws.map { $0.rounded(.down) }.reduce(0, +) / Double(n)
        #expect(extra > 1.4 && extra < 1.7)
    }

    @Test("Poisson draws have mean and variance λ", arguments: [0.05, 0.2, 3.0])
    func poissonStatistics(mean lambda: Double) {
        var generator = Xoshiro256(seed: 13)
        let n = 300_000
        let counts = (0..<n).map { _ in Double(generator.poisson(mean: lambda)) }
        let mean = counts.reduce(0, +) / Double(n)
        let variance = counts.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        #expect(abs(mean - lambda) < 5 * (lambda / Double(n)).squareRoot())
        #expect(abs(variance / lambda - 1) < 0.03)
    }

    @Test("spike counts of every sampler are Poisson with mean λ_max σ(C)", arguments: [SpikeSampler.thinning, .vectorized, .perNeuron])
    func thinnedCounts(sampler: SpikeSampler) {
        thinnedCounts(Double.self, sampler: sampler)
        if sampler != .perNeuron { thinnedCounts(Float.self, sampler: sampler) }
    }

    func thinnedCounts<Scalar: DendriteScalar>(_: Scalar.Type, sampler: SpikeSampler) {
        let somatic: [Scalar] = [-3, -0.5, 0, 1, 4, 12]
        var generator = Xoshiro256(seed: 14)
        var streams = UniformStreams(seededFrom: &generator)
        var buffers = ThinningBuffers<Scalar>(capacity: somatic.count)
        var vectorized = VectorizedBuffers<Scalar>(capacity: somatic.count)
        let steps = 200_000
        var counts = [[Double]](repeating: [Double](repeating: 0, count: steps), count: somatic.count)
        var history = SpikeHistory(memory: 1)
        for t in 0..<steps {
            history.advance()
            switch sampler {
            case .thinning: SpikeGeneration.thinned(somatic: somatic, maximumRate: 0.2, streams: &streams, buffers: &buffers, into: &history)
            case .vectorized:
                SpikeGeneration.vectorized(somatic: somatic, maximumRate: 0.2, streams: &streams, buffers: &vectorized, into: &history)
            case .perNeuron: SpikeGeneration.perNeuron(somatic: somatic, maximumRate: 0.2, generator: &generator, into: &history)
            }
            for j in history.slots[history.head] { counts[Int(j)][t] += 1 }
        }
        for (i, c) in somatic.enumerated() {
            let lambda = 0.2 / (1 + exp(-Double(c)))
            let mean = counts[i].reduce(0, +) / Double(steps)
            let variance = counts[i].map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(steps - 1)
            #expect(abs(mean - lambda) < 5 * (lambda / Double(steps)).squareRoot(), "neuron \(i)")
            // The sample variance over λ has SD √((1/λ + 2)/n) for Poisson counts (μ₄ = λ + 3λ²).
            #expect(abs(variance / lambda - 1) < max(0.05, 5 * ((1 / lambda + 2) / Double(steps)).squareRoot()), "neuron \(i)")
            #expect(counts[i].max()! >= 2 || lambda < 0.05, "counts above 1 occur (not Bernoulli)")
        }
    }

    @Test("the thinned sampler that evaluates e^{−C} only for candidates gives the reference's spikes", arguments: [false, true])
    func thinnedCandidatesMatchReference(float: Bool) {
        if float { thinnedCandidatesMatchReference(Float.self) } else { thinnedCandidatesMatchReference(Double.self) }
    }

    func thinnedCandidatesMatchReference<Scalar: DendriteScalar>(_: Scalar.Type) {
        var generator = Xoshiro256(seed: 21)
        for n in [1, 7, 500, 1000] {
            var fastStreams = UniformStreams(seededFrom: &generator)
            var referenceStreams = fastStreams
            var fastBuffers = ThinningBuffers<Scalar>(capacity: n), referenceBuffers = ThinningBuffers<Scalar>(capacity: n)
            var fast = SpikeHistory(memory: 1), reference = SpikeHistory(memory: 1)
            var spikes = 0
            for _ in 0..<300 {
                let somatic = (0..<n).map { _ in Scalar(generator.uniform() * 16 - 8) }
                fast.advance(); reference.advance()
                SpikeGeneration.thinned(somatic: somatic, maximumRate: 0.2, streams: &fastStreams, buffers: &fastBuffers, into: &fast)
                SpikeGeneration.thinnedEvaluatingEveryNeuron(somatic: somatic, maximumRate: 0.2, streams: &referenceStreams,
                                                             buffers: &referenceBuffers, into: &reference)
                #expect(fast.slots[0] == reference.slots[0], "n = \(n)")
                spikes += fast.slots[0].count
            }
            #expect(spikes > 0)
        }
    }

    @Test("thinned and vectorized input spikes are Poisson with mean λ_max p_j, recorded as the pixel", arguments: [false, true])
    func thinnedInputCounts(float: Bool) {
        if float { thinnedInputCounts(Float.self) } else { thinnedInputCounts(Double.self) }
    }

    func thinnedInputCounts<Scalar: DendriteScalar>(_: Scalar.Type) {
        let pixels: [Int32] = [3, 700, 41]
        let probabilities: [Scalar] = [1, 0.5, 0.02]
        var generator = Xoshiro256(seed: 15)
        var streams = UniformStreams(seededFrom: &generator)
        var buffers = ThinningBuffers<Scalar>(capacity: 784)
        for k in pixels.indices { buffers.labels[k] = pixels[k]; buffers.inverseAcceptance[k] = 1 / probabilities[k] }
        var vectorized = VectorizedBuffers<Scalar>(capacity: 784)
        vectorized.setInput(pixels: pixels, probabilities: probabilities.map(Double.init), maximumRate: 0.2)
        let steps = 200_000
        var counts = [Int32: [Double]]()
        for p in pixels { counts[p] = [Double](repeating: 0, count: steps) }
        var history = SpikeHistory(memory: 1)
        for t in 0..<steps {
            history.advance()
            // Every other step from the vectorized per-neuron sampler: both must give Poisson counts.
            if t % 2 == 0 {
                SpikeGeneration.thinned(count: pixels.count, maximumRate: 0.2, streams: &streams, buffers: &buffers, into: &history)
            } else {
                SpikeGeneration.vectorizedInput(count: pixels.count, streams: &streams, buffers: &vectorized, into: &history)
            }
            for j in history.slots[history.head] { counts[j]![t] += 1 }
        }
        for k in pixels.indices {
            for (name, parity) in [("thinned", 0), ("vectorized", 1)] {
                let lambda = 0.2 * Double(probabilities[k])
                let c = stride(from: parity, to: steps, by: 2).map { counts[pixels[k]]![$0] }
                let n = Double(c.count)
                let mean = c.reduce(0, +) / n
                let variance = c.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)
                #expect(abs(mean - lambda) < 5 * (lambda / n).squareRoot(), "\(name): pixel \(pixels[k])")
                #expect(abs(variance / lambda - 1) < max(0.06, 5 * ((1 / lambda + 2) / n).squareRoot()), "\(name): pixel \(pixels[k])")
            }
        }
    }

    @Test("the vectorized sampler's continued inversion gives the table's counts, and a finite tail at u → 1")
    func poissonContinuation() {
        var generator = Xoshiro256(seed: 23)
        for lambda in [0.004, 0.05, 0.2, 3.0] {
            let table = PoissonTable(mean: lambda)
            let noSpike = exp(-lambda)
            for _ in 0..<20_000 {
                let u = noSpike + (1 - noSpike) * generator.uniform()  // u ≥ P(K = 0): the spiking neurons
                #expect(SpikeGeneration.poissonCountAfterNone(uniform: u, mean: lambda, noSpike: noSpike) == table.draw(u), "λ \(lambda), u \(u)")
            }
            // The largest uniforms of either precision, and a P(K = 0) rounded to Float: a few spikes,
            // not a count that runs on until the probabilities underflow.
            for u in [1 - 0x1p-23, 1 - 0x1p-53, 1.0.nextDown] {
                let count = SpikeGeneration.poissonCountAfterNone(uniform: u, mean: lambda, noSpike: Double(Float(noSpike)))
                #expect(count >= 1 && count <= table.largest, "λ \(lambda), u \(u): \(count)")
            }
        }
    }

    @Test("the tabulated Poisson inversion has mean and variance μ, and the exact probabilities", arguments: [0.0, 2.0, 100.0, 3000.0])
    func poissonTable(mean mu: Double) {
        let table = PoissonTable(mean: mu)
        var generator = Xoshiro256(seed: 18)
        let n = 200_000
        let draws = (0..<n).map { _ in Double(table.draw(generator.uniform())) }
        let mean = draws.reduce(0, +) / Double(n)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        if mu == 0 {
            #expect(draws.allSatisfy { $0 == 0 })
            return
        }
        #expect(abs(mean - mu) < 5 * (mu / Double(n)).squareRoot())
        #expect(abs(variance / mu - 1) < 5 * ((1 / mu + 2) / Double(n)).squareRoot())
        // Inversion: P(K = 0) = e^{−μ} exactly where it is representable.
        if mu == 2 {
            #expect(table.draw(0) == 0 && table.draw(exp(-2) * 0.999_999) == 0 && table.draw(exp(-2) * 1.000_001) == 1)
            #expect(table.draw(0.999_999_999_999) < table.largest + 1)
        }
        // The guided scan returns what bisection over the whole table returns, edges included.
        var probe = Xoshiro256(seed: 19)
        let edges = [0, 0.999_999_999_999_999_9] + (0...64).map { Double($0) / 64 }.filter { $0 < 1 }
        for u in edges + (0..<20_000).map({ _ in probe.uniform() }) {
            #expect(table.draw(u) == table.drawByBisection(u), "u = \(u)")
        }
    }

    @Test("uniform streams: in [0, 1), mean 1/2, variance 1/12, lanes and halves uncorrelated")
    func uniformStreams() {
        var generator = Xoshiro256(seed: 16)
        var streams = UniformStreams(seededFrom: &generator)
        func check<Scalar: DendriteScalar>(_: Scalar.Type) {
            let n = 400_000
            var u = [Scalar](repeating: -1, count: UniformStreams.paddedCount(n))
            u.withUnsafeMutableBufferPointer { streams.fill($0.baseAddress!, count: n) }
            let x = u.map(Double.init)
            #expect(x.allSatisfy { $0 >= 0 && $0 < 1 })
            let mean = x.reduce(0, +) / Double(x.count)
            let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count)
            #expect(abs(mean - 0.5) < 5 * (1.0 / 12 / Double(x.count)).squareRoot())
            #expect(abs(variance * 12 - 1) < 0.01)
            // Neighbours come from different lanes (or halves of one word): no correlation.
            for lag in 1...8 {
                var sum = 0.0
                for i in 0..<(x.count - lag) { sum += (x[i] - 0.5) * (x[i + lag] - 0.5) }
                #expect(abs(sum / Double(x.count - lag) * 12) < 0.01, "lag \(lag)")
            }
        }
        check(Float.self)
        check(Double.self)
        // Seeded from the generator: the same seed, the same uniforms.
        var g1 = Xoshiro256(seed: 17), g2 = Xoshiro256(seed: 17)
        var a = UniformStreams(seededFrom: &g1), b = UniformStreams(seededFrom: &g2)
        #expect(a.next() == b.next())
        #expect(g1 == g2 && g1 != Xoshiro256(seed: 17))
    }

    /// The vectorizable exp and σ against Foundation's, over the whole range the sampler meets.
    func polynomialExpAccuracy<Scalar: DendriteScalar>(_: Scalar.Type, ulps: Double) {
        var worst = 0.0, worstSigmoid = 0.0
        var x = -80.0
        while x <= 80 {
            let v = Scalar(x)
            let reference = Double(Scalar.exp(v))
            worst = max(worst, abs(Double(Scalar.polynomialExp(v)) - reference) / reference)
            // What the sampler uses: 1/σ(v) = 1 + e^{−v}.
            let inverseSigmoid = 1 + Scalar.polynomialExp(-v)
            worstSigmoid = max(worstSigmoid, abs(Double(1 / inverseSigmoid) - Double(sigmoid(v))) / Double(sigmoid(v)))
            x += 0.00731
        }
        let epsilon = Double(Scalar.ulpOfOne)
        #expect(worst < ulps * epsilon, "exp: worst relative error \(worst / epsilon) ulp")
        #expect(worstSigmoid < ulps * epsilon, "σ: worst relative error \(worstSigmoid / epsilon) ulp")
        #expect(worst > 0 || Scalar.self == Double.self)  // not Foundation's exp itself
        // Beyond the clamp: no overflow to infinity or NaN; σ saturates.
        #expect(Scalar.polynomialExp(Scalar(-1000)) >= 0 && Scalar.polynomialExp(Scalar(-1000)) < Scalar(1e-30))
        #expect(Scalar.polynomialExp(Scalar(1000)).isFinite)
        #expect(1 / (1 + Scalar.polynomialExp(1000)) < Scalar(1e-30) && 1 / (1 + Scalar.polynomialExp(-1000)) == 1)
    }

    @Test("polynomial exp and σ agree with Foundation's within a few ulp (Float)")
    func polynomialExpFloat() { polynomialExpAccuracy(Float.self, ulps: 4) }

    @Test("polynomial exp and σ agree with Foundation's within a few ulp (Double)")
    func polynomialExpDouble() { polynomialExpAccuracy(Double.self, ulps: 8) }
}

@Suite("Spiking mode: phases, plateaus, tests")
struct SpikingNetworkTests {
    static let configuration = NetworkConfiguration(hiddenSizes: [60])

    static func weights(seed: UInt64 = 2) -> NetworkWeights<Double> {
        var generator = Xoshiro256(seed: seed)
        return WeightInitialization().makeWeights(for: configuration, using: &generator)
    }

    @Test("the teaching signal drives the correct class up and the others down; plateaus are σ(Ā)")
    func teachingAndPlateaus() {
        var dynamics = SpikingDynamics<Double>(configuration: Self.configuration)
        var averages = PhaseAverages<Double>(configuration: Self.configuration)
        var generator = Xoshiro256(seed: 3)
        let weights = Self.weights()
        var input = [Double](repeating: 0, count: 784)
        let train = MNISTData.dataset.train
        for n in 0..<5 {
            inputRates(train.image(n), maximumRate: 0.2, into: &input)
            let label = Int(train.labels[n])
            dynamics.presentTrainingExample(input: input, label: label, weights: weights, averages: &averages, generator: &generator)
            let forward = averages.rateForward[1], target = averages.rateTarget[1]
            for i in 0..<10 {
                if i == label { #expect(target[i] > forward[i]) } else { #expect(target[i] < forward[i] - 0.01) }
            }
            for i in 0..<60 {
                #expect(abs(averages.plateauForward[0][i] - 1 / (1 + exp(-averages.apicalForward[0][i]))) < 1e-14)
            }
            // The mean PSP of the input is zero exactly where the pixel is zero.
            for j in 0..<784 where input[j] == 0 { #expect(averages.presynapticForward[0][j] == 0) }
        }
    }

    @Test("random plateau times shift each neuron's averaging window")
    func randomPlateauTimes() {
        var options = SpikingOptions()
        options.randomPlateauTimes = true
        var dynamics = SpikingDynamics<Double>(configuration: Self.configuration, options: options)
        var averages = PhaseAverages<Double>(configuration: Self.configuration)
        var generator = Xoshiro256(seed: 3)
        var input = [Double](repeating: 0, count: 784)
        inputRates(MNISTData.dataset.train.image(0), maximumRate: 0.2, into: &input)
        dynamics.presentTrainingExample(input: input, label: 5, weights: Self.weights(), averages: &averages, generator: &generator)
        let atEnd = averages.apicalForward[0].map { 1 / (1 + exp(-$0)) }
        let shifted = zip(atEnd, averages.plateauForward[0]).filter { abs($0 - $1) > 1e-12 }.count
        // A delay of 0 has probability P(|N(0,3)| < 1) ≈ 0.26, so most neurons are shifted.
        #expect(shifted > 25 && shifted < 60)
        #expect(averages.plateauForward[0].allSatisfy { $0 > 0 && $0 < 1 })
    }

    @Test("parallel tests give the same potentials for any thread count, and depend on the seed")
    func parallelDeterminism() {
        let weights = Self.weights()
        let indices = Array(0..<9)
        let one = SpikingEvaluator<Double>(configuration: Self.configuration, threads: 1)
            .outputPotentials(images: MNISTData.dataset.test, indices: indices, weights: weights, seed: 5)
        let two = SpikingEvaluator<Double>(configuration: Self.configuration, threads: 2)
            .outputPotentials(images: MNISTData.dataset.test, indices: indices, weights: weights, seed: 5)
        let three = SpikingEvaluator<Double>(configuration: Self.configuration, threads: 3)
            .outputPotentials(images: MNISTData.dataset.test, indices: indices.reversed(), weights: weights, seed: 5)
        let other = SpikingEvaluator<Double>(configuration: Self.configuration, threads: 2)
            .outputPotentials(images: MNISTData.dataset.test, indices: indices, weights: weights, seed: 6)
        #expect(one == two)
        #expect(one == Array(three.reversed()))
        #expect(one != other)
    }

    @Test("in-place learning updates keep the cached synaptic input equal to the dense computation",
          arguments: [FeedbackWiring.broadcast, .layerwise])
    func inPlaceUpdates(wiring: FeedbackWiring) {
        var configuration = NetworkConfiguration(hiddenSizes: [40, 20], feedbackWiring: wiring)
        configuration.variants.feedbackLearningRates = wiring == .layerwise ? [0.05, 0.05] : nil
        var generator = Xoshiro256(seed: 21)
        var weights: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        var dynamics = SpikingDynamics<Double>(configuration: configuration)
        dynamics.reloadInterval = 7   // so that the periodic reload (and, for a kept W_0, its rebuild) happens here
        dynamics.weightsDidChange(weights)
        var rule = LearningRule<Double>(configuration: configuration, learningRates: [0.23, 0.23, 0.12])
        // W_0 is kept by the dynamics while it trains: the learner's stays behind, and the
        // dynamics' own must equal W_0 updated image by image.
        var averages = PhaseAverages<Double>(configuration: configuration)
        var input = [Double](repeating: 0, count: 784)
        let initial = weights
        var reference = weights.forward[0]
        for n in 0..<30 {
            inputRates(MNISTData.dataset.train.image(n), maximumRate: 0.2, into: &input)
            dynamics.presentTrainingExample(input: input, label: Int(MNISTData.dataset.train.labels[n]), weights: weights,
                                            averages: &averages, generator: &generator)
            var full = weights, fullRule = rule, fullGenerator = generator
            fullRule.update(&full, from: averages, generator: &fullGenerator)
            _ = dynamics.learn(&rule, weights: &weights, averages: averages, generator: &generator)
            // Everything but W_0 is the learner's, updated as the rule alone updates it.
            #expect(Array(weights.forward[1...]) == Array(full.forward[1...]) && weights.bias == full.bias, "image \(n)")
            reference.addOuterProduct(rule.errors[0], averages.presynapticForward[0], scaledBy: rule.stepSizes[0])
            var current = weights
            current.forward[0] = reference
            #expect(dynamics.cachedInputDeviation(from: current) < 1e-12, "image \(n)")
        }
        // The learner's W_0 has not moved until it is synchronized with the dynamics'.
        #expect(weights.forward[0] == initial.forward[0])
        #expect(dynamics.cachedInputDeviation(from: weights) > 1e-6)
        dynamics.synchronize(&weights)
        let scale = reference.values.map(abs).max()!
        #expect(zip(weights.forward[0].values, reference.values).map { abs($0 - $1) }.max()! < 1e-12 * scale)
        #expect(dynamics.cachedInputDeviation(from: weights) < 1e-12)
        #expect(weights != initial)
        // A stale cache is caught: the check compares against the weights it is given.
        #expect(dynamics.cachedInputDeviation(from: initial) > 1e-6)
    }

    @Test("spiking training is deterministic for a seed")
    func trainingDeterminism() throws {
        func train(_ seed: UInt64) throws -> NetworkWeights<Double> {
            var options = TrainingOptions(learningRates: [0.21, 0.21])
            options.imagesPerEpoch = 60
            options.quickTestInterval = 30
            options.quickTestImages = 4
            options.fullTestImages = 8
            options.seed = seed
            var trainer = Trainer(network: Self.configuration, options: options, weights: Self.weights(seed: seed),
                                  dynamics: SpikingDynamics<Double>(configuration: Self.configuration),
                                  evaluator: SpikingEvaluator<Double>(configuration: Self.configuration),
                                  generator: Xoshiro256(seed: seed))
            try trainer.run(dataset: MNISTData.dataset, observers: [])
            return trainer.weights
        }
        let a = try train(8), b = try train(8), c = try train(9)
        #expect(a == b)
        #expect(a != c)
        #expect(a != Self.weights(seed: 8))
    }

    /// Records, after each learning step, whether W_0 changed since the last step.
    final class BottomWeightsRecorder: TrainingObserver {
        var changed: [Bool] = []
        var last: [Double] = []
        func didLearn<Scalar>(epoch: Int, image: Int, rule: LearningRule<Scalar>, averages: PhaseAverages<Scalar>,
                              weights: NetworkWeights<Scalar>) throws {
            let values = weights.forward[0].values.map { Double($0) }
            changed.append(values != last)
            last = values
        }
    }

    @Test("the trainer synchronizes the weights with the dynamics before each sanity check and quick test, and at the epoch's end",
          arguments: [0, 30])
    func pendingUpdatesSchedule(quickTestInterval: Int) throws {
        var options = TrainingOptions(learningRates: [0.21, 0.21])
        typealias SpikingTrainer = Trainer<SpikingDynamics<Double>, SpikingEvaluator<Double>>
        let sanity = SpikingTrainer.sanityInterval
        options.imagesPerEpoch = sanity + 30
        options.quickTestInterval = quickTestInterval
        options.quickTestImages = 4
        options.fullTestImages = 8
        var trainer = Trainer(network: Self.configuration, options: options, weights: Self.weights(),
                              dynamics: SpikingDynamics<Double>(configuration: Self.configuration),
                              evaluator: SpikingEvaluator<Double>(configuration: Self.configuration),
                              generator: Xoshiro256(seed: 4))
        let recorder = BottomWeightsRecorder()
        try trainer.run(dataset: MNISTData.dataset, observers: [recorder])
        // W_0 (kept by the dynamics) reaches the learner's weights at every full sanity check and
        // quick test only (the first image: the observer's first look).
        let expected = (1...(sanity + 30)).map { n in
            n == 1 || n % sanity == 0 || (quickTestInterval > 0 && n % quickTestInterval == 0)
        }
        #expect(recorder.changed == expected)
        // The weights the epoch ended with are the ones the dynamics used: all updates applied.
        #expect(trainer.dynamics.cachedInputDeviation(from: trainer.weights) < 1e-12)
    }

    @Test("the benchmark trains and tests in each mode and precision (W_0 kept by spiking dynamics)",
          arguments: [(SimulationMode.spiking, Precision.float32), (.spiking, .float64), (.rate, .float64)])
    func benchmarkRuns(mode: SimulationMode, precision: Precision) {
        let result = Benchmark.measure(hidden: [500], mode: mode, precision: precision, dataset: MNISTData.dataset,
                                       trainImages: 3, testImages: 2, warmUp: 1)
        #expect(result.network == "784-500-10" && result.mode == mode && result.precision == precision)
        for time in [result.trainMilliseconds, result.testMillisecondsOneThread, result.testMillisecondsAllThreads] {
            #expect(time > 0 && time.isFinite)
        }
    }
}

@Suite("Learning on real MNIST (spiking mode)")
struct SpikingLearningTests {
    final class EpochErrors: TrainingObserver {
        var testErrors: [Double] = []
        func didFinishEpoch<Scalar>(_ summary: EpochSummary, weights: NetworkWeights<Scalar>) throws {
            testErrors.append(summary.testError)
        }
    }

    /// Issue 3: trained on 5,000 images, < 20% test error on 1,000 test images. One pass over them
    /// gives about 24–32% (the faithful model needs about 6,000 images for 20%; see
    /// Results/README.md); four passes over the same 5,000 images give 14–18% (seeds 1–5).
    @Test("spiking 784-500-10 trained on 5,000 images: < 40% after one pass, < 20% after four (float32)")
    func oneHiddenLayerLearns() throws {
        let configuration = NetworkConfiguration(hiddenSizes: [500])
        var options = TrainingOptions(learningRates: [0.21, 0.21])
        options.imagesPerEpoch = 5000
        options.epochs = 4
        options.shuffle = false
        options.quickTestInterval = 0
        options.fullTestImages = 1000
        var generator = Xoshiro256(seed: 1)
        let drawn: NetworkWeights<Double> = WeightInitialization().makeWeights(for: configuration, using: &generator)
        var trainer = Trainer(network: configuration, options: options, weights: drawn.converted() as NetworkWeights<Float>,
                              dynamics: SpikingDynamics<Float>(configuration: configuration),
                              evaluator: SpikingEvaluator<Float>(configuration: configuration), generator: generator)
        let before = trainer.testError(on: MNISTData.dataset.test, indices: Array(0..<1000), seed: 7)
        let epochs = EpochErrors()
        try trainer.run(dataset: MNISTData.dataset, observers: [epochs])
        #expect(before > 70)
        #expect(epochs.testErrors.count == 4)
        #expect(epochs.testErrors[0] < 40, "one pass over the 5,000 images")
        #expect(epochs.testErrors[3] < 20, "four passes over the same 5,000 images")
    }
}
