import CairnLSM
import Foundation
import Synchronization

/// A Cairn database of DynamoDB-style tables, stored in one CairnLSM database directory.
///
/// Every DynamoDB operation Cairn supports is a method taking that operation's request shape
/// and returning its response shape (`putItem(_:)`, `query(_:)`, ...); the shapes are
/// `Codable` in DynamoDB's JSON form. `table(_:)` returns a handle with a shorter, typed API.
/// All methods are thread-safe and may be called from any thread or task.
///
/// Methods throw `DynamoDBError` for everything DynamoDB would answer with an exception
/// (validation, missing tables, failed conditions), and `CairnError` when storage fails
/// (I/O errors, corruption).
public final class ItemDatabase: Sendable {
    /// Settings for opening an item database.
    public struct Options: Sendable {
        /// The storage engine's options (file system, memtable size, cache, compression...).
        public var storage: CairnLSM.Options = CairnLSM.Options()
        /// Each write is durable (fdatasync, shared by concurrent writers through group commit)
        /// before it is acknowledged. With false, a crash of the machine (not of the process)
        /// can lose the most recent acknowledged writes.
        public var syncWrites: Bool = true
        /// Seconds between the Time to Live sweeper's passes, so an expired item is deleted
        /// within about this long (plus the pass itself). 0 starts no sweeper (tests run
        /// passes themselves).
        public var timeToLiveSweepInterval: Double = 10
        /// Open the database read-only (`Database.openReadOnly`): the logs are replayed into
        /// memory, nothing is written (no TTL sweeper runs), and every write fails with
        /// `CairnError.notSupported`. For a full disk or a read-only copy.
        public var readOnly: Bool = false
        /// Lanes a new change stream spreads its records over, by partition key: each lane is
        /// one shard lineage (Docs/stream_format.md), so consumers can read lanes in parallel.
        public var streamLanes: UInt16 = 4
        /// Seconds a change-stream record is kept (DynamoDB's 24 hours). Trimming drops whole
        /// shards once their last record is older than this.
        public var streamRetention: Double = 24 * 3600
        /// A shard older than this (seconds) is closed and continued by a child shard
        /// (DynamoDB rolls shards over about every four hours).
        public var streamShardMaxAge: Double = 4 * 3600
        /// A shard that took this many bytes of records is closed and continued by a child.
        public var streamShardMaxBytes: Int = 32 << 20
        /// Seconds between the index updater's passes when no write wakes it (each write that
        /// logs an index change wakes it at once). 0 starts no updater: eventually consistent
        /// indexes then change only in `runIndexUpkeep()` / `catchUpIndexes()` (tests).
        public var indexUpdateInterval: Double = 1
        /// Seconds the index updater waits after a write wakes it, so one pass applies the
        /// writes of that moment together (a pass per write would cost each write a second
        /// batch and two thread switches). The lag of eventual indexes is about this long.
        public var indexUpdateDelay: Double = 0.010
        /// The most bytes of items (and their local-index entries) one partition key may hold
        /// in a table with local secondary indexes: DynamoDB's item-collection limit, 10 GB.
        public var itemCollectionSizeLimit: Int64 = 10 * 1024 * 1024 * 1024
        /// The clock TTL and ClientRequestToken windows read, in seconds since 1970.
        public var clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }

