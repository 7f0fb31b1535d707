import CZlib

/// gzip streams through the system zlib (the `.json.gz` files of DynamoDB's export format).
enum Gzip {
    /// `data` as one gzip member.
    static func compress(_ data: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ExportError.encoding("zlib could not start a gzip stream")
        }
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))) + 32)
        let status: Int32 = data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = output.baseAddress
                stream.avail_out = uInt(output.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw ExportError.encoding("zlib could not compress \(data.count) bytes (\(status))") }
        return Array(out.prefix(Int(stream.total_out)))
    }

    /// The bytes of a gzip (or zlib) stream, every member of it. Damage is
    /// `ExportError.encoding` naming `file`.
    static func decompress(_ data: [UInt8], file: String) throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 32: detect a gzip or zlib header.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ExportError.encoding("zlib could not start reading \(file)")
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var consumed = 0
        while consumed < data.count {
            let status: Int32 = data.withUnsafeBufferPointer { input in
                chunk.withUnsafeMutableBufferPointer { output in
                    guard let base = input.baseAddress else { return Z_DATA_ERROR }
                    stream.next_in = UnsafeMutablePointer(mutating: base + consumed)
                    stream.avail_in = uInt(input.count - consumed)
                    stream.next_out = output.baseAddress
                    stream.avail_out = uInt(output.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    consumed = input.count - Int(stream.avail_in)
                    return status
                }
            }
            out.append(contentsOf: chunk.prefix(chunk.count - Int(stream.avail_out)))
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                // Another gzip member may follow (concatenated files are one gzip stream).
                guard consumed < data.count else { return out }
                inflateReset(&stream)
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw ExportError.encoding("\(file): the gzip stream is cut short")
            default:
                throw ExportError.encoding("\(file): damaged gzip data (zlib status \(status))")
            }
        }
        throw ExportError.encoding("\(file): the gzip stream is cut short")
    }
}
