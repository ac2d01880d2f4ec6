import Foundation

/// An unsigned-byte IDX array: its dimension sizes and its elements in file (row-major) order.
public struct IDXArray: Sendable, Equatable {
    public let dimensions: [Int]
    public let bytes: [UInt8]

    public init(dimensions: [Int], bytes: [UInt8]) {
        self.dimensions = dimensions
        self.bytes = bytes
    }
}

/// Reader for the IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/): a
/// big-endian magic number 0x0000TTDD (TT the data type, DD the number of dimensions), the
/// dimension sizes as big-endian UInt32, then the data. Only unsigned bytes (TT = 0x08) are
/// supported. Files may be raw or gzip-compressed, told apart by the gzip magic number.
public enum IDX {
    /// Largest accepted element count: 2^28 (268 million) bytes, over five times the 47 million
    /// of the MNIST training images. A header that declares more is refused before anything is
    /// allocated or decompressed.
    public static let maximumElementCount = 1 << 28

    private static let unsignedByte: UInt8 = 0x08
    private static let typeNames: [UInt8: String] = [
        0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "16-bit integer",
        0x0C: "32-bit integer", 0x0D: "32-bit float", 0x0E: "64-bit float",
    ]
    /// How much of a gzip file is read to find the IDX header in it (gzip's own header may
    /// carry a file name and up to 64 KiB of extra fields before the data).
    static let gzipHeaderProbeBytes = 1 << 20

    /// Reads the unsigned-byte IDX file at `path`, which must have `expectedDimensions`
    /// dimensions. Throws a `DataError` naming the file for anything malformed.
    ///
    /// The header is read and checked first, and only the bytes it promises are read: a raw
    /// file must be exactly header + data long (checked against its size before the data is
    /// read); a gzip file is inflated only up to the size its IDX header declares, and a
    /// compressed file larger than that size could compress to is refused unread.
    public static func read(path: String, expectedDimensions: Int) throws -> IDXArray {
        precondition(expectedDimensions >= 1 && expectedDimensions <= 255, "IDX files have 1...255 dimensions")
        let file = try InputFile(path)
        let headerSize = 4 + 4 * expectedDimensions
        let probe = try file.read(at: 0, count: gzipHeaderProbeBytes)
        if Gzip.isGzip(probe) {
            let dimensions = try gzipHeader(probe, file: file, expectedDimensions: expectedDimensions)
            let expectedSize = headerSize + elementCount(dimensions)
            let fileBytes = file.size <= probe.count ? probe : try file.readToEnd()
            let contents = try Gzip.decompress(fileBytes, file: path, maximumOutputBytes: expectedSize)
            return try array(contents, dimensions: dimensions, headerSize: headerSize, path: path, compressed: true)
        } else {
            let dimensions = try parseHeader(Array(probe.prefix(headerSize)), path: path, expectedDimensions: expectedDimensions, compressed: false)
            try checkSize(file.size, dimensions: dimensions, headerSize: headerSize, path: path, compressed: false)
            let data = file.size <= probe.count ? Array(probe[headerSize...]) : try file.readToEnd(from: headerSize)
            return IDXArray(dimensions: dimensions, bytes: data)
        }
    }

    /// The dimension sizes in the header of the IDX file at `path` (raw or gzip), checked as
    /// `read` checks them, without reading or inflating the data.
    public static func dimensions(path: String, expectedDimensions: Int) throws -> [Int] {
        precondition(expectedDimensions >= 1 && expectedDimensions <= 255, "IDX files have 1...255 dimensions")
        let file = try InputFile(path)
        let headerSize = 4 + 4 * expectedDimensions
        let probe = try file.read(at: 0, count: gzipHeaderProbeBytes)
        if Gzip.isGzip(probe) { return try gzipHeader(probe, file: file, expectedDimensions: expectedDimensions) }
        let dimensions = try parseHeader(Array(probe.prefix(headerSize)), path: path, expectedDimensions: expectedDimensions, compressed: false)
        try checkSize(file.size, dimensions: dimensions, headerSize: headerSize, path: path, compressed: false)
        return dimensions
    }

