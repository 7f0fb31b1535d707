import CSQLite3
import Foundation
import Synchronization

/// SQLite with the equivalent table: `items(pk TEXT, sk INTEGER, name TEXT, count INTEGER,
/// payload BLOB, PRIMARY KEY(pk, sk)) WITHOUT ROWID` in WAL mode, clustered on the key as
/// Cairn's items are. Each put is one autocommit `INSERT OR REPLACE`, a get reads every
/// column of one row, a query reads every column of one partition's rows in `sk` order.
/// Durability as in `SQLiteEngine`: synchronous=FULL when writes must be durable, NORMAL
/// (no fsync per commit in WAL mode) otherwise. One connection per thread.
final class SQLiteItemEngine: ItemBenchEngine, @unchecked Sendable {
    static let name = "sqlite"

    let settings: [String]
    private let path: String
    private let synchronous: String
    private let cacheKiB: Int
    private let connections: PerThread<SQLiteItemConnection>
    private let closed = Atomic<Bool>(false)
    /// Puts go through the upsert (a NEW_AND_OLD_IMAGES change table, whose AFTER UPDATE
    /// trigger needs an UPDATE to see the old row); set by `enableStream` before any write.
    private let upsertPuts = Atomic<Bool>(false)
    /// The table's index columns and indexes (index workloads).
    private let indexes: BenchIndexLayout?

    static let hasEventualIndexes = false

    init(directory: String, options: EngineOptions, indexes: BenchIndexLayout?) throws {
        try makeDirectory(directory)
        path = directory + "/items.db"
        synchronous = options.syncWrites ? "FULL" : "NORMAL"
        cacheKiB = max(1, options.blockCacheBytes / 1024)
        connections = try PerThread()
        self.indexes = indexes
        try SQLiteConnection.createWALDatabase(path, schema: Self.schema(indexes))
        settings = [
            "sqlite \(String(cString: sqlite3_libversion())); items(pk TEXT, sk INTEGER, name TEXT, count INTEGER, payload BLOB, PRIMARY KEY(pk, sk)) WITHOUT ROWID",
            "journal_mode=WAL, synchronous=\(synchronous); cache_size \(formatBytes(cacheKiB * 1024)) per connection, one connection per thread",
            "put: autocommit INSERT OR REPLACE; get: SELECT every column by key; query: SELECT every column WHERE pk = ? ORDER BY sk; each row copied into Swift values (String, Int64, [UInt8]) as Cairn returns an Item",
            "batch: BEGIN IMMEDIATE, one INSERT OR REPLACE per item, COMMIT; transfer: BEGIN IMMEDIATE, SELECT the first item's count, ROLLBACK if short, else one UPDATE per item, COMMIT",
            "ttl: column expires INTEGER with CREATE INDEX on it; expire: DELETE FROM items WHERE (pk, sk) IN (SELECT pk, sk FROM items WHERE expires < ? LIMIT 1000) in autocommit transactions until none is left",
            "stream keys only: item_changes(seq INTEGER PRIMARY KEY, pk, sk) and AFTER INSERT ON items inserting (NEW.pk, NEW.sk): INSERT OR REPLACE fires it once per put, replacing or not (no delete trigger: recursive_triggers is off)",
            "stream new and old: item_changes(seq INTEGER PRIMARY KEY, pk, sk, new_name, new_count, new_payload, old_name, old_count, old_payload); the put is INSERT ... ON CONFLICT(pk, sk) DO UPDATE SET name, count, payload = excluded's, so exactly one of AFTER INSERT (new values, old NULL) and AFTER UPDATE (new values and OLD's) fires per put",
            "streamlatency: not applicable (SQLite has no change stream a consumer can wait on; its change table can only be polled)",
            "index workloads: the same table plus columns g1...g<n> TEXT and CREATE INDEX items_gsi<i> ON items(g_i, sk) per global index (items_lsi1 ON items(pk, g1) for the local one; putitemgsi0: the columns, no index), maintained by each INSERT OR REPLACE in its own transaction; queryindex: SELECT pk, sk, name, count, payload, g1 FROM items INDEXED BY items_gsi1 WHERE g1 = ? ORDER BY sk (each row's other columns read from the table through its key)",
            "gsilag, gsilagmax: not applicable (SQLite's indexes are written by the statement itself, never behind)",
        ]
    }

