import Foundation

/// A problem reading a `.npy` file: which file, and what is wrong with it (the same error as
/// for any other data file).
public typealias NPYError = DataError

/// A real-valued n-dimensional array; `values` are in C (row-major) order.
public struct NPYArray: Equatable {
    public var shape: [Int]
    public var values: [Double]

    public init(shape: [Int], values: [Double]) {
        self.shape = shape
        self.values = values
    }
}

/// The NumPy `.npy` format, versions 1.0, 2.0 and 3.0
/// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
/// Reads little-endian float64 and float32 arrays in C or Fortran order; writes float64.
public enum NPY {
    /// Largest accepted element count: 2^27 (134 million; 1 GiB as float64), far above any
    /// network's weights. A header that declares more is refused before anything is allocated.
    public static let maximumElementCount = 1 << 27
    /// Largest accepted header (numpy writes well under 1 KiB).
    public static let maximumHeaderBytes = 1 << 20

    private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    private static let supportedTypes = "'<f8' (float64), '<f4' (float32), and the integers '<i8', '<i4', '|u1' (read as float64)"

    /// What a `.npy` header says: the array's shape and type, and where its data starts.
    public struct Header: Equatable, Sendable {
        public var descr: String
        public var fortranOrder: Bool
        public var shape: [Int]
        /// Byte offset of the data: the magic string, version, header length and header.
        public var dataOffset: Int
        public var itemSize: Int
        public var elementCount: Int { shape.reduce(1, *) }
        public var dataBytes: Int { elementCount * itemSize }
    }

    /// Reads only the header of the `.npy` file at `path`, checks it, and checks that the file
    /// is exactly as long as the header promises. Nothing past the header is read.
    public static func header(path: String) throws -> Header {
        try header(of: InputFile(path))
    }

    private static func header(of file: InputFile) throws -> Header {
        let prefix = try file.read(at: 0, count: 12)
        let headerEnd = try headerEnd(prefix, name: file.path, fileSize: file.size)
        let header = try parseHeader(file.read(at: 0, count: headerEnd), name: file.path)
        try checkDataSize(header, present: file.size - header.dataOffset, name: file.path)
        return header
    }

    /// Reads the `.npy` file at `path`: its header first; then, if `accept` (which may check
    /// the header's shape against what the caller needs and throw) lets it through, exactly the
    /// data bytes the header promises.
    public static func read(path: String, accept: ((Header) throws -> Void)? = nil) throws -> NPYArray {
        let file = try InputFile(path)
        let header = try header(of: file)
        try accept?(header)
        let data = try file.read(at: header.dataOffset, count: header.dataBytes)
        return decode(data[...], header: header)
    }

    /// Decodes `.npy` bytes; `name` identifies the source in errors.
    public static func read(data: Data, name: String) throws -> NPYArray {
        let bytes = [UInt8](data)
        let headerEnd = try headerEnd(bytes, name: name, fileSize: bytes.count)
        let header = try parseHeader(Array(bytes[..<headerEnd]), name: name)
        try checkDataSize(header, present: bytes.count - header.dataOffset, name: name)
        return decode(bytes[header.dataOffset...], header: header)
    }

    /// From the first bytes (at least 12 of them when the file has them): the offset where the
    /// header ends, checked against the file's size and `maximumHeaderBytes`.
    private static func headerEnd(_ bytes: [UInt8], name: String, fileSize: Int) throws -> Int {
        func failure(_ problem: String) -> NPYError { NPYError(file: name, problem: problem) }
        guard bytes.count >= 8, Array(bytes[0..<6]) == magic else {
            throw failure("not a .npy file: it does not start with the magic string \\x93NUMPY")
        }
        let (major, minor) = (bytes[6], bytes[7])
        let lengthFieldSize: Int
        switch (major, minor) {
        case (1, 0): lengthFieldSize = 2
        case (2, 0), (3, 0): lengthFieldSize = 4
        default: throw failure("unsupported .npy format version \(major).\(minor); supported: 1.0, 2.0, 3.0")
        }
        let headerStart = 8 + lengthFieldSize
        guard bytes.count >= headerStart else {
            throw failure("truncated: the file ends inside the header length field")
        }
        let headerLength = (0..<lengthFieldSize).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        guard headerLength <= maximumHeaderBytes else {
            throw failure("header length \(headerLength) is absurd (at most \(maximumHeaderBytes) bytes)")
        }
        let dataStart = headerStart + headerLength
        guard dataStart <= fileSize else {
            throw failure("header length \(headerLength) runs past the end of the \(fileSize)-byte file")
        }
        return dataStart
    }

