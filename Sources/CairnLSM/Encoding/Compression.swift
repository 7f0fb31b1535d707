import CLZ4
import CZstd

/// Block compression over the system liblz4 and libzstd.
///
/// A compressed block is `uncompressedLength varint ++ payload`, where the payload is an LZ4
/// block (`LZ4_compress_default`) or a Zstandard frame (`ZSTD_compressCCtx`). The length prefix
/// lets the reader allocate the output exactly once and reject a payload that decodes to any
/// other size. Compression is only kept when it saves at least 12.5% (LevelDB's rule); the
/// caller then stores the block uncompressed.
enum Compression {
    /// Largest uncompressed block the reader accepts; a length prefix above it is corruption.
    static let maxUncompressedLength = 64 << 20

    /// Compresses `input` with `type`, appending `uncompressedLength varint ++ payload` to `out`.
    ///
    /// Returns true when `out` now holds a compressed form at least 12.5% smaller than `input`;
    /// returns false (leaving `out` as it was) for `.none`, an empty or oversized input, a
    /// library failure, or too little gain — the caller then stores `input` as it is.
    /// `workspace` lets a long-lived writer reuse a scratch buffer and Zstandard context.
    static func compress(
        _ type: CompressionType, _ input: UnsafeRawBufferPointer, zstdLevel: Int32,
        into out: ByteBuffer, workspace: CompressionWorkspace? = nil
    ) -> Bool {
        guard type != .none, input.count > 0, input.count <= maxUncompressedLength,
            input.baseAddress != nil
        else { return false }
        let bound: Int
        switch type {
        case .none: return false
        case .lz4: bound = Int(LZ4_compressBound(Int32(input.count)))
        case .zstd:
            let b = ZSTD_compressBound(input.count)
            bound = ZSTD_isError(b) != 0 ? 0 : b
        }
        guard bound > 0 else { return false }
        let produce = { (dst: UnsafeMutableRawPointer) -> Int in
            compressPayload(type, input, zstdLevel: zstdLevel, dst: dst, capacity: bound, workspace: workspace)
        }
        let body = { (dst: UnsafeMutableRawPointer) -> Bool in
            let produced = produce(dst)
            let total = Coding.varintLength(UInt64(input.count)) + produced
            // Keep the compressed form only if it saves at least 1/8 of the input.
            guard produced > 0, total < input.count - input.count / 8 else { return false }
            out.appendVarint(UInt64(input.count))
            out.append(UnsafeRawBufferPointer(start: dst, count: produced))
            return true
        }
        if let workspace {
            return body(workspace.scratch(bound))
        }
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: bound, alignment: 16)
        defer { scratch.deallocate() }
        return body(scratch)
    }

    /// Runs the library compressor; returns the payload size, or 0 on failure.
    private static func compressPayload(
        _ type: CompressionType, _ input: UnsafeRawBufferPointer, zstdLevel: Int32,
        dst: UnsafeMutableRawPointer, capacity: Int, workspace: CompressionWorkspace?
    ) -> Int {
        guard let src = input.baseAddress else { return 0 }
        switch type {
        case .none:
            return 0
        case .lz4:
            let n = LZ4_compress_default(
                src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self),
                Int32(input.count), Int32(capacity))
            return max(Int(n), 0)
        case .zstd:
            let n: Int
            if let cctx = workspace?.zstdContext {
                n = ZSTD_compressCCtx(cctx, dst, capacity, src, input.count, zstdLevel)
            } else {
                n = ZSTD_compress(dst, capacity, src, input.count, zstdLevel)
            }
            return ZSTD_isError(n) != 0 ? 0 : n
        }
    }

    /// Decompresses a block written by `compress`. Returns a newly allocated buffer holding
    /// exactly the uncompressed bytes (from `pool` when given); the caller owns it and must
    /// `deallocate()` it or return it to the pool.
    ///
    /// Throws `.corruption(file:offset:)` (with `offset` = the block's file offset) when the
    /// length prefix is missing or above `maxUncompressedLength`, when the library rejects the
    /// payload, or when it decodes to a different length than the prefix says.
    static func decompress(
        _ type: CompressionType, _ input: UnsafeRawBufferPointer, file: String, offset: Int64,
        pool: BlockBufferPool? = nil
    ) throws -> UnsafeMutableRawBufferPointer {
        var cursor = 0
        guard let declared = Coding.readVarint64(input, &cursor) else {
            throw CairnError.corruption(file: file, offset: offset, reason: "compressed block: bad length prefix")
        }
        guard declared <= UInt64(maxUncompressedLength) else {
            throw CairnError.corruption(
                file: file, offset: offset,
                reason: "compressed block: uncompressed length \(declared) exceeds limit \(maxUncompressedLength)")
        }
        let length = Int(declared)
        let payload = UnsafeRawBufferPointer(rebasing: input[cursor...])
        let output = pool?.allocate(byteCount: max(length, 1), hint: UInt64(bitPattern: offset))
            ?? UnsafeMutableRawBufferPointer.allocate(byteCount: max(length, 1), alignment: 16)
        let produced: Int
        switch type {
        case .none:
            output.deallocate()
            throw CairnError.corruption(file: file, offset: offset, reason: "compressed block with type none")
        case .lz4:
            if payload.count > Int(Int32.max) || length > Int(LZ4_MAX_INPUT_SIZE) {
                produced = -1
            } else if let src = payload.baseAddress, let dst = output.baseAddress {
                produced = Int(
                    LZ4_decompress_safe(
                        src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self),
                        Int32(payload.count), Int32(length)))
            } else {
                produced = -1
            }
        case .zstd:
            if let src = payload.baseAddress, let dst = output.baseAddress {
                let n = ZstdDecompressionPool.shared.decompress(dst, length, src, payload.count)
                produced = ZSTD_isError(n) != 0 ? -1 : n
            } else {
                produced = -1
            }
        }
        guard produced == length else {
            output.deallocate()
            throw CairnError.corruption(
                file: file, offset: offset,
                reason: produced < 0
                    ? "\(type) block failed to decompress"
                    : "\(type) block decompressed to \(produced) bytes, expected \(length)")
        }
        return UnsafeMutableRawBufferPointer(rebasing: output[0..<length])
    }
}

