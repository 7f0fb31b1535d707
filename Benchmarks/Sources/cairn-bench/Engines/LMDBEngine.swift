import CLMDB
import Foundation
import Synchronization

/// LMDB (Debian's liblmdb, 0.9.24): a copy-on-write B+tree in one memory map, `data.mdb` in
/// the directory.
///
/// Every put is one write transaction. Without `syncWrites` the environment is opened with
/// `MDB_NOSYNC`: commits are not fsynced, so a machine crash may lose recent commits (as with
/// the other engines' unsynced writes) though the database stays consistent. LMDB has no block
/// cache (the OS page cache is its cache), no compression, no bloom filter and no compaction;
/// `flushAndCompact` only syncs the map to disk. Keys are limited to 511 bytes.
///
/// Thread safety: the environment is shared; write transactions begin and commit inside one
/// call (LMDB serializes writers with its own lock). Reads use a per-thread read-only
/// transaction and cursor, kept by `PerThread` and recycled with `mdb_txn_reset`/`renew`, so a
/// get allocates nothing. The environment is opened with `MDB_NOTLS`, which ties reader slots
/// to transaction objects instead of threads: a thread may then hold its (reset) read
/// transaction while it runs a write transaction, and a context may be freed from another
/// thread at close. `close()` must not run concurrently with other calls; calls after it throw.
final class LMDBEngine: BenchEngine, @unchecked Sendable {
    static let name = "lmdb"

    /// The map size: the most the database may grow to. The file is sparse and only grows
    /// with the data; the mapping reserves address space, not memory.
    static let mapSize = 64 << 30
    /// Reader slots (one per thread that reads).
    static let maxReaders: UInt32 = 256

    let settings: [String]

    private let env: OpaquePointer
    private let dbi: MDB_dbi
    private let readers: PerThread<LMDBReader>
    private let closed = Atomic<Bool>(false)

    /// Opens (creating) an environment in `directory` and its unnamed database.
    init(directory: String, options: EngineOptions) throws {
        try makeDirectory(directory)
        readers = try PerThread()
        var envPointer: OpaquePointer?
        try lmdbCheck(mdb_env_create(&envPointer), "env_create")
        guard let env = envPointer else { throw BenchError("lmdb env_create returned no environment") }
        var flags = UInt32(MDB_NOTLS)
        if !options.syncWrites { flags |= UInt32(MDB_NOSYNC) }
        var dbi = MDB_dbi()
        do {
            try lmdbCheck(mdb_env_set_mapsize(env, Self.mapSize), "env_set_mapsize")
            try lmdbCheck(mdb_env_set_maxreaders(env, Self.maxReaders), "env_set_maxreaders")
            try lmdbCheck(mdb_env_open(env, directory, flags, 0o644), "env_open \(directory)")
            var txn: OpaquePointer?
            try lmdbCheck(mdb_txn_begin(env, nil, 0, &txn), "txn_begin")
            guard let txn else { throw BenchError("lmdb txn_begin returned no transaction") }
            let rc = mdb_dbi_open(txn, nil, 0, &dbi)
            guard rc == MDB_SUCCESS else {
                mdb_txn_abort(txn)
                throw lmdbError(rc, "dbi_open")
            }
            try lmdbCheck(mdb_txn_commit(txn), "txn_commit")
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.env = env
        self.dbi = dbi

        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        _ = mdb_version(&major, &minor, &patch)
        settings = [
            "lmdb \(major).\(minor).\(patch); map size \(formatBytes(Self.mapSize)) (sparse), max readers \(Self.maxReaders), MDB_NOTLS, OS readahead on (no MDB_NORDAHEAD)",
            options.syncWrites
                ? "durable commits (fsync per write transaction)"
                : "MDB_NOSYNC: commits not fsynced; a machine crash may lose recent commits (like the others' unsynced writes)",
            "put: one write transaction per put; get/seek: per-thread read transaction (reset/renew) and cursor",
            "no block cache (the OS page cache is its cache), no compression, no bloom filter, no compaction; flushAndCompact = mdb_env_sync(force)",
        ]
    }

    deinit { release() }

    /// Writes one key in its own write transaction.
    func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        try checkOpen()
        var txnPointer: OpaquePointer?
        try lmdbCheck(mdb_txn_begin(env, nil, 0, &txnPointer), "put txn_begin")
        guard let txn = txnPointer else { throw BenchError("lmdb txn_begin returned no transaction") }
        var k = mdbVal(key)
        var v = mdbVal(value)
        let rc = mdb_put(txn, dbi, &k, &v, 0)
        guard rc == MDB_SUCCESS else {
            mdb_txn_abort(txn)
            throw lmdbError(rc, "put")
        }
        // mdb_txn_commit frees the transaction whether it succeeds or not.
        try lmdbCheck(mdb_txn_commit(txn), "put commit")
    }

    /// Point lookup in the thread's read transaction; the value is read in place in the map.
    func get(_ key: UnsafeRawBufferPointer) throws -> Bool {
        let reader = try reader()
        try reader.begin()
        defer { reader.end() }
        var k = mdbVal(key)
        var v = MDB_val()
        let rc = mdb_get(reader.txn, dbi, &k, &v)
        switch rc {
        case MDB_SUCCESS: return true
        case MDB_NOTFOUND: return false
        default: throw lmdbError(rc, "get")
        }
    }

