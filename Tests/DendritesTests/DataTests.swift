import Foundation
import Testing
import Dendrites

// MARK: - Helpers

/// An unsigned-byte IDX file: magic, big-endian dimension sizes, then `data`.
private func idxFile(magic: UInt32, dimensions: [Int], data: [UInt8]) -> Data {
    var bytes: [UInt8] = []
    for value in [Int(magic)] + dimensions {
        bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) }
    }
    return Data(bytes + data)
}

private func imagesFile(count: Int, rows: Int, columns: Int, fill: UInt8 = 7) -> Data {
    idxFile(magic: 0x0803, dimensions: [count, rows, columns], data: [UInt8](repeating: fill, count: count * rows * columns))
}

private func labelsFile(_ labels: [UInt8]) -> Data {
    idxFile(magic: 0x0801, dimensions: [labels.count], data: labels)
}

/// Writes a small raw dataset with dotted names into `directory`; returns the file paths.
@discardableResult
private func writeSmallDataset(in directory: URL, trainImages: Int = 3, trainLabels: [UInt8] = [0, 1, 9],
                               testRows: Int = 2) throws -> [String: String] {
    let files: [(String, Data)] = [
        ("train-images.idx3-ubyte", imagesFile(count: trainImages, rows: 2, columns: 3)),
        ("train-labels.idx1-ubyte", labelsFile(trainLabels)),
        ("t10k-images.idx3-ubyte", imagesFile(count: 2, rows: testRows, columns: 3)),
        ("t10k-labels.idx1-ubyte", labelsFile([4, 2])),
    ]
    var paths: [String: String] = [:]
    for (name, data) in files {
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        paths[name] = url.path
    }
    return paths
}

/// Creates `directory` holding four empty files with the distributed MNIST names.
private func makeDataDirectory(_ directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
        try Data().write(to: directory.appendingPathComponent(name))
    }
}

/// Runs `body`, which must throw a `DataError`, and returns it.
private func dataError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) throws -> DataError {
    do {
        try body()
    } catch let error as DataError {
        return error
    } catch {
        Issue.record("expected a DataError, got \(error)", sourceLocation: sourceLocation)
        throw error
    }
    Issue.record("expected a DataError, nothing was thrown", sourceLocation: sourceLocation)
    throw DataError(file: "", problem: "no error")
}

private let realMNIST = Result { try ImageDataset.load(kind: .mnist, directory: SharedPaths.mnist.path) }
private let testLabelsGz = SharedPaths.mnist.appendingPathComponent("t10k-labels-idx1-ubyte.gz")

// MARK: - Real data

@Suite("Dataset: real files")
struct DatasetRealFileTests {
    @Test func readsRealMNIST() throws {
        let dataset = try realMNIST.get()
        #expect(dataset.kind == .mnist)
        for (split, count, firstLabel) in [(dataset.train, 60000, 5), (dataset.test, 10000, 7)] {
            #expect(split.count == count)
            #expect(split.rows == 28 && split.columns == 28 && split.pixelsPerImage == 784)
            #expect(split.pixels.count == count * 784 && split.labels.count == count)
            #expect(split.labels.first == UInt8(firstLabel))
            // MNIST's mean pixel is about 33 of 255; every class occurs roughly 10% of the time.
            let meanPixel = Double(split.pixels.reduce(0) { $0 + Int($1) }) / Double(split.pixels.count)
            #expect(meanPixel > 30 && meanPixel < 37)
            var histogram = [Int](repeating: 0, count: 10)
            for label in split.labels { histogram[Int(label)] += 1 }
            #expect(histogram.allSatisfy { $0 > count / 14 && $0 < count / 7 })
        }
        let firstImage = dataset.train.image(0)
        #expect(firstImage.count == 784 && firstImage.max() == 255)
        #expect(dataset.train.image(1).elementsEqual(dataset.train.pixels[784..<1568]))
        let firstTen = dataset.train.prefix(10)
        #expect(firstTen.count == 10 && firstTen.labels == Array(dataset.train.labels[..<10]))
        #expect(firstTen.pixels == Array(dataset.train.pixels[..<7840]))
        #expect(dataset.test.prefix(20000).count == 10000)
    }

