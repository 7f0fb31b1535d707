/// A decoded, immutable block (data, index, metaindex, properties or range-deletion block) in
/// the format `BlockBuilder` writes.
///
/// The block owns its bytes (one raw allocation, freed in `deinit`). Construction validates
/// the restart array — count in range, offsets strictly increasing and inside the entry area
/// — so the iterators can trust it; entries themselves are bounds-checked as they are decoded.
/// Errors name `file` and `offset`, the block's position in its SSTable.
///
/// `@unchecked Sendable`: every stored property is immutable after `init` and the memory is
/// only read, so any number of threads may read one block at once.
final class Block: @unchecked Sendable {
    /// Start of the owned allocation (the first byte of `contents`).
    let base: UnsafeMutableRawPointer
    /// The block contents (entries followed by the restart array).
    let contents: UnsafeRawBufferPointer
    /// Size of the entry area; the restart array begins here.
    let restartOffset: Int
    /// Number of restart points (at least 1).
    let numRestarts: Int
    /// Path of the file the block came from, for error messages.
    let file: String
    /// File offset of the block, for error messages and cache keys.
    let offset: Int64
    /// Where the memory goes back when the block dies (nil: freed).
    let pool: BlockBufferPool?

    /// Takes ownership of `buffer` (allocated with `UnsafeMutableRawBufferPointer.allocate`,
    /// or by `pool` for at least `count` bytes), whose first `count` bytes are the block
    /// contents. On a thrown error the buffer has been deallocated already.
    static func make(
        owning buffer: UnsafeMutableRawBufferPointer, count: Int, file: String, offset: Int64, pool: BlockBufferPool? = nil
    ) throws -> Block {
        guard let base = buffer.baseAddress, count <= buffer.count else {
            buffer.deallocate()
            throw CairnError.corruption(file: file, offset: offset, reason: "empty block (no restart array)")
        }
        let contents = UnsafeRawBufferPointer(start: base, count: count)
        let layout: (restartOffset: Int, numRestarts: Int)
        do {
            layout = try validate(contents, file: file, offset: offset)
        } catch {
            buffer.deallocate()
            throw error
        }
        return Block(base: base, contents: contents, layout: layout, file: file, offset: offset, pool: pool)
    }

    /// Copies `bytes` into a new block (tests and tools).
    static func make(copying bytes: UnsafeRawBufferPointer, file: String = "<memory>", offset: Int64 = 0) throws -> Block {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        if bytes.count > 0 { buffer.copyMemory(from: bytes) }
        return try make(owning: buffer, count: bytes.count, file: file, offset: offset)
    }

    private init(
        base: UnsafeMutableRawPointer, contents: UnsafeRawBufferPointer,
        layout: (restartOffset: Int, numRestarts: Int), file: String, offset: Int64, pool: BlockBufferPool?
    ) {
        self.base = base
        self.contents = contents
        self.restartOffset = layout.restartOffset
        self.numRestarts = layout.numRestarts
        self.file = file
        self.offset = offset
        self.pool = pool
    }

    deinit {
        if let pool {
            pool.recycle(base, count: contents.count, hint: UInt64(bitPattern: offset))
        } else {
            base.deallocate()
        }
    }

    /// Checks the restart array; returns where it starts and how many restarts there are.
    private static func validate(_ contents: UnsafeRawBufferPointer, file: String, offset: Int64) throws -> (Int, Int) {
        func bad(_ reason: String) -> CairnError { .corruption(file: file, offset: offset, reason: reason) }
        guard contents.count >= 4 else { throw bad("block of \(contents.count) bytes is too short") }
        let maxRestarts = (contents.count - 4) / 4
        let n = Int(Coding.fixed32(contents, at: contents.count - 4))
        guard n >= 1, n <= maxRestarts else { throw bad("bad restart count \(n)") }
        let restartOffset = contents.count - 4 - 4 * n
        var previous = -1
        for i in 0..<n {
            let r = Int(Coding.fixed32(contents, at: restartOffset + 4 * i))
            // An empty block has the single restart 0 == restartOffset.
            let inRange = r < restartOffset || (r == 0 && restartOffset == 0 && n == 1)
            guard inRange, r > previous else { throw bad("bad restart point \(i): \(r)") }
            guard i > 0 || r == 0 else { throw bad("first restart point is \(r), not 0") }
            previous = r
        }
        return (restartOffset, n)
    }

    /// Size of the decoded contents (what the block cache charges).
    var size: Int { contents.count }

    /// Offset of restart point `i` (`0 <= i < numRestarts`, validated at construction).
    @inline(__always)
    func restartPoint(_ i: Int) -> Int {
        Int(Coding.fixed32(contents, at: restartOffset + 4 * i))
    }

    /// A corruption error for this block.
    func corruption(_ reason: String) -> CairnError {
        .corruption(file: file, offset: offset, reason: reason)
    }

    /// An iterator over the block. `internalKeys` (the default) requires every key to be an
    /// internal key (at least 8 bytes) and orders seeks with `InternalKey.compare`; pass false
    /// for blocks keyed by names (metaindex, properties), which support only scans.
    func makeIterator(internalKeys: Bool = true, keyCapacity: Int? = nil) -> Block.Iterator {
        Block.Iterator(self, internalKeys: internalKeys, keyCapacity: keyCapacity)
    }

    /// Counts the entries by decoding all of them (validates every entry on the way).
    func countEntries(internalKeys: Bool = true) throws -> Int {
        let it = makeIterator(internalKeys: internalKeys)
        var n = 0
        try it.seekToFirst()
        while it.isValid {
            n += 1
            try it.next()
        }
        return n
    }
}
