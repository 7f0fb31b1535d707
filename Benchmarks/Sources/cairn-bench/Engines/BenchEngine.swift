/// Settings every engine is asked to apply, so the engines are compared like for like.
/// Engines that lack a knob say so in `BenchEngine.settings`.
struct EngineOptions: Sendable {
    /// Bytes of the engine's block/page cache.
    var blockCacheBytes = 64 << 20
    /// Bloom filter bits per key (0: none).
    var bloomBitsPerKey = 10
    /// Bytes a memtable / write buffer may hold before it is flushed.
    var writeBufferBytes = 64 << 20
    /// Use LZ4 block compression where the engine has it.
    var lz4 = true
    /// Every write is durable when it returns (fdatasync or the engine's equivalent).
    var syncWrites = false
}

/// One storage engine under test. Calls may come from several threads at once (the
/// readwhilewriting workload runs readers beside one writer); engines must be safe for that.
protocol BenchEngine: AnyObject, Sendable {
    /// Short name used on the command line and in reports (`cairn`, `rocksdb`, ...).
    static var name: String { get }
    /// Opens (creating) a fresh database in `directory`.
    init(directory: String, options: EngineOptions) throws
    /// Human-readable lines describing the settings applied, and any requested setting the
    /// engine cannot apply ("no LZ4: leveldb supports snappy only").
    var settings: [String] { get }
    /// Writes one key (durably when `options.syncWrites`).
    func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws
    /// Point lookup; returns true when the key was found (its value is read in full).
    func get(_ key: UnsafeRawBufferPointer) throws -> Bool
    /// Positions at the first key >= `key` and reads up to `count` entries; returns how many.
    func seek(_ key: UnsafeRawBufferPointer, reading count: Int) throws -> Int
    /// Reads every entry in key order; returns how many.
    func scanAll() throws -> Int
    /// Flushes memtables and compacts everything (not timed; prepares read workloads).
    func flushAndCompact() throws
    /// Closes the database.
    func close() throws
    /// The engine's own statistics report (compaction stats, stalls), printed after each
    /// workload with --statistics; nil if the engine has none.
    func statisticsReport() -> String?
}

extension BenchEngine {
    func statisticsReport() -> String? { nil }
}

/// An engine failure with a message.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
