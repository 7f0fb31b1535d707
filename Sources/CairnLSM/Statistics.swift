import Synchronization

/// A point-in-time copy of a database's counters (`Database.statistics`).
public struct Statistics: Sendable, CustomStringConvertible {
    /// Per-level file counts, sizes and compaction scores (>= 1: due for compaction), with
    /// the work done to fill the level since open, counted as RocksDB's "Compaction Stats"
    /// count it: a compaction's work belongs to its output level, and flushes to level 0.
    public struct Level: Sendable {
        public var level: Int
        public var fileCount: Int
        public var bytes: Int64
        public var score: Double
        /// Work that wrote into this level.
        public var work = LevelWork()
    }

    /// Work done by flushes (level 0) or by compactions whose output went to one level.
    public struct LevelWork: Sendable, Equatable {
        /// Bytes read from the level above (the compaction's input level, "Rn").
        public var bytesReadFromInputLevel: Int64 = 0
        /// Bytes read from this level (files the compaction merged with, "Rnp1").
        public var bytesReadFromOutputLevel: Int64 = 0
        /// Bytes of tables written.
        public var bytesWritten: Int64 = 0
        /// Bytes moved into this level by trivial moves (no rewrite).
        public var bytesMoved: Int64 = 0
        /// Flushes or compactions run (trivial moves not counted).
        public var count: Int = 0
        /// Wall-clock time spent in them, in microseconds.
        public var micros: Int64 = 0
        /// Entries read, and entries dropped (shadowed, deleted or range-deleted).
        public var entriesIn: Int64 = 0
        public var entriesDropped: Int64 = 0

        /// Bytes read from either level.
        public var bytesRead: Int64 { bytesReadFromInputLevel + bytesReadFromOutputLevel }
        /// Bytes written beyond those read from this level ("Wnew").
        public var bytesNew: Int64 { bytesWritten - bytesReadFromOutputLevel }
        /// Bytes written per byte read from the input level (0 for flushes, as RocksDB).
        public var writeAmplification: Double {
            bytesReadFromInputLevel == 0 ? 0 : Double(bytesWritten) / Double(bytesReadFromInputLevel)
        }

        static func + (a: LevelWork, b: LevelWork) -> LevelWork {
            var s = a
            s.bytesReadFromInputLevel += b.bytesReadFromInputLevel
            s.bytesReadFromOutputLevel += b.bytesReadFromOutputLevel
            s.bytesWritten += b.bytesWritten
            s.bytesMoved += b.bytesMoved
            s.count += b.count
            s.micros += b.micros
            s.entriesIn += b.entriesIn
            s.entriesDropped += b.entriesDropped
            return s
        }
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
    /// Bytes the last open's recovery dropped (torn or unsynced log tails; see
    /// `Database.recoveryReport`).
    public var recoveredTornTailBytes: Int64 = 0
    /// One line per stretch the last open's recovery dropped (`RecoveryReport.warnings`).
    public var recoveryWarnings: [String] = []
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
        lines.append("write amplification \(fixed(writeAmplification, 2))")
        lines.append("write stalls        \(stallMicros) µs (\(writeSlowdowns) slowdowns, \(writeStops) stops)")
        lines.append("memtable            \(memtableBytes) bytes, \(immutableMemtables) immutable")
        lines.append("block cache         \(blockCacheHits) hits, \(blockCacheMisses) misses, \(blockCacheBytes) bytes")
        lines.append("bloom filter        \(bloomChecks) checks, \(bloomUseful) useful")
        lines.append("snapshots           \(liveSnapshots)")
        lines.append("recovery            " + (recoveryWarnings.isEmpty ? "nothing dropped at open" : "\(recoveredTornTailBytes) bytes dropped at open"))
        for warning in recoveryWarnings { lines.append("  " + warning) }
        lines.append("")
        lines.append(compactionStatsTable)
        return lines.joined(separator: "\n")
    }

