import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a run directory, held while a process trains into it, so two
/// processes never write one run at once (say, a sweep submitted again while its first tasks
/// still run, or two `resume` commands). It is `flock` on `RUN/run.lock`, which records the
/// holder's pid; the system releases it when the process ends, however it ends.
public final class RunLock {
    public static let fileName = "run.lock"
    private let descriptor: Int32
    public let directory: URL

    /// Creates the directory if needed and takes the lock, or throws naming the holder.
    public init(directory: URL) throws {
        self.directory = directory
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw RecorderError("\(directory.path) exists and is not a directory")
        }
        try OutputDirectory.create(directory)
        let path = directory.appendingPathComponent(Self.fileName).path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw RecorderError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        // A lock that was just released can still be held for a moment by a child process that
        // another thread of this process is spawning (it inherits the descriptor until it execs),
        // so a held lock is tried again for up to a second before it counts as another's.
        var locked = flock(descriptor, LOCK_EX | LOCK_NB) == 0
        var attempts = 0
        while !locked && errno == EWOULDBLOCK && attempts < 20 {
            usleep(50_000)
            attempts += 1
            locked = flock(descriptor, LOCK_EX | LOCK_NB) == 0
        }
        guard locked else {
            let holder = (try? InputFile.readText(path, maximumBytes: 4096))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            throw RecorderError("\(directory.path) is being trained by another process\(holder.isEmpty ? "" : " (pid \(holder))"); "
                                + "wait for it to end, or stop it first")
        }
        self.descriptor = descriptor
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        _ = ftruncate(descriptor, 0)
        close(descriptor)  // releases the lock
    }
}
