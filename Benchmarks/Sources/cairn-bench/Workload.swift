/// The workloads, with db_bench's meanings.
enum Workload: String, CaseIterable, Codable, Sendable {
    /// Write --num keys in ascending order into a fresh database.
    case fillseq
    /// Write --num keys in a random order (each key once) into a fresh database.
    case fillrandom
    /// Overwrite --num keys drawn at random from the existing ones.
    case overwrite
    /// Read --reads random existing keys (the database holds --num keys, flushed and compacted).
    case readrandom
    /// Read --reads keys that do not exist (an existing key plus one byte: inside the key
    /// ranges of the tables, so only a filter can skip them).
    case readmissing
    /// Seek to --reads random existing keys and read the next 10 entries after each.
    case seekrandom
    /// Read every entry in key order.
    case readseq
    /// Write --sync-num random keys, each durable before the call returns (--threads writers).
    case fillsync
    /// --threads readers doing random reads while one writer overwrites random keys.
    case readwhilewriting
    /// Item layer: PutItem --num items (10 per partition) in random order into a fresh table.
    case putitem
    /// Item layer: GetItem --reads random existing items (every attribute read).
    case getitem
    /// Item layer: --reads / 10 Queries of a random partition, reading its 10 items.
    case queryitem
    /// Item layer: PutItem --sync-num random items, each durable before the call returns
    /// (--threads writers).
    case putitemsync
    /// Item layer: load --num items with BatchWriteItem, 25 items per call (SQLite: one
    /// transaction of 25 inserts); ops are items.
    case batchwriteitem
    /// Item layer: --reads / 10 transfers, each a transaction over 2 to 10 random items: the
    /// first loses k-1 units if it has them (a condition), the others gain one each.
    case transactitem
    /// Item layer: PutItem --num items in random order into a fresh table with Time to Live
    /// on (SQLite: an `expires` column with an index); each item expires an hour after its
    /// write (1,000 writes a second), so expiries grow with writing time.
    case ttlputitem
    /// Item layer: after loading as ttlputitem, the clock moves past every expiry and one
    /// expiry pass deletes all --num items (Cairn: one TTL sweep; SQLite: `DELETE ... WHERE
    /// expires < now`, 1,000 rows per transaction); ops are deletions, one latency per pass.
    case ttlexpire
    /// Item layer: as putitem, into a fresh table with a KEYS_ONLY change stream (SQLite: an
    /// AFTER INSERT trigger writing the item's key into a change table).
    case putitemkeysonly
    /// Item layer: as putitem, into a fresh table with a NEW_AND_OLD_IMAGES change stream
    /// (SQLite: the put as an upsert, with AFTER INSERT and AFTER UPDATE triggers writing the
    /// key, the new values and the old ones into a change table).
    case putitemnewold
    /// Item layer, Cairn only: PutItem --num items at 10,000 a second into a fresh table with a
    /// NEW_AND_OLD_IMAGES stream while one consumer follows `changes(of:from: .latest)`; ops are
    /// records delivered, latencies are from each PutItem's call to the consumer receiving its
    /// record (the commit is inside the call).
    case streamlatency
    /// Item layer: putitemgsi1's items (putitem's, in the same order, plus g1) into a fresh
    /// table with NO secondary index: the base write the index puts compare with, so the only
    /// difference from putitemgsi1 is the index (SQLite: the same table with column g1 and no
    /// index).
    case putitemgsi0
    /// Item layer: as putitem, into a fresh table with one EVENTUAL global secondary index
    /// (HASH g1, RANGE sk, projection ALL); items also carry g1. The timed run ends with
    /// `catchUpIndexes()`, so it covers making the index complete (SQLite: a g1 column and
    /// an index on (g1, sk), written by the INSERT itself).
    case putitemgsi1
    /// As putitemgsi1 with three EVENTUAL global indexes (index i on g_i, sk; items carry g1...g3).
    case putitemgsi3
    /// As putitemgsi1 with five EVENTUAL global indexes (items carry g1...g5).
    case putitemgsi5
    /// As putitemgsi1 with the index STRONG (written in the item's own batch).
    case putitemsgsi1
    /// As putitemgsi3 with the indexes STRONG.
    case putitemsgsi3
    /// As putitemgsi5 with the indexes STRONG.
    case putitemsgsi5
    /// As putitemgsi1 with one local secondary index instead (HASH pk, RANGE g1, projection
    /// ALL; SQLite: an index on (pk, g1)).
    case putitemlsi1
    /// Item layer: --reads / 10 Queries of putitemgsi1's EVENTUAL global index (after
    /// catchUpIndexes, flushed and compacted) for a random g1 value; g1 is a one-to-one
    /// function of the table partition, so each returns the same 10 items as queryitem's
    /// Query of that partition (SQLite: the same SELECT through its index on (g1, sk)).
    case queryindex
    /// Item layer, Cairn only: one writer puts --num items at 10,000 a second into a fresh
    /// table with one EVENTUAL global index (on g1, unique per item, KEYS_ONLY) while a
    /// checker Queries the index for each item in commit order until it shows; latencies are
    /// from each PutItem's return to the index showing the item.
    case gsilag
    /// As gsilag with the writer unpaced (as fast as it can); its rate is in the note.
    case gsilagmax
    /// Item layer, Cairn only (issue 17): putitem's --num items loaded untimed into a fresh
    /// table, flushed and compacted; then, timed, a full Scan of the table (paged with
    /// ExclusiveStartKey) and `TableExport.export` of it as Parquet (ZSTD). Ops are items
    /// exported, ops/s items per export second; the note has the export / Scan time ratio.
    case exportparquet
    /// Cairn only (issue 17): --num rows of six columns written by CairnExport's
    /// `ParquetFileWriter` (ZSTD) against pyarrow's `pq.write_table` on the same rows
    /// (Benchmarks/Scripts/pyarrow_write.py, which also reads Cairn's file back); ops are rows.
    case parquetwrite
    /// Cairn only (issue 17): change-capture lag. One writer makes --num puts at 10,000 a
    /// second (every tenth updates an earlier item) into a table with a KEYS_ONLY
    /// stream, while a `TableReplicator` commits a Delta version every second; latency is each
    /// change's commit in the table to the end of the Delta commit that holds it.
    case replicatelag

