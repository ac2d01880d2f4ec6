/// Synaptic input through a fixed matrix M (post × pre), kept event-driven: for each of the
/// presynaptic population's last `mem` steps it holds the drive D(u) = Σ_{spikes j at u} M[:, j],
/// so that M s(t) = Σ_{k=1…mem} κ(k) D(t−k+1) exactly (to rounding), with a column added per
/// spike instead of a matrix-vector product per step.
///
/// The κ-weighted sum itself is kept by the two recursive filters of `PSPFilter` (H and P per
/// postsynaptic neuron), updated as each new drive arrives (`push`); `kernelSumCurrent` is the
/// readable reference that sums the `mem` drives directly.
///
/// A projection from a small population (`Evaluation.onDemand`: the output layer's feedback)
/// keeps only the spike counts of the last `mem` steps and computes its input directly when read.
public struct SynapticProjection<Scalar: DendriteScalar>: Sendable {
    /// How the input is kept.
    public enum Evaluation: Sendable {
        /// Drives and filters, updated as each step's spikes arrive (`push`): for large presynaptic
        /// populations, whose input is read every step.
        case eventDriven
        /// Only the presynaptic spike counts of the last `mem` steps; the input is computed directly,
        /// M (Σ_k κ(k) S(t−k+1)), when it is read. For small presynaptic populations (the output
        /// layer's feedback), whose input is read only in the averaging windows.
        case onDemand
    }
    public let evaluation: Evaluation
    public let presynapticCount: Int
    public let postsynapticCount: Int
    public let memory: Int
    /// The postsynaptic count rounded up to whole blocks of `push` (the padding stays zero).
    let blockedCount: Int
    /// The distance between the rows of Mᵀ and between drive slots: `blockedCount` plus one block,
    /// so that rows do not lie a power of two apart (they would then share L1 cache sets).
    let stride: Int
    /// Mᵀ (pre × stride), so that the column of presynaptic neuron j is contiguous; it starts
    /// `transposedStart` elements into the array.
    private var transposed: [Scalar]
    /// memory × stride: the drive of each slot of the presynaptic history, from `driveStart` on.
    private var drive: [Scalar]
    /// Where the data begin in `transposed` and `drive`: at the first 64-byte boundary of the
    /// array as allocated, so that each block of 16 Floats is one cache line (rows and slots are
    /// whole lines apart). A copy of the projection keeps the offsets (and stays correct, if not
    /// aligned).
    private let transposedStart: Int, driveStart: Int
    /// The filter states H(t) and P(t) (PSPFilter), one per postsynaptic neuron.
    private var fastFilter: [Scalar]
    private var synapticInput: [Scalar]
    /// Spikes per slot, and in all slots: with none left in memory, H and P are set to exactly
    /// zero, as the direct sum is (rounding residues of the recursion would otherwise linger).
    private var slotSpikes: [Int]
    private var spikesInMemory = 0
    private let filter: PSPFilter<Scalar>
    private let kernel: [Scalar]
    /// On demand: the spike count of each presynaptic neuron in each slot (a row of
    /// `countStride(presynaptic)` per slot), and the newest slot.
    private var slotCounts: [Scalar] = []
    private var newestSlot = 0
    /// On demand: ψ_j ≠ 0 and their neurons j (`refreshPresynapticPotentials`), and whether they
    /// are those of the newest counts.
    private var activePSP: [Scalar] = []
    private var activePresynaptic: [Int] = []
    private var activeCount = 0
    private var presynapticPotentialsAreFresh = false

    public init(presynaptic: Int, postsynaptic: Int, memory: Int, neuron: NeuronParameters = NeuronParameters(),
                evaluation: Evaluation = .eventDriven) {
        precondition(memory == neuron.kernelMemory, "the projection's memory must be the kernel's")
        self.evaluation = evaluation
        if evaluation == .onDemand {
            slotCounts = [Scalar](repeating: 0, count: memory * Self.countStride(presynaptic))
            activePSP = [Scalar](repeating: 0, count: Self.countStride(presynaptic))
            activePresynaptic = [Int](repeating: 0, count: presynaptic)
        }
        presynapticCount = presynaptic
        postsynapticCount = postsynaptic
        self.memory = memory
        blockedCount = (postsynaptic + Self.blockWidth - 1) / Self.blockWidth * Self.blockWidth
        stride = blockedCount + Block.scalarCount
        let padding = 64 / MemoryLayout<Scalar>.stride
        transposed = [Scalar](repeating: 0, count: presynaptic * stride + padding)
        drive = [Scalar](repeating: 0, count: memory * stride + padding)
        transposedStart = transposed.withUnsafeBufferPointer { Self.cacheLineStart($0) }
        driveStart = drive.withUnsafeBufferPointer { Self.cacheLineStart($0) }
        fastFilter = [Scalar](repeating: 0, count: blockedCount)
        synapticInput = [Scalar](repeating: 0, count: blockedCount)
        slotSpikes = [Int](repeating: 0, count: memory)
        filter = PSPFilter(neuron)
        kernel = PSPKernel.values(neuron)
    }