    /// Parses the whole header (`bytes` from the magic string to the end of the header).
    private static func parseHeader(_ bytes: [UInt8], name: String) throws -> Header {
        func failure(_ problem: String) -> NPYError { NPYError(file: name, problem: problem) }
        let major = bytes[6]
        let headerStart = major == 1 ? 10 : 12
        // Versions 1 and 2 use latin-1; version 3 uses UTF-8.
        let headerBytes = bytes[headerStart...]
        guard let headerText = major == 3 ? String(bytes: headerBytes, encoding: .utf8)
                                          : String(bytes: headerBytes, encoding: .isoLatin1) else {
            throw failure("header is not valid \(major == 3 ? "UTF-8" : "latin-1") text")
        }
        let (descr, fortranOrder, shape) = try parseDictionary(headerText, failure: failure)

        let itemSize: Int
        switch descr {
        case "<f8", "<i8": itemSize = 8
        case "<f4", "<i4": itemSize = 4
        case "|u1", "<u1": itemSize = 1
        case let d where d.hasPrefix(">") && ["f8", "f4", "i8", "i4"].contains(d.dropFirst()):
            throw failure("big-endian dtype '\(d)' is not supported; supported: \(supportedTypes)")
        case let d where d.contains("O"):
            throw failure("object dtype '\(d)' (pickled Python objects) is not supported; supported: \(supportedTypes)")
        case let d:
            throw failure("unsupported dtype '\(d)'; supported: \(supportedTypes)")
        }

        var count = 1
        for size in shape {
            guard size >= 0 else { throw failure("negative dimension \(size) in shape \(shapeText(shape))") }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= maximumElementCount else {
                throw failure("absurd shape \(shapeText(shape)): more than \(maximumElementCount) elements")
            }
            count = product
        }
        return Header(descr: descr, fortranOrder: fortranOrder, shape: shape, dataOffset: bytes.count, itemSize: itemSize)
    }

    private static func checkDataSize(_ header: Header, present: Int, name: String) throws {
        guard present == header.dataBytes else {
            throw NPYError(file: name, problem: "data section has \(present) bytes but shape \(shapeText(header.shape)) of '\(header.descr)' needs \(header.dataBytes)")
        }
    }

