import Dendrites
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Foundation file error said in words: the file and the reason, never a domain and a code.
struct FileSystemError: Error, CustomStringConvertible {
    let description: String

    /// `error` itself unless it is one of Foundation's file errors (Cocoa or POSIX domain).
    static func readable(_ error: Error) -> Error {
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return error }
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        return FileSystemError(description: (path.map { "\($0): " } ?? "") + reason(ns))
    }

    private static func reason(_ ns: NSError) -> String {
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or directory"
        case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "no space left on the device"
        case .fileWriteVolumeReadOnly: return "read-only file system"
        case .fileWriteFileExists: return "already exists"
        case .fileReadCorruptFile, .fileReadInapplicableStringEncoding: return "not readable as text in the expected format"
        case .fileReadTooLarge: return "too large to read"
        case .fileReadUnknown: return "cannot be read"
        case .fileWriteUnknown, .fileWriteInvalidFileName: return "cannot be written"
        default: return "a file operation failed"
        }
    }
}

extension DendriteTrain {
    /// ArgumentParser's entry point, with Foundation's file errors put into words first.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: FileSystemError.readable(error))
        }
    }
}