    @Test func rawCopyWithDottedNamesReadsIdentically() throws {
        let original = try realMNIST.get()
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (hyphen, dotted) in [("train-images-idx3-ubyte", "train-images.idx3-ubyte"), ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
                                 ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"), ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte")] {
            let gzipPath = SharedPaths.mnist.appendingPathComponent(hyphen + ".gz").path
            let compressed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: gzipPath)))
            let raw = try Gzip.decompress(compressed, file: gzipPath, maximumOutputBytes: 100_000_000)
            #expect(!Gzip.isGzip(raw))
            try Data(raw).write(to: directory.appendingPathComponent(dotted))
        }
        let copy = try ImageDataset.load(kind: .mnist, directory: directory.path)
        #expect(copy.train.pixels == original.train.pixels && copy.train.labels == original.train.labels)
        #expect(copy.test.pixels == original.test.pixels && copy.test.labels == original.test.labels)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist")))
    func readsInstalledFashionMNIST() throws {
        let directory = try DatasetLocator.locate(kind: .fashionMNIST, explicit: nil, environment: [:], workingDirectory: "/nonexistent")
        #expect(directory == "/usr/share/datasets/fashion-mnist")
        let dataset = try ImageDataset.load(kind: .fashionMNIST, directory: directory)
        #expect(dataset.train.count == 60000 && dataset.test.count == 10000)
        #expect(dataset.train.rows == 28 && dataset.train.columns == 28)
    }
}

// MARK: - Bad input

