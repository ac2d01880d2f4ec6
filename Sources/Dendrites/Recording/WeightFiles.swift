import Foundation

/// How an image's pixels were flattened when a `W_0` was trained: row by row (ours, and the
/// fixtures), or column by column (the authors' own saved simulations).
public enum PixelOrder: String, Codable, CaseIterable, Sendable {
    case rowMajor = "row-major"
    case columnMajor = "column-major"
}

/// Weights on disk as NumPy `.npy` files named like the authors' code: `W_m.npy` (n_m × n_{m-1}),
/// `b_m.npy` (n_m × 1), `Y_l.npy`, `c_l.npy` (n_l × 1), each with an optional prefix such as
/// `initial_` or `epoch_3_`. Always float64 on disk.
public enum WeightFiles {
    public static func save<Scalar>(_ weights: NetworkWeights<Scalar>, to directory: URL, prefix: String) throws {
        for m in 0..<weights.layerCount {
            let w = weights.forward[m]
            try NPY.write(values: w.values.map(Double.init), shape: [w.rows, w.columns],
                          to: directory.appendingPathComponent("\(prefix)W_\(m).npy"))
            try NPY.write(values: weights.bias[m].map(Double.init), shape: [weights.bias[m].count, 1],
                          to: directory.appendingPathComponent("\(prefix)b_\(m).npy"))
        }
        for l in weights.feedback.indices {
            let y = weights.feedback[l]
            try NPY.write(values: y.values.map(Double.init), shape: [y.rows, y.columns],
                          to: directory.appendingPathComponent("\(prefix)Y_\(l).npy"))
            try NPY.write(values: weights.apicalBias[l].map(Double.init), shape: [weights.apicalBias[l].count, 1],
                          to: directory.appendingPathComponent("\(prefix)c_\(l).npy"))
        }
    }

    /// The file names of each array: ours (`W_m`, `b_m`, `Y_l`, `c_l`) or the authors' own
    /// (`f_weights_m`, `f_bias_m`, `b_weights_l`, `b_bias_l`).
    enum Naming {
        case ours, authors

        func name(_ array: Character, _ index: Int) -> String {
            switch (self, array) {
            case (.ours, _): return "\(array)_\(index)"
            case (.authors, "W"): return "f_weights_\(index)"
            case (.authors, "b"): return "f_bias_\(index)"
            case (.authors, "Y"): return "b_weights_\(index)"
            default: return "b_bias_\(index)"
            }
        }

        /// Ours when `<prefix>W_0.npy` exists, else the authors' when `<prefix>f_weights_0.npy`
        /// does, else ours (so that the error names `W_0.npy`).
        static func detect(in directory: URL, prefix: String) -> Naming {
            let fm = FileManager.default
            if fm.fileExists(atPath: directory.appendingPathComponent("\(prefix)W_0.npy").path) { return .ours }
            if fm.fileExists(atPath: directory.appendingPathComponent("\(prefix)f_weights_0.npy").path) { return .authors }
            return .ours
        }
    }

