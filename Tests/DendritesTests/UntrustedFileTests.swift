import Foundation
import Testing
import Dendrites
#if canImport(Glibc)
import Glibc
#endif

// Issue 16: every file the tool reads is untrusted. Readers check the header first and read
// only what it promises; every read goes through InputFile, whose messages name the file and
// say what is wrong in words.

/// The DataError `body` throws (recording an issue if it throws none or another error).
private func dataError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DataError? {
    do {
        try body()
        Issue.record("expected a DataError", sourceLocation: sourceLocation)
    } catch let error as DataError {
        #expect(!String(describing: error).contains("NSCocoaErrorDomain"), sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a DataError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// A file of `size` bytes starting with `prefix`, the rest a hole (no disk space used).
private func sparseFile(_ url: URL, prefix: [UInt8], size: Int) throws {
    FileManager.default.createFile(atPath: url.path, contents: Data(prefix))
    let descriptor = open(url.path, O_WRONLY)
    #expect(descriptor >= 0)
    defer { close(descriptor) }
    #expect(ftruncate(descriptor, off_t(size)) == 0)
}

/// A big-endian IDX header of unsigned bytes.
private func idxHeader(_ dimensions: [Int]) -> [UInt8] {
    ([0x0800 | dimensions.count] + dimensions).flatMap { value in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
}

/// CRC-32 (IEEE), for writing valid gzip members in tests.
private func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// A valid gzip member holding `contents` in stored (uncompressed) deflate blocks.
private func storedGzip(_ contents: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]
    var offset = 0
    repeat {
        let length = min(65535, contents.count - offset)
        let final: UInt8 = offset + length == contents.count ? 1 : 0
        out += [final, UInt8(length & 0xff), UInt8(length >> 8), UInt8(~length & 0xff), UInt8((~length >> 8) & 0xff)]
        out += contents[offset..<offset + length]
        offset += length
    } while offset < contents.count
    let crc = crc32(contents), size = UInt32(truncatingIfNeeded: contents.count)
    out += [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: crc >> UInt32($0)) }
    out += [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: size >> UInt32($0)) }
    return out
}