    /// The table (with index columns g1...g<n> and their indexes for an index layout; the
    /// columns alone for `.unindexed`).
    private static func schema(_ indexes: BenchIndexLayout?) -> String {
        guard let indexes else {
            return """
                CREATE TABLE IF NOT EXISTS items(pk TEXT NOT NULL, sk INTEGER NOT NULL, name TEXT, count INTEGER,
                payload BLOB, PRIMARY KEY(pk, sk)) WITHOUT ROWID
                """
        }
        let columns = (1...indexes.count).map { ", g\($0) TEXT" }.joined()
        var sql = """
            CREATE TABLE IF NOT EXISTS items(pk TEXT NOT NULL, sk INTEGER NOT NULL, name TEXT, count INTEGER,
            payload BLOB\(columns), PRIMARY KEY(pk, sk)) WITHOUT ROWID;
            """
        switch indexes.kind {
        case .local:
            sql += "CREATE INDEX items_lsi1 ON items(pk, g1);"
        case .global:
            for i in 1...indexes.count { sql += "CREATE INDEX items_gsi\(i) ON items(g\(i), sk);" }
        case .unindexed:
            break
        }
        return sql
    }

    deinit { release() }

    func putItem(_ item: BenchItem, payload: UnsafeRawBufferPointer) throws {
        if let indexes {
            try connection().put(item, payload, indexes: indexes)
        } else if upsertPuts.load(ordering: .relaxed) {
            try connection().upsert(item, payload)
        } else {
            try connection().put(item, payload)
        }
    }

    func getItem(partition: UInt64, sort: Int64) throws -> Bool {
        try connection().get(BenchItem.partitionKey(partition), sort)
    }

    func putItems(_ items: [BenchItem], payload: (Int) -> [UInt8]) throws {
        try connection().putBatch(items, payload)
    }

    func enableTimeToLive() throws {
        try checkOpen()
        let db = try SQLiteConnection.open(path, create: false)
        defer { sqlite3_close_v2(db) }
        try sqliteExec(db, "ALTER TABLE items ADD COLUMN expires INTEGER")
        try sqliteExec(db, "CREATE INDEX items_by_expiry ON items(expires)")
    }

    func enableStream(_ view: BenchStreamView) throws {
        try checkOpen()
        let db = try SQLiteConnection.open(path, create: false)
        defer { sqlite3_close_v2(db) }
        switch view {
        case .keysOnly:
            try sqliteExec(db, "CREATE TABLE item_changes(seq INTEGER PRIMARY KEY, pk TEXT NOT NULL, sk INTEGER NOT NULL)")
            try sqliteExec(db, """
                CREATE TRIGGER items_insert_change AFTER INSERT ON items BEGIN
                  INSERT INTO item_changes(pk, sk) VALUES(NEW.pk, NEW.sk);
                END
                """)
        case .newAndOldImages:
            try sqliteExec(db, """
                CREATE TABLE item_changes(seq INTEGER PRIMARY KEY, pk TEXT NOT NULL, sk INTEGER NOT NULL,
                new_name TEXT, new_count INTEGER, new_payload BLOB, old_name TEXT, old_count INTEGER, old_payload BLOB)
                """)
            try sqliteExec(db, """
                CREATE TRIGGER items_insert_change AFTER INSERT ON items BEGIN
                  INSERT INTO item_changes(pk, sk, new_name, new_count, new_payload)
                  VALUES(NEW.pk, NEW.sk, NEW.name, NEW.count, NEW.payload);
                END
                """)
            try sqliteExec(db, """
                CREATE TRIGGER items_update_change AFTER UPDATE ON items BEGIN
                  INSERT INTO item_changes(pk, sk, new_name, new_count, new_payload, old_name, old_count, old_payload)
                  VALUES(NEW.pk, NEW.sk, NEW.name, NEW.count, NEW.payload, OLD.name, OLD.count, OLD.payload);
                END
                """)
            upsertPuts.store(true, ordering: .relaxed)
        }
    }

    func followChanges(records: Int, delivered: @escaping @Sendable (UInt64) -> Void) throws -> ChangeFollower? {
        nil
    }

    func putItem(_ item: BenchItem, payload: UnsafeRawBufferPointer, expires: Int64) throws {
        try connection().put(item, payload, expires: expires)
    }

