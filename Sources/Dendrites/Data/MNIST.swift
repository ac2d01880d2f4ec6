import Foundation

/// A set of equally sized greyscale images with their class labels (0...9).
public struct LabeledImages: Sendable {
    public let count: Int
    public let rows: Int
    public let columns: Int
    /// `count * rows * columns` bytes, each image row-major, as in the IDX file.
    public let pixels: [UInt8]
    public let labels: [UInt8]

    public init(count: Int, rows: Int, columns: Int, pixels: [UInt8], labels: [UInt8]) {
        precondition(count >= 0 && rows >= 0 && columns >= 0, "sizes must not be negative")
        precondition(pixels.count == count * rows * columns, "pixels must hold count * rows * columns bytes")
        precondition(labels.count == count, "there must be one label per image")
        self.count = count
        self.rows = rows
        self.columns = columns
        self.pixels = pixels
        self.labels = labels
    }

    public var pixelsPerImage: Int { rows * columns }

    /// The pixels of image `index`, row-major.
    public func image(_ index: Int) -> ArraySlice<UInt8> {
        precondition(index >= 0 && index < count, "image index \(index) out of range 0..<\(count)")
        return pixels[index * pixelsPerImage ..< (index + 1) * pixelsPerImage]
    }

    /// The first `n` images (all of them if there are fewer).
    public func prefix(_ n: Int) -> LabeledImages {
        let kept = max(0, min(n, count))
        return LabeledImages(count: kept, rows: rows, columns: columns,
                             pixels: Array(pixels[..<(kept * pixelsPerImage)]), labels: Array(labels[..<kept]))
    }
}

/// The MNIST-format datasets this project trains on; both use the same file names.
public enum DatasetKind: String, CaseIterable, Codable, Sendable {
    case mnist
    case fashionMNIST = "fashion-mnist"
}

/// The training and test sets of an MNIST-format dataset, read from one directory.
public struct ImageDataset: Sendable {
    public let kind: DatasetKind
    public let directory: String
    public let train: LabeledImages
    public let test: LabeledImages

    public init(kind: DatasetKind, directory: String, train: LabeledImages, test: LabeledImages) {
        self.kind = kind
        self.directory = directory
        self.train = train
        self.test = test
    }

    /// The four files of a dataset, by their base names (`train-images` etc).
    enum Part: String, CaseIterable {
        case trainImages = "train-images", trainLabels = "train-labels"
        case testImages = "t10k-images", testLabels = "t10k-labels"

        var idxSuffix: String { self == .trainImages || self == .testImages ? "idx3-ubyte" : "idx1-ubyte" }

        /// Accepted file names, in order of preference: hyphenated (as distributed) or
        /// dotted (as some unpackers write them), each compressed or raw.
        var fileNames: [String] {
            let hyphen = "\(rawValue)-\(idxSuffix)", dotted = "\(rawValue).\(idxSuffix)"
            return [hyphen + ".gz", hyphen, dotted + ".gz", dotted]
        }

        /// The path of this file in `directory`, if it exists under an accepted name.
        func path(in directory: String) -> String? {
            fileNames.lazy.map { (directory as NSString).appendingPathComponent($0) }
                .first { FileManager.default.fileExists(atPath: $0) }
        }
    }

    /// Reads and validates the four files of `kind` in `directory`. Throws a `DataError`
    /// naming the offending file.
    public static func load(kind: DatasetKind, directory: String) throws -> ImageDataset {
        func path(_ part: Part) throws -> String {
            guard let found = part.path(in: directory) else {
                throw DataError(file: (directory as NSString).appendingPathComponent(part.fileNames[0]),
                                problem: "file not found; tried \(part.fileNames.joined(separator: ", ")) in \(directory)")
            }
            return found
        }
        let train = try loadSplit(images: path(.trainImages), labels: path(.trainLabels))
        let testImagesPath = try path(.testImages)
        let test = try loadSplit(images: testImagesPath, labels: path(.testLabels))
        guard test.rows == train.rows, test.columns == train.columns else {
            throw DataError(file: testImagesPath,
                            problem: "test images are \(test.rows)x\(test.columns) but training images are \(train.rows)x\(train.columns)")
        }
        return ImageDataset(kind: kind, directory: directory, train: train, test: test)
    }