@Suite("Readers check headers first and bound what they read")
struct HeaderFirstReaderTests {
    @Test("a 4 GB .npy with a valid header is refused from its header and size, unread")
    func hugeNPY() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("W_0.npy")
        let header = [UInt8](NPY.encode(values: [1, 2, 3, 4, 5, 6], shape: [2, 3]).prefix(128))
        try sparseFile(url, prefix: header, size: 4 << 30)
        let error = dataError { _ = try NPY.read(path: url.path) }
        #expect(error?.file == url.path)
        #expect(error?.problem == "data section has \((4 << 30) - 128) bytes but shape (2, 3) of '<f8' needs 48")
        // The shape alone, for the callers that need no data, is read the same way.
        #expect(dataError { _ = try NPY.header(path: url.path) }?.problem.contains("needs 48") == true)
        #expect(throws: DataError.self) { _ = try WeightFiles.layerSizes(in: directory, prefix: "") }
    }

    @Test("a .npy header that declares more than the maximum is refused before any allocation")
    func absurdNPYHeader() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("huge.npy")
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }"
        header += String(repeating: " ", count: 63 - (10 + header.utf8.count) % 64) + "\n"
        let length = header.utf8.count
        try Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xff), UInt8(length >> 8)] + Array(header.utf8))
            .write(to: url)
        let error = dataError { _ = try NPY.read(path: url.path) }
        #expect(error?.file == url.path && error?.problem.contains("absurd shape (100000, 100000)") == true)
        // A version-2 header length of 4 GB is refused as such.
        let long = directory.appendingPathComponent("long.npy")
        try Data([0x93] + Array("NUMPY".utf8) + [2, 0, 0xff, 0xff, 0xff, 0xff]).write(to: long)
        let lengthError = dataError { _ = try NPY.read(path: long.path) }
        #expect(lengthError?.problem.contains("header length 4294967295 is absurd") == true)
    }

    @Test("a weight file's shape is checked against the network from its header")
    func weightShapeFromHeader() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let network = NetworkConfiguration(hiddenSizes: [3], inputSize: 4, classCount: 2)
        var generator = Xoshiro256(seed: 1)
        let weights: NetworkWeights<Double> = WeightInitialization().makeWeights(for: network, using: &generator)
        try WeightFiles.save(weights, to: directory, prefix: "")
        // W_1 replaced by a 4 GB file whose header says (5, 3): refused by shape, not read.
        let url = directory.appendingPathComponent("W_1.npy")
        let header = [UInt8](NPY.encode(values: [Double](repeating: 0, count: 15), shape: [5, 3]).prefix(128))
        try sparseFile(url, prefix: header, size: 128 + 8 * 15)
        do {
            let _: NetworkWeights<Double> = try WeightFiles.load(from: directory, prefix: "", configuration: network)
            Issue.record("a W_1 of the wrong shape was loaded")
        } catch let error as WeightFileError {
            #expect(error.file == url.path && error.problem == "has shape [5, 3]; the network needs (2, 3)")
        }
    }

    @Test("a 4 GB raw IDX file with a valid header is refused from its size, unread")
    func hugeRawIDX() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("t10k-labels-idx1-ubyte")
        try sparseFile(url, prefix: idxHeader([10000]), size: 4 << 30)
        let error = dataError { _ = try IDX.read(path: url.path, expectedDimensions: 1) }
        #expect(error?.file == url.path)
        #expect(error?.problem == "too long: expected 10008 bytes (8-byte header + 10000 data), the file has \(4 << 30)")
        // A header that declares 2^30 images is refused before anything is read or allocated.
        try sparseFile(url, prefix: idxHeader([1 << 30]), size: 8 + (1 << 30))
        let absurd = dataError { _ = try IDX.read(path: url.path, expectedDimensions: 1) }
        #expect(absurd?.problem.contains("absurd dimensions 1073741824: more than \(IDX.maximumElementCount) elements") == true)
    }

    @Test("gzip inflation stops at the size the IDX header declares")
    func gzipCappedByHeader() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("labels.gz")
        // Declares 10 labels, holds 100,000 bytes.
        try Data(storedGzip(idxHeader([10]) + [UInt8](repeating: 1, count: 100_000))).write(to: url)
        let error = dataError { _ = try IDX.read(path: url.path, expectedDimensions: 1) }
        #expect(error?.file == url.path && error?.problem.contains("decompresses to more than 18 bytes") == true)
        // Exactly as declared, it reads.
        try Data(storedGzip(idxHeader([10]) + [UInt8](repeating: 3, count: 10))).write(to: url)
        #expect(try IDX.read(path: url.path, expectedDimensions: 1) == IDXArray(dimensions: [10], bytes: [UInt8](repeating: 3, count: 10)))
        // A compressed file far larger than its declared contents could compress to is not inflated.
        try Data(storedGzip(idxHeader([10]) + [UInt8](repeating: 1, count: 2 << 20))).write(to: url)
        let large = dataError { _ = try IDX.read(path: url.path, expectedDimensions: 1) }
        #expect(large?.problem.contains("more than the 18 bytes its IDX header declares (10) could compress to; it was not decompressed") == true)
    }

    @Test("MNIST: the label and image headers are checked against each other before the data is read")
    func datasetHeadersFirst() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let images = idxHeader([2, 2, 2]) + [UInt8](repeating: 0, count: 8)
        for (name, bytes) in [("train-images-idx3-ubyte", images), ("t10k-images-idx3-ubyte", images),
                              ("t10k-labels-idx1-ubyte", idxHeader([2]) + [0, 1])] {
            try Data(bytes).write(to: directory.appendingPathComponent(name))
        }
        // 268 million labels claimed for 2 images: the count mismatch is found in the headers.
        let labels = directory.appendingPathComponent("train-labels-idx1-ubyte")
        try sparseFile(labels, prefix: idxHeader([IDX.maximumElementCount]), size: 8 + IDX.maximumElementCount)
        let error = dataError { _ = try ImageDataset.load(kind: .mnist, directory: directory.path) }
        #expect(error?.problem.contains("has 2 images but \(labels.path) has \(IDX.maximumElementCount) labels") == true)
    }
}

@Suite("Messages name the file and say what is wrong, in words")
struct InputFileMessageTests {
    @Test("a FIFO, a device and a directory are refused as such, without blocking")
    func notRegularFiles() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("W_0.npy")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let fifoError = dataError { _ = try NPY.read(path: fifo.path) }
        #expect(fifoError?.file == fifo.path && fifoError?.problem == "is not a regular file (it is a FIFO, a named pipe)")
        let idxFifo = dataError { _ = try IDX.read(path: fifo.path, expectedDimensions: 1) }
        #expect(idxFifo?.problem.hasPrefix("is not a regular file") == true)

        let device = dataError { _ = try IDX.read(path: "/dev/zero", expectedDimensions: 1) }
        #expect(device?.file == "/dev/zero" && device?.problem == "is not a regular file (it is a device)")