    /// Writes M (from the transposed copy, with every in-place update) into `matrix`: the inverse
    /// of `load`, exact. In 16 × 16 tiles, so that both sides are read and written a cache line at a time.
    public func copyMatrix(into matrix: inout Matrix<Scalar>) {
        precondition(matrix.rows == postsynapticCount && matrix.columns == presynapticCount)
        let (rows, columns, stride, tStart, tile) = (postsynapticCount, presynapticCount, self.stride, transposedStart, 16)
        transposed.withUnsafeBufferPointer { buffer in
            matrix.values.withUnsafeMutableBufferPointer { m in
                let t = buffer.baseAddress! + tStart
                for jStart in Swift.stride(from: 0, to: columns, by: tile) {
                    let jEnd = min(jStart + tile, columns)
                    for iStart in Swift.stride(from: 0, to: rows, by: tile) {
                        let iEnd = min(iStart + tile, rows)
                        for i in iStart..<iEnd {
                            for j in jStart..<jEnd { m[i * columns + j] = t[j * stride + i] }
                        }
                    }
                }
            }
        }
    }

    /// Takes a new M, and recomputes every drive and both filters from the spikes still in `history`.
    public mutating func load(_ matrix: Matrix<Scalar>, history: SpikeHistory) {
        let tStart = transposedStart
        precondition(matrix.rows == postsynapticCount && matrix.columns == presynapticCount)
        let (rows, columns, stride) = (matrix.rows, matrix.columns, self.stride)
        matrix.values.withUnsafeBufferPointer { m in
            transposed.withUnsafeMutableBufferPointer { buffer in
                let t = buffer.baseAddress! + tStart
                for i in 0..<rows {
                    for j in 0..<columns { t[j * stride + i] = m[i * columns + j] }
                }
            }
        }
        rebuild(from: history)
    }

    /// Recomputes every drive from the spikes in `history`, and H and P directly from the drives
    /// (not recursively), so the state depends only on M and the history.
    public mutating func rebuild(from history: SpikeHistory) {
        let dStart = driveStart
        let (n, stride, memory) = (blockedCount, self.stride, self.memory)
        precondition(history.memory == memory)
        if evaluation == .onDemand {
            for slot in 0..<memory { countSpikes(history.spikes(inSlot: slot), slot: slot) }
            newestSlot = history.head
            return
        }
        for slot in 0..<memory { ingest(history.spikes(inSlot: slot), slot: slot) }
        slotSpikes = (0..<memory).map { history.count(inSlot: $0) }
        spikesInMemory = slotSpikes.reduce(0, +)
        let (kernel, fastWeights) = (self.kernel, filter.fastWeights)
        drive.withUnsafeBufferPointer { d in
            fastFilter.withUnsafeMutableBufferPointer { h in
                synapticInput.withUnsafeMutableBufferPointer { p in
                    for i in 0..<n { h[i] = 0; p[i] = 0 }
                    for k in 0..<memory {
                        let slot = d.baseAddress! + dStart + history.slot(lag: k) * stride
                        for i in 0..<n {
                            h[i] += fastWeights[k] * slot[i]
                            p[i] += kernel[k] * slot[i]
                        }
                    }
                }
            }
        }
    }

