import CSQLite3
import Foundation
import Synchronization

/// SQLite (Debian's libsqlite3, 3.40) as a key-value store: one file `kv.db` holding
/// `kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID` (a B-tree clustered on the key), in WAL mode.
///
/// Every put is one autocommit `INSERT OR REPLACE` (one transaction, like the others' one
/// batch per put). `synchronous=FULL` fsyncs the WAL at each commit; `NORMAL`, used without
/// `syncWrites`, does not (in WAL mode it syncs only at checkpoints), which matches the other
/// engines' unsynced writes. SQLite has no bloom filter, no block compression and no
/// compaction; `flushAndCompact` checkpoints the WAL into the database file.
///
/// Thread safety: each thread gets its own connection (opened lazily, `SQLITE_OPEN_NOMUTEX`,
/// with its own prepared statements), kept by `PerThread`; a connection is only ever used by
/// its thread, so no SQLite mutex is taken and WAL mode lets readers run beside the writer.
/// Concurrent writers wait for each other in SQLite's busy handler. `close()` must not run
/// concurrently with other calls; calls after it throw.
final class SQLiteEngine: BenchEngine, @unchecked Sendable {
    static let name = "sqlite"

    let settings: [String]

    private let path: String
    private let synchronous: String
    private let cacheKiB: Int
    private let connections: PerThread<SQLiteConnection>
    private let closed = Atomic<Bool>(false)

    /// Creates `directory/kv.db` in WAL mode with the `kv` table.
    init(directory: String, options: EngineOptions) throws {
        try makeDirectory(directory)
        path = directory + "/kv.db"
        synchronous = options.syncWrites ? "FULL" : "NORMAL"
        cacheKiB = max(1, options.blockCacheBytes / 1024)
        connections = try PerThread()

        try SQLiteConnection.createWALDatabase(path, schema: "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID")

        settings = [
            "sqlite \(String(cString: sqlite3_libversion())); one table kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID in kv.db, page size 4096 (default)",
            "journal_mode=WAL, synchronous=\(synchronous)"
                + (options.syncWrites ? " (fsync of the WAL per commit)" : " (no fsync per commit in WAL mode, like the others' unsynced writes)"),
            "cache_size \(formatBytes(cacheKiB * 1024)) per connection; one connection per thread, so N threads may cache up to N x that",
            "put: autocommit INSERT OR REPLACE (one transaction per put); wal_autocheckpoint 1000 pages (default); mmap off (default)",
            "no bloom filter, no compression, no compaction (SQLite has none); flushAndCompact = wal_checkpoint(TRUNCATE)",
        ]
    }

    deinit { release() }

    /// Writes one key in its own transaction.
    func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        try connection().put(key, value)
    }

    /// Point lookup; the value blob is read in place.
    func get(_ key: UnsafeRawBufferPointer) throws -> Bool {
        try connection().get(key)
    }

    /// `SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ?`.
    func seek(_ key: UnsafeRawBufferPointer, reading count: Int) throws -> Int {
        guard count > 0 else {
            try checkOpen()
            return 0
        }
        return try connection().seek(key, count)
    }

    /// `SELECT k, v FROM kv ORDER BY k`.
    func scanAll() throws -> Int {
        try connection().scanAll()
    }

    /// Copies the WAL into the database file and truncates it; SQLite has no memtable or
    /// compaction. Fails if another connection's open transaction blocks the checkpoint.
    func flushAndCompact() throws {
        try connection().checkpoint()
    }

    /// Closes every thread's connection; later calls throw.
    func close() throws { release() }

    // MARK: - Helpers

    /// Closes every connection once (close or deinit, whichever comes first).
    private func release() {
        guard closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        connections.closeAll()
    }

    @inline(__always)
    private func checkOpen() throws {
        if closed.load(ordering: .acquiring) { throw BenchError("sqlite: database is closed") }
    }

    /// The calling thread's connection, opened on its first call.
    @inline(__always)
    private func connection() throws -> SQLiteConnection {
        try checkOpen()
        return try connections.context {
            try SQLiteConnection(path: path, synchronous: synchronous, cacheKiB: cacheKiB)
        }
    }
}