    /// Runs on the item layer (engines with an item adapter: cairn, sqlite).
    var isItemWorkload: Bool {
        switch self {
        case .putitem, .getitem, .queryitem, .putitemsync, .batchwriteitem, .transactitem, .ttlputitem, .ttlexpire,
             .putitemkeysonly, .putitemnewold, .streamlatency, .putitemgsi0, .putitemgsi1, .putitemgsi3, .putitemgsi5,
             .putitemsgsi1, .putitemsgsi3, .putitemsgsi5, .putitemlsi1, .queryindex, .gsilag, .gsilagmax,
             .exportparquet, .parquetwrite, .replicatelag:
            return true
        default: return false
        }
    }

    /// Writes into a database of its own (fresh directory).
    var isFreshFill: Bool { self == .fillseq || self == .fillsync }
    /// Needs the filled, compacted read database.
    var readsFilledDatabase: Bool {
        switch self {
        case .readrandom, .readmissing, .seekrandom, .readseq, .readwhilewriting: return true
        default: return false
        }
    }
    /// Writes data (write amplification is reported).
    var writes: Bool {
        self == .fillseq || self == .fillrandom || self == .overwrite || self == .fillsync || self == .putitem
            || self == .putitemsync || self == .batchwriteitem || self == .transactitem || self == .ttlputitem
            || self == .ttlexpire || self == .putitemkeysonly || self == .putitemnewold || self == .streamlatency
            || indexLayout != nil || self == .gsilag || self == .gsilagmax
    }

    /// The secondary indexes of an index put workload's table, and the index attributes its
    /// items carry (nil for the others).
    var indexLayout: BenchIndexLayout? {
        switch self {
        case .putitemgsi0: return BenchIndexLayout(kind: .unindexed, count: 1)
        case .putitemgsi1: return BenchIndexLayout(kind: .global(.eventual), count: 1)
        case .putitemgsi3: return BenchIndexLayout(kind: .global(.eventual), count: 3)
        case .putitemgsi5: return BenchIndexLayout(kind: .global(.eventual), count: 5)
        case .putitemsgsi1: return BenchIndexLayout(kind: .global(.strong), count: 1)
        case .putitemsgsi3: return BenchIndexLayout(kind: .global(.strong), count: 3)
        case .putitemsgsi5: return BenchIndexLayout(kind: .global(.strong), count: 5)
        case .putitemlsi1: return BenchIndexLayout(kind: .local, count: 1)
        default: return nil
        }
    }
}

/// The figures of one workload on one engine.
struct WorkloadResult: Codable, Sendable {
    var workload: Workload
    var engine: String
    /// Operations timed (for readseq: entries read; for seekrandom: seeks).
    var operations: Int
    var threads: Int
    var seconds: Double
    var opsPerSecond: Double
    /// Mean latency of one operation, in microseconds.
    var microsPerOp: Double
    var p50Micros: Double
    var p99Micros: Double
    var p999Micros: Double
    /// The slowest operation, and the share of the total time spent in operations slower
    /// than 1 ms (stalls: memtable switches, write slowdowns).
    var maxMicros: Double?
    var secondsInOpsOver1ms: Double?
    /// Logical key+value bytes moved per second (written or read), in MB (10^6 bytes).
    var megabytesPerSecond: Double
    /// Bytes the process sent to storage during the workload (/proc/self/io write_bytes),
    /// background flushes and compactions included.
    var storageBytesWritten: UInt64
    /// Key+value bytes the workload wrote.
    var logicalBytesWritten: UInt64
    /// storageBytesWritten / logicalBytesWritten for writing workloads.
    var writeAmplification: Double?
    /// Size of the database directory after the workload.
    var sizeOnDisk: UInt64
    /// Highest resident size of the process during the workload (VmHWM), and the resident
    /// size when it began; the difference is what the engine added.
    var peakResidentBytes: UInt64?
    var residentBytesAtStart: UInt64?
    /// Lookups that found their key (read workloads).
    var found: Int?
    /// Anything else worth knowing (the writer's rate in readwhilewriting).
    var note: String?
}
