import Foundation
import SwiftProtobuf
#if canImport(Glibc)
import Glibc
#endif

/// One scalar of a TensorBoard event.
public struct TensorBoardScalar: Equatable, Sendable {
    public var tag: String
    public var value: Float

    public init(_ tag: String, _ value: Float) {
        self.tag = tag
        self.value = value
    }
}

/// A `tensorflow.Event` as Dendrites writes it: the file-version header, or scalars at a step.
public struct TensorBoardEvent: Equatable, Sendable {
    public var wallTime: Double
    public var step: Int64
    /// "brain.Event:2" in a file's first event, nil in the others.
    public var fileVersion: String?
    public var scalars: [TensorBoardScalar]

    public init(wallTime: Double, step: Int64, fileVersion: String? = nil, scalars: [TensorBoardScalar] = []) {
        self.wallTime = wallTime
        self.step = step
        self.fileVersion = fileVersion
        self.scalars = scalars
    }

    /// The protobuf encoding (Protos/tensorboard_event.proto, TensorFlow's field numbers).
    public func serialized() throws -> Data {
        var event = Dendrites_Tensorboard_Event()
        event.wallTime = wallTime
        event.step = step
        if let fileVersion {
            event.fileVersion = fileVersion
        } else {
            var summary = Dendrites_Tensorboard_Summary()
            summary.value = scalars.map { scalar in
                var value = Dendrites_Tensorboard_Summary.Value()
                value.tag = scalar.tag
                value.simpleValue = scalar.value
                return value
            }
            event.summary = summary
        }
        return try event.serializedBytes()
    }

    /// Decodes one event; fields Dendrites does not write (graphs, images, …) are ignored.
    public init(serialized data: Data) throws {
        let event = try Dendrites_Tensorboard_Event(serializedBytes: data)
        wallTime = event.wallTime
        step = event.step
        switch event.what {
        case let .fileVersion(version)?:
            fileVersion = version
            scalars = []
        case let .summary(summary)?:
            fileVersion = nil
            scalars = summary.value.compactMap { value in
                guard case let .simpleValue(x)? = value.value else { return nil }
                return TensorBoardScalar(value.tag, x)
            }
        case nil:
            fileVersion = nil
            scalars = []
        }
    }
}

/// A TensorBoard event file (`events.out.tfevents.*`): TFRecord-framed `tensorflow.Event`s,
/// the first one naming the format. Every event is written with one `write`, unbuffered, so a
/// TensorBoard watching the directory sees it at once.
public final class EventFileWriter {
    public static let fileVersion = "brain.Event:2"
    public static let namePrefix = "events.out.tfevents."
    public let url: URL
    private let handle: FileHandle

    /// Creates a new event file in `directory`, named as TensorFlow names them
    /// (`events.out.tfevents.<seconds>.<host>.<pid>`, with `.<n>` added if that exists), so
    /// the files of successive processes sort in the order they were written.
    public init(directory: URL, date: Date = Date()) throws {
        let seconds = String(format: "%010d", Int(date.timeIntervalSince1970))
        let base = "\(Self.namePrefix)\(seconds).\(Self.hostName()).\(ProcessInfo.processInfo.processIdentifier)"
        let fm = FileManager.default
        var name = base
        var n = 0
        while fm.fileExists(atPath: directory.appendingPathComponent(name).path) {
            n += 1
            name = "\(base).\(n)"
        }
        url = directory.appendingPathComponent(name)
        let header = try TensorBoardEvent(wallTime: date.timeIntervalSince1970, step: 0, fileVersion: Self.fileVersion).serialized()
        guard fm.createFile(atPath: url.path, contents: TFRecord.frame(header)) else {
            throw RecorderError("cannot create \(url.path)")
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    /// Writes the scalars as one event at `step`.
    public func write(step: Int64, scalars: [TensorBoardScalar], date: Date = Date()) throws {
        guard !scalars.isEmpty else { return }
        let event = TensorBoardEvent(wallTime: date.timeIntervalSince1970, step: step, scalars: scalars)
        try handle.write(contentsOf: TFRecord.frame(try event.serialized()))
    }

    deinit { try? handle.close() }

    /// The host name, with anything but letters, digits, `-` and `_` replaced (it goes into a
    /// file name); "localhost" when there is none.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(cString: buffer)
        let cleaned = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "_" })
        return cleaned.isEmpty ? "localhost" : cleaned
    }
}

/// Reading and trimming the event files of a run directory.
public enum EventFiles {
    /// The event files of `directory`, sorted by name (the order TensorBoard reads them in).
    public static func urls(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix(EventFileWriter.namePrefix) }.sorted()
            .map { directory.appendingPathComponent($0) }
    }

    /// The events of one file; an incomplete last record (still being written, or cut short) is
    /// left out.
    public static func read(_ url: URL) throws -> [TensorBoardEvent] {
        try TFRecord.records(in: Data(contentsOf: url)).records.map { try TensorBoardEvent(serialized: $0) }
    }

    /// For a resume from the checkpoint after `step` training images: drops from every event
    /// file the events at later steps (written by a process that went past the checkpoint
    /// before it stopped) and any incomplete last record, so the resumed run continues the
    /// series without duplicate steps. Each changed file is rewritten atomically; the header
    /// event stays.
    public static func truncate(in directory: URL, afterStep step: Int64) throws {
        for url in try urls(in: directory) {
            let data = try Data(contentsOf: url)
            let (records, bytes) = try TFRecord.records(in: data)
            var kept = Data()
            var dropped = bytes < data.count
            for record in records {
                let event = try TensorBoardEvent(serialized: record)
                if event.fileVersion == nil && event.step > step {
                    dropped = true
                } else {
                    kept.append(TFRecord.frame(record))
                }
            }
            if dropped { try AtomicFile.write(kept, to: url) }
        }
    }
}
