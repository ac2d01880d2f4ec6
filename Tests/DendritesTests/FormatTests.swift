import Foundation
import Testing
import Dendrites

// The run-directory format (Docs/Formats.md): the one CSV writer and reader, format 2's
// headers in a real run and in the format page, and format-1 runs (Results/) read as format 2.

private func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

/// A copy of a committed directory of Results/ in a fresh temporary directory (never changed in place).
private func copyOfResults(_ name: String, label: String = #function) throws -> URL {
    let source = SharedPaths.packageRoot.appendingPathComponent("Results").appendingPathComponent(name)
    let copy = try SharedPaths.temporaryDirectory(label).appendingPathComponent(source.lastPathComponent)
    try FileManager.default.copyItem(at: source, to: copy)
    return copy
}

/// Every file of a directory tree with its bytes.
private func snapshot(_ directory: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)!
    for case let url as URL in enumerator where !url.hasDirectoryPath {
        files[url.path] = try Data(contentsOf: url)
    }
    return files
}

@Suite("The CSV writer and reader")
struct CSVTests {
    @Test("Numbers: integers as integers, reals with 9 significant digits, nan and ±inf")
    func numberFormat() {
        #expect(CSVNumber.format(.integer(60_000)) == "60000")
        #expect(CSVNumber.format(.real(10.709999999999999)) == "10.71")
        #expect(CSVNumber.format(.real(0.007148909238403721)) == "0.00714890924")
        #expect(CSVNumber.format(.real(92)) == "92")
        #expect(CSVNumber.format(.real(1_673_100.7)) == "1673100.7")
        #expect(CSVNumber.format(.real(1.5e-12)) == "1.5e-12")
        #expect(CSVNumber.format(.real(.nan)) == "nan")
        #expect(CSVNumber.format(.real(.infinity)) == "inf" && CSVNumber.format(.real(-.infinity)) == "-inf")
        #expect(CSVNumber.format(.text("hidden_0")) == "hidden_0")
        #expect(CSVNumber.format(.text("a,b")) == "\"a,b\"")
        // A float32 value reads back exactly.
        for x: Float in [0.1, 1 / 3, 123_456.79, 1e-7, 3.4e38] {
            #expect(Float(Double(CSVNumber.format(.real(Double(x))))!) == x)
        }
    }

    private let columns = [CSVColumn("step", .integer), CSVColumn("layer", .text), CSVColumn("value", .real)]

    /// Writes `contents`, expects the reader to refuse it with `problem`, and the file unchanged.
    private func expectRefused(_ contents: String, _ problem: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("t.csv")
        try Data(contents.utf8).write(to: url)
        do {
            _ = try CSVReader.read(url.path, columns: columns)
            Issue.record("read: \(contents)", sourceLocation: sourceLocation)
        } catch let error as DataError {
            #expect(error.file == url.path, sourceLocation: sourceLocation)
            #expect(error.problem == problem, sourceLocation: sourceLocation)
        }
        #expect(try text(url) == contents, sourceLocation: sourceLocation)
    }

