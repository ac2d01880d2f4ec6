import Foundation
import Yams

/// `train --config FILE`: a run's settings in config.json's own schema, JSON or YAML (by the
/// extension .yaml or .yml), every field optional. The file's fields are laid over `base` (the
/// defaults, for `train`), field by field; the command line's options then override the result.
/// A run's own config.json repeats that run exactly. Fields that describe a past run rather than
/// settings (`formatVersion`, `gitCommit`, `date`, `commandLine`, `dataDirectory`) are ignored:
/// the data set is found as for any run. A field this version does not know is an error, so a
/// typo is not silently ignored.
public enum ConfigFile {
    /// Fields of config.json that are records of a run, not settings.
    public static let ignoredFields: Set<String> = ["formatVersion", "gitCommit", "date", "commandLine", "dataDirectory"]
    /// Config files above this size are refused before they are read.
    public static let maximumBytes = 1 << 20

    /// The spec `file` describes, over `base`, for images of `inputSize` pixels.
    public static func spec(from file: URL, over base: TrainingRunSpec, inputSize: Int) throws -> TrainingRunSpec {
        let object = try read(file)
        var network = base.network
        network.inputSize = inputSize
        var baseRecord = RunRecord(mode: base.mode, precision: base.precision, network: network, training: base.training,
                                   dataset: base.dataset, dataDirectory: "", initialWeights: "random",
                                   pixelOrder: base.pixelOrder, commandLine: [])
        baseRecord.spiking = base.spiking
        baseRecord.preset = base.preset
        baseRecord.measurements = base.measurements
        baseRecord.tensorboard = base.tensorboard
        let encoder = JSONEncoder()
        guard var merged = try JSONSerialization.jsonObject(with: encoder.encode(baseRecord)) as? [String: Any] else {
            throw ConfigurationError("\(file.path): internal error encoding the defaults")
        }
        var settings = object.filter { !ignoredFields.contains($0.key) }
        // A depth without learning rates gets the paper's rates for that depth, as on the command line.
        if let network = settings["network"] as? [String: Any], let hidden = network["hiddenSizes"] as? [Any],
           (settings["training"] as? [String: Any])?["learningRates"] == nil {
            var training = settings["training"] as? [String: Any] ?? [:]
            training["learningRates"] = TrainingOptions.defaultLearningRates(hiddenLayers: hidden.count)
            settings["training"] = training
        }
        // A mode without a precision gets that mode's default precision, as on the command line.
        if let mode = settings["mode"] as? String, settings["precision"] == nil {
            settings["precision"] = mode == SimulationMode.rate.rawValue ? Precision.float64.rawValue : Precision.float32.rawValue
        }
        merge(settings, into: &merged)
        let record: RunRecord
        do {
            record = try JSONDecoder().decode(RunRecord.self, from: JSONSerialization.data(withJSONObject: merged))
        } catch let error as DecodingError {
            throw ConfigurationError("\(file.path): \(describe(error))")
        }
        // Every field given must be one the record keeps: anything else is a misspelling.
        let understood = try JSONSerialization.jsonObject(with: encoder.encode(record)) as? [String: Any] ?? [:]
        if let unknown = unknownFields(settings, understood: understood).first {
            throw ConfigurationError("\(file.path): '\(unknown)' is not a field of a run's configuration (see config.json of any run for the names)")
        }
        var spec = TrainingRunSpec(record: record, outputDirectory: base.outputDirectory)
        spec.dataDirectory = base.dataDirectory
        spec.testThreads = base.testThreads
        if let initial = object["initialWeights"] as? String, initial != "random" {
            guard let (directory, prefix) = RunRecord.parseInitialWeights(initial) else {
                throw ConfigurationError("\(file.path): initialWeights '\(initial)' is neither \"random\" nor \"DIR (prefix 'P')\"")
            }
            spec.initialWeightsDirectory = directory
            spec.initialWeightsPrefix = prefix
        }
        return spec
    }