    /// The values of `data` (exactly `header.dataBytes` bytes), in C order.
    private static func decode(_ data: ArraySlice<UInt8>, header: Header) -> NPYArray {
        let count = header.elementCount
        precondition(data.count == header.dataBytes)
        var values = [Double](repeating: 0, count: count)
        data.withUnsafeBytes { source in
            for index in 0..<count {
                switch header.descr {
                case "<f8":
                    values[index] = Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self)))
                case "<f4":
                    values[index] = Double(Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))))
                case "<i8":
                    values[index] = Double(Int64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * index, as: Int64.self)))
                case "<i4":
                    values[index] = Double(Int32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * index, as: Int32.self)))
                default:
                    values[index] = Double(source[index])
                }
            }
        }
        if header.fortranOrder { values = cOrder(fromFortranOrder: values, shape: header.shape) }
        return NPYArray(shape: header.shape, values: values)
    }

    /// The `.npy` bytes numpy's `np.save` writes for a C-ordered float64 array: version 1.0
    /// (2.0 only if the header outgrows 65535 bytes), header padded to a 64-byte boundary.
    public static func encode(values: [Double], shape: [Int]) -> Data {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
                     "shape \(shape) does not match \(values.count) values")
        let shapeLiteral = shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shapeLiteral), }"
        // numpy leaves room to grow the first axis in place (GROWTH_AXIS_MAX_DIGITS = 21).
        if let first = shape.first { header += String(repeating: " ", count: max(0, 21 - String(first).count)) }

        let headerLength = header.utf8.count + 1  // with the final newline
        func padding(lengthFieldSize: Int) -> Int { 64 - (8 + lengthFieldSize + headerLength) % 64 }
        let lengthFieldSize = headerLength + padding(lengthFieldSize: 2) <= 0xFFFF ? 2 : 4
        let prefixSize = 8 + lengthFieldSize
        let padding = padding(lengthFieldSize: lengthFieldSize)
        let paddedLength = headerLength + padding

        var data = Data(magic + (lengthFieldSize == 2 ? [1, 0] : [2, 0]))
        data.reserveCapacity(prefixSize + paddedLength + 8 * values.count)
        for byteIndex in 0..<lengthFieldSize { data.append(UInt8(truncatingIfNeeded: paddedLength >> (8 * byteIndex))) }
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: [UInt8](repeating: 0x20, count: padding))
        data.append(0x0A)
        var body = [UInt8](repeating: 0, count: 8 * values.count)
        body.withUnsafeMutableBytes { raw in
            for (index, value) in values.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 8 * index, as: UInt64.self)
            }
        }
        data.append(contentsOf: body)
        return data
    }

    /// Writes `values` as a float64 `.npy` file, atomically.
    public static func write(values: [Double], shape: [Int], to url: URL) throws {
        try AtomicFile.write(encode(values: values, shape: shape), to: url)
    }

    // MARK: - Header

    private static func parseDictionary(_ text: String, failure: (String) -> NPYError) throws -> (descr: String, fortranOrder: Bool, shape: [Int]) {
        var parser = PythonLiteralParser(text: text)
        guard let literal = try? parser.parseDocument(), case .dict(let entries) = literal else {
            throw failure("malformed header: expected a Python dict literal, found \(text.trimmingCharacters(in: .whitespacesAndNewlines).debugDescription)")
        }
        let dict = Dictionary(entries, uniquingKeysWith: { _, last in last })
        guard let descrValue = dict["descr"], let orderValue = dict["fortran_order"], let shapeValue = dict["shape"] else {
            throw failure("malformed header: it needs the keys 'descr', 'fortran_order' and 'shape'; found \(entries.map { "'\($0.0)'" }.joined(separator: ", "))")
        }
        guard case .string(let descr) = descrValue else {
            throw failure("unsupported dtype \(descrValue) (structured or custom); supported: \(supportedTypes)")
        }
        guard case .bool(let fortranOrder) = orderValue else {
            throw failure("malformed header: 'fortran_order' is \(orderValue), expected True or False")
        }
        guard case .tuple(let items) = shapeValue else {
            throw failure("malformed header: 'shape' is \(shapeValue), expected a tuple of integers")
        }
        var shape: [Int] = []
        for item in items {
            switch item {
            case .integer(let size): shape.append(size)
            case .hugeInteger(let digits): throw failure("absurd dimension \(digits) in shape")
            default: throw failure("malformed header: 'shape' holds \(item), expected integers")
            }
        }
        return (descr, fortranOrder, shape)
    }

    static func shapeText(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
    }

    /// Reorders column-major `values` of the given shape into row-major order.
    private static func cOrder(fromFortranOrder values: [Double], shape: [Int]) -> [Double] {
        guard shape.count > 1, !values.isEmpty else { return values }
        var cStrides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) { cStrides[axis] = cStrides[axis + 1] * shape[axis + 1] }
        var result = [Double](repeating: 0, count: values.count)
        var index = [Int](repeating: 0, count: shape.count)  // multi-index; axis 0 varies fastest in Fortran order
        var cOffset = 0
        for value in values {
            result[cOffset] = value
            for axis in 0..<shape.count {
                index[axis] += 1
                cOffset += cStrides[axis]
                if index[axis] < shape[axis] { break }
                cOffset -= cStrides[axis] * shape[axis]
                index[axis] = 0
            }
        }
        return result
    }
}

// MARK: - Python literal parsing

