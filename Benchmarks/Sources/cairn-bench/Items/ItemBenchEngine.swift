import Dispatch
import Synchronization

/// One item of the item workloads, the same for every engine: item `i` lives in partition
/// `i / 10` with sort key `i % 10`, so each partition holds 10 items (a Query returns 10).
///
/// Attributes: `pk` (S, "user" + 12 digits), `sk` (N), `name` (S, about 20 bytes), `count`
/// (N), `payload` (B, --value-size bytes that compress to about half).
struct BenchItem {
    static let itemsPerPartition = 10

    let index: UInt64
    var partition: UInt64 { index / UInt64(Self.itemsPerPartition) }
    var sort: Int64 { Int64(index % UInt64(Self.itemsPerPartition)) }

    /// The partition key text of partition `p`.
    static func partitionKey(_ p: UInt64) -> String {
        let digits = String(p)
        return "user" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }

    var partitionKey: String { Self.partitionKey(partition) }
    var name: String { "name-\(index)-" + String(repeating: "x", count: 8) }

    /// Multipliers of the index attributes' one-to-one scrambles (each prime to 10).
    private static let indexMultipliers: [UInt64] = [2_654_435_761, 2_246_822_519, 3_266_489_917, 668_265_263, 374_761_393]

    /// The value (12 bytes: "g" + n + 10 digits) of index attribute `g<n>` (n in 1...5) for
    /// partition `p`: a one-to-one scramble of the partition number, different for each n, so
    /// every index partition holds exactly one table partition's 10 items (sort keys 0-9) and
    /// the index partitions lie in another order than the table's.
    static func indexValue(_ n: Int, partition p: UInt64) -> String {
        indexText(n, scramble(p, indexMultipliers[n - 1], plus: UInt64(n)))
    }

    /// The value of `g<n>` of this item (its partition's).
    func indexValue(_ n: Int) -> String { Self.indexValue(n, partition: partition) }

    /// gsilag's g1: a one-to-one scramble of the item index, so unique per item.
    var uniqueIndexValue: String { Self.indexText(1, Self.scramble(index, Self.indexMultipliers[0], plus: 7)) }

    /// (x × m + c) mod 10^10: one-to-one on 0..<10^10 because m is prime to 10.
    private static func scramble(_ x: UInt64, _ m: UInt64, plus c: UInt64) -> UInt64 {
        let modulus: UInt64 = 10_000_000_000
        let product = (x % modulus).multipliedFullWidth(by: m)
        return (modulus.dividingFullWidth(product).remainder + c) % modulus
    }

    private static func indexText(_ n: Int, _ value: UInt64) -> String {
        let digits = String(value)
        return "g\(n)" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    }
}

/// The secondary indexes of an index workload's table. Items carry `g1` ... `g<count>`
/// (`BenchItem.indexValue`), the attributes the indexes are keyed on (with `.unindexed`, the
/// attributes alone: the same items into a table with no index).
struct BenchIndexLayout: Sendable, Equatable {
    enum Consistency: Sendable, Equatable {
        /// Cairn: kept by the background index updater from the table's index log.
        case eventual
        /// Cairn: written in the item's own batch.
        case strong
    }

    enum Kind: Sendable, Equatable {
        /// Global index i (1...count): HASH g_i, RANGE sk (SQLite: an index on (g_i, sk)).
        case global(Consistency)
        /// One local index: HASH pk, RANGE g1 (SQLite: an index on (pk, g1)); count is 1.
        case local
        /// No index: items carry g1...g<count> all the same (SQLite: the columns, no index).
        case unindexed
    }

    var kind: Kind
    /// Indexes (none for `.unindexed`), and index attributes each item carries.
    var count: Int
    /// Projection KEYS_ONLY instead of ALL (Cairn; SQLite's indexes hold their key columns
    /// and the table's key either way).
    var keysOnly = false
    /// g1 is unique per item (`BenchItem.uniqueIndexValue`) instead of per partition (gsilag).
    var uniqueG1 = false

    /// Whether some index is kept in the background (and `catchUpIndexes` has work).
    var isEventual: Bool { kind == .global(.eventual) }

    /// Bytes an item's index attributes add: names (2) and values (12).
    var attributeBytes: Int { count * (2 + 12) }

