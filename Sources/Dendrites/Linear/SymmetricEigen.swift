import CBLAS

/// Eigenvalues of real symmetric matrices through LAPACK's `dsyev` (OpenBLAS exports it).
public enum SymmetricEigen {
    /// The eigenvalues of the symmetric matrix `a` (n × n), in ascending order, and optionally
    /// the eigenvectors as the columns of a row-major n × n matrix. Only the upper triangle (in
    /// row-major terms) is read. Throws when LAPACK reports a failure.
    public static func decompose(_ a: Matrix<Double>, vectors: Bool = false) throws -> (values: [Double], vectors: Matrix<Double>?) {
        precondition(a.rows == a.columns, "SymmetricEigen: \(a.rows) × \(a.columns) is not square")
        let n = a.rows
        guard n > 0 else { return ([], vectors ? Matrix(rows: 0, columns: 0) : nil) }
        // Row-major A is column-major Aᵀ = A; LAPACK's 'L' (column-major lower) is our upper.
        var storage = a.values
        var w = [Double](repeating: 0, count: n)
        var jobz = Int8(UInt8(ascii: vectors ? "V" : "N"))
        var uplo = Int8(UInt8(ascii: "L"))
        var size = Int32(n), lda = Int32(n), info: Int32 = 0
        // Workspace query, then the solve.
        var query = 0.0
        var lwork: Int32 = -1
        dsyev_(&jobz, &uplo, &size, &storage, &lda, &w, &query, &lwork, &info)
        guard info == 0 else { throw EigenError(info: Int(info)) }
        lwork = Int32(max(Int(query), 3 * n))
        var work = [Double](repeating: 0, count: Int(lwork))
        dsyev_(&jobz, &uplo, &size, &storage, &lda, &w, &work, &lwork, &info)
        guard info == 0 else { throw EigenError(info: Int(info)) }
        guard vectors else { return (w, nil) }
        // Column-major eigenvectors in `storage`: column k (eigenvector k) is storage[k*n ..< (k+1)*n].
        let v = Matrix<Double>(rows: n, columns: n) { r, c in storage[c * n + r] }
        return (w, v)
    }

    /// The eigenvalues of a symmetric matrix, ascending.
    public static func eigenvalues(_ a: Matrix<Double>) throws -> [Double] {
        try decompose(a).values
    }

    /// The largest eigenvalue of a symmetric matrix.
    public static func largestEigenvalue(_ a: Matrix<Double>) throws -> Double {
        try eigenvalues(a).last ?? .nan
    }

    /// X with A X = B for a symmetric positive definite A (n × n) and B (n × k), through LAPACK's
    /// Cholesky solve `dposv`. Throws when A is not positive definite.
    public static func solvePositiveDefinite(_ a: Matrix<Double>, _ b: Matrix<Double>) throws -> Matrix<Double> {
        precondition(a.rows == a.columns && b.rows == a.rows, "solvePositiveDefinite: shapes \(a.rows)×\(a.columns), \(b.rows)×\(b.columns)")
        let n = a.rows, k = b.columns
        guard n > 0 && k > 0 else { return Matrix(rows: n, columns: k) }
        var storage = a.values                       // row-major symmetric = column-major
        var right = b.transposed.values              // column-major n × k
        var uplo = Int8(UInt8(ascii: "L"))
        var size = Int32(n), columns = Int32(k), lda = Int32(n), ldb = Int32(n), info: Int32 = 0
        dposv_(&uplo, &size, &columns, &storage, &lda, &right, &ldb, &info)
        guard info == 0 else { throw EigenError(info: Int(info), routine: "dposv") }
        return Matrix<Double>(rows: n, columns: k) { r, c in right[c * n + r] }
    }

    public struct EigenError: Error, CustomStringConvertible {
        public let info: Int
        public var routine = "dsyev"
        public init(info: Int, routine: String = "dsyev") { self.info = info; self.routine = routine }
        public var description: String { "LAPACK \(routine) failed (info \(info))" }
    }
}
