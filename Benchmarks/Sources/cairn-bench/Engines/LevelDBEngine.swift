import CLevelDB
import Foundation
import Synchronization

/// LevelDB (Debian's libleveldb, 1.23, built with snappy) through its C API, `leveldb/c.h`.
///
/// LevelDB has no LZ4: with `EngineOptions.lz4` it uses snappy, LZ4's closest peer, and says
/// so in `settings`. Reads verify block checksums, as Cairn's and RocksDB's do by default.
///
/// Thread safety: a `leveldb_t` may be read and written from any number of threads at once
/// (LevelDB's `DB` is thread-safe), the shared read and write options are only read after
/// `init`, and iterators live inside one call. `close()` must not run concurrently with other
/// calls (the runner closes an engine after its workers finish); calls after it throw.
final class LevelDBEngine: BenchEngine, @unchecked Sendable {
    static let name = "leveldb"

    let settings: [String]

    private let db: OpaquePointer
    private let readOptions: OpaquePointer
    private let writeOptions: OpaquePointer
    /// Referenced (not owned) by the open database: freed after it closes.
    private let cache: OpaquePointer
    /// Referenced (not owned) by the open database: freed after it closes; nil without bloom.
    private let filterPolicy: OpaquePointer?
    private let closed = Atomic<Bool>(false)

    /// Opens (creating) a database in `directory` with `options` applied.
    init(directory: String, options: EngineOptions) throws {
        // create_if_missing makes only the last path component.
        try makeDirectory(directory)
        guard let opts = leveldb_options_create() else { throw BenchError("leveldb_options_create failed") }
        // The open database copies the options struct (but not the cache or filter it points to).
        defer { leveldb_options_destroy(opts) }
        leveldb_options_set_create_if_missing(opts, 1)
        leveldb_options_set_write_buffer_size(opts, options.writeBufferBytes)
        leveldb_options_set_block_size(opts, 4096)
        leveldb_options_set_compression(opts, Int32(options.lz4 ? leveldb_snappy_compression : leveldb_no_compression))

        guard let cache = leveldb_cache_create_lru(options.blockCacheBytes) else {
            throw BenchError("leveldb_cache_create_lru failed")
        }
        leveldb_options_set_cache(opts, cache)
        var filterPolicy: OpaquePointer?
        if options.bloomBitsPerKey > 0 {
            guard let bloom = leveldb_filterpolicy_create_bloom(Int32(options.bloomBitsPerKey)) else {
                leveldb_cache_destroy(cache)
                throw BenchError("leveldb_filterpolicy_create_bloom failed")
            }
            leveldb_options_set_filter_policy(opts, bloom)
            filterPolicy = bloom
        }
        /// Frees what was made so far when opening fails.
        func freeShared() {
            leveldb_cache_destroy(cache)
            if let filterPolicy { leveldb_filterpolicy_destroy(filterPolicy) }
        }

        guard let readOptions = leveldb_readoptions_create() else {
            freeShared()
            throw BenchError("leveldb_readoptions_create failed")
        }
        leveldb_readoptions_set_verify_checksums(readOptions, 1)
        guard let writeOptions = leveldb_writeoptions_create() else {
            leveldb_readoptions_destroy(readOptions)
            freeShared()
            throw BenchError("leveldb_writeoptions_create failed")
        }
        leveldb_writeoptions_set_sync(writeOptions, options.syncWrites ? 1 : 0)

        var err: UnsafeMutablePointer<CChar>?
        let db = leveldb_open(opts, directory, &err)
        if err != nil || db == nil {
            let message = takeLevelError(err) ?? "failed without a message"
            if let db { leveldb_close(db) }
            leveldb_writeoptions_destroy(writeOptions)
            leveldb_readoptions_destroy(readOptions)
            freeShared()
            throw BenchError("leveldb open \(directory): \(message)")
        }
        guard let db else { throw BenchError("leveldb open \(directory) failed") }  // unreachable
        self.db = db
        self.readOptions = readOptions
        self.writeOptions = writeOptions
        self.cache = cache
        self.filterPolicy = filterPolicy

        let version = "\(leveldb_major_version()).\(leveldb_minor_version())"
        let bloom = options.bloomBitsPerKey > 0
            ? "bloom filter \(options.bloomBitsPerKey) bits/key"
            : "no bloom filter"
        settings = [
            "leveldb \(version); write_buffer_size \(formatBytes(options.writeBufferBytes))",
            "LRU block cache \(formatBytes(options.blockCacheBytes)), block size 4096, \(bloom); max_open_files 1000 (default)",
            options.lz4
                ? "compression snappy (no LZ4 in LevelDB; snappy is its closest peer)"
                : "compression none",
            "log (WAL) on, \(options.syncWrites ? "sync=true (fsync per write)" : "sync=false")",
            "leveled compaction, one background thread (LevelDB's fixed design)",
            "reads verify checksums (set; LevelDB's default is off); get via leveldb_get (copies the value)",
        ]
    }

    deinit { release() }

