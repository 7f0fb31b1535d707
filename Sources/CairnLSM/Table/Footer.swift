/// The fixed 48-byte tail of every SSTable, the entry point for readers.
///
/// ```
/// offset  size  field
///  0      8     metaindex handle offset (fixed64)
///  8      8     metaindex handle size   (fixed64)
/// 16      8     index handle offset     (fixed64)
/// 24      8     index handle size       (fixed64)
/// 32      4     format version          (fixed32, = 1)
/// 36      4     masked CRC32C of bytes 0..<36 (fixed32)
/// 40      8     magic number "CAIRNSST" (fixed64)
/// ```
struct Footer: Sendable, Equatable {
    /// Encoded size of a footer.
    static let encodedLength = 48
    /// The bytes `CAIRNSST` read as a little-endian UInt64.
    static let magic: UInt64 = 0x5453_534E_5249_4143
    /// The table format version this build writes and reads.
    static let formatVersion: UInt32 = 1

    /// Where the metaindex block is.
    var metaindex: BlockHandle
    /// Where the index block is.
    var index: BlockHandle
    /// The format version recorded in the file.
    var version: UInt32 = Footer.formatVersion

    /// Appends the 48-byte encoding to `out`.
    func encode(into out: ByteBuffer) {
        let start = out.count
        out.appendFixed64(metaindex.offset)
        out.appendFixed64(metaindex.size)
        out.appendFixed64(index.offset)
        out.appendFixed64(index.size)
        out.appendFixed32(version)
        let crc = CRC32C.mask(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: out.bytes[start..<(start + 36)])))
        out.appendFixed32(crc)
        out.appendFixed64(Footer.magic)
    }

    /// Decodes and validates a footer read from the last 48 bytes of a file of `fileSize`
    /// bytes. Checks, in order: the magic number, the footer checksum, the format version
    /// (unknown → `.notSupported`), and that both handles lie before the footer.
    static func decode(_ bytes: UnsafeRawBufferPointer, fileSize: UInt64, file: String) throws -> Footer {
        let footerOffset = Int64(fileSize) - Int64(encodedLength)
        guard bytes.count == encodedLength, fileSize >= UInt64(encodedLength) else {
            throw CairnError.corruption(file: file, offset: 0, reason: "file too short to be an SSTable (\(fileSize) bytes)")
        }
        guard Coding.fixed64(bytes, at: 40) == magic else {
            throw CairnError.corruption(file: file, offset: footerOffset, reason: "not an SSTable (bad magic)")
        }
        let stored = CRC32C.unmask(Coding.fixed32(bytes, at: 36))
        guard stored == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<36])) else {
            throw CairnError.corruption(file: file, offset: footerOffset, reason: "footer checksum mismatch")
        }
        let version = Coding.fixed32(bytes, at: 32)
        guard version == formatVersion else {
            throw CairnError.notSupported("\(file): SSTable format version \(version) (this build reads version \(formatVersion))")
        }
        let footer = Footer(
            metaindex: BlockHandle(offset: Coding.fixed64(bytes, at: 0), size: Coding.fixed64(bytes, at: 8)),
            index: BlockHandle(offset: Coding.fixed64(bytes, at: 16), size: Coding.fixed64(bytes, at: 24)),
            version: version)
        let limit = fileSize - UInt64(encodedLength)
        guard footer.metaindex.fits(before: limit) else {
            throw CairnError.corruption(file: file, offset: footerOffset, reason: "metaindex handle outside the file")
        }
        guard footer.index.fits(before: limit) else {
            throw CairnError.corruption(file: file, offset: footerOffset, reason: "index handle outside the file")
        }
        return footer
    }
}
