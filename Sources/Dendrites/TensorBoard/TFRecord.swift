import Foundation

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord framing.
public enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// TFRecord's masked CRC: rotated right by 15 bits, plus a constant (so a CRC of data that
    /// itself holds CRCs is not trivially related to them).
    public static func masked<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

/// TFRecord framing, the container of TensorBoard's event files: each record is
/// `uint64 length` (little-endian), `uint32 masked CRC32C of those 8 bytes`, the data, and
/// `uint32 masked CRC32C of the data`.
public enum TFRecord {
    public static func frame(_ data: Data) -> Data {
        var out = Data(capacity: data.count + 16)
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Data($0) }
        out.append(length)
        withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { out.append(contentsOf: $0) }
        out.append(data)
        withUnsafeBytes(of: CRC32C.masked(data).littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    public struct FormatError: Error, CustomStringConvertible, Equatable {
        public let message: String
        public var description: String { message }
    }

    /// The records of `data`, in order, and how many bytes they take. An incomplete last record
    /// (a file being written, or cut short by a crash) ends the list; a checksum that does not
    /// match throws.
    public static func records(in data: Data) throws -> (records: [Data], bytes: Int) {
        let bytes = [UInt8](data)
        func uint64(at i: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) } }
        func uint32(at i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[i + $1]) << (8 * UInt32($1)) } }
        var records: [Data] = []
        var offset = 0
        while bytes.count - offset >= 12 {
            guard uint32(at: offset + 8) == CRC32C.masked(bytes[offset..<offset + 8]) else {
                throw FormatError(message: "the length of the record at byte \(offset) fails its checksum")
            }
            let length = uint64(at: offset)
            guard bytes.count - offset >= 16, length <= UInt64(bytes.count - offset - 16) else { break }  // incomplete
            let start = offset + 12, end = start + Int(length)
            guard uint32(at: end) == CRC32C.masked(bytes[start..<end]) else {
                throw FormatError(message: "the record at byte \(offset) fails its checksum")
            }
            records.append(Data(bytes[start..<end]))
            offset = end + 4
        }
        return (records, offset)
    }
}