/// The subset of Python literals found in `.npy` headers.
private indirect enum PythonLiteral: CustomStringConvertible {
    case string(String)
    case integer(Int)
    case hugeInteger(String)
    case bool(Bool)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dict([(String, PythonLiteral)])

    var description: String {
        switch self {
        case .string(let s): return "'\(s)'"
        case .integer(let n): return String(n)
        case .hugeInteger(let digits): return digits
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .tuple(let items): return items.count == 1 ? "(\(items[0]),)" : "(\(items.map(\.description).joined(separator: ", ")))"
        case .list(let items): return "[\(items.map(\.description).joined(separator: ", "))]"
        case .dict(let entries): return "{\(entries.map { "'\($0.0)': \($0.1)" }.joined(separator: ", "))}"
        }
    }
}

private struct PythonLiteralParser {
    struct SyntaxError: Error {}

    private let characters: [Character]
    private var position = 0

    init(text: String) { characters = Array(text) }

    /// One literal, with nothing but whitespace after it.
    mutating func parseDocument() throws -> PythonLiteral {
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard position == characters.count else { throw SyntaxError() }
        return value
    }

    private mutating func parseValue(depth: Int) throws -> PythonLiteral {
        guard depth < 32 else { throw SyntaxError() }
        skipWhitespace()
        guard let next = peek() else { throw SyntaxError() }
        switch next {
        case "{":
            let items = try parseSequence(closing: "}") { parser -> (String, PythonLiteral) in
                guard case .string(let key) = try parser.parseValue(depth: depth + 1) else { throw SyntaxError() }
                try parser.expect(":")
                return (key, try parser.parseValue(depth: depth + 1))
            }
            return .dict(items)
        case "(":
            let (items, trailingComma) = try parseSequenceWithComma(closing: ")") { try $0.parseValue(depth: depth + 1) }
            // `(x)` is just x in Python; only `(x,)` is a one-element tuple.
            if items.count == 1 && !trailingComma { return items[0] }
            return .tuple(items)
        case "[":
            return .list(try parseSequence(closing: "]") { try $0.parseValue(depth: depth + 1) })
        case "'", "\"":
            return .string(try parseString())
        case _ where next.isNumber || next == "-" || next == "+":
            return try parseInteger()
        default:
            var word = ""
            while let c = peek(), c.isLetter || c == "_" { word.append(c); position += 1 }
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default: throw SyntaxError()
            }
        }
    }

    private mutating func parseSequence<T>(closing: Character, element: (inout PythonLiteralParser) throws -> T) throws -> [T] {
        try parseSequenceWithComma(closing: closing, element: element).0
    }

    /// Comma-separated elements up to `closing`; also reports whether a trailing comma ended them.
    private mutating func parseSequenceWithComma<T>(closing: Character, element: (inout PythonLiteralParser) throws -> T) throws -> ([T], Bool) {
        position += 1  // opening bracket
        var items: [T] = []
        var trailingComma = false
        while true {
            skipWhitespace()
            if peek() == closing { position += 1; return (items, trailingComma) }
            items.append(try element(&self))
            skipWhitespace()
            if peek() == "," { position += 1; trailingComma = true; continue }
            trailingComma = false
            try expect(closing)
            return (items, trailingComma)
        }
    }

    private mutating func parseString() throws -> String {
        let quote = characters[position]
        position += 1
        var result = ""
        while let c = peek() {
            position += 1
            if c == quote { return result }
            if c == "\\" {
                guard let escaped = peek() else { break }
                position += 1
                result.append(escaped)
            } else {
                result.append(c)
            }
        }
        throw SyntaxError()
    }

    private mutating func parseInteger() throws -> PythonLiteral {
        var text = ""
        if let sign = peek(), sign == "-" || sign == "+" { text.append(sign); position += 1 }
        while let c = peek(), c.isASCII && c.isNumber { text.append(c); position += 1 }
        if peek() == "L" || peek() == "l" { position += 1 }  // Python 2 long suffix
        guard text.contains(where: \.isNumber) else { throw SyntaxError() }
        return Int(text).map(PythonLiteral.integer) ?? .hugeInteger(text)
    }

    private mutating func expect(_ character: Character) throws {
        skipWhitespace()
        guard peek() == character else { throw SyntaxError() }
        position += 1
    }

    private mutating func skipWhitespace() {
        while let c = peek(), c.isWhitespace { position += 1 }
    }

    private func peek() -> Character? { position < characters.count ? characters[position] : nil }
}