    /// The IDX header inside a gzip file, from its first bytes (`probe`), and a check that the
    /// compressed file is no larger than the data it declares could compress to (deflate's
    /// worst case adds 5 bytes per 64 KiB; 1% and 1 MiB are allowed for headers and members).
    private static func gzipHeader(_ probe: [UInt8], file: InputFile, expectedDimensions: Int) throws -> [Int] {
        let headerSize = 4 + 4 * expectedDimensions
        let header: [UInt8]
        do {
            header = try Gzip.decompressPrefix(probe, file: file.path, count: headerSize)
        } catch let error as DataError where file.size > probe.count && error.problem.hasPrefix("truncated") {
            throw DataError(file: file.path, problem: "no IDX header in the first \(probe.count) bytes of the gzip stream (corrupt file?)")
        }
        let dimensions = try parseHeader(header, path: file.path, expectedDimensions: expectedDimensions, compressed: true)
        let declared = headerSize + elementCount(dimensions)
        let largestCompressed = declared + declared / 100 + (1 << 20)
        guard file.size <= largestCompressed else {
            throw DataError(file: file.path, problem: "is \(file.size) bytes, more than the \(declared) bytes its IDX header declares (\(shapeText(dimensions))) could compress to; it was not decompressed")
        }
        return dimensions
    }

    private static func checkSize(_ size: Int, dimensions: [Int], headerSize: Int, path: String, compressed: Bool) throws {
        let expectedSize = headerSize + elementCount(dimensions)
        guard size == expectedSize else {
            let what = compressed ? "decompressed data has" : "file has"
            throw DataError(
                file: path,
                problem: size < expectedSize
                    ? "truncated: expected \(expectedSize) bytes (\(headerSize)-byte header + \(shapeText(dimensions)) data), the \(what) \(size)"
                    : "too long: expected \(expectedSize) bytes (\(headerSize)-byte header + \(shapeText(dimensions)) data), the \(what) \(size)")
        }
    }

    /// Validates the magic number and returns the dimension sizes.
    private static func parseHeader(_ bytes: [UInt8], path: String, expectedDimensions: Int, compressed: Bool) throws -> [Int] {
        func failure(_ problem: String) -> DataError { DataError(file: path, problem: problem) }
        let expectedMagic = UInt32(unsignedByte) << 8 | UInt32(expectedDimensions)
        let expectation = "expected \(hex(expectedMagic)) (unsigned bytes, \(dimensionsText(expectedDimensions)))"
        let headerSize = 4 + 4 * expectedDimensions
        let what = compressed ? "decompressed data" : "file"

        guard bytes.count >= 4 else {
            throw failure("truncated: the \(what) has \(bytes.count) bytes, too short for the 4-byte IDX magic number")
        }
        let magic = bigEndianUInt32(bytes, at: 0)
        let (type, dimensionCount) = (bytes[2], Int(bytes[3]))
        guard bytes[0] == 0, bytes[1] == 0, let typeName = typeNames[type] else {
            throw failure("wrong magic number \(hex(magic)), not an IDX file; \(expectation)")
        }
        guard type == unsignedByte else {
            throw failure("unsupported IDX data type 0x\(String(type, radix: 16, uppercase: true)) (\(typeName)); only unsigned bytes (0x08) are supported")
        }
        guard dimensionCount == expectedDimensions else {
            throw failure("wrong magic number \(hex(magic)) (unsigned bytes, \(dimensionsText(dimensionCount))); \(expectation)")
        }
        guard bytes.count >= headerSize else {
            throw failure("truncated: expected a \(headerSize)-byte header, the \(what) has \(bytes.count) bytes")
        }
        let dimensions = (0..<expectedDimensions).map { Int(bigEndianUInt32(bytes, at: 4 + 4 * $0)) }
        var product = 1
        for size in dimensions {
            let (next, overflow) = product.multipliedReportingOverflow(by: size)
            guard !overflow, next <= maximumElementCount else {
                throw failure("absurd dimensions \(dimensions.map(String.init).joined(separator: "x")): more than \(maximumElementCount) elements")
            }
            product = next
        }
        return dimensions
    }

    private static func array(_ contents: [UInt8], dimensions: [Int], headerSize: Int, path: String, compressed: Bool) throws -> IDXArray {
        try checkSize(contents.count, dimensions: dimensions, headerSize: headerSize, path: path, compressed: compressed)
        return IDXArray(dimensions: dimensions, bytes: Array(contents[headerSize...]))
    }

    private static func shapeText(_ dimensions: [Int]) -> String { dimensions.map(String.init).joined(separator: "x") }

    private static func elementCount(_ dimensions: [Int]) -> Int { dimensions.reduce(1, *) }

    private static func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    private static func dimensionsText(_ count: Int) -> String { count == 1 ? "1 dimension" : "\(count) dimensions" }
}
