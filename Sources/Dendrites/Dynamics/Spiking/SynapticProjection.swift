/// Synaptic input through a fixed matrix M (post × pre), kept event-driven: for each of the
/// presynaptic population's last `mem` steps it holds the drive D(u) = Σ_{spikes j at u} M[:, j],
/// so that M s(t) = Σ_{k=1…mem} κ(k) D(t−k+1) exactly (to rounding), with a column added per
/// spike instead of a matrix-vector product per step.
public struct SynapticProjection<Scalar: DendriteScalar>: Sendable {
    public let presynapticCount: Int
    public let postsynapticCount: Int
    public let memory: Int
    /// Mᵀ (pre × post), so that the column of presynaptic neuron j is contiguous.
    private(set) var transposed: [Scalar]
    /// memory × post: the drive of each slot of the presynaptic history.
    private var drive: [Scalar]

    public init(presynaptic: Int, postsynaptic: Int, memory: Int) {
        presynapticCount = presynaptic
        postsynapticCount = postsynaptic
        self.memory = memory
        transposed = [Scalar](repeating: 0, count: presynaptic * postsynaptic)
        drive = [Scalar](repeating: 0, count: memory * postsynaptic)
    }

    /// Takes a new M, and recomputes every drive from the spikes still in `history`.
    public mutating func load(_ matrix: Matrix<Scalar>, history: SpikeHistory) {
        precondition(matrix.rows == postsynapticCount && matrix.columns == presynapticCount)
        let (rows, columns) = (matrix.rows, matrix.columns)
        matrix.values.withUnsafeBufferPointer { m in
            transposed.withUnsafeMutableBufferPointer { t in
                for i in 0..<rows {
                    for j in 0..<columns { t[j * rows + i] = m[i * columns + j] }
                }
            }
        }
        for slot in 0..<memory { ingest(history.slots[slot], slot: slot) }
    }

    /// Applies a rank-one change M ← M + scale · x yᵀ in place (x postsynaptic, y presynaptic):
    /// to Mᵀ only where y_j ≠ 0, and to each cached drive, which changes by
    /// scale · (Σ_{j ∈ slot} y_j) · x.
    public mutating func applyRankOneUpdate(scale: Scalar, postsynaptic x: [Scalar], presynaptic y: [Scalar], history: SpikeHistory) {
        let n = postsynapticCount
        transposed.withUnsafeMutableBufferPointer { t in
            x.withUnsafeBufferPointer { xp in
                for j in 0..<presynapticCount where y[j] != 0 {
                    let factor = scale * y[j]
                    let row = t.baseAddress! + j * n
                    for i in 0..<n { row[i] += factor * xp[i] }
                }
            }
        }
        drive.withUnsafeMutableBufferPointer { d in
            x.withUnsafeBufferPointer { xp in
                for slot in 0..<memory {
                    var total: Scalar = 0
                    for j in history.slots[slot] { total += y[Int(j)] }
                    if total == 0 { continue }
                    let factor = scale * total
                    let target = d.baseAddress! + slot * n
                    for i in 0..<n { target[i] += factor * xp[i] }
                }
            }
        }
    }

    /// D(slot) = Σ_{j ∈ spikes} M[:, j]
    public mutating func ingest(_ spikes: [Int32], slot: Int) {
        let n = postsynapticCount
        transposed.withUnsafeBufferPointer { t in
            drive.withUnsafeMutableBufferPointer { d in
                let target = d.baseAddress! + slot * n
                for i in 0..<n { target[i] = 0 }
                for j in spikes {
                    let column = t.baseAddress! + Int(j) * n
                    for i in 0..<n { target[i] += column[i] }
                }
            }
        }
    }

    /// result = base + Σ_{k=1…mem} κ(k) D(newest − k + 1), newest = `history.head`.
    public func current(history: SpikeHistory, kernel: [Scalar], base: [Scalar], into result: inout [Scalar]) {
        let n = postsynapticCount
        drive.withUnsafeBufferPointer { d in
            base.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { r in
                    for i in 0..<n { r[i] = 0 }
                    for k in 0..<memory {
                        let weight = kernel[k]
                        let slot = d.baseAddress! + history.slot(lag: k) * n
                        for i in 0..<n { r[i] += weight * slot[i] }
                    }
                    for i in 0..<n { r[i] += b[i] }
                }
            }
        }
    }

    /// The same input computed directly, M (Σ_k κ(k) S(t−k+1)) + base: the reference path.
    public static func directCurrent(matrix: Matrix<Scalar>, history: SpikeHistory, kernel: [Scalar], base: [Scalar]) -> [Scalar] {
        var psp = [Scalar](repeating: 0, count: matrix.columns)
        for k in 0..<history.memory {
            for j in history.slots[history.slot(lag: k)] { psp[Int(j)] += kernel[k] }
        }
        let product = matrix.applied(to: psp)
        return zip(product, base).map { $0 + $1 }
    }
}
