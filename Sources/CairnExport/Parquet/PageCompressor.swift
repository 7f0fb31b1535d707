import CLZ4
import CZstd

/// Compresses page bodies with a Parquet codec through the system libraries the engine links
/// (libzstd, liblz4), into one output buffer reused for every page, with one zstd context
/// per compressor, that is per `PageEncoder` (`ZSTD_compressCCtx` with a reused context
/// writes what `ZSTD_compress` writes, without setting up a context per page).
struct PageCompressor {
    let codec: ParquetCompression
    let zstdLevel: Int32
    private var scratch: [UInt8] = []
    private var zstd: ZstdContext?

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

    /// Calls `body` with `page` compressed (or `page` itself with no codec); the bytes are
    /// valid only during the call.
    mutating func compress<R>(_ page: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        switch codec {
        case .none:
            return try body(page)
        case .zstd:
            if zstd == nil { zstd = try ZstdContext() }
            guard let context = zstd?.context else { throw ExportError.encoding("zstd has no compression context") }
            let bound = ZSTD_compressBound(page.count)
            if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
            let level = zstdLevel
            let written = scratch.withUnsafeMutableBytes { output in
                ZSTD_compressCCtx(context, output.baseAddress, output.count, page.baseAddress, page.count, level)
            }
            guard ZSTD_isError(written) == 0 else {
                throw ExportError.encoding("zstd could not compress a \(page.count)-byte page")
            }
            return try scratch.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0 ..< written])) }
        case .lz4Raw:
            guard page.count <= Int(Int32.max) else { throw ExportError.encoding("page of \(page.count) bytes is too large for LZ4") }
            let bound = Int(LZ4_compressBound(Int32(page.count)))
            if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
            let written = scratch.withUnsafeMutableBytes { output in
                LZ4_compress_default(
                    UnsafeRawPointer(page.baseAddress)?.assumingMemoryBound(to: CChar.self),
                    output.baseAddress?.assumingMemoryBound(to: CChar.self),
                    Int32(page.count), Int32(output.count))
            }
            guard written > 0 || page.isEmpty else {
                throw ExportError.encoding("lz4 could not compress a \(page.count)-byte page")
            }
            return try scratch.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0 ..< Int(written)])) }
        }
    }
}

/// A zstd compression context, freed with its owner.
final class ZstdContext {
    let context: OpaquePointer

    init() throws {
        guard let context = ZSTD_createCCtx() else { throw ExportError.encoding("zstd could not create a compression context") }
        self.context = context
    }

    deinit { ZSTD_freeCCtx(context) }
}
