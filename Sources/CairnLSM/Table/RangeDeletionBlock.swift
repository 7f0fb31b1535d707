/// The SSTable block holding range tombstones: entries keyed by
/// `start ++ trailer(sequence, rangeDeletion)` (internal-key order) whose value is the
/// exclusive end user key.
enum RangeDeletionBlock {
    /// Sorts `tombstones` into block order (start ascending, sequence descending) and adds
    /// them to `builder`.
    static func encode(_ tombstones: [RangeTombstone], into builder: BlockBuilder) {
        let sorted = tombstones.sorted { a, b in
            let c = compareBytes(a.start, b.start)
            if c != 0 { return c < 0 }
            if a.sequence != b.sequence { return a.sequence > b.sequence }
            return compareBytes(a.end, b.end) < 0
        }
        for t in sorted {
            let key = InternalKey.make(t.start, sequence: t.sequence, type: .rangeDeletion)
            key.withUnsafeBytes { k in t.end.withUnsafeBytes { v in builder.add(k, v) } }
        }
    }

    /// Decodes and validates a range-deletion block: every key must carry the range-deletion
    /// type, every range must be non-empty (`start < end`) and keys must be in order.
    static func decode(_ block: Block) throws -> [RangeTombstone] {
        var result: [RangeTombstone] = []
        let it = block.makeIterator()
        var previous: [UInt8] = []
        try it.seekToFirst()
        while it.isValid {
            let key = it.key
            guard InternalKey.typeByte(key) == ValueType.rangeDeletion.rawValue else {
                throw block.corruption("range-deletion entry with type \(InternalKey.typeByte(key)) at block offset \(it.entryOffset)")
            }
            let start = InternalKey.userKey(key)
            guard compareBytes(start, it.value) < 0 else {
                throw block.corruption("empty or inverted range tombstone at block offset \(it.entryOffset)")
            }
            if !previous.isEmpty {
                let ordered = previous.withUnsafeBytes { InternalKey.compare($0, key) <= 0 }
                guard ordered else {
                    throw block.corruption("range tombstones out of order at block offset \(it.entryOffset)")
                }
            }
            previous = Array(key)
            result.append(RangeTombstone(start: Array(start), end: Array(it.value), sequence: InternalKey.sequence(key)))
            try it.next()
        }
        return result
    }
}
