/// Reads stored blocks of one file: bounds, trailer checksum, compression type, decompression.
struct BlockReader {
    /// The file.
    let file: any RandomAccessFile
    /// Offset every block (with its trailer) must end at or before (the footer's offset).
    let limit: UInt64

    /// Reads the block at `handle`; returns an owned buffer (the caller must deallocate it),
    /// the number of content bytes in it, and how the block was stored.
    func readContents(_ handle: BlockHandle, verify: Bool) throws -> (UnsafeMutableRawBufferPointer, Int, CompressionType) {
        let path = file.path
        let blockOffset = Int64(clamping: handle.offset)
        guard handle.fits(before: limit) else {
            throw CairnError.corruption(
                file: path, offset: blockOffset, reason: "block handle (size \(handle.size)) extends past the data area")
        }
        let size = Int(handle.size)
        let total = size + BlockTrailer.size
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 16)
        do {
            let got = try file.read(at: blockOffset, into: buffer)
            guard got == total else {
                throw CairnError.corruption(
                    file: path, offset: blockOffset, reason: "truncated block: read \(got) of \(total) bytes")
            }
            let typeByte = buffer[size]
            if verify {
                let stored = CRC32C.unmask(Coding.fixed32(UnsafeRawBufferPointer(buffer), at: size + 1))
                let actual = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0...size]))
                guard stored == actual else {
                    throw CairnError.corruption(file: path, offset: blockOffset, reason: "block checksum mismatch")
                }
            }
            guard let type = CompressionType(rawValue: typeByte) else {
                throw CairnError.corruption(file: path, offset: blockOffset, reason: "unknown block compression type \(typeByte)")
            }
            if type == .none { return (buffer, size, .none) }
            let decoded = try Compression.decompress(
                type, UnsafeRawBufferPointer(rebasing: buffer[0..<size]), file: path, offset: blockOffset)
            buffer.deallocate()
            return (decoded, decoded.count, type)
        } catch {
            buffer.deallocate()
            throw error
        }
    }

    /// Reads and decodes the block at `handle` (restart array validated).
    func readBlock(_ handle: BlockHandle, verify: Bool) throws -> Block {
        let (buffer, count, _) = try readContents(handle, verify: verify)
        return try Block.make(owning: buffer, count: count, file: file.path, offset: Int64(clamping: handle.offset))
    }
}
