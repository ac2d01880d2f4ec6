import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file writes that never leave a half-written file: the data goes to a temporary
/// file in the same directory, is flushed to disk, then renamed over the target.
public enum AtomicFile {
    /// Atomically replaces (or creates) the file at `url` with `data`. Throws a `DataError`
    /// naming the file on failure, leaving any previous version intact.
    public static func write(_ data: Data, to url: URL) throws {
        let target = url.standardizedFileURL.path
        let directory = (target as NSString).deletingLastPathComponent
        let temporary = (directory as NSString).appendingPathComponent(
            ".\((target as NSString).lastPathComponent).tmp-\(UUID().uuidString)")
        func failure(_ action: String) -> DataError {
            DataError(file: target, problem: "cannot \(action): \(String(cString: strerror(errno)))")
        }

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("create temporary file \(temporary)") }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            defer { close(descriptor) }
            try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < buffer.count {
                    let written = posixWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw failure("write")
                    }
                    offset += written
                }
            }
            guard fsync(descriptor) == 0 else { throw failure("flush to disk") }
        }
        guard rename(temporary, target) == 0 else { throw failure("rename the temporary file into place") }
        renamed = true

        // Make the rename itself durable; a failure here does not undo the write.
        let directoryDescriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}

extension AtomicFile {
    /// Whether `name` is one of `write`'s temporary files: `.<target>.tmp-<UUID>`.
    public static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards) else { return false }
        let suffix = name[range.upperBound...]
        return range.lowerBound > name.index(after: name.startIndex) && UUID(uuidString: String(suffix)) != nil
    }

    /// Removes the temporary files that `write` leaves behind when its process is killed
    /// between creating and renaming one: in `directory`, those of target `name` (all of them
    /// when nil). Only for a directory no other process is writing (a run directory whose
    /// `RunLock` is held). Returns the names removed.
    @discardableResult
    public static func removeStaleTemporaries(in directory: URL, target name: String? = nil) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        let stale = names.filter { isTemporaryName($0) && (name == nil || $0.hasPrefix(".\(name!).tmp-")) }.sorted()
        for entry in stale { unlink(directory.appendingPathComponent(entry).path) }
        return stale
    }
}

/// POSIX `write(2)`, named apart from Swift's `write` methods in scope.
private func posixWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(descriptor, bytes, count)
    #else
    return Darwin.write(descriptor, bytes, count)
    #endif
}
