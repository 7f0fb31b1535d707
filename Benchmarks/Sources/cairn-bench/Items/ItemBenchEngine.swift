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
}

/// An engine that stores items in a table keyed by (partition key, sort key). Calls may come
/// from several threads at once.
protocol ItemBenchEngine: AnyObject, Sendable {
    /// Short name used on the command line and in reports (`cairn`, `sqlite`).
    static var name: String { get }
    /// Opens (creating) a fresh database in `directory` holding one empty table.
    init(directory: String, options: EngineOptions) throws
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
    /// Makes the data durable and compact (untimed, before read workloads).
    func flushAndCompact() throws
    /// Closes the database.
    func close() throws
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