    /// Loads and checks a network's weights. `c_l` files are optional (zero when absent).
    /// The authors' file names (`f_weights_m.npy`, `f_bias_m.npy`, `b_weights_l.npy`,
    /// optional `b_bias_l.npy`, with the same prefix) are accepted when `<prefix>W_0.npy` is absent.
    /// Every shape is checked against `configuration`; errors name the file.
    public static func load<Scalar: DendriteScalar>(
        from directory: URL, prefix: String, configuration: NetworkConfiguration,
        pixelOrder: PixelOrder = .rowMajor, imageShape: (rows: Int, columns: Int) = (28, 28)
    ) throws -> NetworkWeights<Scalar> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            throw WeightFileError(file: directory.path, problem: "does not exist (expected a directory of weight files)")
        }
        guard isDirectory.boolValue else {
            throw WeightFileError(file: directory.path, problem: "is not a directory (expected a directory of weight files)")
        }
        let sizes = configuration.layerSizes
        let naming = Naming.detect(in: directory, prefix: prefix)
        func file(_ array: Character, _ index: Int) -> URL {
            directory.appendingPathComponent("\(prefix)\(naming.name(array, index)).npy")
        }
        func matrix(_ array: Character, _ index: Int, rows: Int, columns: Int) throws -> Matrix<Scalar> {
            let url = file(array, index)
            guard FileManager.default.fileExists(atPath: url.path) else {
                let alternative = naming == .ours && array == "W" && index == 0
                    ? "; the authors' name \(prefix)\(Naming.authors.name("W", 0)).npy is also accepted" : ""
                throw WeightFileError(file: url.path, problem: "is missing (expected \(rows) × \(columns) weights\(alternative))")
            }
            // The shape is checked from the header, before the data is read.
            let array = try NPY.read(path: url.path) { header in
                let shape = header.shape.count == 1 ? [header.shape[0], 1] : header.shape
                guard shape == [rows, columns] else {
                    throw WeightFileError(file: url.path, problem: "has shape \(header.shape); the network needs (\(rows), \(columns))")
                }
            }
            guard array.values.allSatisfy(\.isFinite) else {
                throw WeightFileError(file: url.path, problem: "holds NaN or infinite values")
            }
            return Matrix(rows: rows, columns: columns, values: array.values.map { Scalar($0) })
        }
        var forward: [Matrix<Scalar>] = []
        var bias: [[Scalar]] = []
        for m in 0..<sizes.count {
            var w = try matrix("W", m, rows: sizes[m], columns: configuration.inputCount(ofLayer: m))
            if m == 0 && pixelOrder == .columnMajor {
                guard imageShape.rows * imageShape.columns == w.columns else {
                    throw WeightFileError(file: file("W", 0).path, problem: "has \(w.columns) inputs, not a \(imageShape.rows)×\(imageShape.columns) image")
                }
                w = reorderColumnMajorInputs(w, imageShape: imageShape)
            }
            forward.append(w)
            bias.append(try matrix("b", m, rows: sizes[m], columns: 1).values)
        }
        var feedback: [Matrix<Scalar>] = []
        var apicalBias: [[Scalar]] = []
        for l in 0..<configuration.hiddenLayerCount {
            feedback.append(try matrix("Y", l, rows: sizes[l], columns: configuration.feedbackInputCount(ofHiddenLayer: l)))
            if FileManager.default.fileExists(atPath: file("c", l).path) {
                apicalBias.append(try matrix("c", l, rows: sizes[l], columns: 1).values)
            } else {
                apicalBias.append([Scalar](repeating: 0, count: sizes[l]))
            }
        }
        let weights = NetworkWeights(forward: forward, bias: bias, feedback: feedback, apicalBias: apicalBias)
        try weights.checkShapes(against: configuration)
        return weights
    }

    /// Column j of a column-major-trained W_0 belongs to pixel (row j % R, column j / R);
    /// put it where the row-major flattening puts that pixel.
    static func reorderColumnMajorInputs<Scalar>(_ w: Matrix<Scalar>, imageShape: (rows: Int, columns: Int)) -> Matrix<Scalar> {
        let (r, c) = imageShape
        return Matrix(rows: w.rows, columns: w.columns) { i, rowMajorIndex in
            let (pixelRow, pixelColumn) = (rowMajorIndex / c, rowMajorIndex % c)
            return w[i, pixelColumn * r + pixelRow]
        }
    }

    /// The layer sizes implied by the `W_m` files in a directory (hidden sizes, then output).
    public static func layerSizes(in directory: URL, prefix: String) throws -> (input: Int, layers: [Int]) {
        var layers: [Int] = []
        var input = 0
        var m = 0
        let naming = Naming.detect(in: directory, prefix: prefix)
        func forwardFile(_ m: Int) -> URL { directory.appendingPathComponent("\(prefix)\(naming.name("W", m)).npy") }
        while FileManager.default.fileExists(atPath: forwardFile(m).path) {
            let url = forwardFile(m)
            let header = try NPY.header(path: url.path)
            guard header.shape.count == 2 else {
                throw WeightFileError(file: url.path, problem: "is not a 2-D array (shape \(header.shape))")
            }
            if m == 0 { input = header.shape[1] }
            layers.append(header.shape[0])
            m += 1
        }
        guard !layers.isEmpty else {
            throw WeightFileError(file: directory.appendingPathComponent("\(prefix)W_0.npy").path, problem: "is missing: no weights with prefix '\(prefix)' here")
        }
        return (input, layers)
    }

    /// The number of columns of `Y_0` (feedback inputs of the first hidden layer), if present.
    public static func feedbackColumns(in directory: URL, prefix: String) throws -> Int? {
        let naming = Naming.detect(in: directory, prefix: prefix)
        let url = directory.appendingPathComponent("\(prefix)\(naming.name("Y", 0)).npy")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let header = try NPY.header(path: url.path)
        return header.shape.count == 2 ? header.shape[1] : nil
    }
}

public struct WeightFileError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let problem: String
    public var description: String { "\(file) \(problem)" }
}
