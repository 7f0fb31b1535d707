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

    /// An unpositioned iterator over `reader`'s table.
    init(_ reader: TableReader) {
        self.reader = reader
        self.index = reader.indexBlock.makeIterator(keyCapacity: reader.indexKeyCapacity)
        self.data = reader.indexBlock.makeIterator(keyCapacity: 16)
    }

    var isValid: Bool { dataAttached && data.isValid }

    var key: UnsafeRawBufferPointer { data.key }

    var value: UnsafeRawBufferPointer { data.value }

    func seekToFirst() throws {
        try guarded {
            try index.seekToFirst()
            try loadDataBlock()
            if dataAttached { try data.seekToFirst() }
            try skipEmptyBlocksForward()
        }
    }

    func seekToLast() throws {
        try guarded {
            try index.seekToLast()
            try loadDataBlock()
            if dataAttached { try data.seekToLast() }
            try skipEmptyBlocksBackward()
        }
    }

    func seek(_ target: UnsafeRawBufferPointer) throws {
        try guarded {
            try index.seek(target)
            try loadDataBlock()
            if dataAttached { try data.seek(target) }
            try skipEmptyBlocksForward()
        }
    }

    func next() throws {
        guard isValid else { return }
        try guarded {
            try data.next()
            try skipEmptyBlocksForward()
        }
    }

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
        let block = try reader.dataBlock(handle)
        data.attach(block)
        dataAttached = true
        dataBlockOffset = handle.offset
    }

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
