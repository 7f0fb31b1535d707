import Synchronization

/// A point-in-time copy of a database's counters (`Database.statistics`).
public struct Statistics: Sendable, CustomStringConvertible {
    /// Per-level file counts and sizes.
    public struct Level: Sendable {
        public var level: Int
        public var fileCount: Int
        public var bytes: Int64
    }

    /// Last sequence number assigned.
    public var lastSequence: SequenceNumber = 0
    /// Batches written (each put/delete is a batch).
    public var batchesWritten: Int = 0
    /// Commit groups written to the WAL (batchesWritten / walWrites = average group size).
    public var walWrites: Int = 0
    /// WAL fdatasync calls.
    public var walSyncs: Int = 0
    /// Bytes appended to WAL files.
    public var walBytes: Int = 0
    /// Bytes of user keys and values written.
    public var userBytesWritten: Int = 0
    /// Point lookups served.
    public var gets: Int = 0
    /// Memtables flushed to level 0.
    public var flushes: Int = 0
    /// Bytes written by flushes.
    public var flushBytes: Int = 0
    /// Time writers waited for room (memtable full, flush behind), in microseconds.
    public var stallMicros: Int = 0
    /// Bytes held by the active memtable.
    public var memtableBytes: Int = 0
    /// Immutable memtables waiting to be flushed.
    public var immutableMemtables: Int = 0
    /// Block cache hits and misses.
    public var blockCacheHits: Int = 0
    public var blockCacheMisses: Int = 0
    /// Bytes in the block cache.
    public var blockCacheBytes: Int = 0
    /// Bloom filter probes, and how many of them let a lookup skip a table.
    public var bloomChecks: Int = 0
    public var bloomUseful: Int = 0
    /// Live snapshots.
    public var liveSnapshots: Int = 0
    /// Bytes dropped from torn WAL tails at the last recovery.
    public var recoveredTornTailBytes: Int64 = 0
    /// Levels (0 through 6).
    public var levels: [Level] = []

    public var description: String {
        var lines: [String] = []
        lines.append("sequence            \(lastSequence)")
        lines.append("batches written     \(batchesWritten) in \(walWrites) WAL writes, \(walSyncs) syncs, \(walBytes) WAL bytes")
        lines.append("user bytes written  \(userBytesWritten)")
        lines.append("gets                \(gets)")
        lines.append("flushes             \(flushes) (\(flushBytes) bytes)")
        lines.append("write stalls        \(stallMicros) µs")
        lines.append("memtable            \(memtableBytes) bytes, \(immutableMemtables) immutable")
        lines.append("block cache         \(blockCacheHits) hits, \(blockCacheMisses) misses, \(blockCacheBytes) bytes")
        lines.append("bloom filter        \(bloomChecks) checks, \(bloomUseful) useful")
        lines.append("snapshots           \(liveSnapshots)")
        lines.append("level  files  bytes")
        for l in levels {
            let files = String(l.fileCount)
            lines.append("L\(l.level)     " + files + String(repeating: " ", count: max(1, 7 - files.count)) + String(l.bytes))
        }
        return lines.joined(separator: "\n")
    }
}

/// Lock-free counters updated on hot paths.
final class StatisticsCounters: Sendable {
    let batchesWritten = Atomic<Int>(0)
    let walWrites = Atomic<Int>(0)
    let walSyncs = Atomic<Int>(0)
    let walBytes = Atomic<Int>(0)
    let userBytesWritten = Atomic<Int>(0)
    let gets = Atomic<Int>(0)
    let flushes = Atomic<Int>(0)
    let flushBytes = Atomic<Int>(0)
    let stallMicros = Atomic<Int>(0)
    let bloomChecks = Atomic<Int>(0)
    let bloomUseful = Atomic<Int>(0)
}