/// Reusable state for a writer that compresses many blocks: a scratch output buffer and a
/// Zstandard context (creating one per block would cost an allocation of several hundred KiB).
///
/// Owned by a single writer at a time (a `TableBuilder`), never shared between threads.
final class CompressionWorkspace {
    /// The libzstd compression context, created on first use; nil if libzstd cannot allocate.
    var zstdContext: OpaquePointer? {
        if cctx == nil { cctx = ZSTD_createCCtx() }
        return cctx
    }
    private var cctx: OpaquePointer?
    private var buffer: UnsafeMutableRawPointer?
    private var capacity = 0

    /// Creates an empty workspace.
    init() {}

    deinit {
        if let c = cctx { ZSTD_freeCCtx(c) }
        buffer?.deallocate()
    }

    /// A scratch buffer of at least `size` bytes, valid until the next call.
    func scratch(_ size: Int) -> UnsafeMutableRawPointer {
        if let buffer, capacity >= size { return buffer }
        buffer?.deallocate()
        let newCapacity = max(size, capacity * 2, 4096)
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        buffer = fresh
        capacity = newCapacity
        return fresh
    }
}

/// A small pool of Zstandard decompression contexts shared by all readers, so that reading a
/// block does not allocate a fresh context each time.
///
/// `@unchecked Sendable`: the context list is only touched under `lock`, and a context taken
/// from the list is used by exactly one thread until it is returned.
final class ZstdDecompressionPool: @unchecked Sendable {
    /// The process-wide pool.
    static let shared = ZstdDecompressionPool()

    private let lock = SpinGuard()
    private var free: [OpaquePointer] = []
    private let maxPooled = 8

    /// Decompresses one frame from `src` into `dst` with a pooled context; returns libzstd's
    /// result (a size or an error code, test with `ZSTD_isError`).
    func decompress(_ dst: UnsafeMutableRawPointer, _ dstCapacity: Int, _ src: UnsafeRawPointer, _ srcSize: Int) -> Int {
        let context = lock.withLock { free.popLast() } ?? ZSTD_createDCtx()
        guard let dctx = context else {
            return ZSTD_decompress(dst, dstCapacity, src, srcSize)
        }
        let n = ZSTD_decompressDCtx(dctx, dst, dstCapacity, src, srcSize)
        let kept = lock.withLock { () -> Bool in
            guard free.count < maxPooled else { return false }
            free.append(dctx)
            return true
        }
        if !kept { ZSTD_freeDCtx(dctx) }
        return n
    }
}
