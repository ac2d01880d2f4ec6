import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Creating the directories the tool writes into (run directories, sweep directories), with a
/// one-line `DataError` naming the directory and saying why it cannot be made: a read-only
/// parent, a path through a regular file, a full disk.
public enum OutputDirectory {
    /// Creates `url` and any missing parents (like `mkdir -p`); nothing when it exists.
    public static func create(_ url: URL) throws {
        let path = url.standardizedFileURL.path
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw DataError(file: path, problem: "exists and is not a directory")
            }
            return
        }
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            let parent = current.isEmpty ? "/" : current
            current += "/" + component
            if mkdir(current, 0o755) == 0 { continue }
            let code = errno
            if code == EEXIST, stat(current, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { continue }
            let reason: String
            switch code {
            case EACCES, EPERM: reason = "permission denied: \(parent) is not writable"
            case EROFS: reason = "\(parent) is on a read-only file system"
            case EEXIST, ENOTDIR: reason = "\(code == EEXIST ? current : parent) is not a directory"
            case ENOSPC: reason = "no space left on the device"
            case EDQUOT: reason = "disk quota exceeded"
            default: reason = String(cString: strerror(code))
            }
            throw DataError(file: path, problem: "cannot create the directory: \(reason)")
        }
    }
}