    /// The per-level table, laid out like RocksDB's "Compaction Stats": sizes in MB, times in
    /// seconds, W-Amp = written / read from the input level, and a Sum row whose W-Amp is
    /// table bytes written per user byte written (RocksDB's: per byte ingested).
    public var compactionStatsTable: String {
        let header = [
            "Level", "Files", "Size(MB)", "Score", "Read(MB)", "Rn(MB)", "Rnp1(MB)", "Write(MB)", "Wnew(MB)",
            "Moved(MB)", "W-Amp", "Rd(MB/s)", "Wr(MB/s)", "Comp(sec)", "Comp(cnt)", "Avg(sec)", "KeyIn", "KeyDrop",
        ]
        func row(_ name: String, files: Int, bytes: Int64, score: String, _ w: LevelWork, writeAmp: Double) -> [String] {
            let seconds = Double(w.micros) / 1e6
            func mb(_ b: Int64) -> String { fixed(Double(b) / 1_048_576, 1) }
            func rate(_ b: Int64) -> String { seconds > 0 ? fixed(Double(b) / 1_048_576 / seconds, 1) : "0.0" }
            return [
                name, String(files), mb(bytes), score, mb(w.bytesRead), mb(w.bytesReadFromInputLevel),
                mb(w.bytesReadFromOutputLevel), mb(w.bytesWritten), mb(w.bytesNew), mb(w.bytesMoved),
                fixed(writeAmp, 1), rate(w.bytesRead), rate(w.bytesWritten), fixed(seconds, 3),
                String(w.count), fixed(w.count == 0 ? 0 : seconds / Double(w.count), 3), String(w.entriesIn),
                String(w.entriesDropped),
            ]
        }
        var rows = [header]
        var sum = LevelWork()
        // Like RocksDB, levels with no files and no work are left out (level 0 always shows).
        for l in levels where l.level == 0 || l.fileCount > 0 || l.work != LevelWork() {
            rows.append(row("L\(l.level)", files: l.fileCount, bytes: l.bytes, score: fixed(l.score, 2), l.work, writeAmp: l.work.writeAmplification))
            sum = sum + l.work
        }
        rows.append(row("Sum", files: levels.reduce(0) { $0 + $1.fileCount }, bytes: levels.reduce(0) { $0 + $1.bytes }, score: "-", sum,
                writeAmp: userBytesWritten == 0 ? 0 : Double(sum.bytesWritten) / Double(userBytesWritten)))
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        var out = ["** Compaction Stats **"]
        for (i, r) in rows.enumerated() {
            // The level name is left-aligned, numbers right-aligned.
            out.append(
                r.indices.map { c in
                    let pad = String(repeating: " ", count: widths[c] - r[c].count)
                    return c == 0 ? r[c] + pad : pad + r[c]
                }.joined(separator: " "))
            if i == 0 { out.append(String(repeating: "-", count: widths.reduce(0, +) + widths.count - 1)) }
        }
        out.append(
            "Stalls: \(fixed(Double(stallMicros) / 1e6, 3)) s waited, \(writeSlowdowns) slowdowns, \(writeStops) stops; "
                + "write amplification \(fixed(writeAmplification, 2)) (WAL + flush + compaction bytes per user byte)")
        return out.joined(separator: "\n")
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
    let stallMicros = Atomic<Int>(0)
    let trivialMoves = Atomic<Int>(0)
    let slowdowns = Atomic<Int>(0)
    let stops = Atomic<Int>(0)
    let bloomChecks = Atomic<Int>(0)
    let bloomUseful = Atomic<Int>(0)
}

/// `value` with `digits` decimals, without Foundation.
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    guard scaled < 9e18 else { return String(value) }
    let n = Int64(scaled), unit = Int64(scale)
    let sign = value < 0 && n != 0 ? "-" : ""
    guard digits > 0 else { return sign + String(n) }
    let frac = String(n % unit)
    return sign + String(n / unit) + "." + String(repeating: "0", count: digits - frac.count) + frac
}
