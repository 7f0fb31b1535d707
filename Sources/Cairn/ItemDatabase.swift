import CairnLSM
import Foundation

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

        /// Default options: durable writes on the POSIX file system.
        public init() {}
    }

    /// The default database directory of the `cairn` tool.
    public static let defaultPath = "./cairn-data"

    let lsm: Database
    let catalog: Catalog
    let locks = ItemLocks()
    let options: Options

    /// Opens (creating if needed) the item database in directory `path`.
    ///
    /// - Throws: `CairnError` if the directory cannot be opened, holds a plain key-value
    ///   database, or is damaged.
    public static func open(_ path: String = defaultPath, options: Options = Options()) throws -> ItemDatabase {
        let lsm = try Database.open(path, options: options.storage)
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
    }

    /// The directory the database lives in.
    public var path: String { lsm.path }

    /// The storage engine underneath (statistics, `verify()`, manual compaction).
    public var storage: Database { lsm }

    /// Flushes and closes the database; later calls fail with `CairnError.closed`.
    public func close() throws {
        try lsm.close()
    }

    /// Reads the item stored under `key` (as of `snapshot`, default now).
    func readItem(_ key: [UInt8], snapshot: Snapshot? = nil) throws -> Item? {
        guard let bytes = try lsm.get(key, snapshot: snapshot) else { return nil }
        return try ItemCodec.decode(bytes)
    }

    /// Runs `body` holding the item's stripe lock, after checking that `definition` is still
    /// its table's live definition (so a write never lands in a deleted table).
    func withItemLock<R>(_ definition: TableDefinition, _ key: [UInt8], _ body: () throws -> R) throws -> R {
        try locks.withLock(key) {
            guard catalog.isCurrent(definition) else { throw DynamoDBError.resourceNotFound() }
            return try body()
        }
    }
}
