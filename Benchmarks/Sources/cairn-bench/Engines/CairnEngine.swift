import CairnLSM

/// Cairn's own engine through its public API.
final class CairnEngine: BenchEngine, Sendable {
    static let name = "cairn"
    let db: Database
    let sync: Bool
    let settings: [String]

    init(directory: String, options: EngineOptions) throws {
        var o = Options()
        o.writeBufferSize = options.writeBufferBytes
        o.blockCacheCapacity = options.blockCacheBytes
        o.bloomBitsPerKey = options.bloomBitsPerKey
        o.compression = options.lz4 ? .lz4 : .none
        db = try Database.open(directory, options: o)
        sync = options.syncWrites
        settings = [
            "write buffer \(o.writeBufferSize >> 20) MiB", "block cache \(o.blockCacheCapacity >> 20) MiB",
            "bloom \(o.bloomBitsPerKey) bits/key", "compression \(o.compression)", "block size \(o.blockSize)",
            sync ? "sync writes (fdatasync per group commit)" : "writes not synced (WAL on)",
        ]
    }

    func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        var batch = WriteBatch()
        batch.put(key, value)
        try db.write(batch, sync: sync)
    }

    func get(_ key: UnsafeRawBufferPointer) throws -> Bool {
        try db.get(rawKey: key) != nil
    }

    func seek(_ key: UnsafeRawBufferPointer, reading count: Int) throws -> Int {
        let it = try db.makeIterator()
        try it.seek(Array(key))
        var n = 0
        while it.isValid && n < count {
            n += it.withValue { $0.count } >= 0 ? 1 : 0
            try it.next()
        }
        return n
    }

    func scanAll() throws -> Int {
        let it = try db.makeIterator()
        try it.seekToFirst()
        var n = 0
        while it.isValid {
            n += it.withValue { $0.count } >= 0 ? 1 : 0
            try it.next()
        }
        return n
    }

    func flushAndCompact() throws {
        try db.flush()
        try db.compactRange()
    }

    func close() throws {
        try db.close()
    }
}