    /// The value of `g<n>` of `item` in this layout.
    func value(_ n: Int, of item: BenchItem) -> String {
        n == 1 && uniqueG1 ? item.uniqueIndexValue : item.indexValue(n)
    }

    /// gsilag's table: one EVENTUAL global index on a unique g1, KEYS_ONLY.
    static let lag = BenchIndexLayout(kind: .global(.eventual), count: 1, keysOnly: true, uniqueG1: true)

    /// A description for the engines' notes.
    var summary: String {
        switch kind {
        case .local: return "1 LSI (pk, g1), projection \(keysOnly ? "KEYS_ONLY" : "ALL")"
        case .unindexed: return "no index, items carry \((1...count).map { "g\($0)" }.joined(separator: ", "))"
        case .global(let c):
            return "\(count) \(c == .eventual ? "EVENTUAL" : "STRONG") GSI(s) (g_i, sk), projection \(keysOnly ? "KEYS_ONLY" : "ALL")"
        }
    }
}

/// An engine that stores items in a table keyed by (partition key, sort key). Calls may come
/// from several threads at once.
protocol ItemBenchEngine: AnyObject, Sendable {
    /// Short name used on the command line and in reports (`cairn`, `sqlite`).
    static var name: String { get }
    /// Opens (creating) a fresh database in `directory` holding one empty table; with
    /// `indexes`, the table has those secondary indexes and every put writes the items' index
    /// attributes too.
    init(directory: String, options: EngineOptions, indexes: BenchIndexLayout?) throws
    /// What the engine applied (table layout, durability), for the report.
    var settings: [String] { get }
    /// Writes one item, replacing any with its key (durably when `options.syncWrites`).
    func putItem(_ item: BenchItem, payload: UnsafeRawBufferPointer) throws
    /// Writes `items` (at most 25, distinct keys) in one batch: BatchWriteItem, or one SQLite
    /// transaction; `payload(i)` is item `i`'s payload.
    func putItems(_ items: [BenchItem], payload: (Int) -> [UInt8]) throws
    /// Moves `items.count - 1` units of `count` from the first item to each of the others (one
    /// unit each), all or nothing, only if the first has them; returns whether it committed.
    func transfer(_ items: [BenchItem]) throws -> Bool
    /// Reads one item by key, every attribute; returns whether it exists.
    func getItem(partition: UInt64, sort: Int64) throws -> Bool
    /// Reads every item of one partition in sort-key order; returns how many.
    func query(partition: UInt64) throws -> Int
    /// Turns expiry on for the table (before any write): Cairn's Time to Live on attribute
    /// `expires`; SQLite an `expires` column with an index on it.
    func enableTimeToLive() throws
    /// `putItem` with an `expires` attribute (seconds since 1970).
    func putItem(_ item: BenchItem, payload: UnsafeRawBufferPointer, expires: Int64) throws
    /// Deletes every item whose `expires` is before `now`; returns how many it deleted.
    func expire(now: Int64) throws -> Int
    /// Turns a change stream on for the table (before any write): Cairn's StreamSpecification
    /// with `view`; SQLite a change table that triggers on `items` fill, one row per put.
    func enableStream(_ view: BenchStreamView) throws
    /// Starts one consumer of the table's change stream (enabled before) at its latest
    /// position. It calls `delivered` with the item index of each record as it receives it and
    /// ends after `records` records. Nil when the engine has no stream a consumer can follow
    /// (SQLite's change table can only be polled).
    func followChanges(records: Int, delivered: @escaping @Sendable (UInt64) -> Void) throws -> ChangeFollower?
    /// Returns when every index reflects every write acknowledged before the call (Cairn:
    /// `catchUpIndexes()`; SQLite: at once, its indexes are written by each statement).
    func catchUpIndexes() throws
    /// Reads every item of the index partition `g1 = indexValue(1, partition)` through the
    /// table's first index (Query with IndexName; SQLite: SELECT through its index), in
    /// index sort-key order; returns how many.
    func queryIndex(partition: UInt64) throws -> Int
    /// Whether the first index shows `item` yet (one Query with IndexName on its g1 value).
    func indexShows(_ item: BenchItem) throws -> Bool
    /// Whether the engine has indexes kept in the background, whose lag gsilag measures
    /// (SQLite's are written by each statement: gsilag is not applicable).
    static var hasEventualIndexes: Bool { get }
    /// Makes the data durable and compact (untimed, before read workloads).
    func flushAndCompact() throws
    /// Whether the engine exports tables as Parquet (Cairn's CairnExport), which exportparquet
    /// and parquetwrite measure; they are not applicable to the others (default: false).
    static var hasParquetExport: Bool { get }
    /// Reads the whole table with Scan requests through the item API, following
    /// LastEvaluatedKey with ExclusiveStartKey until the last page; returns the items and pages.
    func scanAll() throws -> (items: Int, pages: Int)
    /// Exports the whole table as Parquet into `directory` (empty or absent), on `threads`
    /// threads (nil: the exporter's default, one per core).
    func exportParquet(to directory: String, threads: Int?) throws -> BenchExportSummary
    /// A Delta Lake replicator of the table into `directory` (CairnExport's TableReplicator):
    /// each call of the closure is one step (nil when there was nothing to commit).
    func makeReplicator(directory: String) throws -> BenchReplicator
    /// Closes the database.
    func close() throws
}