@Suite("IDX and Dataset: bad input")
struct IDXBadInputTests {
    @Test func smallRawDatasetLoads() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeSmallDataset(in: directory)
        let dataset = try ImageDataset.load(kind: .mnist, directory: directory.path)
        #expect(dataset.train.count == 3 && dataset.train.rows == 2 && dataset.train.columns == 3)
        #expect(dataset.train.labels == [0, 1, 9] && dataset.test.labels == [4, 2])
    }

    @Test func missingFile() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nothing-here").path
        let error = try dataError { _ = try IDX.read(path: path, expectedDimensions: 1) }
        #expect(error.file == path && error.problem.contains("not found"))

        let paths = try writeSmallDataset(in: directory)
        try FileManager.default.removeItem(atPath: paths["t10k-labels.idx1-ubyte"]!)
        let loadError = try dataError { _ = try ImageDataset.load(kind: .mnist, directory: directory.path) }
        #expect(loadError.file.hasSuffix("t10k-labels-idx1-ubyte.gz"))
        for name in ["t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte.gz", "t10k-labels.idx1-ubyte"] {
            #expect(loadError.problem.contains(name))
        }
    }

    @Test func wrongMagic() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let imagesPath = directory.appendingPathComponent("images").path
        try imagesFile(count: 1, rows: 2, columns: 2).write(to: URL(fileURLWithPath: imagesPath))
        let error = try dataError { _ = try IDX.read(path: imagesPath, expectedDimensions: 1) }
        #expect(error.file == imagesPath)
        #expect(error.problem.contains("wrong magic number 0x00000803") && error.problem.contains("expected 0x00000801"))

        let textPath = directory.appendingPathComponent("text").path
        try Data("hello, world".utf8).write(to: URL(fileURLWithPath: textPath))
        let textError = try dataError { _ = try IDX.read(path: textPath, expectedDimensions: 3) }
        #expect(textError.file == textPath)
        #expect(textError.problem.contains("0x68656C6C") && textError.problem.contains("expected 0x00000803"))
    }

    @Test func unsupportedDataType() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("floats").path
        try idxFile(magic: 0x0D01, dimensions: [1], data: [0, 0, 0, 0]).write(to: URL(fileURLWithPath: path))
        let error = try dataError { _ = try IDX.read(path: path, expectedDimensions: 1) }
        #expect(error.file == path && error.problem.contains("unsupported IDX data type 0xD (32-bit float)"))
    }

    @Test func truncatedRawFile() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let compressed = [UInt8](try Data(contentsOf: testLabelsGz))
        let raw = try Gzip.decompress(compressed, file: testLabelsGz.path, maximumOutputBytes: 20_000)
        #expect(raw.count == 10_008)
        let path = directory.appendingPathComponent("t10k-labels.idx1-ubyte").path
        try Data(raw[..<5000]).write(to: URL(fileURLWithPath: path))
        let error = try dataError { _ = try IDX.read(path: path, expectedDimensions: 1) }
        #expect(error.file == path && error.problem.contains("truncated"))
        #expect(error.problem.contains("10008") && error.problem.contains("5000"))

        try Data(raw[..<6]).write(to: URL(fileURLWithPath: path))
        let headerError = try dataError { _ = try IDX.read(path: path, expectedDimensions: 1) }
        #expect(headerError.file == path && headerError.problem.contains("truncated"))

        try Data(raw + [0]).write(to: URL(fileURLWithPath: path))
        let longError = try dataError { _ = try IDX.read(path: path, expectedDimensions: 1) }
        #expect(longError.file == path && longError.problem.contains("too long"))
    }

    @Test func absurdDimensions() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("huge").path
        try idxFile(magic: 0x0803, dimensions: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], data: []).write(to: URL(fileURLWithPath: path))
        let error = try dataError { _ = try IDX.read(path: path, expectedDimensions: 3) }
        #expect(error.file == path && error.problem.contains("absurd dimensions 4294967295x4294967295x4294967295"))
    }

    @Test func countMismatchBetweenImagesAndLabels() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = try writeSmallDataset(in: directory, trainImages: 3, trainLabels: [1, 2])
        let error = try dataError { _ = try ImageDataset.load(kind: .mnist, directory: directory.path) }
        #expect(error.file == paths["train-images.idx3-ubyte"])
        #expect(error.problem.contains("3 images") && error.problem.contains("2 labels"))
        #expect(error.problem.contains(paths["train-labels.idx1-ubyte"]!))
    }

    @Test func labelOutOfRange() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = try writeSmallDataset(in: directory, trainLabels: [3, 10, 2])
        let error = try dataError { _ = try ImageDataset.load(kind: .mnist, directory: directory.path) }
        #expect(error.file == paths["train-labels.idx1-ubyte"])
        #expect(error.problem == "label 10 at index 1 is outside 0...9")
    }

    @Test func trainAndTestSizesMustAgree() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = try writeSmallDataset(in: directory, testRows: 5)
        let error = try dataError { _ = try ImageDataset.load(kind: .mnist, directory: directory.path) }
        #expect(error.file == paths["t10k-images.idx3-ubyte"])
        #expect(error.problem.contains("5x3") && error.problem.contains("2x3"))
    }

    @Test func corruptGzip() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var bytes = [UInt8](try Data(contentsOf: testLabelsGz))
        for index in bytes.count / 2 ..< bytes.count / 2 + 16 { bytes[index] ^= 0xA5 }
        let path = directory.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = try dataError { _ = try IDX.read(path: path, expectedDimensions: 1) }
        #expect(error.file == path && error.problem.contains("corrupt gzip data"))
    }

    @Test func truncatedGzip() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bytes = [UInt8](try Data(contentsOf: testLabelsGz))
        let path = directory.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path
        for length in [bytes.count / 2, bytes.count - 4, 12] {
            try Data(bytes[..<length]).write(to: URL(fileURLWithPath: path))
            let error = try dataError { _ = try IDX.read(path: path, expectedDimensions: 1) }
            #expect(error.file == path && error.problem.contains("truncated gzip stream"))
        }
    }

    @Test func gzipOutputLimit() throws {
        let bytes = [UInt8](try Data(contentsOf: testLabelsGz))
        let error = try dataError { _ = try Gzip.decompress(bytes, file: "labels.gz", maximumOutputBytes: 1000) }
        #expect(error.file == "labels.gz" && error.problem.contains("more than 1000 bytes"))
        #expect(try Gzip.decompress(bytes, file: "labels.gz", maximumOutputBytes: 10_008).count == 10_008)
        let empty = try dataError { _ = try Gzip.decompress([], file: "empty.gz", maximumOutputBytes: 10) }
        #expect(empty.file == "empty.gz")
    }

    @Test func concatenatedGzipMembersAndTrailingGarbage() throws {
        let bytes = [UInt8](try Data(contentsOf: testLabelsGz))
        let twice = try Gzip.decompress(bytes + bytes, file: "twice.gz", maximumOutputBytes: 30_000)
        #expect(twice.count == 20_016 && twice[..<10_008] == twice[10_008...])
        let garbage = try dataError { _ = try Gzip.decompress(bytes + [1, 2, 3], file: "garbage.gz", maximumOutputBytes: 30_000) }
        #expect(garbage.file == "garbage.gz" && garbage.problem.contains("3 bytes after the end"))
    }
}

