import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every file the tool reads goes through here: it must be a regular file (not a directory,
/// FIFO, device or socket) of at most a given size, checked before a byte is read, and
/// failures are `DataError`s that name the file and say what is wrong in words.
///
/// Readers of large binary formats (.npy, IDX) open the file, read its header with
/// `read(at:count:)`, check the size the header promises against `size`, and only then read
/// the data; small text and JSON files are read whole with `InputFile.read(_:maximumBytes:)`.
public final class InputFile {
    /// The largest text or JSON file read whole (configs, checkpoints, CSVs, sweep plans): far
    /// above any the tool writes (a checkpoint is a few hundred kilobytes).
    public static let defaultMaximumBytes = 256 << 20

    public let path: String
    /// The file's size in bytes when it was opened.
    public let size: Int
    private let descriptor: Int32

    /// Opens `path` for reading after checking that it is a regular file of at most
    /// `maximumBytes` bytes (`what` names the kind of file in the message, e.g. "a .npy file").
    public init(_ path: String, maximumBytes: Int? = nil, what: String = "file") throws {
        self.path = path
        func failure(_ problem: String) -> DataError { DataError(file: path, problem: problem) }
        var info = stat()
        guard stat(path, &info) == 0 else { throw failure(Self.words(forErrno: errno)) }
        try Self.requireRegular(info, failure: failure)
        // O_NONBLOCK: a FIFO swapped in after the check must not block the open.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw failure(Self.words(forErrno: errno)) }
        var opened = stat()
        guard fstat(descriptor, &opened) == 0 else {
            let problem = Self.words(forErrno: errno)
            close(descriptor)
            throw failure(problem)
        }
        do { try Self.requireRegular(opened, failure: failure) } catch { close(descriptor); throw error }
        let size = Int(opened.st_size)
        if let maximumBytes, size > maximumBytes {
            close(descriptor)
            throw failure("is \(Self.bytesText(size)), larger than \(what == "file" ? "a file this tool reads" : what) can be (at most \(Self.bytesText(maximumBytes))); it was not read")
        }
        self.descriptor = descriptor
        self.size = size
    }

    deinit { close(descriptor) }

    /// `count` bytes from `offset` (fewer only at the end of the file).
    public func read(at offset: Int, count: Int) throws -> [UInt8] {
        precondition(offset >= 0 && count >= 0)
        let wanted = max(0, min(count, size - offset))
        var bytes = [UInt8](repeating: 0, count: wanted)
        var done = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while done < wanted {
                let got = pread(descriptor, buffer.baseAddress! + done, wanted - done, off_t(offset + done))
                if got < 0 {
                    if errno == EINTR { continue }
                    throw DataError(file: path, problem: "cannot be read: \(Self.words(forErrno: errno))")
                }
                if got == 0 { break }  // shrank since it was opened
                done += got
            }
        }
        if done < wanted {
            throw DataError(file: path, problem: "became shorter while it was read (\(offset + done) of \(size) bytes); was it being written?")
        }
        return bytes
    }

    /// The bytes from `offset` to the end of the file.
    public func readToEnd(from offset: Int = 0) throws -> [UInt8] {
        try read(at: offset, count: max(0, size - offset))
    }

    /// The whole file, after the checks of `init`.
    public static func read(_ path: String, maximumBytes: Int = defaultMaximumBytes, what: String = "file") throws -> Data {
        Data(try InputFile(path, maximumBytes: maximumBytes, what: what).readToEnd())
    }

    /// The whole file as UTF-8 text; invalid UTF-8 is an error naming the line it is on.
    public static func readText(_ path: String, maximumBytes: Int = defaultMaximumBytes, what: String = "file") throws -> String {
        let bytes = try InputFile(path, maximumBytes: maximumBytes, what: what).readToEnd()
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var line = 1
        var offset = 0
        // The first line whose bytes are not valid UTF-8.
        for piece in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            if String(validating: piece, as: UTF8.self) == nil { break }
            line += 1
            offset += piece.count + 1
        }
        throw DataError(file: path, problem: "line \(line) is not UTF-8 text (byte offset \(offset)); is it a binary or damaged file?")
    }

    /// Whether `path` names an existing regular file (the test before an optional read).
    public static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    private static func requireRegular(_ info: stat, failure: (String) -> DataError) throws {
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw failure("is a directory, not a file")
        case S_IFIFO: throw failure("is not a regular file (it is a FIFO, a named pipe)")
        case S_IFCHR, S_IFBLK: throw failure("is not a regular file (it is a device)")
        case S_IFSOCK: throw failure("is not a regular file (it is a socket)")
        default: throw failure("is not a regular file")
        }
    }

    /// `errno` of a failed stat/open/read in words.
    static func words(forErrno code: Int32) -> String {
        switch code {
        case ENOENT: return "file not found"
        case EACCES, EPERM: return "permission denied"
        case ENOTDIR: return "file not found (a component of the path is not a directory)"
        case ELOOP: return "too many symbolic links in the path"
        case ENAMETOOLONG: return "the path is too long"
        case EISDIR: return "is a directory, not a file"
        case EIO: return "input/output error (a damaged disk or a network file system problem)"
        default: return String(cString: strerror(code))
        }
    }

    static func bytesText(_ bytes: Int) -> String {
        if bytes >= 1 << 30 { return String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
        if bytes >= 1 << 20 { return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) }
        return "\(bytes) bytes"
    }
}

/// JSON files read back (checkpoints, configs, sweep descriptions), decoded with messages in
/// words: which field is missing or of the wrong type, or that the file is not JSON at all.
public enum JSONFile {
    /// Decodes the JSON file at `path` (read through `InputFile`); a `DataError` names the file.
    public static func decode<T: Decodable>(_ type: T.Type, path: String, maximumBytes: Int = InputFile.defaultMaximumBytes) throws -> T {
        let data = try InputFile.read(path, maximumBytes: maximumBytes, what: "a JSON file")
        return try decode(type, from: data, name: path)
    }

    /// Decodes `data`; `name` identifies the source in errors.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, name: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw DataError(file: name, problem: describe(error))
        } catch {
            throw DataError(file: name, problem: "is not valid JSON")
        }
    }

    /// A decoding error in words, without Foundation's error codes.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.isEmpty ? "the top level" : "field " + keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case let .keyNotFound(key, context):
            return "\(path(context.codingPath + [key])) is missing"
        case let .typeMismatch(type, context):
            return "\(path(context.codingPath)) is not \(typeName(type))"
        case let .valueNotFound(type, context):
            return "\(path(context.codingPath)) is null, expected \(typeName(type))"
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                return "is not valid JSON (damaged or not a JSON file)"
            }
            return "\(path(context.codingPath)) is invalid: \(firstSentence(context.debugDescription))"
        @unknown default:
            return "cannot be decoded"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int32.Type, is Int64.Type, is UInt64.Type, is UInt32.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") || name.hasPrefix("[") { return "a list" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "of the right type (\(name))"
        }
    }

    private static func firstSentence(_ text: String) -> String {
        // Foundation's debug descriptions can carry an underlying NSError; keep our words only.
        let cut = text.range(of: " Error Domain=").map { String(text[..<$0.lowerBound]) } ?? text
        return cut.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
