import Foundation
import Testing
import Dendrites

// TensorBoard event files: CRC32C, TFRecord framing, the Event protobuf's bytes, and what a
// real (tiny) training run and its resume write.

private func bytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

/// Every scalar of a run directory's event files, as (tag, step, value), in file order.
private func scalars(in directory: URL) throws -> [(tag: String, step: Int64, value: Float)] {
    var all: [(tag: String, step: Int64, value: Float)] = []
    for url in try EventFiles.urls(in: directory) {
        for event in try EventFiles.read(url) {
            all += event.scalars.map { ($0.tag, event.step, $0.value) }
        }
    }
    return all
}

private func steps(_ all: [(tag: String, step: Int64, value: Float)], _ tag: String) -> [Int64] {
    all.filter { $0.tag == tag }.map(\.step)
}

/// The rows of a CSV file but its header, split at commas.
private func rows(_ url: URL) throws -> [[String]] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst()
        .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
}

private func tinySpec(epochs: Int, output: URL) -> TrainingRunSpec {
    let network = NetworkConfiguration(hiddenSizes: [20])
    var training = TrainingOptions(learningRates: TrainingOptions.defaultLearningRates(hiddenLayers: 1))
    training.epochs = epochs
    training.imagesPerEpoch = 200
    training.quickTestInterval = 50
    training.quickTestImages = 10
    training.fullTestImages = 50
    var spec = TrainingRunSpec(network: network, training: training, outputDirectory: output)
    spec.mode = .rate
    spec.precision = .float64
    spec.measurements.readoutImages = 50
    return spec
}