    /// Applies a rank-one change M ← M + scale · x yᵀ in place (x postsynaptic, y presynaptic):
    /// to Mᵀ only where y_j ≠ 0, and to each cached drive, which changes by
    /// scale · (Σ_{j ∈ slot} y_j) · x; H and P change by the same weighted sums of those changes.
    public mutating func applyRankOneUpdate(scale: Scalar, postsynaptic x: [Scalar], presynaptic y: [Scalar], history: SpikeHistory) {
        let (tStart, dStart) = (transposedStart, driveStart)
        let (n, stride, presynapticCount, memory) = (postsynapticCount, self.stride, self.presynapticCount, self.memory)
        let (kernel, fastWeights) = (self.kernel, filter.fastWeights)
        transposed.withUnsafeMutableBufferPointer { t in
            x.withUnsafeBufferPointer { xp in
                for j in 0..<presynapticCount where y[j] != 0 {
                    let factor = scale * y[j]
                    let row = t.baseAddress! + tStart + j * stride
                    for i in 0..<n { row[i] += factor * xp[i] }
                }
            }
        }
        if evaluation == .onDemand { return }  // the input is computed from M when read
        var fastChange: Scalar = 0, slowChange: Scalar = 0
        drive.withUnsafeMutableBufferPointer { d in
            x.withUnsafeBufferPointer { xp in
                for k in 0..<memory {
                    let slot = history.slot(lag: k)
                    var total: Scalar = 0
                    history.withSpikes(inSlot: slot) { for j in $0 { total += y[Int(j)] } }
                    if total == 0 { continue }
                    let factor = scale * total
                    fastChange += fastWeights[k] * factor
                    slowChange += kernel[k] * factor
                    let target = d.baseAddress! + dStart + slot * stride
                    for i in 0..<n { target[i] += factor * xp[i] }
                }
            }
        }
        x.withUnsafeBufferPointer { xp in
            fastFilter.withUnsafeMutableBufferPointer { h in
                for i in 0..<n { h[i] += fastChange * xp[i] }
            }
            synapticInput.withUnsafeMutableBufferPointer { p in
                for i in 0..<n { p[i] += slowChange * xp[i] }
            }
        }
    }

    /// D(slot) = Σ_{j ∈ spikes} M[:, j] (the filters are not touched: `rebuild` and `push` use this).
    private mutating func ingest<Spikes: Sequence<Int32>>(_ spikes: Spikes, slot: Int) {
        let (tStart, dStart) = (transposedStart, driveStart)
        let (n, stride) = (blockedCount, self.stride)
        transposed.withUnsafeBufferPointer { t in
            drive.withUnsafeMutableBufferPointer { d in
                let target = d.baseAddress! + dStart + slot * stride
                for i in 0..<n { target[i] = 0 }
                for j in spikes {
                    let column = t.baseAddress! + tStart + Int(j) * stride
                    for i in 0..<n { target[i] += column[i] }
                }
            }
        }
    }

    /// A new step: `spikes` are the presynaptic spikes of step t, to be stored in `slot` (the new
    /// head of the history), which until now held D(t − mem). Updates H and P (PSPFilter):
    ///
    ///   D(t) = Σ_{j ∈ spikes} M[:, j]
    ///   H ← b H + D(t) − b^mem D(t − mem)
    ///   P ← a P + c(a − b) H − c a (a^mem − b^mem) D(t − mem)
    ///
    /// in blocks of postsynaptic neurons, so that D(t) of a block is summed in registers and each
    /// block is read and written once.
    public mutating func push(_ spikes: [Int32], slot: Int) {
        spikes.withUnsafeBufferPointer { push($0, slot: slot) }
    }

