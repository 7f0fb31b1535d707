/// An `InternalIterator` over a memtable's point entries.
///
/// Holds a strong reference to the memtable, so the arena behind `key` and `value` stays
/// alive as long as the iterator does. The cursor is a node address; moving never allocates.
/// `prev` searches from the top of the skiplist for the last node before the current key
/// (LevelDB's approach: nodes have no back links), so it costs O(log n).
///
/// Not thread-safe itself (use one iterator per thread), but any number of iterators may run
/// while the memtable's writer inserts; they see a consistent sorted sequence that may include
/// entries inserted after the iterator was created.
final class MemtableIterator: InternalIterator {
    /// Keeps the arena (owned by the memtable) alive.
    private let memtable: Memtable
    /// The memtable's skiplist.
    private let list: SkipList<MemtableEntry>
    /// Entry address of the current node, nil when not valid.
    private var node: UnsafeMutableRawPointer?

    /// Creates an unpositioned iterator.
    init(memtable: Memtable, list: SkipList<MemtableEntry>) {
        self.memtable = memtable
        self.list = list
    }

    var isValid: Bool { node != nil }

    func seekToFirst() { node = list.first() }

    func seekToLast() { node = list.last() }

    func seek(_ target: UnsafeRawBufferPointer) { node = list.findGreaterOrEqual(target) }

    func next() {
        guard let current = node else { return }
        node = list.next(after: current)
    }

    func prev() {
        guard let current = node else { return }
        node = list.findLessThan(MemtableEntry.key(ofEntry: current))
    }

    /// The current internal key; a view into the arena, valid while the memtable lives.
    var key: UnsafeRawBufferPointer {
        guard let current = node else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return MemtableEntry.key(ofEntry: current)
    }

    /// The current value; a view into the arena, valid while the memtable lives.
    var value: UnsafeRawBufferPointer {
        guard let current = node else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return MemtableEntry.value(ofEntry: current)
    }
}
