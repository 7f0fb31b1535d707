import CRocksDB
import Foundation
import Synchronization

/// RocksDB (Debian's librocksdb, 7.8) through its C API, `rocksdb/c.h`.
///
/// Settings: write buffer, LRU block cache, full bloom filter, 4 KiB blocks and LZ4 as
/// `EngineOptions` asks; the WAL stays on; compaction style, background jobs and everything
/// else keep RocksDB's defaults. `settings` lists what was applied.
///
/// Thread safety: a `rocksdb_t` may be read and written from any number of threads at once
/// (RocksDB's `DB` is thread-safe), the shared read and write options are only read after
/// `init`, and iterators live inside one call. `close()` must not run concurrently with other
/// calls (the runner closes an engine after its workers finish); calls after it throw.
final class RocksDBEngine: BenchEngine, @unchecked Sendable {
    static let name = "rocksdb"

    let settings: [String]

    private let db: OpaquePointer
    private let readOptions: OpaquePointer
    private let writeOptions: OpaquePointer
    private let cache: OpaquePointer
    private let closed = Atomic<Bool>(false)

    /// Opens (creating) a database in `directory` with `options` applied.
    init(directory: String, options: EngineOptions) throws {
        // create_if_missing makes only the last path component.
        try makeDirectory(directory)
        guard let opts = rocksdb_options_create() else { throw BenchError("rocksdb_options_create failed") }
        // The open database keeps its own copy of the options.
        defer { rocksdb_options_destroy(opts) }
        rocksdb_options_set_create_if_missing(opts, 1)
        rocksdb_options_set_write_buffer_size(opts, options.writeBufferBytes)
        rocksdb_options_set_compression(opts, Int32(options.lz4 ? rocksdb_lz4_compression : rocksdb_no_compression))

        guard let table = rocksdb_block_based_options_create() else {
            throw BenchError("rocksdb_block_based_options_create failed")
        }
        // The table factory copies the table options (sharing the cache and filter policy).
        defer { rocksdb_block_based_options_destroy(table) }
        guard let cache = rocksdb_cache_create_lru(options.blockCacheBytes) else {
            throw BenchError("rocksdb_cache_create_lru failed")
        }
        rocksdb_block_based_options_set_block_cache(table, cache)
        rocksdb_block_based_options_set_block_size(table, 4096)
        if options.bloomBitsPerKey > 0 {
            // Ownership passes to the table options (c.cc resets a shared_ptr with it), so the
            // policy is never destroyed here.
            guard let bloom = rocksdb_filterpolicy_create_bloom_full(Double(options.bloomBitsPerKey)) else {
                rocksdb_cache_destroy(cache)
                throw BenchError("rocksdb_filterpolicy_create_bloom_full failed")
            }
            rocksdb_block_based_options_set_filter_policy(table, bloom)
        }
        rocksdb_options_set_block_based_table_factory(opts, table)

        guard let readOptions = rocksdb_readoptions_create() else {
            rocksdb_cache_destroy(cache)
            throw BenchError("rocksdb_readoptions_create failed")
        }
        guard let writeOptions = rocksdb_writeoptions_create() else {
            rocksdb_readoptions_destroy(readOptions)
            rocksdb_cache_destroy(cache)
            throw BenchError("rocksdb_writeoptions_create failed")
        }
        rocksdb_writeoptions_set_sync(writeOptions, options.syncWrites ? 1 : 0)

        var err: UnsafeMutablePointer<CChar>?
        let db = rocksdb_open(opts, directory, &err)
        if let message = takeRocksError(err) {
            if let db { rocksdb_close(db) }
            rocksdb_writeoptions_destroy(writeOptions)
            rocksdb_readoptions_destroy(readOptions)
            rocksdb_cache_destroy(cache)
            throw BenchError("rocksdb open \(directory): \(message)")
        }
        guard let db else {
            rocksdb_writeoptions_destroy(writeOptions)
            rocksdb_readoptions_destroy(readOptions)
            rocksdb_cache_destroy(cache)
            throw BenchError("rocksdb open \(directory) failed without a message")
        }
        self.db = db
        self.readOptions = readOptions
        self.writeOptions = writeOptions
        self.cache = cache

        let bloom = options.bloomBitsPerKey > 0
            ? "full bloom filter \(options.bloomBitsPerKey) bits/key"
            : "no bloom filter"
        settings = [
            "write_buffer_size \(formatBytes(options.writeBufferBytes)) (max_write_buffer_number default 2)",
            "block-based table: LRU block cache \(formatBytes(options.blockCacheBytes)), block size 4096, \(bloom); index and filter blocks outside the cache (default)",
            "compression \(options.lz4 ? "lz4" : "none") on every level",
            "WAL on, \(options.syncWrites ? "sync=true (fsync per write)" : "sync=false")",
            "leveled compaction, max_background_jobs 2, max_open_files -1 (defaults; increase_parallelism not called: on 2 cores it equals the default)",
            "reads verify checksums (default); get via rocksdb_get_pinned (no value copy)",
        ]
    }

    deinit { release() }