    /// Writes one key.
    func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        try checkOpen()
        var err: UnsafeMutablePointer<CChar>?
        leveldb_put(db, writeOptions, cChars(key), key.count, cChars(value), value.count, &err)
        if let message = takeLevelError(err) { throw BenchError("leveldb put: \(message)") }
    }

    /// Point lookup. The C API always returns a malloc'd copy of the value, freed here.
    func get(_ key: UnsafeRawBufferPointer) throws -> Bool {
        try checkOpen()
        var err: UnsafeMutablePointer<CChar>?
        var length = 0
        let value = leveldb_get(db, readOptions, cChars(key), key.count, &length, &err)
        if let value { leveldb_free(value) }
        if let message = takeLevelError(err) { throw BenchError("leveldb get: \(message)") }
        return value != nil
    }

    /// Reads up to `count` entries from the first key >= `key`, with an iterator made for
    /// this call.
    func seek(_ key: UnsafeRawBufferPointer, reading count: Int) throws -> Int {
        try checkOpen()
        guard count > 0 else { return 0 }
        return try withIterator { iterator in
            leveldb_iter_seek(iterator, cChars(key), key.count)
            return readEntries(iterator, limit: count)
        }
    }

    /// Reads every entry in key order.
    func scanAll() throws -> Int {
        try checkOpen()
        return try withIterator { iterator in
            leveldb_iter_seek_to_first(iterator)
            return readEntries(iterator, limit: Int.max)
        }
    }

    /// Compacts the whole key range (`CompactRange` first flushes the memtable and blocks
    /// until every level is compacted), then waits until no level is over the size that would
    /// start another background compaction (LevelDB has no "wait for compactions" call).
    func flushAndCompact() throws {
        try checkOpen()
        leveldb_compact_range(db, nil, 0, nil, 0)
        try waitForSizeCompactions()
    }

    /// Closes the database, then frees the cache, filter policy and options; later calls throw.
    func close() throws { release() }

    // MARK: - Helpers

    /// Frees every C resource once (close or deinit, whichever comes first).
    private func release() {
        guard closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        leveldb_close(db)
        leveldb_writeoptions_destroy(writeOptions)
        leveldb_readoptions_destroy(readOptions)
        leveldb_cache_destroy(cache)
        if let filterPolicy { leveldb_filterpolicy_destroy(filterPolicy) }
    }

    @inline(__always)
    private func checkOpen() throws {
        if closed.load(ordering: .acquiring) { throw BenchError("leveldb: database is closed") }
    }

    /// Runs `body` with a fresh iterator, then reports the iterator's error, if any.
    private func withIterator(_ body: (OpaquePointer) -> Int) throws -> Int {
        guard let iterator = leveldb_create_iterator(db, readOptions) else {
            throw BenchError("leveldb_create_iterator failed")
        }
        defer { leveldb_iter_destroy(iterator) }
        let n = body(iterator)
        var err: UnsafeMutablePointer<CChar>?
        leveldb_iter_get_error(iterator, &err)
        if let message = takeLevelError(err) { throw BenchError("leveldb iterator: \(message)") }
        return n
    }

    /// The "leveldb.stats" property (per-level compaction stats, stalls).
    func statisticsReport() -> String? {
        guard let text = leveldb_property_value(db, "leveldb.stats") else { return nil }
        defer { leveldb_free(text) }
        return String(cString: text)
    }

    /// Reads key and value of up to `limit` entries from the iterator's position.
    private func readEntries(_ iterator: OpaquePointer, limit: Int) -> Int {
        var n = 0
        var keyLength = 0
        var valueLength = 0
        while leveldb_iter_valid(iterator) != 0 {
            _ = leveldb_iter_key(iterator, &keyLength)
            _ = leveldb_iter_value(iterator, &valueLength)
            n += 1
            if n == limit { break }
            leveldb_iter_next(iterator)
        }
        return n
    }

    /// Polls `leveldb.sstables` until level 0 holds fewer than 4 files (the compaction
    /// trigger) and each level n >= 1 below the last holds less than 10^n MiB (LevelDB's
    /// `MaxBytesForLevel`), i.e. until no size-triggered compaction is running or due.
    private func waitForSizeCompactions() throws {
        let deadline = Date().addingTimeInterval(3600)
        while true {
            guard let raw = leveldb_property_value(db, "leveldb.sstables") else {
                throw BenchError("leveldb: property leveldb.sstables unavailable")
            }
            let text = String(cString: raw)
            leveldb_free(raw)
            if !Self.compactionDue(sstables: text) { return }
            if Date() > deadline { throw BenchError("leveldb: compactions still due after an hour") }
            usleep(10_000)
        }
    }

    /// Whether the `leveldb.sstables` listing shows a level over its compaction trigger.
    /// Lines are "--- level N ---" headers followed by " number:size[smallest .. largest]".
    static func compactionDue(sstables: String) -> Bool {
        var level = -1
        var files = [Int](repeating: 0, count: 7)
        var bytes = [Int](repeating: 0, count: 7)
        for line in sstables.split(separator: "\n") {
            if line.hasPrefix("--- level ") {
                level = Int(line.dropFirst("--- level ".count).prefix { $0.isNumber }) ?? -1
                continue
            }
            guard (0..<7).contains(level), let bracket = line.firstIndex(of: "[") else { continue }
            let head = line[..<bracket].split(separator: ":")
            guard head.count == 2, let size = Int(head[1]) else { continue }
            files[level] += 1
            bytes[level] += size
        }
        if files[0] >= 4 { return true }
        var limit = 10 * 1_048_576
        for level in 1..<6 {
            if bytes[level] >= limit { return true }
            limit *= 10
        }
        return false
    }
}

/// The message of a LevelDB error string, freed with `leveldb_free`; nil when there is none.
private func takeLevelError(_ err: UnsafeMutablePointer<CChar>?) -> String? {
    guard let err else { return nil }
    let message = String(cString: err)
    leveldb_free(err)
    return message
}
