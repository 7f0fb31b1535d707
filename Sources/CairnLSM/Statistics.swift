import Synchronization

/// A point-in-time copy of a database's counters (`Database.statistics`).
public struct Statistics: Sendable, CustomStringConvertible {
    /// Per-level file counts, sizes and compaction scores (>= 1: due for compaction).
    public struct Level: Sendable {
        public var level: Int
        public var fileCount: Int
        public var bytes: Int64
        public var score: Double
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
    /// Compactions run (not counting trivial moves), and files moved down without rewriting.
    public var compactions: Int = 0
    public var trivialMoves: Int = 0
    /// Bytes read and written by compactions.
    public var compactionBytesRead: Int = 0
    public var compactionBytesWritten: Int = 0
    /// Writes delayed because level 0 reached the slowdown trigger, and waits at the stop trigger.
    public var writeSlowdowns: Int = 0
    public var writeStops: Int = 0
    /// Bytes written to storage by the WAL, flushes and compactions per user byte written.
    public var writeAmplification: Double {
        userBytesWritten == 0 ? 0 : Double(walBytes + flushBytes + compactionBytesWritten) / Double(userBytesWritten)
    }
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
        lines.append("compactions         \(compactions) (\(trivialMoves) trivial moves), read \(compactionBytesRead) B, wrote \(compactionBytesWritten) B")
        lines.append("write amplification \(String(Int(writeAmplification * 100) / 100)).\(format2(Int(writeAmplification * 100) % 100))")
        lines.append("write stalls        \(stallMicros) µs (\(writeSlowdowns) slowdowns, \(writeStops) stops)")
        lines.append("memtable            \(memtableBytes) bytes, \(immutableMemtables) immutable")
        lines.append("block cache         \(blockCacheHits) hits, \(blockCacheMisses) misses, \(blockCacheBytes) bytes")
        lines.append("bloom filter        \(bloomChecks) checks, \(bloomUseful) useful")
        lines.append("snapshots           \(liveSnapshots)")
        lines.append("level  files        bytes  score")
        for l in levels {
            let files = String(l.fileCount), bytes = String(l.bytes)
            let score = String(Int(l.score * 100) / 100) + "." + format2(Int(l.score * 100) % 100)
            lines.append(
                "L\(l.level)   " + String(repeating: " ", count: max(1, 7 - files.count)) + files
                    + String(repeating: " ", count: max(1, 13 - bytes.count)) + bytes
                    + String(repeating: " ", count: max(1, 7 - score.count)) + score)
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
    let compactions = Atomic<Int>(0)
    let trivialMoves = Atomic<Int>(0)
    let compactionBytesRead = Atomic<Int>(0)
    let compactionBytesWritten = Atomic<Int>(0)
    let slowdowns = Atomic<Int>(0)
    let stops = Atomic<Int>(0)
    let bloomChecks = Atomic<Int>(0)
    let bloomUseful = Atomic<Int>(0)
}

/// Two digits with a leading zero.
private func format2(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