    @Test("A malformed row, a wrong header, a non-numeric field or a cut header: the file, the line and what is wrong")
    func strictReading() throws {
        try expectRefused("step,layer,value\n1,input,2.5\n2,input\n", "line 3 has 2 fields; the header has 3: '2,input'")
        try expectRefused("step,layer,value\n1,input,2.5,7\n", "line 2 has 4 fields; the header has 3: '1,input,2.5,7'")
        try expectRefused("epoch,layer,value\n1,input,2.5\n", "line 1: the header is 'epoch,layer,value'; expected 'step,layer,value'")
        try expectRefused("step,layer,value\n1,input,fast\n", "line 2, column value: 'fast' is not a number")
        try expectRefused("step,layer,value\n1,input,0x1p3\n", "line 2, column value: '0x1p3' is not a number")
        try expectRefused("step,layer,value\n1,input,infinity\n", "line 2, column value: 'infinity' is not a number")
        try expectRefused("step,layer,value\n1.0,input,2\n", "line 2, column step: '1.0' is not an integer")
        try expectRefused("step,layer,value\n1,,2\n", "line 2, column layer: '' is empty")
        try expectRefused("step,layer,value\n1,input,2\n\n", "line 3 has 1 field; the header has 3: ''")
        try expectRefused("step,layer,value\r\n1,input,2\r\n", "line 1 ends with a carriage return (CRLF); these files use \\n only")
        try expectRefused("step,layer,value\n1,input,2\r\n", "line 2 ends with a carriage return (CRLF); these files use \\n only")
        try expectRefused("step,layer,value\n1,input,\u{301}2\n", "line 2, column value: '\u{301}2' is not a number")
        try expectRefused("step,lay", "has no complete header line (is it being written?)")
        try expectRefused("", "is empty: it has no header line")
    }

    @Test("A last line without its newline (a row being written) is skipped; nan and inf are numbers")
    func partialLastLine() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("t.csv")
        try Data("step,layer,value\n1,input,nan\n2,output,-inf\n3,outp".utf8).write(to: url)
        let (table, matched, partial) = try CSVReader.read(url.path, alternatives: [columns])
        #expect(matched == 0 && partial)
        #expect(table.rows == [["1", "input", "nan"], ["2", "output", "-inf"]])
        #expect(table.lineNumbers == [2, 3])
        #expect(table.numbers("value")!.first!.isNaN && table.numbers("value")![1] == -.infinity)
        // The missing and the unreadable are refused through InputFile, in words.
        #expect(throws: DataError.self) { try CSVReader.read(directory.appendingPathComponent("none.csv").path) }
        #expect(throws: DataError.self) { try CSVReader.read(directory.path) }
    }
}