/// One thread's SQLite connection with its prepared statements. Used by one thread only
/// (`release` may run on the closing thread, under `PerThread`'s registry lock, after that
/// thread's last use): hence `@unchecked Sendable`.
final class SQLiteConnection: ThreadConfined, @unchecked Sendable {
    private let db: OpaquePointer
    private let statements: [OpaquePointer]
    private let putStatement: OpaquePointer
    private let getStatement: OpaquePointer
    private let seekStatement: OpaquePointer
    private let scanStatement: OpaquePointer

    /// Opens `path` (in WAL mode already), applies the per-connection pragmas and prepares
    /// the statements.
    init(path: String, synchronous: String, cacheKiB: Int) throws {
        (db, statements) = try Self.open(path, synchronous: synchronous, cacheKiB: cacheKiB, statements: [
            "INSERT OR REPLACE INTO kv(k, v) VALUES(?1, ?2)",
            "SELECT v FROM kv WHERE k = ?1",
            "SELECT k, v FROM kv WHERE k >= ?1 ORDER BY k LIMIT ?2",
            "SELECT k, v FROM kv ORDER BY k",
        ])
        putStatement = statements[0]
        getStatement = statements[1]
        seekStatement = statements[2]
        scanStatement = statements[3]
    }

    /// Opens a connection (`open(_:create:)`), applies the per-connection pragmas and prepares
    /// `sqls` as persistent statements; on failure frees whatever it made.
    static func open(_ path: String, synchronous: String, cacheKiB: Int, statements sqls: [String]) throws
        -> (OpaquePointer, [OpaquePointer])
    {
        let db = try open(path, create: false)
        var statements: [OpaquePointer] = []
        do {
            try sqliteExec(db, "PRAGMA synchronous=\(synchronous)")
            try sqliteExec(db, "PRAGMA cache_size=-\(cacheKiB)")
            for sql in sqls {
                var statement: OpaquePointer?
                let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
                guard rc == SQLITE_OK, let statement else { throw sqliteError(db, "prepare \(sql)") }
                statements.append(statement)
            }
        } catch {
            for statement in statements { sqlite3_finalize(statement) }
            sqlite3_close_v2(db)
            throw error
        }
        return (db, statements)
    }

    /// Creates the database file at `path` in WAL mode with `schema`, on a connection of its
    /// own: journal_mode=WAL is stored in the file, so every later connection opens in WAL mode.
    static func createWALDatabase(_ path: String, schema: String) throws {
        let setup = try open(path, create: true)
        defer { sqlite3_close_v2(setup) }
        let mode = try sqliteQueryText(setup, "PRAGMA journal_mode=WAL")
        guard mode.lowercased() == "wal" else {
            throw BenchError("sqlite: journal_mode=WAL refused (mode is \(mode))")
        }
        try sqliteExec(setup, schema)
    }

