import Testing
import Dendrites

@Suite("Linear algebra: the rank-one update")
struct LinearAlgebraTests {
    /// W + α x yᵀ entry by entry, for y with many zeros (the presynaptic averages of blank pixels)
    /// and without, in both precisions.
    @Test("addOuterProduct equals the entry-by-entry sum", arguments: [false, true])
    func outerProduct(float: Bool) {
        if float { outerProduct(Float.self, tolerance: 1e-6) } else { outerProduct(Double.self, tolerance: 1e-14) }
    }

    func outerProduct<Scalar: DendriteScalar>(_: Scalar.Type, tolerance: Double) {
        var generator = Xoshiro256(seed: 31)
        for (rows, columns) in [(5, 784), (3, 13), (7, 8), (2, 1)] {
            for density in [0.05, 0.3, 1.0] {
                let start = Matrix<Scalar>(rows: rows, columns: columns) { _, _ in Scalar(generator.uniform() * 2 - 1) }
                let x = (0..<rows).map { _ in Scalar(generator.uniform() * 2 - 1) }
                let y = (0..<columns).map { _ in generator.uniform() < density ? Scalar(generator.uniform() * 2 - 1) : 0 }
                let alpha: Scalar = -0.37
                var updated = start
                updated.addOuterProduct(x, y, scaledBy: alpha)
                for i in 0..<rows {
                    for j in 0..<columns {
                        let expected = Double(start[i, j]) + Double(alpha) * Double(x[i]) * Double(y[j])
                        #expect(abs(Double(updated[i, j]) - expected) <= tolerance * max(1, abs(expected)),
                                "\(rows)×\(columns), density \(density), entry (\(i), \(j))")
                        if y[j] == 0 { #expect(updated[i, j] == start[i, j], "a zero y_j leaves column \(j) unchanged") }
                    }
                }
            }
        }
    }
}
