import Foundation

/// The CSV files of a run directory, their columns in each format, and how format-1 files are
/// read as format 2 (Docs/Formats.md). Format 2 (`RunFormat.current`):
/// - every file starts with `step,epoch`: `step` is the global training-image count
///   `(epoch − 1) · imagesPerEpoch + image` (the TensorBoard step; the block's last image in
///   the block files; the epoch's last image in the per-epoch files);
/// - layers are `input`, `hidden_<l>` (0-based, bottom first, as the weight files `W_l`, `Y_l`)
///   and `output`; angle columns are `hidden_<l>_deg`;
/// - units are suffixes: `_percent`, `_deg`, `_s`;
/// - numbers as `CSVNumber` writes them.
public enum RunFormat {
    /// The format of the run directories (and checkpoints) this version writes.
    public static let current = 2
    /// The formats it reads.
    public static let readable = 1...2

    /// The name of hidden layer `l` (0-based) in every file.
    public static func hiddenLayerName(_ l: Int) -> String { "hidden_\(l)" }

    /// Layer names of a network with `hiddenLayers` hidden layers: `input`, `hidden_<l>` …, `output`.
    public static func layerNames(hiddenLayers: Int) -> [String] {
        ["input"] + (0..<hiddenLayers).map(hiddenLayerName) + ["output"]
    }

    /// The column of hidden layer `l`'s angle in the angle files (format 2).
    public static func angleColumn(_ l: Int) -> String { hiddenLayerName(l) + "_deg" }
}

/// A CSV file of a run directory.
public enum RunCSV: String, CaseIterable, Sendable {
    case metrics, quickTest, loss, updateAngles, updateAnglesSmoothed, weightAngles, jacobian, layerAccuracy

    public var fileName: String {
        switch self {
        case .metrics: return "metrics.csv"
        case .quickTest: return "quick_test.csv"
        case .loss: return "loss.csv"
        case .updateAngles: return "update_angles.csv"
        case .updateAnglesSmoothed: return "update_angles_smoothed.csv"
        case .weightAngles: return "weight_angles.csv"
        case .jacobian: return "jacobian.csv"
        case .layerAccuracy: return "layer_accuracy.csv"
        }
    }

    public static func named(_ fileName: String) -> RunCSV? { allCases.first { $0.fileName == fileName } }

    var isAngleFile: Bool { self == .updateAngles || self == .updateAnglesSmoothed || self == .weightAngles }

    /// The columns of this file in `formatVersion` for a network with `hiddenLayers` hidden layers.
    public func columns(formatVersion: Int, hiddenLayers: Int) -> [CSVColumn] {
        let v1 = formatVersion == 1
        let i = CSVColumnType.integer, r = CSVColumnType.real
        var columns: [CSVColumn]
        switch self {
        case .metrics:
            columns = [.init("epoch", i), .init("test_error_percent", r), .init("training_error_percent", r),
                       .init("mean_loss", r), .init("images", i), .init(v1 ? "seconds" : "time_s", r)]
        case .quickTest: columns = [.init("epoch", i), .init("image", i), .init("test_error_percent", r)]
        case .loss: columns = [.init("epoch", i), .init("first_image", i), .init("last_image", i), .init("mean_loss", r)]
        case .updateAngles, .weightAngles: columns = [.init("epoch", i), .init("image", i)]
        case .updateAnglesSmoothed: columns = [.init("epoch", i), .init("first_image", i), .init("last_image", i)]
        case .jacobian:
            columns = [.init("epoch", i), .init("image", i), .init("max_eigenvalue", r), .init("max_eigenvalue_weights", r)]
        case .layerAccuracy: columns = [.init("epoch", i), .init("layer", .text), .init("accuracy_percent", r)]
        }
        if isAngleFile {
            columns += (0..<hiddenLayers).map { CSVColumn(v1 ? "angle_layer_\($0)" : RunFormat.angleColumn($0), r) }
        }
        return v1 ? columns : [CSVColumn("step", i)] + columns
    }
}

/// What the CSV files of a run depend on, from its `config.json`: the format, the number of
/// hidden layers (the angle columns) and the images per epoch (the global step).
public struct RunLayout: Equatable, Sendable {
    public var formatVersion: Int
    public var hiddenLayers: Int
    public var imagesPerEpoch: Int

    public init(formatVersion: Int = RunFormat.current, hiddenLayers: Int, imagesPerEpoch: Int) {
        self.formatVersion = formatVersion
        self.hiddenLayers = hiddenLayers
        self.imagesPerEpoch = imagesPerEpoch
    }

    public init(_ record: RunRecord) {
        self.init(formatVersion: record.formatVersion, hiddenLayers: record.network.hiddenLayerCount,
                  imagesPerEpoch: record.training.imagesPerEpoch)
    }

