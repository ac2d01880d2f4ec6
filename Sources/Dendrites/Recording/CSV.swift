import Foundation

/// The one CSV writer and reader of the project (Docs/Formats.md): every CSV file of a run is
/// written by `CSVWriter` and read back by `CSVReader`, and every number is formatted by
/// `CSVNumber`.
///
/// Run files hold no quoted fields (names never contain a comma); the sweep summaries quote a
/// field that holds a comma or a quote (`CSVNumber.field`), which `CSVReader` does not read.

/// The type of a column: what `CSVReader` accepts in it.
public enum CSVColumnType: String, Sendable {
    /// A decimal integer (`-?[0-9]+`).
    case integer
    /// A number: what `CSVNumber.format` writes, and `nan`, `inf`, `-inf`.
    case real
    /// Any text without a comma (layer names).
    case text
}

/// One column of a CSV file: its name and type.
public struct CSVColumn: Equatable, Sendable {
    public var name: String
    public var type: CSVColumnType
    public init(_ name: String, _ type: CSVColumnType) {
        self.name = name
        self.type = type
    }
}

/// A field of a row as `CSVWriter` writes it.
public enum CSVValue: Equatable, Sendable {
    case integer(Int)
    /// Written as `CSVNumber.format` says.
    case real(Double)
    case text(String)
    /// Written as given: the number formats of format-1 files, which a resumed format-1 run
    /// keeps writing (Docs/Formats.md, "Format 1").
    case preformatted(String)
}

/// The number format of every CSV file: integers as integers; other numbers with 9 significant
/// digits (`%.9g`: a float32 reads back exactly, a float64 to 5·10⁻⁹ relative), `nan`, `inf`
/// and `-inf` for the non-finite.
public enum CSVNumber {
    public static func format(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return String(format: "%.9g", x)
    }

    public static func format(_ value: CSVValue) -> String {
        switch value {
        case let .integer(n): return String(n)
        case let .real(x): return format(x)
        case let .text(s): return field(s)
        case let .preformatted(s): return s
        }
    }

    /// A text field, quoted when it holds a comma, a quote or a line break.
    public static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A line of fields, without its newline.
    public static func line(_ values: [CSVValue]) -> String {
        values.map(format).joined(separator: ",")
    }
}

/// An append-only CSV file of a run, flushed line by line (each line is one write, so a killed
/// process leaves at most a partial last line, which readers skip and `resume` removes).
public final class CSVWriter {
    public let url: URL
    public let columns: [CSVColumn]
    private let handle: FileHandle

    public var header: String { columns.map(\.name).joined(separator: ",") }

    /// Creates the file with its header. With `appending`, an existing file is appended to
    /// instead (a run being resumed; `resume` has checked it with `CSVReader` first). A new run
    /// directory is always empty, so without it the file must not exist.
    public init(_ url: URL, columns: [CSVColumn], appending: Bool = false) throws {
        self.url = url
        self.columns = columns
        let header = columns.map(\.name).joined(separator: ",") + "\n"
        if !(appending && FileManager.default.fileExists(atPath: url.path)) {
            guard FileManager.default.createFile(atPath: url.path, contents: Data(header.utf8)) else {
                throw RecorderError("cannot create \(url.path)")
            }
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    /// Appends one row; it must have a field per column.
    public func append(_ values: [CSVValue]) throws {
        precondition(values.count == columns.count, "\(url.lastPathComponent): \(values.count) fields for \(columns.count) columns")
        try handle.write(contentsOf: Data((CSVNumber.line(values) + "\n").utf8))
    }

    deinit { try? handle.close() }
}

/// A CSV file read back: its header and rows of text fields (each checked against its column's
/// type when the reader was given the columns), and each row's line as it is in the file.
public struct CSVTable: Sendable {
    public var header: [String]
    public var rows: [[String]]
    /// The line of each row in the file, without its newline (`rows[k]` is `lines[k]` split).
    public var lines: [String]
    /// The file's line number of each row (the header is line 1).
    public var lineNumbers: [Int]

    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
        lines = rows.map { $0.joined(separator: ",") }
        lineNumbers = rows.indices.map { $0 + 2 }
    }

    public func column(_ name: String) -> [String]? {
        guard let k = header.firstIndex(of: name) else { return nil }
        return rows.map { $0[k] }
    }

    /// A column as numbers (nil when the column is missing; NaN for a field that is not one,
    /// which a checked column never has).
    public func numbers(_ name: String) -> [Double]? {
        column(name)?.map { Double($0) ?? .nan }
    }

    /// The rows for which `keep` holds (lines and line numbers follow).
    public func filtered(_ keep: ([String]) -> Bool) -> CSVTable {
        var table = self
        let kept = rows.indices.filter { keep(rows[$0]) }
        table.rows = kept.map { rows[$0] }
        table.lines = kept.map { lines[$0] }
        table.lineNumbers = kept.map { lineNumbers[$0] }
        return table
    }
}

/// The one CSV reader: through `InputFile` (a regular file of bounded size, UTF-8 text), then
/// strict: the header must be the expected one and every row must have a field per column of
/// the column's type. A `DataError` names the file, the line and what is wrong.
///
/// The one tolerance: a last line without its newline is a row still being written by a
/// running process (every row is written with its newline in one write), so it is skipped
/// (`CSVTable.partialLastLine` tells) rather than refused.
public enum CSVReader {
    /// Reads `path`. With `columns`, the header must be exactly their names (or, with
    /// `alternatives`, one of those headers: the first whose names match is used) and each field
    /// must be of its column's type.
    public static func read(_ path: String, columns: [CSVColumn]? = nil, maximumBytes: Int = InputFile.defaultMaximumBytes) throws -> CSVTable {
        try read(path, alternatives: columns.map { [$0] } ?? [], maximumBytes: maximumBytes).table
    }