    /// Opens a connection without a mutex (`SQLITE_OPEN_NOMUTEX`: one thread uses it) and a
    /// busy timeout so writers wait for each other instead of failing with SQLITE_BUSY.
    static func open(_ path: String, create: Bool) throws -> OpaquePointer {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0)
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard let db else { throw BenchError("sqlite open \(path): \(String(cString: sqlite3_errstr(rc)))") }
        guard rc == SQLITE_OK else {
            let error = sqliteError(db, "open \(path)")
            sqlite3_close_v2(db)
            throw error
        }
        sqlite3_busy_timeout(db, 60_000)
        return db
    }

    /// Finalizes the statements and closes the connection.
    func release() {
        for statement in statements { sqlite3_finalize(statement) }
        sqlite3_close_v2(db)
    }

    /// One autocommit INSERT OR REPLACE.
    func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        let statement = putStatement
        defer { sqlite3_reset(statement) }
        try bind(key, to: 1, of: statement)
        try bind(value, to: 2, of: statement)
        let rc = sqlite3_step(statement)
        guard rc == SQLITE_DONE else { throw sqliteError(db, "put") }
    }

    /// SELECT v by key; reads the value blob when found.
    func get(_ key: UnsafeRawBufferPointer) throws -> Bool {
        let statement = getStatement
        defer { sqlite3_reset(statement) }
        try bind(key, to: 1, of: statement)
        switch sqlite3_step(statement) {
        case SQLITE_ROW:
            _ = sqlite3_column_blob(statement, 0)
            _ = sqlite3_column_bytes(statement, 0)
            return true
        case SQLITE_DONE:
            return false
        default:
            throw sqliteError(db, "get")
        }
    }

    /// Up to `count` rows from the first key >= `key`.
    func seek(_ key: UnsafeRawBufferPointer, _ count: Int) throws -> Int {
        let statement = seekStatement
        defer { sqlite3_reset(statement) }
        try bind(key, to: 1, of: statement)
        guard sqlite3_bind_int64(statement, 2, Int64(count)) == SQLITE_OK else { throw sqliteError(db, "seek bind") }
        return try readRows(statement, "seek")
    }

    /// Every row in key order.
    func scanAll() throws -> Int {
        let statement = scanStatement
        defer { sqlite3_reset(statement) }
        return try readRows(statement, "scan")
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)`; throws if the checkpoint could not complete.
    func checkpoint() throws {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &statement, nil) == SQLITE_OK,
            let statement
        else { throw sqliteError(db, "checkpoint") }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW else { throw sqliteError(db, "checkpoint") }
        // Columns: busy (1 if blocked), WAL frames, frames checkpointed.
        if sqlite3_column_int(statement, 0) != 0 {
            throw BenchError("sqlite checkpoint: blocked by another connection's transaction")
        }
    }

    /// Steps `statement` to the end, reading key and value of every row.
    private func readRows(_ statement: OpaquePointer, _ what: String) throws -> Int {
        var n = 0
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW:
                _ = sqlite3_column_blob(statement, 0)
                _ = sqlite3_column_bytes(statement, 0)
                _ = sqlite3_column_blob(statement, 1)
                _ = sqlite3_column_bytes(statement, 1)
                n += 1
            case SQLITE_DONE:
                return n
            default:
                throw sqliteError(db, what)
            }
        }
    }

    /// Binds `bytes` as a blob without copying (SQLITE_STATIC: nil destructor); the caller's
    /// buffer outlives the step. An empty buffer binds an empty blob, not NULL.
    @inline(__always)
    private func bind(_ bytes: UnsafeRawBufferPointer, to index: Int32, of statement: OpaquePointer) throws {
        let rc: Int32
        if let base = bytes.baseAddress, bytes.count > 0 {
            rc = sqlite3_bind_blob64(statement, index, base, sqlite3_uint64(bytes.count), nil)
        } else {
            rc = sqlite3_bind_zeroblob(statement, index, 0)
        }
        guard rc == SQLITE_OK else { throw sqliteError(db, "bind") }
    }
}

/// The connection's current error as a `BenchError` (SQLite owns the message string).
func sqliteError(_ db: OpaquePointer, _ what: String) -> BenchError {
    BenchError("sqlite \(what): \(String(cString: sqlite3_errmsg(db))) (code \(sqlite3_extended_errcode(db)))")
}

/// Runs one statement that returns no rows the caller needs (stepping past any).
func sqliteExec(_ db: OpaquePointer, _ sql: String) throws {
    var message: UnsafeMutablePointer<CChar>?
    let rc = sqlite3_exec(db, sql, nil, nil, &message)
    if let message {
        let text = String(cString: message)
        sqlite3_free(message)
        throw BenchError("sqlite \(sql): \(text)")
    }
    guard rc == SQLITE_OK else { throw sqliteError(db, sql) }
}

/// The first column of the first row of `sql`, as text.
func sqliteQueryText(_ db: OpaquePointer, _ sql: String) throws -> String {
    var statement: OpaquePointer?
    guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
        throw sqliteError(db, sql)
    }
    defer { sqlite3_finalize(statement) }
    guard sqlite3_step(statement) == SQLITE_ROW else { throw sqliteError(db, sql) }
    guard let text = sqlite3_column_text(statement, 0) else { return "" }
    return String(cString: text)
}
