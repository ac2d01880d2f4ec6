import Foundation

/// Angles between vectors and between matrices (as flattened vectors), in degrees.
public enum Angles {
    /// The angle in degrees between `a` and `b`: acos(a·b / (|a||b|)), in [0, 180].
    /// NaN when either vector is zero (the angle is undefined).
    public static func degrees(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "Angles: \(a.count) and \(b.count) entries")
        var dot = 0.0, aa = 0.0, bb = 0.0
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                for i in 0..<x.count {
                    dot += x[i] * y[i]
                    aa += x[i] * x[i]
                    bb += y[i] * y[i]
                }
            }
        }
        guard aa > 0, bb > 0 else { return .nan }
        let cosine = max(-1, min(1, dot / (aa.squareRoot() * bb.squareRoot())))
        return acos(cosine) * 180 / .pi
    }

    /// The angle between two matrices of the same shape, flattened.
    public static func degrees(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
        precondition(a.rows == b.rows && a.columns == b.columns,
                     "Angles: \(a.rows) × \(a.columns) and \(b.rows) × \(b.columns)")
        return degrees(a.values, b.values)
    }

    /// The update angle of each hidden layer: between its error E^l and the backprop error
    /// E_bp^l (MODEL.md §3). Equal to the angle between ΔW^l and ΔW^l_bp, which share s̄^f.
    public static func updateAngles(errors: [[Double]], backpropErrors: [[Double]], hiddenLayers: Int) -> [Double] {
        (0..<hiddenLayers).map { degrees(errors[$0], backpropErrors[$0]) }
    }

    /// The weight alignment angle of each hidden layer: between Y^l and the forward weights it
    /// stands in for (`FeedbackPathway.transportedWeights`).
    public static func weightAngles(weights: NetworkWeights<Double>, wiring: FeedbackWiring) -> [Double] {
        (0..<weights.feedback.count).map { l in
            degrees(weights.feedback[l], FeedbackPathway.transportedWeights(forHiddenLayer: l, weights: weights, wiring: wiring))
        }
    }
}

/// The Jacobian condition of Theorem 1 (MODEL.md §3): the largest eigenvalue of
/// (I − U)ᵀ(I − U), with U = J_β J_γ averaged over recent images, where
/// J_β = diag(λ_max σ'(C̄^f_out)) k_D W^out (n_out × n_{L−1}) and
/// J_γ = diag(σ'(Y^{L−1} λ_max σ(C̄^f_out))) Y^{L−1} (n_{L−1} × n_out).
public enum JacobianCondition {
    /// U = J_β J_γ for one image (n_out × n_out).
    public static func product(outputSomatic c: [Double], outputWeights w: Matrix<Double>, feedback y: Matrix<Double>,
                               dendriticCoupling kD: Double, maximumRate: Double) -> Matrix<Double> {
        let nOut = w.rows, nHidden = w.columns
        precondition(c.count == nOut && y.rows == nHidden && y.columns == nOut)
        let rates = c.map { maximumRate * sigmoid($0) }
        // U_ij = a_i Σ_k W_ik g_k Y_kj, with J_β = diag(a) k_D W, a_i = λ_max σ'(C̄_i) k_D, and
        // J_γ = diag(g) Y, g_k = σ'((Y r)_k): plain loops, as it is taken after every image.
        var u = Matrix<Double>(rows: nOut, columns: nOut)
        y.values.withUnsafeBufferPointer { y in
            w.values.withUnsafeBufferPointer { w in
                u.values.withUnsafeMutableBufferPointer { u in
                    var g = [Double](repeating: 0, count: nHidden)
                    for k in 0..<nHidden {
                        var yr = 0.0
                        for j in 0..<nOut { yr += y[k * nOut + j] * rates[j] }
                        g[k] = sigmoidDerivative(yr)
                    }
                    for i in 0..<nOut {
                        let a = maximumRate * sigmoidDerivative(c[i]) * kD
                        for k in 0..<nHidden {
                            let t = a * w[i * nHidden + k] * g[k]
                            for j in 0..<nOut { u[i * nOut + j] += t * y[k * nOut + j] }
                        }
                    }
                }
            }
        }
        return u
    }

    /// U = k_D W^out Y^{L−1}: the condition on the weights alone.
    public static func weightProduct(outputWeights w: Matrix<Double>, feedback y: Matrix<Double>, dendriticCoupling kD: Double) -> Matrix<Double> {
        var u = w.multiplied(by: y)
        for i in u.values.indices { u.values[i] *= kD }
        return u
    }

    /// The largest eigenvalue of (I − U)ᵀ(I − U).
    public static func largestEigenvalue(of u: Matrix<Double>) throws -> Double {
        precondition(u.rows == u.columns)
        var d = u
        for i in d.values.indices { d.values[i] = -d.values[i] }
        for i in 0..<d.rows { d[i, i] += 1 }
        return try SymmetricEigen.largestEigenvalue(d.transposed.multiplied(by: d))
    }
}