    /// As `read(_:columns:)` with several accepted headers; also returns which one matched
    /// (nil when `alternatives` is empty and the header is not checked).
    public static func read(_ path: String, alternatives: [[CSVColumn]], maximumBytes: Int = InputFile.defaultMaximumBytes) throws
        -> (table: CSVTable, matched: Int?, partialLastLine: Bool) {
        let text = try InputFile.readText(path, maximumBytes: maximumBytes, what: "a CSV file")
        func failure(_ problem: String) -> DataError { DataError(file: path, problem: problem) }
        // Split at the bytes "\n" and ",", not at Characters: "\r\n" is one Character, and so is
        // a comma followed by a combining mark.
        var lines = split(text, at: "\n")
        // The last element is "" when the file ends with its newline; otherwise a partial row.
        let partial = lines.last.map { !$0.isEmpty } ?? false
        lines.removeLast()
        guard let headerLine = lines.first else {
            throw failure(partial ? "has no complete header line (is it being written?)" : "is empty: it has no header line")
        }
        if headerLine.hasSuffix("\r") { throw failure("line 1 ends with a carriage return (CRLF); these files use \\n only") }
        let header = fields(headerLine)
        var matched: Int? = nil
        if !alternatives.isEmpty {
            matched = alternatives.firstIndex { $0.map(\.name) == header }
            guard matched != nil else {
                let expected = alternatives.map { "'" + $0.map(\.name).joined(separator: ",") + "'" }.joined(separator: " or ")
                throw failure("line 1: the header is '\(clipped(headerLine))'; expected \(expected)")
            }
        }
        let types = matched.map { alternatives[$0].map(\.type) }
        var table = CSVTable(header: header, rows: [])
        for (index, line) in lines.enumerated().dropFirst() {
            let number = index + 1
            if line.hasSuffix("\r") { throw failure("line \(number) ends with a carriage return (CRLF); these files use \\n only") }
            let row = fields(line)
            guard row.count == header.count else {
                throw failure("line \(number) has \(row.count) field\(row.count == 1 ? "" : "s"); the header has \(header.count): '\(clipped(line))'")
            }
            if let types {
                for (k, type) in types.enumerated() where !accepts(type, row[k]) {
                    let expected = type == .integer ? "is not an integer" : type == .real ? "is not a number" : "is empty"
                    throw failure("line \(number), column \(header[k]): '\(clipped(row[k]))' \(expected)")
                }
            }
            table.rows.append(row)
            table.lines.append(line)
            table.lineNumbers.append(number)
        }
        return (table, matched, partial)
    }

    static func fields(_ line: String) -> [String] { split(line, at: ",") }

    static func split(_ text: String, at separator: Unicode.Scalar) -> [String] {
        text.unicodeScalars.split(separator: separator, omittingEmptySubsequences: false).map { String(String.UnicodeScalarView($0)) }
    }

    static func accepts(_ type: CSVColumnType, _ field: String) -> Bool {
        switch type {
        case .text: return !field.isEmpty
        case .integer: return Int(field) != nil
        case .real:
            if field == "nan" || field == "inf" || field == "-inf" { return true }
            // Double() alone would take "infinity", hexadecimal floats and the like.
            guard let first = field.first, first == "-" || first == "." || first.isNumber,
                  field.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }) else { return false }
            return Double(field) != nil
        }
    }

    static func clipped(_ text: String) -> String { text.count > 120 ? String(text.prefix(120)) + "…" : text }
}