    /// The data set a config file names, if it names one (to load it before the rest is read).
    public static func datasetKind(in file: URL) throws -> DatasetKind? {
        guard let name = try read(file)["dataset"] else { return nil }
        guard let text = name as? String, let kind = DatasetKind(rawValue: text) else {
            throw ConfigurationError("\(file.path): field 'dataset' must be one of \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }

    /// The file as a JSON-like object: a dictionary at the top.
    static func read(_ file: URL) throws -> [String: Any] {
        let path = file.path
        // Through InputFile: a directory, FIFO or device is refused in words before a byte is read.
        let data: Data
        do {
            data = try InputFile.read(path, maximumBytes: maximumBytes, what: "a configuration file")
        } catch let error as DataError {
            throw ConfigurationError("\(setting: .configFile) \(error.file): \(error.problem)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("\(setting: .configFile) \(path) is not UTF-8 text")
        }
        let isYAML = ["yaml", "yml"].contains(file.pathExtension.lowercased())
        let parsed: Any?
        if isYAML {
            do { parsed = try Yams.load(yaml: text) } catch {
                throw ConfigurationError("\(setting: .configFile) \(path) is not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
            }
        } else {
            do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
                throw ConfigurationError("\(setting: .configFile) \(path) is not valid JSON (for YAML, name it .yaml or .yml)")
            }
        }
        // JSONSerialization's values are JSON's already; YAML's are converted.
        guard let object = (isYAML ? parsed.flatMap(jsonCompatible) : parsed) as? [String: Any] else {
            throw ConfigurationError("\(setting: .configFile) \(path) must hold one object of fields (as config.json does)")
        }
        return object
    }

    /// YAML's values in JSONSerialization's terms (dictionaries with string keys, arrays, numbers,
    /// strings, booleans); nil for anything else.
    static func jsonCompatible(_ value: Any) -> Any? {
        switch value {
        case let dictionary as [String: Any]:
            var result: [String: Any] = [:]
            for (key, item) in dictionary {
                guard let converted = jsonCompatible(item) else { return nil }
                result[key] = converted
            }
            return result
        case let dictionary as [AnyHashable: Any]:
            var result: [String: Any] = [:]
            for (key, item) in dictionary {
                guard let key = key.base as? String, let converted = jsonCompatible(item) else { return nil }
                result[key] = converted
            }
            return result
        case let array as [Any]:
            let converted = array.map(jsonCompatible)
            return converted.contains { $0 == nil } ? nil : converted.map { $0! }
        case is NSNull: return NSNull()
        case let value as String: return value
        default:
            // Exact types: `as Bool` would also take the numbers 0 and 1 through NSNumber.
            let type = Swift.type(of: value)
            if type == Bool.self || type == Int.self || type == Double.self || type == UInt64.self || type == Int64.self {
                return value
            }
            return nil
        }
    }

    /// Lays `source` over `target`: dictionaries field by field, anything else replaced; null removes.
    static func merge(_ source: [String: Any], into target: inout [String: Any]) {
        for (key, value) in source {
            if value is NSNull {
                target.removeValue(forKey: key)
            } else if let inner = value as? [String: Any], var existing = target[key] as? [String: Any] {
                merge(inner, into: &existing)
                target[key] = existing
            } else {
                target[key] = value
            }
        }
    }

    /// Paths (a.b) of fields in `given` that the decoded record does not keep.
    static func unknownFields(_ given: [String: Any], understood: [String: Any], prefix: String = "") -> [String] {
        var unknown: [String] = []
        for key in given.keys.sorted() {
            let path = prefix.isEmpty ? key : prefix + "." + key
            guard given[key] is NSNull || understood[key] != nil else { unknown.append(path); continue }
            if let inner = given[key] as? [String: Any], let kept = understood[key] as? [String: Any] {
                unknown += unknownFields(inner, understood: kept, prefix: path)
            }
        }
        return unknown
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case let .typeMismatch(type, context): return "field '\(path(context))' must be \(typeName(type))"
        case let .valueNotFound(type, context): return "field '\(path(context))' needs a value (\(typeName(type)))"
        case let .keyNotFound(key, context):
            let parent = path(context)
            return "field '\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)' is missing"
        case let .dataCorrupted(context): return "field '\(path(context))' has a value this version does not accept: \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        default: return "of type \(type)"
        }
    }
}

extension TrainingRunSpec {
    /// The spec of the run `record` describes, training into `outputDirectory`.
    public init(record: RunRecord, outputDirectory: URL) {
        self.init(network: record.network, training: record.training, outputDirectory: outputDirectory)
        mode = record.mode
        precision = record.precision
        spiking = record.spiking ?? SpikingOptions()
        dataset = record.dataset
        pixelOrder = record.pixelOrder
        preset = record.preset
        measurements = record.measurements ?? MeasurementOptions()
        tensorboard = record.tensorboard ?? true
    }
}

extension RunRecord {
    /// The directory and prefix of an `initialWeights` field "DIR (prefix 'P')".
    public static func parseInitialWeights(_ text: String) -> (directory: String, prefix: String)? {
        guard text.hasSuffix("')"), let open = text.range(of: " (prefix '", options: .backwards) else { return nil }
        let directory = String(text[..<open.lowerBound])
        let prefix = String(text[open.upperBound..<text.index(text.endIndex, offsetBy: -2)])
        return directory.isEmpty ? nil : (directory, prefix)
    }
}
