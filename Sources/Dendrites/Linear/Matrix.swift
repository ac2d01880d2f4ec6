/// A dense row-major matrix, laid out as NumPy lays out a C-order 2-D array, so that
/// `W_m` (n_m × n_{m-1}) reads and writes as the authors' `.npy` files do.
public struct Matrix<Scalar: DendriteScalar>: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    public var values: [Scalar]

    public init(rows: Int, columns: Int, values: [Scalar]) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns,
                     "Matrix: \(values.count) values do not fill \(rows) × \(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        self.init(rows: rows, columns: columns, values: Array(repeating: value, count: rows * columns))
    }

    public init(rows: Int, columns: Int, _ element: (_ row: Int, _ column: Int) -> Scalar) {
        var values = [Scalar]()
        values.reserveCapacity(rows * columns)
        for r in 0..<rows { for c in 0..<columns { values.append(element(r, c)) } }
        self.init(rows: rows, columns: columns, values: values)
    }

    public subscript(row: Int, column: Int) -> Scalar {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    public var transposed: Matrix {
        Matrix(rows: columns, columns: rows) { r, c in self[c, r] }
    }

    /// self · other
    public func multiplied(by other: Matrix) -> Matrix {
        precondition(columns == other.rows, "Matrix product: \(rows)×\(columns) · \(other.rows)×\(other.columns)")
        let otherT = other.transposed
        var result = Matrix(rows: rows, columns: other.columns)
        values.withUnsafeBufferPointer { a in
            otherT.values.withUnsafeBufferPointer { b in
                result.values.withUnsafeMutableBufferPointer { c in
                    Scalar.gemmTransposedB(m: rows, n: other.columns, k: columns, alpha: 1,
                                           a: a.baseAddress!, b: b.baseAddress!, beta: 0, c: c.baseAddress!)
                }
            }
        }
        return result
    }

    /// self · vector
    public func applied(to vector: [Scalar]) -> [Scalar] {
        precondition(vector.count == columns)
        var result = [Scalar](repeating: 0, count: rows)
        guard rows > 0, columns > 0 else { return result }
        values.withUnsafeBufferPointer { a in
            vector.withUnsafeBufferPointer { x in
                result.withUnsafeMutableBufferPointer { y in
                    Scalar.gemv(rows: rows, columns: columns, alpha: 1, matrix: a.baseAddress!,
                                vector: x.baseAddress!, beta: 0, result: y.baseAddress!)
                }
            }
        }
        return result
    }

    /// selfᵀ · vector
    public func transposeApplied(to vector: [Scalar]) -> [Scalar] {
        precondition(vector.count == rows)
        var result = [Scalar](repeating: 0, count: columns)
        guard rows > 0, columns > 0 else { return result }
        values.withUnsafeBufferPointer { a in
            vector.withUnsafeBufferPointer { x in
                result.withUnsafeMutableBufferPointer { y in
                    Scalar.gemvTransposed(rows: rows, columns: columns, alpha: 1, matrix: a.baseAddress!,
                                          vector: x.baseAddress!, beta: 0, result: y.baseAddress!)
                }
            }
        }
        return result
    }

    /// self ← self + alpha · x yᵀ
    public mutating func addOuterProduct(_ x: [Scalar], _ y: [Scalar], scaledBy alpha: Scalar) {
        precondition(x.count == rows && y.count == columns)
        guard rows > 0, columns > 0 else { return }
        let (r, c) = (rows, columns)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer { yp in
                values.withUnsafeMutableBufferPointer { a in
                    Scalar.ger(rows: r, columns: c, alpha: alpha, x: xp.baseAddress!, y: yp.baseAddress!,
                               matrix: a.baseAddress!)
                }
            }
        }
    }

    public func converted<Other: DendriteScalar>(to: Other.Type = Other.self) -> Matrix<Other> {
        Matrix<Other>(rows: rows, columns: columns, values: values.map { Other($0) })
    }
}
