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

    /// The 8-byte big-endian number stored under `key` as of `snapshot` (a position, a counter),
    /// nil when there is none; another length is `CairnError.corruption` naming `file` and
    /// what the number is.
    func storedUInt64(_ key: [UInt8], at snapshot: Snapshot? = nil, file: String, what: String) throws -> UInt64? {
        guard let bytes = try get(key, snapshot: snapshot) else { return nil }
        guard bytes.count == 8 else {
            throw CairnError.corruption(file: file, offset: 0, reason: "\(what) is \(bytes.count) bytes, not 8")
        }
        return KeySpace.bigEndianValue(bytes)
    }
}