@Suite("TensorBoard")
struct TensorBoardTests {
    @Test("CRC32C of the standard check vectors (RFC 3720 B.4)")
    func crc32c() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map(UInt8.init)) == 0x46DD_794E)
        let crc = CRC32C.checksum(Array("123456789".utf8))
        #expect(CRC32C.masked(Array("123456789".utf8)) == ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }

    @Test("TFRecord framing: length, masked CRCs, data; a cut-short tail is ignored, a bad CRC throws")
    func framing() throws {
        let payload = Data("hello, tensorboard".utf8)
        let framed = TFRecord.frame(payload)
        #expect(framed.count == payload.count + 16)
        let raw = [UInt8](framed)
        #expect(raw[0..<8] == [UInt8(payload.count), 0, 0, 0, 0, 0, 0, 0][...])
        func uint32(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(raw[i + $1]) << (8 * UInt32($1)) } }
        #expect(uint32(8) == CRC32C.masked(raw[0..<8]))
        #expect(Data(raw[12..<(12 + payload.count)]) == payload)
        #expect(uint32(12 + payload.count) == CRC32C.masked([UInt8](payload)))

        var two = framed
        two.append(TFRecord.frame(Data()))
        let read = try TFRecord.records(in: two + framed.prefix(20))
        #expect(read.records == [payload, Data()])
        #expect(read.bytes == two.count)

        var corrupt = framed
        corrupt[14] ^= 1
        #expect(throws: TFRecord.FormatError.self) { try TFRecord.records(in: corrupt) }
    }

    @Test("The Event protobuf has TensorFlow's field numbers, and a value of 0 is still written")
    func eventBytes() throws {
        let event = TensorBoardEvent(wallTime: 1.5, step: 3, scalars: [TensorBoardScalar("a", 0.5)])
        // wall_time = 1 (double), step = 2 (varint), summary = 5 { value = 1 { tag = 1, simple_value = 2 (float) } }
        #expect([UInt8](try event.serialized()) == bytes("09 000000000000F83F 1003 2A0A 0A08 0A0161 150000003F"))
        let header = TensorBoardEvent(wallTime: 0, step: 0, fileVersion: "brain.Event:2")
        #expect([UInt8](try header.serialized()) == [0x1A, 0x0D] + Array("brain.Event:2".utf8))
        let zero = TensorBoardEvent(wallTime: 2, step: 0, scalars: [TensorBoardScalar("z", 0)])
        let decoded = try TensorBoardEvent(serialized: try zero.serialized())
        #expect(decoded == zero)
        #expect([UInt8](try zero.serialized()).suffix(5) == [0x15, 0, 0, 0, 0][...])
    }

    @Test("An event file reads back: the version header first, then the scalars at their steps")
    func writeAndRead() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let writer = try EventFileWriter(directory: directory, date: date)
        try writer.write(step: 10, scalars: [TensorBoardScalar("test/error_percent", 12.5), TensorBoardScalar("b", -1)], date: date)
        try writer.write(step: 20, scalars: [], date: date)  // nothing to write: no event
        try writer.write(step: 1 << 40, scalars: [TensorBoardScalar("c", .nan)], date: date)
        let second = try EventFileWriter(directory: directory, date: date)

        let urls = try EventFiles.urls(in: directory)
        #expect(urls.map(\.lastPathComponent) == [writer.url.lastPathComponent, second.url.lastPathComponent])
        #expect(writer.url.lastPathComponent.hasPrefix("events.out.tfevents.1700000000."))
        #expect(second.url.lastPathComponent == writer.url.lastPathComponent + ".1")
        let events = try EventFiles.read(writer.url)
        #expect(events.count == 3)
        #expect(events[0] == TensorBoardEvent(wallTime: 1_700_000_000, step: 0, fileVersion: "brain.Event:2"))
        #expect(events[1] == TensorBoardEvent(wallTime: 1_700_000_000, step: 10,
                                              scalars: [TensorBoardScalar("test/error_percent", 12.5), TensorBoardScalar("b", -1)]))
        #expect(events[2].step == 1 << 40 && events[2].scalars.count == 1 && events[2].scalars[0].value.isNaN)
        #expect(try EventFiles.read(second.url).map(\.fileVersion) == ["brain.Event:2"])

        // Truncation keeps the header and the steps up to the cut, and drops a partial record.
        var data = try Data(contentsOf: writer.url)
        data.append(TFRecord.frame(Data([1, 2, 3])).prefix(9))
        try data.write(to: writer.url)
        try EventFiles.truncate(in: directory, afterStep: 10)
        #expect(try EventFiles.read(writer.url).map(\.step) == [0, 10])
        #expect(try Data(contentsOf: writer.url).count
                == TFRecord.frame(try events[0].serialized()).count + TFRecord.frame(try events[1].serialized()).count)
    }

    @Test("A short real run writes every series at global steps, with the CSVs' numbers")
    func trainingRun() throws {
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let run = parent.appendingPathComponent("run")
        try TrainingRun.run(tinySpec(epochs: 2, output: run), dataset: MNISTData.dataset, commandLine: [], observers: [])
        #expect(try RunRecord.read(from: run).tensorboard == true)
        let urls = try EventFiles.urls(in: run)
        #expect(urls.count == 1)
        #expect(try EventFiles.read(urls[0]).first?.fileVersion == "brain.Event:2")
        let all = try scalars(in: run)

        #expect(steps(all, "test/error_percent") == [200, 400])
        #expect(steps(all, "train/error_percent") == [200, 400])
        #expect(steps(all, "train/mean_loss") == [200, 400])
        #expect(steps(all, "test/quick_error_percent") == [50, 100, 150, 250, 300, 350])
        #expect(steps(all, "train/loss") == [100, 200, 300, 400])
        for tag in ["angles/update_deg/hidden_0", "angles/weight_deg/hidden_0", "jacobian/max_eigenvalue",
                    "jacobian/max_eigenvalue_weights"] {
            #expect(steps(all, tag) == [100, 200, 300, 400], "\(tag)")
        }
        for layer in ["input", "hidden_0", "output", "network"] {
            #expect(steps(all, "readout/accuracy_percent/\(layer)") == [200, 400], "\(layer)")
        }
        #expect(Set(all.map(\.tag)).count == 13)

        // The same numbers as the CSV files (to float precision: the CSV's 9 digits and float32
        // can round a value to neighbouring floats), at the CSV files' own steps.
        func values(_ tag: String) -> [Float] { all.filter { $0.tag == tag }.map(\.value) }
        func same(_ tag: String, _ file: String, column: Int, where keep: ([String]) -> Bool = { _ in true }) throws {
            let table = try rows(run.appendingPathComponent(file)).filter(keep)
            #expect(steps(all, tag) == table.map { Int64($0[0])! }, "\(tag)")
            let expected = table.map { Float(Double($0[column])!) }
            #expect(values(tag).count == expected.count, "\(tag)")
            for (x, y) in zip(values(tag), expected) {
                #expect(x == y || x.nextUp == y || x.nextDown == y, "\(tag): \(x) vs \(y)")
            }
        }
        try same("test/error_percent", "metrics.csv", column: 2)
        try same("train/error_percent", "metrics.csv", column: 3)
        try same("train/mean_loss", "metrics.csv", column: 4)
        try same("test/quick_error_percent", "quick_test.csv", column: 3)
        try same("train/loss", "loss.csv", column: 4)
        try same("jacobian/max_eigenvalue", "jacobian.csv", column: 3)
        try same("jacobian/max_eigenvalue_weights", "jacobian.csv", column: 4)
        try same("angles/update_deg/hidden_0", "update_angles_smoothed.csv", column: 4)
        try same("angles/weight_deg/hidden_0", "weight_angles.csv", column: 3)
        try same("readout/accuracy_percent/hidden_0", "layer_accuracy.csv", column: 3) { $0[2] == "hidden_0" }
    }

    @Test("--no-tensorboard writes no event file; the setting is not a different run")
    func off() throws {
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let run = parent.appendingPathComponent("run")
        var spec = tinySpec(epochs: 1, output: run)
        spec.tensorboard = false
        try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: [])
        #expect(try EventFiles.urls(in: run).isEmpty)
        let record = try RunRecord.read(from: run)
        #expect(record.tensorboard == false)
        var on = record
        on.tensorboard = true
        #expect(record.differences(from: on).isEmpty)
        var old = on
        old.tensorboard = nil
        #expect(record.differences(from: old).isEmpty)

        // A config.json from before the setting (no "tensorboard") still reads, as nil.
        let configURL = run.appendingPathComponent("config.json")
        let text = try String(contentsOf: configURL, encoding: .utf8)
        let older = text.replacingOccurrences(of: "\"tensorboard\" : false,", with: "")
        #expect(older != text && !older.contains("tensorboard"))
        try Data(older.utf8).write(to: configURL)
        #expect(try RunRecord.read(from: run).tensorboard == nil)

        // --resume-existing with TensorBoard on (the default) finds the same run.
        var again = tinySpec(epochs: 1, output: run)
        again.tensorboard = true
        guard case .alreadyFinished = try TrainingRun.runOrContinue(again, dataset: MNISTData.dataset, commandLine: [],
                                                                   observers: []) else {
            Issue.record("expected the finished run to be recognised")
            return
        }
    }

    @Test("The command line: train --no-tensorboard writes none; resume --tensorboard starts at the checkpoint's step")
    func commandLine() throws {
        guard let binary = dendriteTrainBinary(orSkip: "TensorBoard commandLine") else { return }
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let run = parent.appendingPathComponent("run")
        #expect(try runTool(binary, ["train", "--mode", "rate", "--hidden", "20", "--epochs", "1", "--images-per-epoch", "200",
                                     "--quick-test-interval", "50", "--quick-test-images", "10", "--test-images", "50",
                                     "--readout-images", "50", "--quiet", "--data", SharedPaths.mnist.path,
                                     "--output", run.path, "--no-tensorboard"]) == 0)
        #expect(try EventFiles.urls(in: run).isEmpty)
        #expect(try RunRecord.read(from: run).tensorboard == false)
        #expect(try runTool(binary, ["resume", run.path, "--epochs", "2", "--tensorboard", "--quiet"]) == 0)
        #expect(try RunRecord.read(from: run).tensorboard == true)
        #expect(try EventFiles.urls(in: run).count == 1)
        let all = try scalars(in: run)
        #expect(steps(all, "test/error_percent") == [400])
        #expect(steps(all, "train/loss") == [300, 400])
        #expect(steps(all, "test/quick_error_percent") == [250, 300, 350])
    }

    @Test("Resume: a new event file whose steps continue; what the stopped process wrote past the checkpoint is dropped")
    func resume() throws {
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let straight = parent.appendingPathComponent("straight")
        let resumed = parent.appendingPathComponent("resumed")
        try TrainingRun.run(tinySpec(epochs: 3, output: straight), dataset: MNISTData.dataset, commandLine: [], observers: [])
        try TrainingRun.run(tinySpec(epochs: 1, output: resumed), dataset: MNISTData.dataset, commandLine: [], observers: [])
        // As if the process had gone on into epoch 2 before it was killed.
        let first = try #require(try EventFiles.urls(in: resumed).first)
        var data = try Data(contentsOf: first)
        data.append(TFRecord.frame(try TensorBoardEvent(wallTime: 0, step: 250, scalars: [TensorBoardScalar("train/loss", 9)]).serialized()))
        data.append(TFRecord.frame(Data([0x10, 0x05])).prefix(7))
        try data.write(to: first)

        try TrainingRun.resume(directory: resumed, dataset: MNISTData.dataset, epochs: 3)
        let files = try EventFiles.urls(in: resumed)
        #expect(files.count == 2)
        #expect(files.first == first)
        #expect(try EventFiles.read(files[1]).first?.fileVersion == "brain.Event:2")
        #expect(try EventFiles.read(first).allSatisfy { $0.step <= 200 })

        // The same scalars, step for step and bit for bit, as the uninterrupted run: no duplicates.
        func key(_ s: (tag: String, step: Int64, value: Float)) -> String { "\(s.tag) \(s.step) \(s.value.bitPattern)" }
        let a = try scalars(in: straight).map(key).sorted()
        let b = try scalars(in: resumed).map(key).sorted()
        #expect(a == b)
        #expect(Set(b).count == b.count)

        // resume --no-tensorboard stops it, and config.json records it.
        try TrainingRun.resume(directory: resumed, dataset: MNISTData.dataset, epochs: 4, tensorboard: false)
        #expect(try EventFiles.urls(in: resumed).count == 2)
        #expect(try RunRecord.read(from: resumed).tensorboard == false)
    }
}