/// One step of a table replicator, and its end.
struct BenchReplicator {
    var step: () throws -> BenchReplicationStep?
    var close: () -> Void
}

/// What a replication step committed.
struct BenchReplicationStep {
    var changes: Int
    var rowsWritten: Int
    var filesAdded: Int
    var filesRemoved: Int
    var filesMerged: Int
    /// Each applied change's commit time in the table (seconds since 1970, ms resolution).
    var changeTimes: [Double]
}

/// What a table export wrote (exportparquet).
struct BenchExportSummary {
    var items: Int
    var files: Int
    var bytes: Int64
    /// The columns and their types, for the report.
    var columns: String
}

extension ItemBenchEngine {
    static var hasParquetExport: Bool { false }

    func scanAll() throws -> (items: Int, pages: Int) {
        throw BenchError("\(Self.name): no full-table Scan in this adapter")
    }

    func exportParquet(to directory: String, threads: Int?) throws -> BenchExportSummary {
        throw BenchError("\(Self.name): no Parquet export")
    }

    func makeReplicator(directory: String) throws -> BenchReplicator {
        throw BenchError("\(Self.name): no Delta Lake replication")
    }
}

/// What each change record holds in the stream workloads.
enum BenchStreamView: Sendable {
    /// The item's key (Cairn KEYS_ONLY).
    case keysOnly
    /// The key, the item after the put and the item before it (Cairn NEW_AND_OLD_IMAGES).
    case newAndOldImages
}

/// A change-stream consumer running as a task (`ItemBenchEngine.followChanges`).
final class ChangeFollower: Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let outcome = Mutex<Result<Int, any Error>?>(nil)
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Runs `consume` (which returns how many records it received) in a task of its own.
    init(_ consume: @escaping @Sendable () async throws -> Int) {
        let started = Task { [self] in
            let result: Result<Int, any Error>
            do { result = .success(try await consume()) } catch { result = .failure(error) }
            self.outcome.withLock { $0 = result }
            self.finished.signal()
        }
        task.withLock { $0 = started }
    }

    /// Waits up to `seconds` for the consumer to end; if it has not, cancels it and waits for
    /// it to stop. Returns what it received, or throws its error.
    func finish(within seconds: Double) throws -> (records: Int, timedOut: Bool) {
        var timedOut = false
        if finished.wait(timeout: .now() + seconds) == .timedOut {
            timedOut = true
            task.withLock { $0?.cancel() }
            guard finished.wait(timeout: .now() + 30) == .success else {
                throw BenchError("change consumer did not stop within 30 s of its cancellation")
            }
        }
        guard let result = outcome.withLock({ $0 }) else { throw BenchError("change consumer ended without a result") }
        return (try result.get(), timedOut)
    }

    /// Stops the consumer (after a failed write) and waits for it.
    func cancel() {
        task.withLock { $0?.cancel() }
        _ = finished.wait(timeout: .now() + 30)
    }
}

/// The engines that have an item adapter.
enum ItemEngineRegistry {
    static let all: [any ItemBenchEngine.Type] = [CairnItemEngine.self, SQLiteItemEngine.self]

    /// The item engine whose `name` is `name`, or nil.
    static func named(_ name: String) -> (any ItemBenchEngine.Type)? {
        all.first { $0.name == name }
    }
}