    /// From a run directory's `config.json` (read through `InputFile`), looking at the three
    /// fields only, so a report can read any run whose config has them. A missing
    /// `formatVersion` is format 1; a missing `imagesPerEpoch` is 60,000 (as the report assumes).
    public init(directory: URL) throws {
        let path = directory.appendingPathComponent("config.json").path
        let data = try InputFile.read(path, what: "a JSON file")
        guard let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw DataError(file: path, problem: "is not a JSON object (damaged or not a config.json)")
        }
        try self.init(config: config, file: path)
    }

    /// From config.json already decoded as a dictionary; `file` names it in errors.
    public init(config: [String: Any], file: String) throws {
        let version = (config["formatVersion"] as? NSNumber)?.intValue ?? 1
        guard RunFormat.readable.contains(version) else {
            throw DataError(file: file, problem: "formatVersion \(version) is not one this version reads (\(RunFormat.readable.lowerBound)…\(RunFormat.readable.upperBound)); is the run from a newer dendrite-train?")
        }
        let network = config["network"] as? [String: Any] ?? [:]
        let training = config["training"] as? [String: Any] ?? [:]
        let hidden = (network["hiddenSizes"] as? [Any])?.count ?? 0
        let images = (training["imagesPerEpoch"] as? NSNumber)?.intValue ?? 60_000
        guard images > 0 else { throw DataError(file: file, problem: "field training.imagesPerEpoch is \(images); it must be positive") }
        self.init(formatVersion: version, hiddenLayers: hidden, imagesPerEpoch: images)
    }

    public func columns(_ file: RunCSV) -> [CSVColumn] { file.columns(formatVersion: formatVersion, hiddenLayers: hiddenLayers) }

    /// Training images seen after image `image` (1-based) of epoch `epoch` (1-based): the
    /// `step` column, and the TensorBoard step.
    public func step(epoch: Int, image: Int) -> Int { (epoch - 1) * imagesPerEpoch + image }

    // MARK: Rows (the recorders write these)

    private var v1: Bool { formatVersion == 1 }

    /// A format-1 number as the format-1 recorders wrote it: Swift's shortest round-trip form.
    private static func shortest(_ x: Double) -> CSVValue { .preformatted("\(x)") }
    /// A format-1 measurement: `%.6g`, `nan` for anything not finite.
    private static func sixDigits(_ x: Double) -> CSVValue { .preformatted(x.isFinite ? String(format: "%.6g", x) : "nan") }

    func metricsRow(_ s: EpochSummary) -> [CSVValue] {
        if v1 {
            return [.integer(s.epoch), Self.shortest(s.testError), Self.shortest(s.trainingError), Self.shortest(s.meanLoss),
                    .integer(s.images), .preformatted(String(format: "%.3f", s.seconds))]
        }
        return [.integer(step(epoch: s.epoch, image: s.images)), .integer(s.epoch), .real(s.testError), .real(s.trainingError),
                .real(s.meanLoss), .integer(s.images), .real((s.seconds * 1000).rounded() / 1000)]
    }

    func quickTestRow(epoch: Int, image: Int, error: Double) -> [CSVValue] {
        v1 ? [.integer(epoch), .integer(image), Self.shortest(error)]
           : [.integer(step(epoch: epoch, image: image)), .integer(epoch), .integer(image), .real(error)]
    }

    func lossRow(epoch: Int, firstImage: Int, lastImage: Int, meanLoss: Double) -> [CSVValue] {
        v1 ? [.integer(epoch), .integer(firstImage), .integer(lastImage), Self.shortest(meanLoss)]
           : [.integer(step(epoch: epoch, image: lastImage)), .integer(epoch), .integer(firstImage), .integer(lastImage), .real(meanLoss)]
    }

    /// A row of update_angles.csv, weight_angles.csv (`firstImage` nil) or
    /// update_angles_smoothed.csv; jacobian.csv's values are `measurements` too.
    func measurementRow(epoch: Int, firstImage: Int? = nil, image: Int, _ measurements: [Double]) -> [CSVValue] {
        let images: [CSVValue] = (firstImage.map { [.integer($0)] } ?? []) + [.integer(image)]
        let values: [CSVValue] = measurements.map { v1 ? Self.sixDigits($0) : .real($0) }
        return (v1 ? [] : [.integer(step(epoch: epoch, image: image))]) + [.integer(epoch)] + images + values
    }

    func layerAccuracyRow(epoch: Int, images: Int, layer: String, percent: Double) -> [CSVValue] {
        v1 ? [.integer(epoch), .text(layer), .preformatted(String(format: "%.4f", percent))]
           : [.integer(step(epoch: epoch, image: images)), .integer(epoch), .text(layer), .real(percent)]
    }

    // MARK: Reading

    /// Reads `file` of the run in `directory` with `CSVReader` (strict: the header of this
    /// layout's format, every field of its type), as format 2: a format-1 file's columns are
    /// renamed (`angle_layer_<l>` → `hidden_<l>_deg`, `seconds` → `time_s`) and `step` is put
    /// first, computed as format 2 writes it (for layer_accuracy.csv, which has no image
    /// count, `epoch · imagesPerEpoch`). nil when the file does not exist.
    public func read(_ file: RunCSV, in directory: URL) throws -> CSVTable? {
        let path = directory.appendingPathComponent(file.fileName).path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let table = try CSVReader.read(path, columns: columns(file))
        return v1 ? upgraded(table, file) : table
    }

    /// A format-1 table as format 2 (see `read`); its `lines` stay the file's.
    func upgraded(_ table: CSVTable, _ file: RunCSV) -> CSVTable {
        var result = table
        result.header = ["step"] + table.header.map { name in
            if name.hasPrefix("angle_layer_") { return RunFormat.hiddenLayerName(Int(name.dropFirst("angle_layer_".count)) ?? 0) + "_deg" }
            return name == "seconds" && file == .metrics ? "time_s" : name
        }
        let epoch = table.header.firstIndex(of: "epoch")!
        let image = table.header.firstIndex(of: "image") ?? table.header.firstIndex(of: "last_image") ?? table.header.firstIndex(of: "images")
        result.rows = table.rows.map { row in
            let e = Int(row[epoch])!
            let step = image.map { self.step(epoch: e, image: Int(row[$0])!) } ?? e * imagesPerEpoch
            return [String(step)] + row
        }
        return result
    }
}