    /// `push` reading the spikes in place (the step loop's path: no array is retained).
    mutating func push(_ spikes: UnsafeBufferPointer<Int32>, slot: Int) {
        if evaluation == .onDemand {
            countSpikes(spikes, slot: slot)
            newestSlot = slot
            return
        }
        let (tStart, dStart) = (transposedStart, driveStart)
        let (n, stride) = (blockedCount, self.stride)
        let constants = filterConstants
        spikesInMemory += spikes.count - slotSpikes[slot]
        slotSpikes[slot] = spikes.count
        if spikesInMemory == 0 {
            ingest(spikes, slot: slot)
            for i in 0..<n { fastFilter[i] = 0; synapticInput[i] = 0 }
            return
        }
        let width = Block.scalarCount
        transposed.withUnsafeBufferPointer { t in
            drive.withUnsafeMutableBufferPointer { d in
                fastFilter.withUnsafeMutableBufferPointer { h in
                    synapticInput.withUnsafeMutableBufferPointer { p in
                        do {
                            let s = spikes
                            let (columns, stored) = (t.baseAddress! + tStart, d.baseAddress! + dStart + slot * stride)
                            let (fast, slow) = (h.baseAddress!, p.baseAddress!)
                            /// The filters of one block of neurons, given their D(t) and D(t − mem).
                            @inline(__always) func update(_ start: Int, _ arriving: Block, _ leaving: Block) {
                                let (hNew, pNew) = Self.filterStep(loadBlock(fast + start), loadBlock(slow + start), arriving, leaving,
                                                                   constants)
                                storeBlock(hNew, fast + start)
                                storeBlock(pNew, slow + start)
                                storeBlock(arriving, stored + start)
                            }
                            // D(t) of 4 × 16 neurons at a time summed in registers over all spikes (for
                            // Float, eight independent AVX sums, which hide the adds' latency; Double
                            // takes 2 × 16, which fill as many registers), then 2 × 16, then 16.
                            var start = 0
                            let fourBlocks = MemoryLayout<Scalar>.size <= 4
                            while fourBlocks && start + 4 * width <= n {
                                var sum0 = Block(), sum1 = Block(), sum2 = Block(), sum3 = Block()
                                for j in s {
                                    let column = columns + (Int(j) &* stride &+ start)
                                    sum0 += loadBlock(column)
                                    sum1 += loadBlock(column + width)
                                    sum2 += loadBlock(column + 2 * width)
                                    sum3 += loadBlock(column + 3 * width)
                                }
                                update(start, sum0, loadBlock(stored + start))
                                update(start + width, sum1, loadBlock(stored + start + width))
                                update(start + 2 * width, sum2, loadBlock(stored + start + 2 * width))
                                update(start + 3 * width, sum3, loadBlock(stored + start + 3 * width))
                                start += 4 * width
                            }
                            while start + 2 * width <= n {
                                var sum0 = Block(), sum1 = Block()
                                for j in s {
                                    let column = columns + (Int(j) &* stride &+ start)
                                    sum0 += loadBlock(column)
                                    sum1 += loadBlock(column + width)
                                }
                                update(start, sum0, loadBlock(stored + start))
                                update(start + width, sum1, loadBlock(stored + start + width))
                                start += 2 * width
                            }
                            if start < n {
                                var sum = Block()
                                for j in s { sum += loadBlock(columns + (Int(j) &* stride &+ start)) }
                                update(start, sum, loadBlock(stored + start))
                            }
                        }
                    }
                }
            }
        }
    }

    /// `push`, then result = base + P(t): the step of a forward projection, whose input is read
    /// right after its presynaptic layer has spiked.
    public mutating func push(_ spikes: [Int32], slot: Int, base: [Scalar], into result: inout [Scalar]) {
        push(spikes, slot: slot)
        current(base: base, into: &result)
    }

    /// The filter's constants (copying `filter` itself would retain its array).
    private var filterConstants: FilterConstants {
        (filter.fastDecay, filter.fastTail, filter.slowDecay, filter.fastIntoSlow, filter.slowTail)
    }
    typealias FilterConstants = (fastDecay: Scalar, fastTail: Scalar, slowDecay: Scalar, fastIntoSlow: Scalar, slowTail: Scalar)

    /// One step of the two filters (PSPFilter) for a block of neurons, given their D(t) (arriving)
    /// and D(t − mem) (leaving), in fused multiply-adds:
    ///
    ///   H ← b H + D(t) − b^mem D(t − mem)
    ///   P ← a P + c(a − b) H − c a (a^mem − b^mem) D(t − mem)
    @inline(__always)
    static func filterStep(_ h: Block, _ p: Block, _ arriving: Block, _ leaving: Block, _ c: FilterConstants) -> (Block, Block) {
        let hNew = arriving.addingProduct(c.fastDecay, h).addingProduct(-c.fastTail, leaving)
        let pNew = (c.fastIntoSlow * hNew).addingProduct(c.slowDecay, p).addingProduct(-c.slowTail, leaving)
        return (hNew, pNew)
    }

    /// The index of the first element of `buffer` that lies on a 64-byte boundary.
    private static func cacheLineStart(_ buffer: UnsafeBufferPointer<Scalar>) -> Int {
        let address = Int(bitPattern: buffer.baseAddress!)
        return ((64 - address % 64) % 64) / MemoryLayout<Scalar>.stride
    }

    typealias Block = SIMD16<Scalar>
    /// Layers are padded to whole blocks of 16 neurons (`push` takes up to four blocks at a time).
    static var blockWidth: Int { Block.scalarCount }

    /// result = base + P(t), the filtered κ-weighted sum of the drives (kept by `push`).
    public func current(base: [Scalar], into result: inout [Scalar]) {
        base.withUnsafeBufferPointer { b in
            result.withUnsafeMutableBufferPointer { r in current(base: b, into: r) }
        }
    }