        /// Default options: durable writes on the POSIX file system.
        public init() {}
    }

    /// The default database directory of the `cairn` tool.
    public static let defaultPath = "./cairn-data"

    let lsm: Database
    let catalog: Catalog
    let locks = ItemLocks()
    let options: Options
    /// The background deleter of expired items (nil when `timeToLiveSweepInterval` is 0).
    let timeToLiveSweeper: PeriodicWorker?
    /// The background applier of index logs and backfills (nil when read-only).
    let indexUpdater: PeriodicWorker?
    /// The index updater's state; held for each of its passes, so passes are serial.
    let indexUpkeep = CairnMutex(IndexUpkeepState())
    /// Item-collection sizes of tables with local indexes.
    let itemCollections = ItemCollectionSizes()
    let timeToLiveDeletionCounter = Atomic<Int>(0)
    /// Expiry-index entries the sweeper has resolved (read the item of) since open.
    let expiryEntriesResolvedCounter = Atomic<Int>(0)
    /// The last order number given to an expiry-index entry (`ExpiryIndex`).
    let expiryOrder = Atomic<UInt64>(UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000)))
    /// Bytes of stream records written to each lane's open shard since open or its last
    /// rollover, by `StreamKeys.laneID`, for size-based rollover.
    let streamLaneBytes = CairnMutex<[UInt64: Int]>([:])
    /// Wakes change-stream readers after item writes commit (`ChangeStream`).
    let streamSignal = StreamSignal()

    /// Opens (creating if needed) the item database in directory `path`.
    ///
    /// - Throws: `CairnError` if the directory cannot be opened, holds a plain key-value
    ///   database, or is damaged.
    public static func open(_ path: String = defaultPath, options: Options = Options()) throws -> ItemDatabase {
        let lsm = options.readOnly
            ? try Database.openReadOnly(path, options: options.storage)
            : try Database.open(path, options: options.storage)
        do {
            return ItemDatabase(lsm: lsm, catalog: try Catalog(lsm: lsm), options: options)
        } catch {
            try? lsm.close()
            throw error
        }
    }

    private init(lsm: Database, catalog: Catalog, options: Options) {
        self.lsm = lsm
        self.catalog = catalog
        self.options = options
        let box = WeakDatabase()
        timeToLiveSweeper = options.timeToLiveSweepInterval > 0 && !options.readOnly
            ? PeriodicWorker(name: "cairn-ttl-sweeper", interval: options.timeToLiveSweepInterval) {
                guard let db = box.database else { return false }
                // A failed pass (an I/O error) is retried at the next one.
                _ = try? db.sweepExpiredItems()
                try? db.maintainStreams()
                return true
            }
            : nil
        indexUpdater = options.readOnly || options.indexUpdateInterval <= 0 ? nil : PeriodicWorker(
            name: "cairn-index-updater", interval: options.indexUpdateInterval, coalesce: options.indexUpdateDelay
        ) {
            guard let db = box.database else { return false }
            // A failed pass (an I/O error) is retried at the next one; a pass that left
            // backfill work runs again at once.
            if (try? db.runIndexUpkeep()) == true { db.indexUpdater?.wake() }
            return true
        }
        box.database = self
        // Index-log records left by an earlier process are applied at once.
        if catalog.hasLogMaintainedIndexes { indexUpdater?.wake() }
    }

    /// The directory the database lives in.
    public var path: String { lsm.path }

    /// The storage engine underneath (statistics, `verify()`, manual compaction).
    public var storage: Database { lsm }

    /// Stops the background threads, applies pending index-log records to their eventually
    /// consistent indexes (one updater pass), flushes and closes the database; later calls fail
    /// with `CairnError.closed`.
    public func close() throws {
        streamSignal.close()
        timeToLiveSweeper?.stop()
        indexUpdater?.stop()
        // The index updater's last pass: writes just made reach their eventual indexes before
        // the process goes (a one-shot `cairn put-item` would otherwise leave them to the next
        // process that lives long enough), and a backfill takes one more step.
        var failure: Error?
        if indexUpdater != nil && catalog.hasLogMaintainedIndexes {
            do { try runIndexUpkeep() } catch { failure = error }
        }
        try lsm.close()
        if let failure { throw failure }
    }

    /// Seconds since 1970, by `Options.clock`.
    func currentTime() -> Double { options.clock() }

    /// The database's clock (`Options.clock`): the time stream records and TTL go by.
    public var now: Date { Date(timeIntervalSince1970: options.clock()) }

    /// Reads the item stored under `key` (as of `snapshot`, default now).
    func readItem(_ key: [UInt8], snapshot: Snapshot? = nil) throws -> Item? {
        guard let bytes = try lsm.get(key, snapshot: snapshot) else { return nil }
        return try ItemCodec.decode(bytes)
    }

    /// Runs `body` holding the item's stripe lock, after checking that `definition` is still
    /// its table's live definition (so a write never lands in a deleted table); `body` gets
    /// the live definition, whose TTL setting the write must follow (`ExpiryIndex`).
    func withItemLock<R>(_ definition: TableDefinition, _ key: [UInt8], _ body: (TableDefinition) throws -> R) throws -> R {
        try locks.withLock(key) {
            guard let live = catalog.live(definition) else { throw DynamoDBError.resourceNotFound() }
            return try body(live)
        }
    }
}

/// A weak reference to the database for its sweeper thread, so the thread never keeps a
/// database alive that its owner dropped without closing.
private final class WeakDatabase: Sendable {
    private struct Reference { weak var database: ItemDatabase? }
    private let reference = CairnMutex(Reference())

    /// The database, while it lives.
    var database: ItemDatabase? {
        get { reference.withLock { $0.database } }
        set { reference.withLock { $0.database = newValue } }
    }
}
