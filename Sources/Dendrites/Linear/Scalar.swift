import CBLAS
import RealModule

/// The floating-point types the simulator runs in: `Double` (rate mode, and the reference) and
/// `Float` (an optional fast spiking mode). Each maps the few BLAS kernels the model needs.
public protocol DendriteScalar: BinaryFloatingPoint, Real, Sendable, Codable, PolynomialExponential, SIMDScalar
where Self.RawSignificand: FixedWidthInteger {
    /// y ← alpha·A·x + beta·y, with A row-major (rows × columns).
    static func gemv(
        rows: Int, columns: Int, alpha: Self, matrix: UnsafePointer<Self>,
        vector: UnsafePointer<Self>, beta: Self, result: UnsafeMutablePointer<Self>)
    /// y ← alpha·Aᵀ·x + beta·y, with A row-major (rows × columns).
    static func gemvTransposed(
        rows: Int, columns: Int, alpha: Self, matrix: UnsafePointer<Self>,
        vector: UnsafePointer<Self>, beta: Self, result: UnsafeMutablePointer<Self>)
    /// A ← A + alpha·x·yᵀ (rank-one update), A row-major (rows × columns).
    static func ger(
        rows: Int, columns: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafePointer<Self>,
        matrix: UnsafeMutablePointer<Self>)
    /// C ← alpha·A·Bᵀ + beta·C; A is (m × k), B is (n × k), C is (m × n), all row-major.
    static func gemmTransposedB(
        m: Int, n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, b: UnsafePointer<Self>,
        beta: Self, c: UnsafeMutablePointer<Self>)
    /// y ← alpha·x + y
    static func axpy(count: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>)
}

extension Double: DendriteScalar {
    @inlinable public static func gemv(
        rows: Int, columns: Int, alpha: Double, matrix: UnsafePointer<Double>,
        vector: UnsafePointer<Double>, beta: Double, result: UnsafeMutablePointer<Double>
    ) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns), alpha, matrix,
                    Int32(columns), vector, 1, beta, result, 1)
    }
    @inlinable public static func gemvTransposed(
        rows: Int, columns: Int, alpha: Double, matrix: UnsafePointer<Double>,
        vector: UnsafePointer<Double>, beta: Double, result: UnsafeMutablePointer<Double>
    ) {
        cblas_dgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(columns), alpha, matrix,
                    Int32(columns), vector, 1, beta, result, 1)
    }
    @inlinable public static func ger(
        rows: Int, columns: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafePointer<Double>,
        matrix: UnsafeMutablePointer<Double>
    ) {
        cblas_dger(CblasRowMajor, Int32(rows), Int32(columns), alpha, x, 1, y, 1, matrix, Int32(columns))
    }
    @inlinable public static func gemmTransposedB(
        m: Int, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, b: UnsafePointer<Double>,
        beta: Double, c: UnsafeMutablePointer<Double>
    ) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(k), b, Int32(k), beta, c, Int32(n))
    }
    @inlinable public static func axpy(count: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>) {
        cblas_daxpy(Int32(count), alpha, x, 1, y, 1)
    }
}

extension Float: DendriteScalar {
    @inlinable public static func gemv(
        rows: Int, columns: Int, alpha: Float, matrix: UnsafePointer<Float>,
        vector: UnsafePointer<Float>, beta: Float, result: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns), alpha, matrix,
                    Int32(columns), vector, 1, beta, result, 1)
    }
    @inlinable public static func gemvTransposed(
        rows: Int, columns: Int, alpha: Float, matrix: UnsafePointer<Float>,
        vector: UnsafePointer<Float>, beta: Float, result: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(columns), alpha, matrix,
                    Int32(columns), vector, 1, beta, result, 1)
    }
    @inlinable public static func ger(
        rows: Int, columns: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafePointer<Float>,
        matrix: UnsafeMutablePointer<Float>
    ) {
        cblas_sger(CblasRowMajor, Int32(rows), Int32(columns), alpha, x, 1, y, 1, matrix, Int32(columns))
    }
    @inlinable public static func gemmTransposedB(
        m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        beta: Float, c: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(k), b, Int32(k), beta, c, Int32(n))
    }
    @inlinable public static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
    }
}

/// OpenBLAS's own worker threads. Spiking mode uses BLAS only for small rank-one updates, and
/// idle OpenBLAS threads spinning beside the simulation's own threads cost more than they give.
public enum BLASThreads {
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
    public static var count: Int { Int(openblas_get_num_threads()) }
}
