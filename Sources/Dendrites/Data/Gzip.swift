import CZlib

/// gzip decompression through zlib's `inflate`, guarded against truncated, corrupt and
/// oversized (decompression bomb) input.
public enum Gzip {
    /// Whether `bytes` start with the gzip magic number 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Decompresses a complete gzip stream (concatenated members are joined). Throws a
    /// `DataError` naming `file` if the stream is truncated or corrupt, or if it would
    /// decompress to more than `maximumOutputBytes`.
    public static func decompress(_ bytes: [UInt8], file: String, maximumOutputBytes: Int) throws -> [UInt8] {
        try inflateStream(bytes, file: file, limit: max(0, maximumOutputBytes), stopAtLimit: false)
    }

    /// The first `count` decompressed bytes (fewer only if the whole stream is shorter);
    /// the rest of the stream is not examined.
    static func decompressPrefix(_ bytes: [UInt8], file: String, count: Int) throws -> [UInt8] {
        try inflateStream(bytes, file: file, limit: max(0, count), stopAtLimit: true)
    }

    private static let chunkSize = 1 << 18

    private static func inflateStream(_ input: [UInt8], file: String, limit: Int, stopAtLimit: Bool) throws -> [UInt8] {
        func failure(_ problem: String) -> DataError { DataError(file: file, problem: problem) }
        guard !input.isEmpty else { throw failure("empty file, not a gzip stream") }

        var stream = z_stream()
        // windowBits 15 + 32: the largest window, with automatic gzip/zlib header detection.
        let initStatus = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw failure("cannot initialise zlib (status \(initStatus))") }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        // The gzip trailer holds the uncompressed size mod 2^32: a hint only, capped by `limit`.
        if Gzip.isGzip(input), input.count >= 18 {
            let sizeHint = input.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
            output.reserveCapacity(min(sizeHint, limit))
        }
        var chunk = [UInt8](repeating: 0, count: chunkSize)

        return try input.withUnsafeBufferPointer { source -> [UInt8] in
            let base = source.baseAddress!
            var position = 0  // bytes of `source` consumed by zlib
            while true {
                let available = min(source.count - position, Int(UInt32.max))
                stream.next_in = UnsafeMutablePointer(mutating: base + position)
                stream.avail_in = UInt32(available)
                let status = chunk.withUnsafeMutableBufferPointer { buffer -> Int32 in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(buffer.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let consumed = available - Int(stream.avail_in)
                let produced = chunk.count - Int(stream.avail_out)
                position += consumed
                output.append(contentsOf: chunk[..<produced])

                if output.count >= limit && stopAtLimit { return Array(output[..<limit]) }
                if output.count > limit {
                    throw failure("decompresses to more than \(limit) bytes, the allowed maximum (corrupt file or decompression bomb)")
                }
                switch status {
                case Z_STREAM_END:
                    if position == source.count { return output }
                    // Another gzip member may follow; anything else is garbage.
                    guard Gzip.isGzip(Array(source[position..<min(position + 2, source.count)])) else {
                        throw failure("unexpected \(source.count - position) bytes after the end of the gzip stream")
                    }
                    inflateReset(&stream)
                case Z_OK:
                    if consumed == 0 && produced == 0 { throw failure("gzip decompression made no progress") }
                case Z_BUF_ERROR where position == source.count:
                    throw failure("truncated gzip stream: input ended after \(source.count) bytes, before the end of the compressed data")
                case Z_DATA_ERROR, Z_NEED_DICT, Z_BUF_ERROR:
                    let detail = stream.msg.map { String(cString: $0) } ?? "invalid compressed data"
                    throw failure("corrupt gzip data: \(detail)")
                case Z_MEM_ERROR:
                    throw failure("out of memory while decompressing")
                default:
                    throw failure("zlib inflate failed with status \(status)")
                }
            }
        }
    }
}