    /// Calls `body` with P(t) = M s(t) (without the base) of the real neurons.
    func withSynapticInput<Result>(_ body: (UnsafeBufferPointer<Scalar>) -> Result) -> Result {
        precondition(evaluation == .eventDriven, "an on-demand projection keeps no input")
        return synapticInput.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[0..<postsynapticCount])) }
    }

    /// result = bases[layer] + P(t) (the step loop's path: inside a method, the projection is read
    /// in place; a caller's closure would copy it).
    func current(bases: [[Scalar]], layer: Int, into result: inout [Scalar]) {
        bases[layer].withUnsafeBufferPointer { b in
            result.withUnsafeMutableBufferPointer { r in current(base: b, into: r) }
        }
    }

    /// `current` on buffers (the step loop's path).
    func current(base: UnsafeBufferPointer<Scalar>, into result: UnsafeMutableBufferPointer<Scalar>) {
        let n = postsynapticCount
        precondition(base.count >= n && result.count >= n)
        if evaluation == .onDemand {
            onDemandCurrent(base: base, into: result)
            return
        }
        withSynapticInput { p in
            for i in 0..<n { result[i] = p[i] + base[i] }
        }
    }

    /// On demand: ψ_j = Σ_k κ(k) S_j(t−k+1) from the counts of the last `mem` steps, kept for the
    /// presynaptic neurons where it is not zero (`onDemandCurrent` reads them). The step loop
    /// calls this before it reads the input; `current` computes ψ itself when it is stale.
    public mutating func refreshPresynapticPotentials() {
        guard evaluation == .onDemand, !presynapticPotentialsAreFresh else { return }
        let (pre, memory, newest) = (presynapticCount, self.memory, newestSlot)
        activeCount = kernel.withUnsafeBufferPointer { kappa in
            slotCounts.withUnsafeBufferPointer { counts in
                activePSP.withUnsafeMutableBufferPointer { psp in
                    activePresynaptic.withUnsafeMutableBufferPointer { active in
                        Self.presynapticPotentials(counts: counts.baseAddress!, kernel: kappa, presynaptic: pre, memory: memory,
                                                   newest: newest, into: psp.baseAddress!, active: active.baseAddress!)
                    }
                }
            }
        }
        presynapticPotentialsAreFresh = true
    }

    /// ψ_j ≠ 0 into psp[0..<k] and their j into active[0..<k]; returns k. Counts are rows of
    /// `countStride` (whole blocks) per slot; psp holds `countStride` values.
    private static func presynapticPotentials(counts: UnsafePointer<Scalar>, kernel: UnsafeBufferPointer<Scalar>, presynaptic pre: Int,
                                              memory: Int, newest: Int, into psp: UnsafeMutablePointer<Scalar>,
                                              active: UnsafeMutablePointer<Int>) -> Int {
        let (rowStride, width) = (countStride(pre), Block.scalarCount)
        var start = 0
        while start < rowStride {
            var sum = Block()
            var slot = newest
            for k in 0..<memory {
                sum = sum.addingProduct(kernel[k], loadBlock(counts + (slot &* rowStride &+ start)))
                slot = slot == 0 ? memory - 1 : slot - 1
            }
            storeBlock(sum, psp + start)
            start += width
        }
        var count = 0
        for j in 0..<pre {
            psp[count] = psp[j]
            active[count] = j
            count &+= (psp[j] != 0).asInteger
        }
        return count
    }

    /// On demand: base + Σ_j ψ_j M[:, j] over the neurons with ψ_j ≠ 0, 16 postsynaptic neurons at a time.
    private func onDemandCurrent(base: UnsafeBufferPointer<Scalar>, into result: UnsafeMutableBufferPointer<Scalar>) {
        let (n, pre, stride, tStart) = (postsynapticCount, presynapticCount, self.stride, transposedStart)
        transposed.withUnsafeBufferPointer { t in
            let columns = t.baseAddress! + tStart
            if presynapticPotentialsAreFresh {
                activePresynaptic.withUnsafeBufferPointer { active in
                    activePSP.withUnsafeBufferPointer { psp in
                        Self.addColumns(columns, stride: stride, count: n, weights: psp.baseAddress!, indices: active.baseAddress!,
                                        activeCount: activeCount, base: base.baseAddress!, into: result.baseAddress!)
                    }
                }
            } else {  // (not the step loop's path)
                var (psp, active) = ([Scalar](repeating: 0, count: Self.countStride(pre)), [Int](repeating: 0, count: pre))
                let count = kernel.withUnsafeBufferPointer { kappa in
                    Self.presynapticPotentials(counts: slotCounts, kernel: kappa, presynaptic: pre, memory: memory, newest: newestSlot,
                                               into: &psp, active: &active)
                }
                Self.addColumns(columns, stride: stride, count: n, weights: psp, indices: active, activeCount: count,
                                base: base.baseAddress!, into: result.baseAddress!)
            }
        }
    }

    /// result = base + Σ_a weights[a] · column(indices[a]), 16 neurons at a time.
    private static func addColumns(_ columns: UnsafePointer<Scalar>, stride: Int, count n: Int, weights: UnsafePointer<Scalar>,
                                   indices: UnsafePointer<Int>, activeCount: Int, base b: UnsafePointer<Scalar>,
                                   into r: UnsafeMutablePointer<Scalar>) {
        let width = Block.scalarCount
        var start = 0
        while start + width <= n {
            var sum = loadBlock(b + start)
            for a in 0..<activeCount { sum = sum.addingProduct(weights[a], loadBlock(columns + (indices[a] &* stride &+ start))) }
            storeBlock(sum, r + start)
            start += width
        }
        for i in start..<n {
            var sum = b[i]
            for a in 0..<activeCount { sum = sum.addingProduct(weights[a], columns[indices[a] &* stride &+ i]) }
            r[i] = sum
        }
    }

    /// On demand: the length of a slot's row of counts, whole blocks (the padding stays zero).
    static func countStride(_ presynaptic: Int) -> Int { (presynaptic + Block.scalarCount - 1) / Block.scalarCount * Block.scalarCount }

    /// On demand: the counts of `slot` are those of `spikes`.
    private mutating func countSpikes<Spikes: Sequence<Int32>>(_ spikes: Spikes, slot: Int) {
        presynapticPotentialsAreFresh = false
        let (pre, start) = (presynapticCount, slot * Self.countStride(presynapticCount))
        slotCounts.withUnsafeMutableBufferPointer { counts in
            for j in 0..<pre { counts[start + j] = 0 }
            for j in spikes { counts[start + Int(j)] += 1 }
        }
    }

    /// The reference for `current`: base + Σ_{k=1…mem} κ(k) D(newest − k + 1), summed directly
    /// from the cached drives, newest = `history.head`.
    public func kernelSumCurrent(history: SpikeHistory, base: [Scalar], into result: inout [Scalar]) {
        if evaluation == .onDemand {  // no drives are kept: κ(k) M[:, j] for each spike j of each slot
            let (n, stride, tStart) = (postsynapticCount, self.stride, transposedStart)
            transposed.withUnsafeBufferPointer { t in
                for i in 0..<n { result[i] = base[i] }
                for k in 0..<memory {
                    for j in history.spikes(inSlot: history.slot(lag: k)) {
                        let column = t.baseAddress! + tStart + Int(j) * stride
                        for i in 0..<n { result[i] += kernel[k] * column[i] }
                    }
                }
            }
            return
        }
        let dStart = driveStart
        let n = postsynapticCount
        drive.withUnsafeBufferPointer { d in
            base.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { r in
                    for i in 0..<n { r[i] = 0 }
                    for k in 0..<memory {
                        let weight = kernel[k]
                        let slot = d.baseAddress! + dStart + history.slot(lag: k) * stride
                        for i in 0..<n { r[i] += weight * slot[i] }
                    }
                    for i in 0..<n { r[i] += b[i] }
                }
            }
        }
    }

    /// The same input computed directly, M (Σ_k κ(k) S(t−k+1)) + base: the dense reference path.
    public static func directCurrent(matrix: Matrix<Scalar>, history: SpikeHistory, kernel: [Scalar], base: [Scalar]) -> [Scalar] {
        var psp = [Scalar](repeating: 0, count: matrix.columns)
        PSPKernel.addPotentials(of: history, kernel: kernel, into: &psp)
        let product = matrix.applied(to: psp)
        return zip(product, base).map { $0 + $1 }
    }
}

@inline(__always)
private func loadBlock<Scalar: DendriteScalar>(_ pointer: UnsafePointer<Scalar>) -> SIMD16<Scalar> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Scalar>.self)
}

@inline(__always)
private func loadBlock<Scalar: DendriteScalar>(_ pointer: UnsafeMutablePointer<Scalar>) -> SIMD16<Scalar> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Scalar>.self)
}

@inline(__always)
private func storeBlock<Scalar: DendriteScalar>(_ value: SIMD16<Scalar>, _ pointer: UnsafeMutablePointer<Scalar>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD16<Scalar>.self)
}