    func expire(now: Int64) throws -> Int {
        try connection().expire(now: now)
    }

    func transfer(_ items: [BenchItem]) throws -> Bool {
        try connection().transfer(items)
    }

    func query(partition: UInt64) throws -> Int {
        try connection().query(BenchItem.partitionKey(partition))
    }

    func catchUpIndexes() throws { try checkOpen() }

    func queryIndex(partition: UInt64) throws -> Int {
        try connection().queryIndex(BenchItem.indexValue(1, partition: partition))
    }

    func indexShows(_ item: BenchItem) throws -> Bool {
        guard let indexes else { throw BenchError("sqlite: indexShows on a table without indexes") }
        return try connection().queryIndex(indexes.value(1, of: item)) > 0
    }

    func flushAndCompact() throws {
        try checkOpen()
        let db = try SQLiteConnection.open(path, create: false)
        defer { sqlite3_close_v2(db) }
        _ = try sqliteQueryText(db, "PRAGMA wal_checkpoint(TRUNCATE)")
    }

    func close() throws { release() }

    private func release() {
        guard closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        connections.closeAll()
    }

    private func checkOpen() throws {
        if closed.load(ordering: .acquiring) { throw BenchError("sqlite: database is closed") }
    }

    private func connection() throws -> SQLiteItemConnection {
        try checkOpen()
        return try connections.context {
            try SQLiteItemConnection(path: path, synchronous: synchronous, cacheKiB: cacheKiB)
        }
    }
}

/// One thread's connection to the items database with its prepared statements.
final class SQLiteItemConnection: ThreadConfined, @unchecked Sendable {
    private let db: OpaquePointer
    private let statements: [OpaquePointer]
    /// Keeps the copied rows observable so the copies are not optimized away.
    private(set) var sink = 0

    init(path: String, synchronous: String, cacheKiB: Int) throws {
        (db, statements) = try SQLiteConnection.open(path, synchronous: synchronous, cacheKiB: cacheKiB, statements: [
            "INSERT OR REPLACE INTO items(pk, sk, name, count, payload) VALUES(?1, ?2, ?3, ?4, ?5)",
            "SELECT name, count, payload FROM items WHERE pk = ?1 AND sk = ?2",
            "SELECT sk, name, count, payload FROM items WHERE pk = ?1 ORDER BY sk",
            "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK",
            "SELECT count FROM items WHERE pk = ?1 AND sk = ?2",
            "UPDATE items SET count = count + ?3 WHERE pk = ?1 AND sk = ?2",
        ])
    }

    /// The statements of the TTL workloads, prepared on first use (other tables have no
    /// `expires` column): the insert with `expires`, and one 1,000-row expiry delete.
    private var expiryStatements: [OpaquePointer] = []

    func release() {
        for statement in statements + expiryStatements + Array(lazyStatements.values) { sqlite3_finalize(statement) }
        if let upsertStatement { sqlite3_finalize(upsertStatement) }
        sqlite3_close_v2(db)
    }