@Suite("Run format 2: headers, the format page, format-1 runs")
struct RunFormatTests {
    /// The exact headers listed in Docs/Formats.md ("Headers of a network with one hidden layer").
    private func documentedHeaders() throws -> [String: String] {
        let page = try text(SharedPaths.packageRoot.appendingPathComponent("Docs/Formats.md"))
        let section = try #require(page.range(of: "<!-- headers: one hidden layer -->"))
        let block = page[section.upperBound...].drop { $0 != "`" }
        let body = try #require(block.components(separatedBy: "```").dropFirst().first)
        var headers: [String: String] = [:]
        for line in body.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.count == 2 { headers[parts[0]] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return headers
    }

    @Test("Every CSV a real run writes has the header of Docs/Formats.md and reads back strictly")
    func realRunHeaders() throws {
        let run = try SharedPaths.temporaryDirectory().appendingPathComponent("run")
        defer { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
        var training = TrainingOptions(learningRates: TrainingOptions.defaultLearningRates(hiddenLayers: 1))
        training.epochs = 2
        training.imagesPerEpoch = 200
        training.quickTestInterval = 100
        training.quickTestImages = 10
        training.fullTestImages = 50
        var spec = TrainingRunSpec(network: NetworkConfiguration(hiddenSizes: [10]), training: training, outputDirectory: run)
        spec.mode = .rate
        spec.measurements.readoutImages = 50
        spec.tensorboard = false
        try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: ["test"], observers: [])

        let documented = try documentedHeaders()
        let written = try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.hasSuffix(".csv") }.sorted()
        #expect(written == RunCSV.allCases.map(\.fileName).sorted())
        #expect(Set(documented.keys) == Set(written))
        let layout = try RunLayout(directory: run)
        #expect(layout == RunLayout(formatVersion: 2, hiddenLayers: 1, imagesPerEpoch: 200))
        for file in RunCSV.allCases {
            let header = try #require(try text(run.appendingPathComponent(file.fileName)).split(separator: "\n").first.map(String.init))
            #expect(header == documented[file.fileName], "\(file.fileName)")
            #expect(header == layout.columns(file).map(\.name).joined(separator: ","))
            let table = try #require(try layout.read(file, in: run))
            #expect(!table.rows.isEmpty, "\(file.fileName)")
            // step = (epoch − 1) · imagesPerEpoch + the row's image (its block's last; its epoch's last).
            let steps = table.numbers("step")!, epochs = table.numbers("epoch")!
            let images = table.numbers("image") ?? table.numbers("last_image") ?? Array(repeating: 200, count: steps.count)
            for k in steps.indices { #expect(steps[k] == (epochs[k] - 1) * 200 + images[k], "\(file.fileName) row \(k)") }
        }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("config.json"))) as! [String: Any]
        #expect(config["formatVersion"] as? Int == 2)
        #expect(try Checkpoint.read(from: run)?.formatVersion == 2)
        // The report reads it (and writes its figures beside).
        let summary = try RunSummary(directory: run)
        #expect(summary.angleLayers == ["hidden_0_deg"] && summary.testErrors.count == 2)
    }

    @Test("A format-1 run of Results/ is read as format 2 by the report; its files are left as they are")
    func formatOneReport() throws {
        let run = try copyOfResults("measured-784-500-10-2epochs-float32-seed1")
        defer { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
        let csvs = try snapshot(run).filter { $0.key.hasSuffix(".csv") || $0.key.hasSuffix(".json") }
        let summary = try RunSummary(directory: run)
        #expect(summary.layout == RunLayout(formatVersion: 1, hiddenLayers: 1, imagesPerEpoch: 60_000))
        let angles = try #require(summary.smoothedAngles)
        #expect(angles.header == ["step", "epoch", "first_image", "last_image", "hidden_0_deg"])
        #expect(angles.numbers("step")!.first == 100 && angles.numbers("step")!.last == 120_000)
        #expect(summary.metrics?.header.last == "time_s")
        #expect(summary.metrics?.numbers("step") == [60_000, 120_000])
        #expect(summary.testErrors.map(\.error) == [10.71, 8.77])
        #expect(summary.finalUpdateAngles.count == 1)
        let weights = try #require(summary.weightAngles)
        let raw = try CSVReader.read(run.appendingPathComponent("weight_angles.csv").path)
        #expect(weights.rows.map { Array($0.dropFirst()) } == raw.rows)  // the values themselves, unchanged
        try RunReport.write([summary])
        let angleFigure = try text(run.appendingPathComponent("update_angles.svg"))
        #expect(angleFigure.contains("data-name=\"hidden_0\""))
        #expect(try snapshot(run).filter { csvs[$0.key] != nil } == csvs)
    }

    @Test("collect and the sweep report read a format-1 sweep of Results/ as before")
    func formatOneSweep() throws {
        let sweep = try copyOfResults("slurm-ablation-1epoch-float32-seeds1-3")
        defer { try? FileManager.default.removeItem(at: sweep.deletingLastPathComponent()) }
        let old = try text(sweep.appendingPathComponent("summary.csv")).split(separator: "\n").map(String.init)
        let collection = try SweepCollection.collect(sweepDirectory: sweep)
        #expect(collection.missing.isEmpty)
        let new = try text(sweep.appendingPathComponent("summary.csv")).split(separator: "\n").map(String.init)
        // The same numbers; the angle columns are now …_deg.
        #expect(new[0] == old[0].replacingOccurrences(of: "_degrees", with: "_deg"))
        #expect(Array(new.dropFirst()) == Array(old.dropFirst()))
        let report = try SweepReport(sweepDirectory: sweep)
        #expect(report.figures().contains { $0.name == "sweep_update_angles.svg" })
        #expect(report.figures().contains { $0.name == "sweep_readout.svg" })
    }

    /// A run rewritten as format 1 (config, checkpoint and every CSV), as an older binary wrote it.
    private func convertToFormatOne(_ run: URL) throws {
        for name in ["config.json", "checkpoint.json"] {
            let url = run.appendingPathComponent(name)
            try Data(try text(url).replacingOccurrences(of: "\"formatVersion\" : 2", with: "\"formatVersion\" : 1").utf8).write(to: url)
        }
        for file in RunCSV.allCases {
            let url = run.appendingPathComponent(file.fileName)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let lines = try text(url).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).dropFirst().joined(separator: ",") }
            let header = file.columns(formatVersion: 1, hiddenLayers: 1).map(\.name).joined(separator: ",")
            try Data(([header] + lines.dropFirst()).map { $0 + "\n" }.joined().utf8).write(to: url)
        }
    }

    @Test("resume continues a format-1 run in format 1: the same results, one header per file")
    func formatOneResume() throws {
        let root = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        func spec(_ epochs: Int, _ name: String) -> TrainingRunSpec {
            var training = TrainingOptions(learningRates: TrainingOptions.defaultLearningRates(hiddenLayers: 1))
            training.epochs = epochs
            training.imagesPerEpoch = 200
            training.quickTestInterval = 100
            training.quickTestImages = 10
            training.fullTestImages = 50
            var spec = TrainingRunSpec(network: NetworkConfiguration(hiddenSizes: [10]), training: training,
                                       outputDirectory: root.appendingPathComponent(name))
            spec.mode = .rate
            spec.measurements.readoutImages = 50
            spec.tensorboard = false
            return spec
        }
        let straight = root.appendingPathComponent("straight"), old = root.appendingPathComponent("old")
        try TrainingRun.run(spec(2, "straight"), dataset: MNISTData.dataset, commandLine: ["test"], observers: [])
        try TrainingRun.run(spec(1, "old"), dataset: MNISTData.dataset, commandLine: ["test"], observers: [])
        try convertToFormatOne(old)
        try TrainingRun.resume(directory: old, dataset: MNISTData.dataset, epochs: 2)

        #expect(try RunLayout(directory: old).formatVersion == 1)
        #expect(try Checkpoint.read(from: old)?.formatVersion == 1)
        for name in ["epoch_2_W_0.npy", "epoch_2_W_1.npy", "epoch_2_Y_0.npy", "epoch_2_b_1.npy"] {
            #expect(try Data(contentsOf: old.appendingPathComponent(name)) == Data(contentsOf: straight.appendingPathComponent(name)), "\(name)")
        }
        let a = try RunSummary(directory: straight), b = try RunSummary(directory: old)
        for file in RunCSV.allCases {
            // Format-1 headers throughout, every row of the format (the strict read passes).
            let lines = try text(old.appendingPathComponent(file.fileName)).split(separator: "\n")
            #expect(String(lines[0]) == file.columns(formatVersion: 1, hiddenLayers: 1).map(\.name).joined(separator: ","))
            #expect(lines.dropFirst().allSatisfy { !$0.hasPrefix("step") })
        }
        // Read as format 2, the same tables (to the 6 digits of format 1's angles).
        for (x, y) in [(a.metrics, b.metrics), (a.quickTests, b.quickTests), (a.losses, b.losses), (a.smoothedAngles, b.smoothedAngles),
                       (a.weightAngles, b.weightAngles), (a.jacobian, b.jacobian), (a.layerAccuracy, b.layerAccuracy)] {
            let x = try #require(x), y = try #require(y)
            #expect(x.header == y.header)
            #expect(x.rows.count == y.rows.count)
            for (r, s) in zip(x.rows, y.rows) {
                for (k, (u, v)) in zip(r, s).enumerated() where x.header[k] != "time_s" {
                    if let p = Double(u), let q = Double(v) {
                        #expect(p == q || abs(p - q) <= 1e-5 * max(abs(p), abs(q)), "\(x.header[k]): \(u) vs \(v)")
                    } else {
                        #expect(u == v)
                    }
                }
            }
        }
    }
}
