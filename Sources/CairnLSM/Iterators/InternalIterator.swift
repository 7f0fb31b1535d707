/// A cursor over a sorted run of internal entries (memtable, SSTable block, whole table, or a
/// merge of those). Keys are internal keys (`userKey ++ trailer`) in `InternalKey.compare`
/// order.
///
/// `key` and `value` are views that stay valid only until the iterator moves or is released.
/// Methods throw `CairnError.corruption` when the bytes behind the cursor fail a check; after
/// a throw the iterator is invalid.
protocol InternalIterator: AnyObject {
    /// True when the cursor is on an entry.
    var isValid: Bool { get }
    /// Moves to the first entry.
    func seekToFirst() throws
    /// Moves to the last entry.
    func seekToLast() throws
    /// Moves to the first entry whose key is >= `target`.
    func seek(_ target: UnsafeRawBufferPointer) throws
    /// Moves to the next entry. Requires `isValid`.
    func next() throws
    /// Moves to the previous entry. Requires `isValid`.
    func prev() throws
    /// The current internal key. Requires `isValid`.
    var key: UnsafeRawBufferPointer { get }
    /// The current value. Requires `isValid`.
    var value: UnsafeRawBufferPointer { get }
}

extension InternalIterator {
    /// Moves to the last entry whose key is <= `target`.
    func seekForPrev(_ target: UnsafeRawBufferPointer) throws {
        try seek(target)
        if !isValid {
            try seekToLast()
        } else if InternalKey.compare(key, target) > 0 {
            try prev()
        }
    }

    /// Convenience: `seek` with an array.
    func seek(_ target: [UInt8]) throws {
        try target.withUnsafeBytes { try seek($0) }
    }
}

/// An iterator over nothing (an empty memtable or table).
final class EmptyIterator: InternalIterator {
    var isValid: Bool { false }
    func seekToFirst() {}
    func seekToLast() {}
    func seek(_ target: UnsafeRawBufferPointer) {}
    func next() {}
    func prev() {}
    var key: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }
    var value: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }
}