    /// Writes one key with the shared write options (WAL on).
    func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        try checkOpen()
        var err: UnsafeMutablePointer<CChar>?
        rocksdb_put(db, writeOptions, cChars(key), key.count, cChars(value), value.count, &err)
        if let message = takeRocksError(err) { throw BenchError("rocksdb put: \(message)") }
    }

    /// Point lookup through a pinnable slice: the value stays in the block cache (or the
    /// memtable) for the duration of the call instead of being copied.
    func get(_ key: UnsafeRawBufferPointer) throws -> Bool {
        try checkOpen()
        var err: UnsafeMutablePointer<CChar>?
        let slice = rocksdb_get_pinned(db, readOptions, cChars(key), key.count, &err)
        if let message = takeRocksError(err) {
            if let slice { rocksdb_pinnableslice_destroy(slice) }
            throw BenchError("rocksdb get: \(message)")
        }
        guard let slice else { return false }
        var length = 0
        _ = rocksdb_pinnableslice_value(slice, &length)
        rocksdb_pinnableslice_destroy(slice)
        return true
    }

    /// Reads up to `count` entries from the first key >= `key`, with an iterator made for
    /// this call.
    func seek(_ key: UnsafeRawBufferPointer, reading count: Int) throws -> Int {
        try checkOpen()
        guard count > 0 else { return 0 }
        return try withIterator { iterator in
            rocksdb_iter_seek(iterator, cChars(key), key.count)
            return readEntries(iterator, limit: count)
        }
    }

    /// Reads every entry in key order.
    func scanAll() throws -> Int {
        try checkOpen()
        return try withIterator { iterator in
            rocksdb_iter_seek_to_first(iterator)
            return readEntries(iterator, limit: Int.max)
        }
    }

    /// Flushes the memtable (waiting for it), compacts the whole key range (a blocking manual
    /// compaction), then waits until no flush or compaction is running or pending.
    func flushAndCompact() throws {
        try checkOpen()
        guard let flushOptions = rocksdb_flushoptions_create() else {
            throw BenchError("rocksdb_flushoptions_create failed")
        }
        rocksdb_flushoptions_set_wait(flushOptions, 1)
        var err: UnsafeMutablePointer<CChar>?
        rocksdb_flush(db, flushOptions, &err)
        rocksdb_flushoptions_destroy(flushOptions)
        if let message = takeRocksError(err) { throw BenchError("rocksdb flush: \(message)") }

        rocksdb_compact_range(db, nil, 0, nil, 0)
        try waitForBackgroundWork()
    }

    /// Closes the database and frees the cache and options; later calls throw.
    func close() throws { release() }

    // MARK: - Helpers

    /// Frees every C resource once (close or deinit, whichever comes first).
    private func release() {
        guard closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        rocksdb_close(db)
        rocksdb_writeoptions_destroy(writeOptions)
        rocksdb_readoptions_destroy(readOptions)
        rocksdb_cache_destroy(cache)
    }

    @inline(__always)
    private func checkOpen() throws {
        if closed.load(ordering: .acquiring) { throw BenchError("rocksdb: database is closed") }
    }

    /// Runs `body` with a fresh iterator, then reports the iterator's error, if any.
    private func withIterator(_ body: (OpaquePointer) -> Int) throws -> Int {
        guard let iterator = rocksdb_create_iterator(db, readOptions) else {
            throw BenchError("rocksdb_create_iterator failed")
        }
        defer { rocksdb_iter_destroy(iterator) }
        let n = body(iterator)
        var err: UnsafeMutablePointer<CChar>?
        rocksdb_iter_get_error(iterator, &err)
        if let message = takeRocksError(err) { throw BenchError("rocksdb iterator: \(message)") }
        return n
    }

    /// The "rocksdb.stats" property (per-level compaction stats, stalls).
    func statisticsReport() -> String? {
        guard let text = rocksdb_property_value(db, "rocksdb.stats") else { return nil }
        defer { rocksdb_free(text) }
        return String(cString: text)
    }

    /// Reads key and value of up to `limit` entries from the iterator's position.
    private func readEntries(_ iterator: OpaquePointer, limit: Int) -> Int {
        var n = 0
        var keyLength = 0
        var valueLength = 0
        while rocksdb_iter_valid(iterator) != 0 {
            _ = rocksdb_iter_key(iterator, &keyLength)
            _ = rocksdb_iter_value(iterator, &valueLength)
            n += 1
            if n == limit { break }
            rocksdb_iter_next(iterator)
        }
        return n
    }

    /// Polls RocksDB's properties until no flush or compaction runs or is pending (the 7.8 C
    /// API has no "wait for compactions"), then reports a background error if one occurred.
    private func waitForBackgroundWork() throws {
        let properties = [
            "rocksdb.mem-table-flush-pending", "rocksdb.num-running-flushes",
            "rocksdb.compaction-pending", "rocksdb.num-running-compactions",
        ]
        let deadline = Date().addingTimeInterval(3600)
        while true {
            var busy = false
            for property in properties {
                var value: UInt64 = 0
                guard rocksdb_property_int(db, property, &value) == 0 else {
                    throw BenchError("rocksdb: property \(property) unavailable")
                }
                if value != 0 { busy = true }
            }
            if !busy { break }
            if Date() > deadline { throw BenchError("rocksdb: background work still running after an hour") }
            usleep(10_000)
        }
        var errors: UInt64 = 0
        if rocksdb_property_int(db, "rocksdb.background-errors", &errors) == 0, errors > 0 {
            throw BenchError("rocksdb: \(errors) background error(s) during flush/compaction")
        }
    }
}

/// The message of a RocksDB error string, freed with `rocksdb_free`; nil when there is none.
private func takeRocksError(_ err: UnsafeMutablePointer<CChar>?) -> String? {
    guard let err else { return nil }
    let message = String(cString: err)
    rocksdb_free(err)
    return message
}
