import CLZ4
import CZstd

/// Compresses page bodies with a Parquet codec through the system libraries the engine links
/// (libzstd, liblz4).
struct PageCompressor {
    let codec: ParquetCompression
    let zstdLevel: Int32
    private var scratch: [UInt8] = []

    init(codec: ParquetCompression, zstdLevel: Int32) {
        self.codec = codec
        self.zstdLevel = zstdLevel
    }

    /// The footer's name for the codec.
    var parquetCodec: Parquet.Codec {
        switch codec {
        case .none: return .uncompressed
        case .zstd: return .zstd
        case .lz4Raw: return .lz4Raw
        }
    }

    /// `body` compressed, or `body` itself with no codec.
    mutating func compress(_ body: [UInt8]) throws -> [UInt8] {
        switch codec {
        case .none:
            return body
        case .zstd:
            let bound = ZSTD_compressBound(body.count)
            if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
            let level = zstdLevel
            let written = body.withUnsafeBytes { src in
                scratch.withUnsafeMutableBytes { dst in
                    ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, level)
                }
            }
            guard ZSTD_isError(written) == 0 else {
                throw ExportError.encoding("zstd could not compress a \(body.count)-byte page")
            }
            return Array(scratch[0..<written])
        case .lz4Raw:
            guard body.count <= Int(Int32.max) else { throw ExportError.encoding("page of \(body.count) bytes is too large for LZ4") }
            let bound = Int(LZ4_compressBound(Int32(body.count)))
            if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
            let written = body.withUnsafeBytes { src in
                scratch.withUnsafeMutableBytes { dst in
                    LZ4_compress_default(
                        src.baseAddress?.assumingMemoryBound(to: CChar.self), dst.baseAddress?.assumingMemoryBound(to: CChar.self),
                        Int32(src.count), Int32(dst.count))
                }
            }
            guard written > 0 || body.isEmpty else {
                throw ExportError.encoding("lz4 could not compress a \(body.count)-byte page")
            }
            return Array(scratch[0..<Int(written)])
        }
    }
}
