/// The location of a block in an SSTable: its file offset and the size of its contents
/// (excluding the 5-byte block trailer). Encoded as two varints in index and metaindex values.
struct BlockHandle: Sendable, Equatable {
    /// Largest encoded size: two 10-byte varints.
    static let maxEncodedLength = 20

    /// File offset of the block's first byte.
    var offset: UInt64
    /// Size of the stored block contents, not counting the trailer.
    var size: UInt64

    /// Creates a handle.
    init(offset: UInt64, size: UInt64) {
        self.offset = offset
        self.size = size
    }

    /// Appends `offset varint ++ size varint` to `out`.
    func encode(into out: ByteBuffer) {
        out.appendVarint(offset)
        out.appendVarint(size)
    }

    /// The encoded form as an array.
    var encoded: [UInt8] {
        var out: [UInt8] = []
        Coding.appendVarint(&out, offset)
        Coding.appendVarint(&out, size)
        return out
    }

    /// Decodes a handle that must fill `bytes` exactly; nil if malformed or followed by junk.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> BlockHandle? {
        var cursor = 0
        guard let offset = Coding.readVarint64(bytes, &cursor),
            let size = Coding.readVarint64(bytes, &cursor),
            cursor == bytes.count
        else { return nil }
        return BlockHandle(offset: offset, size: size)
    }

    /// True if the block and its trailer lie entirely within `[0, limit)`.
    func fits(before limit: UInt64) -> Bool {
        let trailer = UInt64(BlockTrailer.size)
        return offset <= limit && size <= limit - offset && trailer <= limit - offset - size
    }
}