    /// Positions the thread's cursor at the first key >= `key` (`MDB_SET_RANGE`) and reads
    /// up to `count` entries.
    func seek(_ key: UnsafeRawBufferPointer, reading count: Int) throws -> Int {
        let reader = try reader()
        guard count > 0 else { return 0 }
        try reader.begin(withCursor: true)
        defer { reader.end() }
        var k = mdbVal(key)
        return try readEntries(reader.cursor, first: MDB_SET_RANGE, key: &k, limit: count)
    }

    /// Reads every entry in key order with the thread's cursor.
    func scanAll() throws -> Int {
        let reader = try reader()
        try reader.begin(withCursor: true)
        defer { reader.end() }
        var k = MDB_val()
        return try readEntries(reader.cursor, first: MDB_FIRST, key: &k, limit: Int.max)
    }

    /// Forces the map to disk (`mdb_env_sync(env, 1)`); LMDB has nothing to compact.
    func flushAndCompact() throws {
        try checkOpen()
        try lmdbCheck(mdb_env_sync(env, 1), "env_sync")
    }

    /// Ends every thread's read transaction, then closes the environment; later calls throw.
    func close() throws { release() }

    // MARK: - Helpers

    /// Frees every C resource once (close or deinit, whichever comes first). Read
    /// transactions must end before the environment closes.
    private func release() {
        guard closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        readers.closeAll()
        mdb_env_close(env)
    }

    @inline(__always)
    private func checkOpen() throws {
        if closed.load(ordering: .acquiring) { throw BenchError("lmdb: environment is closed") }
    }

    /// The calling thread's reader, made on its first call.
    @inline(__always)
    private func reader() throws -> LMDBReader {
        try checkOpen()
        return try readers.context { try LMDBReader(env: env, dbi: dbi) }
    }

    /// Reads key and value of up to `limit` entries: the first with `first`, then `MDB_NEXT`.
    private func readEntries(_ cursor: OpaquePointer, first: MDB_cursor_op, key: inout MDB_val, limit: Int) throws -> Int {
        var value = MDB_val()
        var op = first
        var n = 0
        while n < limit {
            let rc = mdb_cursor_get(cursor, &key, &value, op)
            if rc == MDB_NOTFOUND { break }
            guard rc == MDB_SUCCESS else { throw lmdbError(rc, "cursor_get") }
            n += 1
            op = MDB_NEXT
        }
        return n
    }
}

/// One thread's read-only transaction and cursor, kept reset between calls (a reset
/// transaction holds its reader slot but no snapshot, so it does not keep old pages alive).
/// Used by one thread only; `release` may run on the closing thread, which `MDB_NOTLS`
/// allows: hence `@unchecked Sendable`.
final class LMDBReader: ThreadConfined, @unchecked Sendable {
    let txn: OpaquePointer
    let cursor: OpaquePointer

    /// Begins a read-only transaction, opens a cursor on `dbi`, and resets the transaction.
    init(env: OpaquePointer, dbi: MDB_dbi) throws {
        var txnPointer: OpaquePointer?
        try lmdbCheck(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txnPointer), "read txn_begin")
        guard let txn = txnPointer else { throw BenchError("lmdb txn_begin returned no transaction") }
        var cursorPointer: OpaquePointer?
        let rc = mdb_cursor_open(txn, dbi, &cursorPointer)
        guard rc == MDB_SUCCESS, let cursor = cursorPointer else {
            mdb_txn_abort(txn)
            throw lmdbError(rc, "cursor_open")
        }
        mdb_txn_reset(txn)
        self.txn = txn
        self.cursor = cursor
    }

    /// Renews the transaction onto the latest snapshot (and the cursor onto it when asked).
    @inline(__always)
    func begin(withCursor: Bool = false) throws {
        try lmdbCheck(mdb_txn_renew(txn), "txn_renew")
        if withCursor {
            let rc = mdb_cursor_renew(txn, cursor)
            guard rc == MDB_SUCCESS else {
                mdb_txn_reset(txn)
                throw lmdbError(rc, "cursor_renew")
            }
        }
    }

    /// Releases the snapshot, keeping the transaction for the next `begin`.
    @inline(__always)
    func end() { mdb_txn_reset(txn) }

    /// Closes the cursor and aborts the transaction (a read-only transaction's cursor must be
    /// closed explicitly).
    func release() {
        mdb_cursor_close(cursor)
        mdb_txn_abort(txn)
    }
}

/// An `MDB_val` pointing at `bytes` (LMDB does not write through it for reads or puts).
@inline(__always)
private func mdbVal(_ bytes: UnsafeRawBufferPointer) -> MDB_val {
    MDB_val(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
}

/// Throws `lmdbError` unless `rc` is MDB_SUCCESS.
@inline(__always)
private func lmdbCheck(_ rc: Int32, _ what: String) throws {
    guard rc == MDB_SUCCESS else { throw lmdbError(rc, what) }
}

/// An LMDB return code as a `BenchError` (mdb_strerror's string is static).
private func lmdbError(_ rc: Int32, _ what: String) -> BenchError {
    BenchError("lmdb \(what): \(String(cString: mdb_strerror(rc))) (\(rc))")
}