        let folder = dataError { _ = try NPY.read(path: directory.path) }
        #expect(folder?.file == directory.path && folder?.problem == "is a directory, not a file")
        let missing = dataError { _ = try InputFile.read(directory.appendingPathComponent("none").path) }
        #expect(missing?.problem == "file not found")
    }

    @Test("a file larger than its kind can be is refused unread")
    func hugeTextFile() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("config.json")
        try sparseFile(url, prefix: Array("{".utf8), size: 4 << 30)
        let error = dataError { _ = try JSONFile.decode(RunRecord.self, path: url.path) }
        #expect(error?.file == url.path)
        #expect(error?.problem == "is 4.0 GiB, larger than a JSON file can be (at most 256.0 MiB); it was not read")
    }

    @Test("text that is not UTF-8 names the line; JSON that is not JSON says so")
    func garbledText() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("metrics.csv")
        try Data(Array("epoch,test_error_percent\n1,5.0\n".utf8) + [0x32, 0xff, 0xfe, 0x0a]).write(to: csv)
        let error = dataError { _ = try InputFile.readText(csv.path) }
        #expect(error?.file == csv.path && error?.problem.hasPrefix("line 3 is not UTF-8 text") == true)
        let layout = RunLayout(formatVersion: 2, hiddenLayers: 0, imagesPerEpoch: 100)
        let collectError = dataError { _ = try AblationSummary.testErrors(in: directory, layout: layout) }
        #expect(collectError.map(String.init(describing:)) == "\(csv.path): line 3 is not UTF-8 text (byte offset 31); is it a binary or damaged file?")
        // A row that is not a number names the file, the line and the column.
        let header = "step,epoch,test_error_percent,training_error_percent,mean_loss,images,time_s\n"
        try (header + "100,1,5.0,4,0.1,100,1\n200,2,x,4,0.1,100,1\n").write(to: csv, atomically: true, encoding: .utf8)
        let notANumber = dataError { _ = try AblationSummary.testErrors(in: directory, layout: layout) }
        #expect(notANumber.map(String.init(describing:)) == "\(csv.path): line 3, column test_error_percent: 'x' is not a number")
        // The header must be the run format's.
        try "epoch,test_error_percent\n1,5.0\n".write(to: csv, atomically: true, encoding: .utf8)
        let header1 = dataError { _ = try AblationSummary.testErrors(in: directory, layout: layout) }
        #expect(header1?.problem == "line 1: the header is 'epoch,test_error_percent'; expected '\(header.dropLast())'")
        // A finite test error is required where the summary uses it.
        try (header + "100,1,nan,4,0.1,100,1\n").write(to: csv, atomically: true, encoding: .utf8)
        let nan = dataError { _ = try AblationSummary.testErrors(in: directory, layout: layout) }
        #expect(nan?.problem == "line 2, column test_error_percent: 'nan' is not a finite number")

        let json = directory.appendingPathComponent("config.json")
        try "{not json".write(to: json, atomically: true, encoding: .utf8)
        let notJSON = dataError { _ = try JSONFile.decode(RunRecord.self, path: json.path) }
        #expect(notJSON?.problem == "is not valid JSON (damaged or not a JSON file)")
        try "{\"formatVersion\": 1}".write(to: json, atomically: true, encoding: .utf8)
        let missingField = dataError { _ = try JSONFile.decode(RunRecord.self, path: json.path) }
        #expect(missingField?.problem == "field mode is missing")
    }

    @Test("an output directory that cannot be made is named, with the reason")
    func unwritableOutput() throws {
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        // Through a regular file.
        let file = parent.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        let run = file.appendingPathComponent("run")
        let error = dataError { _ = try RunLock(directory: run) }
        #expect(error?.file == run.path && error?.problem == "cannot create the directory: \(file.path) is not a directory")
        // Read-only: a chmod 555 directory (root ignores permissions, so /sys, which refuses root too).
        let readOnly: URL
        if getuid() == 0 {
            readOnly = URL(fileURLWithPath: "/sys")
            guard mkdir("/sys/dendrites-probe", 0o755) != 0 else { rmdir("/sys/dendrites-probe"); return }
        } else {
            readOnly = parent.appendingPathComponent("read-only")
            try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: false)
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: readOnly.path)
        }
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: readOnly.path) }
        let target = readOnly.appendingPathComponent("dendrites-run")
        var spec = TrainingRunSpec(network: NetworkConfiguration(hiddenSizes: [5]), training: TrainingOptions(learningRates: [0.1, 0.1]),
                                   outputDirectory: target)
        spec.mode = .rate
        spec.training.imagesPerEpoch = 10
        spec.training.fullTestImages = 10
        spec.training.quickTestInterval = 0
        let trainError = dataError { _ = try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: []) }
        #expect(trainError?.file == target.path)
        #expect(trainError?.problem == "cannot create the directory: permission denied: \(readOnly.path) is not writable")
        #expect(!FileManager.default.fileExists(atPath: target.path))
    }

    @Test("the command line says a write failure in words: report --output through a regular file")
    func commandLineWriteFailure() throws {
        guard let binary = dendriteTrainBinary(orSkip: "commandLineWriteFailure") else { return }
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let file = parent.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        let run = SharedPaths.packageRoot.appendingPathComponent("Results/rate-784-500-10-1epoch-seed1")
        let result = try runCapturing(binary, ["report", run.path, "--output", file.appendingPathComponent("figures").path])
        #expect(result.status == 1)
        #expect(result.error.contains("\(file.path) is not a directory"), "\(result.error)")
        #expect(!result.error.contains("Domain") && !result.error.contains("Code="), "\(result.error)")
        #expect(try Data(contentsOf: file) == Data("x".utf8))
    }
}