    private static func loadSplit(images imagesPath: String, labels labelsPath: String) throws -> LabeledImages {
        // Both headers are checked against each other before either file's data is read.
        let imageDimensions = try IDX.dimensions(path: imagesPath, expectedDimensions: 3)
        let labelDimensions = try IDX.dimensions(path: labelsPath, expectedDimensions: 1)
        let (count, rows, columns) = (imageDimensions[0], imageDimensions[1], imageDimensions[2])
        guard rows > 0, columns > 0 else {
            throw DataError(file: imagesPath, problem: "images are \(rows)x\(columns) pixels; both sizes must be positive")
        }
        guard labelDimensions[0] == count else {
            throw DataError(file: imagesPath,
                            problem: "has \(count) images but \(labelsPath) has \(labelDimensions[0]) labels")
        }
        let images = try IDX.read(path: imagesPath, expectedDimensions: 3)
        let labels = try IDX.read(path: labelsPath, expectedDimensions: 1)
        guard images.dimensions == imageDimensions, labels.dimensions == labelDimensions else {
            throw DataError(file: imagesPath, problem: "changed while it was read")
        }
        if let index = labels.bytes.firstIndex(where: { $0 > 9 }) {
            throw DataError(file: labelsPath, problem: "label \(labels.bytes[index]) at index \(index) is outside 0...9")
        }
        return LabeledImages(count: count, rows: rows, columns: columns, pixels: images.bytes, labels: labels.bytes)
    }
}

/// Finds the directory holding a dataset.
public enum DatasetLocator {
    /// Directories to search, in order. An explicit directory (`--data DIR`) is the only
    /// candidate; otherwise `$DENDRITES_DATA`, then the usual places for `kind`. Relative
    /// paths are resolved against `workingDirectory`.
    public static func candidates(kind: DatasetKind, explicit: String?, environment: [String: String],
                                  workingDirectory: String) -> [String] {
        func resolved(_ path: String) -> String {
            URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: workingDirectory, isDirectory: true))
                .standardizedFileURL.path
        }
        if let explicit { return [resolved(explicit)] }
        var paths: [String] = []
        if let fromEnvironment = environment["DENDRITES_DATA"], !fromEnvironment.isEmpty {
            paths.append(fromEnvironment)
        }
        switch kind {
        case .mnist: paths += ["data/mnist", "../shared/data/mnist"]
        case .fashionMNIST: paths += ["data/fashion-mnist", "/usr/share/datasets/fashion-mnist"]
        }
        return paths.map(resolved)
    }

    /// The first candidate directory holding all four files of the dataset. Throws a
    /// `DataError` listing every place searched if none does.
    public static func locate(kind: DatasetKind, explicit: String?, environment: [String: String],
                              workingDirectory: String) throws -> String {
        let searched = candidates(kind: kind, explicit: explicit, environment: environment, workingDirectory: workingDirectory)
        if let found = searched.first(where: holdsData) { return found }

        let missing = { (directory: String) in
            ImageDataset.Part.allCases.filter { $0.path(in: directory) == nil }
                .map { "\($0.fileNames[1])[.gz]" }.joined(separator: ", ")
        }
        if explicit != nil, let directory = searched.first {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue
            throw DataError(file: directory, problem: exists
                ? "does not hold the \(kind.rawValue) data: missing \(missing(directory))"
                : "data directory not found")
        }
        let remedy = kind == .mnist
            ? "run `bash Scripts/fetch-mnist.sh` to download it"
            : "run `apt-get install dataset-fashion-mnist` or put the files in data/fashion-mnist"
        throw DataError(file: kind.rawValue,
                        problem: "dataset not found; searched \(searched.joined(separator: ", ")); \(remedy), or pass --data DIR")
    }

    /// Whether `directory` holds all four files of a dataset under accepted names.
    public static func holdsData(_ directory: String) -> Bool {
        ImageDataset.Part.allCases.allSatisfy { $0.path(in: directory) != nil }
    }
}
