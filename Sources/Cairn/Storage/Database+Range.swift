import CairnLSM

extension Database {
    /// Calls `body` with the iterator positioned on each key in `lower ..< upper` in order, as
    /// of `snapshot` (default: now); `body` reads `key` and `value` from it.
    func forEachEntry(
        from lower: [UInt8], to upper: [UInt8]?, at snapshot: Snapshot? = nil, _ body: (DatabaseIterator) throws -> Void
    ) throws {
        let iterator = try makeIterator(ReadOptions(snapshot: snapshot, lowerBound: lower, upperBound: upper))
        try iterator.seekToFirst()
        while iterator.isValid {
            try body(iterator)
            try iterator.next()
        }
    }
}
