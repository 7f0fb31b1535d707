/// Reads stored blocks of one file: bounds, trailer checksum, compression type, decompression.
struct BlockReader {
    /// The file.
    let file: any RandomAccessFile
    /// Offset every block (with its trailer) must end at or before (the footer's offset).
    let limit: UInt64

    /// Reads the block at `handle`; returns an owned buffer (the caller must deallocate it, or
    /// return it to `pool` when it came from there), the number of content bytes in it, and
    /// how the block was stored.
    func readContents(
        _ handle: BlockHandle, verify: Bool, pool: BlockBufferPool? = nil
    ) throws -> (UnsafeMutableRawBufferPointer, Int, CompressionType) {
        let path = file.path
        let blockOffset = Int64(clamping: handle.offset)
        guard handle.fits(before: limit) else {
            throw CairnError.corruption(
                file: path, offset: blockOffset, reason: "block handle (size \(handle.size)) extends past the data area")
        }
        let size = Int(handle.size)
        let total = size + BlockTrailer.size
        if let mapping = file.mappedContents {
            // Checksum and decompress in place; only the decoded block is copied out.
            guard let start = mapping.baseAddress, Int64(mapping.count) >= blockOffset + Int64(total) else {
                throw CairnError.corruption(
                    file: path, offset: blockOffset, reason: "truncated block: the file ends inside it")
            }
            let stored = UnsafeRawBufferPointer(start: start + Int(blockOffset), count: total)
            let type = try checkTrailer(stored, size: size, verify: verify, offset: blockOffset)
            if type != .none {
                let decoded = try Compression.decompress(
                    type, UnsafeRawBufferPointer(rebasing: stored[0..<size]), file: path, offset: blockOffset, pool: pool)
                return (decoded, decoded.count, type)
            }
            let buffer = allocate(max(size, 1), pool: pool, offset: blockOffset)
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: stored[0..<size]))
            return (buffer, size, .none)
        }
        let buffer = allocate(total, pool: pool, offset: blockOffset)
        do {
            let got = try file.read(at: blockOffset, into: buffer)
            guard got == total else {
                throw CairnError.corruption(
                    file: path, offset: blockOffset, reason: "truncated block: read \(got) of \(total) bytes")
            }
            let type = try checkTrailer(UnsafeRawBufferPointer(buffer), size: size, verify: verify, offset: blockOffset)
            if type == .none { return (buffer, size, .none) }
            let decoded = try Compression.decompress(
                type, UnsafeRawBufferPointer(rebasing: buffer[0..<size]), file: path, offset: blockOffset, pool: pool)
            buffer.deallocate()
            return (decoded, decoded.count, type)
        } catch {
            buffer.deallocate()
            throw error
        }
    }

    /// A buffer of `count` bytes, from `pool` when there is one.
    private func allocate(_ count: Int, pool: BlockBufferPool?, offset: Int64) -> UnsafeMutableRawBufferPointer {
        pool?.allocate(byteCount: count, hint: UInt64(bitPattern: offset))
            ?? UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
    }

    /// Checks the 5-byte trailer after the `size` content bytes of `stored`: the checksum (if
    /// `verify`) and the compression type, which it returns.
    private func checkTrailer(_ stored: UnsafeRawBufferPointer, size: Int, verify: Bool, offset: Int64) throws -> CompressionType {
        let typeByte = stored[size]
        if verify {
            let expected = CRC32C.unmask(Coding.fixed32(stored, at: size + 1))
            let actual = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: stored[0...size]))
            guard expected == actual else {
                throw CairnError.corruption(file: file.path, offset: offset, reason: "block checksum mismatch")
            }
        }
        guard let type = CompressionType(rawValue: typeByte) else {
            throw CairnError.corruption(file: file.path, offset: offset, reason: "unknown block compression type \(typeByte)")
        }
        return type
    }

    /// Reads and decodes the block at `handle` (restart array validated).
    func readBlock(_ handle: BlockHandle, verify: Bool, pool: BlockBufferPool? = nil) throws -> Block {
        let (buffer, count, _) = try readContents(handle, verify: verify, pool: pool)
        return try Block.make(owning: buffer, count: count, file: file.path, offset: Int64(clamping: handle.offset), pool: pool)
    }
}
