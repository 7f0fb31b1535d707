/// A two-level iterator over an SSTable's point entries: an iterator over the index block
/// picks a data block, a second iterator walks that block. Empty data blocks are skipped in
/// both directions; data blocks come through the table's block cache. One `Block.Iterator`
/// is reused for every data block, so scans do not allocate per block or per key.
///
/// After any method throws, the iterator is invalid until the next seek.
final class TableIterator: InternalIterator {
    private let reader: TableReader
    private let index: Block.Iterator
    // Exclusivity checks are disabled on these hot fields: the iterator is used by one thread
    // at a time and no method holds an access across a call that re-enters it.
    /// Iterates the current data block; until the first block is attached it points at the
    /// index block as a placeholder (never read while `dataAttached` is false).
    private let data: Block.Iterator
    @exclusivity(unchecked) private var dataAttached = false
    @exclusivity(unchecked) private var dataBlockOffset: UInt64 = 0
    /// Whether blocks read from the file are inserted into the block cache (false for
    /// compaction, whose one-pass reads would evict the blocks readers use, as RocksDB's
    /// `fill_cache = false` for compaction inputs).
    private let fillCache: Bool

    /// An unpositioned iterator over `reader`'s table.
    init(_ reader: TableReader, fillCache: Bool = true) {
        self.reader = reader
        self.fillCache = fillCache
        self.index = reader.indexBlock.makeIterator(keyCapacity: reader.indexKeyCapacity)
        self.data = reader.indexBlock.makeIterator(keyCapacity: 16)
    }

    /// True when positioned on an entry.
    var isValid: Bool { dataAttached && data.isValid }

    /// The current internal key, valid until the iterator moves.
    var key: UnsafeRawBufferPointer { data.key }

    /// The current value, valid until the iterator moves.
    var value: UnsafeRawBufferPointer { data.value }

    /// Moves to the table's first entry.
    func seekToFirst() throws {
        try guarded {
            try index.seekToFirst()
            try loadDataBlock()
            if dataAttached { try data.seekToFirst() }
            try skipEmptyBlocksForward()
        }
    }

    /// Moves to the table's last entry.
    func seekToLast() throws {
        try guarded {
            try index.seekToLast()
            try loadDataBlock()
            if dataAttached { try data.seekToLast() }
            try skipEmptyBlocksBackward()
        }
    }

    /// Moves to the first entry with key >= `target`.
    func seek(_ target: UnsafeRawBufferPointer) throws {
        try guarded {
            try index.seek(target)
            try loadDataBlock()
            if dataAttached { try data.seek(target) }
            try skipEmptyBlocksForward()
        }
    }

    /// Moves to the next entry, crossing into the next non-empty block as needed.
    func next() throws {
        guard isValid else { return }
        try guarded {
            try data.next()
            try skipEmptyBlocksForward()
        }
    }

    /// Moves to the previous entry, crossing into the previous non-empty block as needed.
    func prev() throws {
        guard isValid else { return }
        try guarded {
            try data.prev()
            try skipEmptyBlocksBackward()
        }
    }

    /// Runs `body`, leaving the iterator invalid if it throws.
    @inline(__always)
    private func guarded(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            dataAttached = false
            throw error
        }
    }

    /// Points the data iterator at the block the index iterator is on (unpositioned), or
    /// detaches it when the index iterator is exhausted. Keeps the current block if unchanged.
    private func loadDataBlock() throws {
        guard index.isValid else {
            dataAttached = false
            return
        }
        let handle = try reader.decodeHandle(index.value, entryOffset: index.entryOffset)
        if dataAttached && handle.offset == dataBlockOffset { return }
        dataAttached = false
        let block = try reader.dataBlock(handle, fillCache: fillCache)
        data.attach(block)
        dataAttached = true
        dataBlockOffset = handle.offset
    }

    /// While the data iterator is exhausted, moves to the first entry of the next block.
    private func skipEmptyBlocksForward() throws {
        while !isValid {
            guard index.isValid else {
                dataAttached = false
                return
            }
            try index.next()
            try loadDataBlock()
            if dataAttached { try data.seekToFirst() }
        }
    }

    /// While the data iterator is exhausted, moves to the last entry of the previous block.
    private func skipEmptyBlocksBackward() throws {
        while !isValid {
            guard index.isValid else {
                dataAttached = false
                return
            }
            try index.prev()
            try loadDataBlock()
            if dataAttached { try data.seekToLast() }
        }
    }
}
