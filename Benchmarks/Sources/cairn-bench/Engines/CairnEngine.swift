import CairnLSM

/// Cairn itself (`CairnLSM.Database`), with the same `EngineOptions` as the peers.
///
/// Thread safety: `Database` is safe for concurrent reads and writes from any number of
/// threads; iterators live inside one call. `close()` must not run concurrently with other
/// calls (the runner closes an engine after its workers finish).
final class CairnEngine: BenchEngine, @unchecked Sendable {
    static let name = "cairn"

    let settings: [String]

    private let db: Database
    private let syncWrites: Bool

    /// Opens (creating) a database in `directory` with `options` applied.
    init(directory: String, options: EngineOptions) throws {
        var cairnOptions = Options()
        cairnOptions.writeBufferSize = options.writeBufferBytes
        cairnOptions.blockCacheCapacity = options.blockCacheBytes
        cairnOptions.bloomBitsPerKey = options.bloomBitsPerKey
        cairnOptions.compression = options.lz4 ? .lz4 : .none
        db = try Database.open(directory, options: cairnOptions)
        syncWrites = options.syncWrites
        settings = [
            "writeBufferSize \(formatBytes(cairnOptions.writeBufferSize)), maxImmutableMemtables \(cairnOptions.maxImmutableMemtables)",
            "block cache \(formatBytes(cairnOptions.blockCacheCapacity)), block size \(cairnOptions.blockSize), bloom \(cairnOptions.bloomBitsPerKey) bits/key",
            "compression \(cairnOptions.compression)",
            "WAL on, \(syncWrites ? "sync=true (fsync per write)" : "sync=false")",
            "reads verify checksums: \(cairnOptions.verifyChecksums); maxOpenFiles \(cairnOptions.maxOpenFiles)",
        ]
    }

    deinit { try? db.close() }

    /// Writes one key (the key and value are copied into arrays, as `Database.put` takes).
    func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        // One batch built straight from the raw buffers (no intermediate arrays).
        var batch = WriteBatch()
        batch.put(key, value)
        try db.write(batch, sync: syncWrites)
    }

    /// Point lookup; Cairn returns the value as an array.
    func get(_ key: UnsafeRawBufferPointer) throws -> Bool {
        try db.get(rawKey: key) != nil
    }

    /// Reads up to `count` entries from the first key >= `key`, with an iterator made for
    /// this call.
    func seek(_ key: UnsafeRawBufferPointer, reading count: Int) throws -> Int {
        guard count > 0 else { return 0 }
        let iterator = try db.makeIterator()
        try iterator.seek(Array(key))
        return try readEntries(iterator, limit: count)
    }

    /// Reads every entry in key order.
    func scanAll() throws -> Int {
        let iterator = try db.makeIterator()
        try iterator.seekToFirst()
        return try readEntries(iterator, limit: Int.max)
    }

    /// Flushes the memtable and compacts every table into one sorted run.
    func flushAndCompact() throws {
        try db.flush()
        try db.compactRange()
    }

    /// Closes the database.
    func close() throws { try db.close() }

    /// `Database.statistics`, with the per-level "Compaction Stats" table.
    func statisticsReport() -> String? { db.statistics.description }

    /// Reads key and value (without copying) of up to `limit` entries from the iterator.
    private func readEntries(_ iterator: DatabaseIterator, limit: Int) throws -> Int {
        var n = 0
        while iterator.isValid {
            _ = iterator.withKey { $0.count }
            _ = iterator.withValue { $0.count }
            n += 1
            if n == limit { break }
            try iterator.next()
        }
        return n
    }
}