// MARK: - Locator

@Suite("Dataset: locator")
struct DatasetLocatorTests {
    @Test func searchOrder() throws {
        let root = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let explicit = root.appendingPathComponent("explicit"), fromEnvironment = root.appendingPathComponent("env")
        let workingDirectory = root.appendingPathComponent("work")
        let local = workingDirectory.appendingPathComponent("data/mnist")
        for directory in [explicit, fromEnvironment, local] { try makeDataDirectory(directory) }
        let environment = ["DENDRITES_DATA": fromEnvironment.path]

        #expect(DatasetLocator.candidates(kind: .mnist, explicit: explicit.path, environment: environment,
                                          workingDirectory: workingDirectory.path) == [explicit.path])
        #expect(DatasetLocator.candidates(kind: .mnist, explicit: nil, environment: environment, workingDirectory: workingDirectory.path)
                == [fromEnvironment.path, local.path, root.appendingPathComponent("shared/data/mnist").path])
        #expect(DatasetLocator.candidates(kind: .fashionMNIST, explicit: nil, environment: [:], workingDirectory: workingDirectory.path)
                == [workingDirectory.appendingPathComponent("data/fashion-mnist").path, "/usr/share/datasets/fashion-mnist"])
        // A relative explicit directory is resolved against the working directory.
        #expect(DatasetLocator.candidates(kind: .mnist, explicit: "data/mnist", environment: [:], workingDirectory: workingDirectory.path)
                == [local.path])

        func locate(_ explicit: String?, _ environment: [String: String]) throws -> String {
            try DatasetLocator.locate(kind: .mnist, explicit: explicit, environment: environment, workingDirectory: workingDirectory.path)
        }
        #expect(try locate(explicit.path, environment) == explicit.path)
        #expect(try locate(nil, environment) == fromEnvironment.path)
        #expect(try locate(nil, [:]) == local.path)
        // An environment directory without the data is skipped.
        #expect(try locate(nil, ["DENDRITES_DATA": root.path]) == local.path)
    }

    @Test func explicitDirectoryWithoutDataIsAnError() throws {
        let root = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let local = root.appendingPathComponent("data/mnist")
        try makeDataDirectory(local)
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)

        let error = try dataError {
            _ = try DatasetLocator.locate(kind: .mnist, explicit: empty.path, environment: [:], workingDirectory: root.path)
        }
        #expect(error.file == empty.path && error.problem.contains("does not hold the mnist data"))
        #expect(error.problem.contains("train-images-idx3-ubyte[.gz]"))

        let absent = root.appendingPathComponent("absent").path
        let absentError = try dataError {
            _ = try DatasetLocator.locate(kind: .mnist, explicit: absent, environment: [:], workingDirectory: root.path)
        }
        #expect(absentError.file == absent && absentError.problem.contains("not found"))
    }

    @Test func notFoundListsEveryPlaceSearched() throws {
        let root = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let environment = ["DENDRITES_DATA": root.appendingPathComponent("env").path]
        let error = try dataError {
            _ = try DatasetLocator.locate(kind: .mnist, explicit: nil, environment: environment, workingDirectory: root.path)
        }
        for place in DatasetLocator.candidates(kind: .mnist, explicit: nil, environment: environment, workingDirectory: root.path) {
            #expect(error.problem.contains(place))
        }
        #expect(error.problem.contains("bash Scripts/fetch-mnist.sh"))
    }
}

// MARK: - AtomicFile

@Suite("AtomicFile")
struct AtomicFileTests {
    @Test func replacesFileAndLeavesNoTemporaryFiles() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("result.json")
        try AtomicFile.write(Data("first".utf8), to: target)
        try AtomicFile.write(Data("second, longer".utf8), to: target)
        try AtomicFile.write(Data(), to: directory.appendingPathComponent("empty"))
        #expect(try Data(contentsOf: target) == Data("second, longer".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["empty", "result.json"])
    }

    @Test func failureNamesTheFileAndLeavesNothing() throws {
        let directory = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("missing/result.json")
        let error = try dataError { try AtomicFile.write(Data("x".utf8), to: target) }
        #expect(error.file == target.path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }
}
