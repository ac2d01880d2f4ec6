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
    /// Largest accepted element count; real files are far smaller.
    public static let maximumElementCount = 1_000_000_000

    private static let unsignedByte: UInt8 = 0x08
    private static let typeNames: [UInt8: String] = [
        0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "16-bit integer",
        0x0C: "32-bit integer", 0x0D: "32-bit float", 0x0E: "64-bit float",
    ]

    /// Reads the unsigned-byte IDX file at `path`, which must have `expectedDimensions`
    /// dimensions. Throws a `DataError` naming the file for anything malformed.
    public static func read(path: String, expectedDimensions: Int) throws -> IDXArray {
        precondition(expectedDimensions >= 1 && expectedDimensions <= 255, "IDX files have 1...255 dimensions")
        let fileBytes = try readBytes(path: path)
        let headerSize = 4 + 4 * expectedDimensions

        if Gzip.isGzip(fileBytes) {
            // Learn the size from the header first, so decompression can be capped at it.
            let header = try Gzip.decompressPrefix(fileBytes, file: path, count: headerSize)
            let dimensions = try parseHeader(header, path: path, expectedDimensions: expectedDimensions, compressed: true)
            let contents = try Gzip.decompress(fileBytes, file: path, maximumOutputBytes: headerSize + elementCount(dimensions))
            return try array(contents, dimensions: dimensions, headerSize: headerSize, path: path, compressed: true)
        } else {
            let dimensions = try parseHeader(fileBytes, path: path, expectedDimensions: expectedDimensions, compressed: false)
            return try array(fileBytes, dimensions: dimensions, headerSize: headerSize, path: path, compressed: false)
        }
    }

    static func readBytes(path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(file: path, problem: "file not found")
        }
        guard !isDirectory.boolValue else { throw DataError(file: path, problem: "is a directory, not a file") }
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw DataError(file: path, problem: "cannot read: \(error.localizedDescription)")
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
        let expectedSize = headerSize + elementCount(dimensions)
        let what = compressed ? "decompressed data has" : "file has"
        guard contents.count == expectedSize else {
            let shape = dimensions.map(String.init).joined(separator: "x")
            throw DataError(
                file: path,
                problem: contents.count < expectedSize
                    ? "truncated: expected \(expectedSize) bytes (\(headerSize)-byte header + \(shape) data), the \(what) \(contents.count)"
                    : "too long: expected \(expectedSize) bytes (\(headerSize)-byte header + \(shape) data), the \(what) \(contents.count)")
        }
        return IDXArray(dimensions: dimensions, bytes: Array(contents[headerSize...]))
    }

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