    /// Statements of the index workloads, prepared on first use (other tables lack their
    /// columns), by SQL text.
    private var lazyStatements: [String: OpaquePointer] = [:]

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = lazyStatements[sql] { return statement }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
              let statement
        else { throw sqliteError(db, "prepare \(sql)") }
        lazyStatements[sql] = statement
        return statement
    }

    /// The put of a table with index columns g1...g<n>: INSERT OR REPLACE of every column.
    private var indexedPutStatement: OpaquePointer?

    func put(_ item: BenchItem, _ payload: UnsafeRawBufferPointer, indexes: BenchIndexLayout) throws {
        if indexedPutStatement == nil {
            let columns = (1...indexes.count).map { ", g\($0)" }.joined()
            let parameters = (1...indexes.count).map { ", ?\(5 + $0)" }.joined()
            indexedPutStatement = try prepared(
                "INSERT OR REPLACE INTO items(pk, sk, name, count, payload\(columns)) VALUES(?1, ?2, ?3, ?4, ?5\(parameters))")
        }
        let statement = indexedPutStatement!
        defer { sqlite3_reset(statement) }
        try bindItem(item, payload, statement)
        for n in 1...indexes.count {
            try bindText(indexes.value(n, of: item), Int32(5 + n), statement)
        }
        guard sqlite3_step(statement) == SQLITE_DONE else { throw sqliteError(db, "put indexed item") }
    }

    /// Every column of the rows with g1 = `value`, through the index on (g1, sk), in sk order.
    func queryIndex(_ value: String) throws -> Int {
        let statement = try prepared("SELECT pk, sk, name, count, payload, g1 FROM items INDEXED BY items_gsi1 WHERE g1 = ?1 ORDER BY sk")
        defer { sqlite3_reset(statement) }
        try bindText(value, 1, statement)
        var rows = 0
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW:
                readColumns(statement, 6)
                rows += 1
            case SQLITE_DONE:
                return rows
            default:
                throw sqliteError(db, "query index")
            }
        }
    }

    private func expiryStatement(_ index: Int) throws -> OpaquePointer {
        if expiryStatements.isEmpty {
            for sql in [
                "INSERT OR REPLACE INTO items(pk, sk, name, count, payload, expires) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                "DELETE FROM items WHERE (pk, sk) IN (SELECT pk, sk FROM items WHERE expires < ?1 LIMIT 1000)",
            ] {
                var statement: OpaquePointer?
                guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
                    throw sqliteError(db, "prepare \(sql)")
                }
                expiryStatements.append(statement)
            }
        }
        return expiryStatements[index]
    }

    func put(_ item: BenchItem, _ payload: UnsafeRawBufferPointer, expires: Int64) throws {
        let statement = try expiryStatement(0)
        defer { sqlite3_reset(statement) }
        try bindItem(item, payload, statement)
        sqlite3_bind_int64(statement, 6, expires)
        guard sqlite3_step(statement) == SQLITE_DONE else { throw sqliteError(db, "put item with expiry") }
    }

    /// Deletes the expired rows 1,000 per autocommit transaction until none is left.
    func expire(now: Int64) throws -> Int {
        let statement = try expiryStatement(1)
        var deleted = 0
        while true {
            defer { sqlite3_reset(statement) }
            sqlite3_bind_int64(statement, 1, now)
            guard sqlite3_step(statement) == SQLITE_DONE else { throw sqliteError(db, "expire") }
            let changes = Int(sqlite3_changes(db))
            if changes == 0 { return deleted }
            deleted += changes
        }
    }

    /// The put of a table with a NEW_AND_OLD_IMAGES change table, prepared on first use: an
    /// upsert, so a put of an existing key is an UPDATE whose trigger sees the OLD row.
    private var upsertStatement: OpaquePointer?

    func upsert(_ item: BenchItem, _ payload: UnsafeRawBufferPointer) throws {
        if upsertStatement == nil {
            let sql = """
                INSERT INTO items(pk, sk, name, count, payload) VALUES(?1, ?2, ?3, ?4, ?5)
                ON CONFLICT(pk, sk) DO UPDATE SET name = excluded.name, count = excluded.count, payload = excluded.payload
                """
            guard sqlite3_prepare_v2(db, sql, -1, &upsertStatement, nil) == SQLITE_OK, upsertStatement != nil else {
                throw sqliteError(db, "prepare \(sql)")
            }
        }
        let statement = upsertStatement!
        defer { sqlite3_reset(statement) }
        try bindItem(item, payload, statement)
        guard sqlite3_step(statement) == SQLITE_DONE else { throw sqliteError(db, "upsert item") }
    }

    func put(_ item: BenchItem, _ payload: UnsafeRawBufferPointer) throws {
        let statement = statements[0]
        defer { sqlite3_reset(statement) }
        try bindItem(item, payload, statement)
        guard sqlite3_step(statement) == SQLITE_DONE else { throw sqliteError(db, "put item") }
    }

    /// Binds an item's five columns as parameters 1 to 5.
    private func bindItem(_ item: BenchItem, _ payload: UnsafeRawBufferPointer, _ statement: OpaquePointer) throws {
        try bindText(item.partitionKey, 1, statement)
        sqlite3_bind_int64(statement, 2, item.sort)
        try bindText(item.name, 3, statement)
        sqlite3_bind_int64(statement, 4, Int64(item.index))
        if let base = payload.baseAddress, payload.count > 0 {
            sqlite3_bind_blob64(statement, 5, base, sqlite3_uint64(payload.count), nil)
        } else {
            sqlite3_bind_zeroblob(statement, 5, 0)
        }
    }

    /// Runs one of the statements that return no rows (BEGIN, COMMIT, ROLLBACK).
    private func step(_ index: Int) throws {
        let statement = statements[index]
        defer { sqlite3_reset(statement) }
        guard sqlite3_step(statement) == SQLITE_DONE else { throw sqliteError(db, "statement \(index)") }
    }

    /// Inserts `items` in one transaction.
    func putBatch(_ items: [BenchItem], _ payload: (Int) -> [UInt8]) throws {
        try step(3)
        do {
            for (i, item) in items.enumerated() {
                try payload(i).withUnsafeBytes { try put(item, $0) }
            }
            try step(4)
        } catch {
            try? step(5)
            throw error
        }
    }

    /// The transfer of `SQLiteItemEngine.transfer` in one transaction: read the first item's
    /// count, roll back if it is short, else update every item.
    func transfer(_ items: [BenchItem]) throws -> Bool {
        try step(3)
        do {
            let units = Int64(items.count - 1)
            let read = statements[6]
            try bindText(items[0].partitionKey, 1, read)
            sqlite3_bind_int64(read, 2, items[0].sort)
            let rc = sqlite3_step(read)
            let count = rc == SQLITE_ROW ? sqlite3_column_int64(read, 0) : -1
            sqlite3_reset(read)
            guard rc == SQLITE_ROW || rc == SQLITE_DONE else { throw sqliteError(db, "transfer read") }
            guard count >= units else {
                try step(5)
                return false
            }
            let update = statements[7]
            for (i, item) in items.enumerated() {
                defer { sqlite3_reset(update) }
                try bindText(item.partitionKey, 1, update)
                sqlite3_bind_int64(update, 2, item.sort)
                sqlite3_bind_int64(update, 3, i == 0 ? -units : 1)
                guard sqlite3_step(update) == SQLITE_DONE else { throw sqliteError(db, "transfer update") }
            }
            try step(4)
            return true
        } catch {
            try? step(5)
            throw error
        }
    }

    func get(_ partitionKey: String, _ sort: Int64) throws -> Bool {
        let statement = statements[1]
        defer { sqlite3_reset(statement) }
        try bindText(partitionKey, 1, statement)
        sqlite3_bind_int64(statement, 2, sort)
        switch sqlite3_step(statement) {
        case SQLITE_ROW:
            readColumns(statement, 3)
            return true
        case SQLITE_DONE:
            return false
        default:
            throw sqliteError(db, "get item")
        }
    }

    func query(_ partitionKey: String) throws -> Int {
        let statement = statements[2]
        defer { sqlite3_reset(statement) }
        try bindText(partitionKey, 1, statement)
        var rows = 0
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW:
                readColumns(statement, 4)
                rows += 1
            case SQLITE_DONE:
                return rows
            default:
                throw sqliteError(db, "query")
            }
        }
    }

    /// Copies each column into a Swift value, as an application must before the next step
    /// (SQLite's column pointers die then), and as Cairn's GetItem/Query hand back an `Item`:
    /// text becomes a `String`, a blob a `[UInt8]`, an integer an `Int64`.
    private func readColumns(_ statement: OpaquePointer, _ count: Int32) {
        var row: [Any] = []
        row.reserveCapacity(Int(count))
        for column in 0..<count {
            switch sqlite3_column_type(statement, column) {
            case SQLITE_INTEGER:
                row.append(sqlite3_column_int64(statement, column))
            case SQLITE_TEXT:
                row.append(sqlite3_column_text(statement, column).map { String(cString: $0) } ?? "")
            default:
                let bytes = sqlite3_column_blob(statement, column)
                let length = Int(sqlite3_column_bytes(statement, column))
                row.append(bytes.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: length)) } ?? [])
            }
        }
        sink = row.count
    }

    /// Binds a Swift string as text (SQLITE_TRANSIENT: SQLite copies it).
    private func bindText(_ text: String, _ index: Int32, _ statement: OpaquePointer) throws {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        guard sqlite3_bind_text(statement, index, text, -1, transient) == SQLITE_OK else {
            throw sqliteError(db, "bind")
        }
    }
}
