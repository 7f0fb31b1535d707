import Dispatch
import Synchronization

/// An ordered key-value store of byte strings: CairnLSM's entry point.
///
/// ```swift
/// let db = try Database.open("/tmp/mydb")
/// try db.put(Array("k".utf8), Array("v".utf8))
/// let v = try db.get(Array("k".utf8))
/// try db.close()
/// ```
///
/// Writes go to a write-ahead log (group-committed: concurrent writers share one append and
/// at most one fdatasync) and then to an in-memory memtable; full memtables are flushed to
/// level-0 SSTables in the background. Every write batch gets a sequence number, returned by
/// the write call, that orders it against every other write.
///
/// A `Database` is safe to use from many threads at once. Calls block the calling thread for
/// I/O; wrap them in a task if you are in async code.
public final class Database: @unchecked Sendable {
    // Thread-safety: mutable state below is guarded by `mutex` (writer queue, memtable
    // rotation, version set, background work) or by `stateLock` (the read state published to
    // readers). Immutable lets are safe to share. Hence @unchecked Sendable.

    /// The database directory.
    public let path: String
    let options: Options
    let fileSystem: any FileSystem
    /// The directory lock (nil for a read-only open, which takes none).
    private let fileLock: (any FileLock)?

    let mutex = ConditionMutex()
    /// Signalled when background work finishes a step (flush done, error set).
    let backgroundDone: ConditionMutex.Condition

    // Guarded by `mutex`.
    var memtable: MemtableHandle
    var immutables: [MemtableHandle] = []
    /// The active write-ahead log (nil when read-only).
    var log: LogWriter?
    /// Logs of immutable memtables not yet flushed, oldest first, possibly unsynced
    /// (rotation does not sync them: see `rotateMemtable`).
    var closedLogs: [ClosedLog] = []
    var versions: VersionSet
    var writers: [PendingWrite] = []
    var backgroundError: CairnError?
    var flushScheduled = false
    var compactionRunning = false
    var compactionScheduled = false
    /// Per level, the largest user key of the last file compacted (round-robin picking).
    var compactionPointers: [Int: [UInt8]] = [:]
    var isClosed = false

    /// What readers need, swapped atomically as memtables rotate and versions change.
    let stateLock = CairnMutex<ReadState>(ReadState(memtable: nil, immutables: [], version: Version(), lastSequence: 0))

    let tableCache: TableCache
    let obsoleteFiles: ObsoleteFileDeleter
    let blockCache: BlockCache?
    let snapshots = SnapshotRegistry()
    let counters = StatisticsCounters()
    /// Flush and compaction work per output level (`Statistics.Level.work`).
    let levelWork = CairnMutex<[Statistics.LevelWork]>(Array(repeating: Statistics.LevelWork(), count: Version.levelCount))
    let backgroundQueue = DispatchQueue(label: "cairn.lsm.background")
    /// Runs compactions (background and manual), one at a time, beside flushes.
    let compactionQueue = DispatchQueue(label: "cairn.lsm.compaction")
    /// True for a database opened with `openReadOnly`: writes, flushes and compactions are
    /// refused, and nothing in the directory is changed.
    public let isReadOnly: Bool
    /// What the open's recovery dropped (a torn write after a crash, say); empty after a clean
    /// shutdown. The `cairn` tool prints it as warnings.
    public let recoveryReport: RecoveryReport

    /// Opens (creating if allowed) the database in directory `path`.
    ///
    /// Recovery replays the write-ahead logs written since the last flush into memory; the
    /// replayed writes are flushed to a table in the background, so opening needs no free
    /// space for them (RocksDB's avoid_flush_during_recovery). What it may drop (a torn last
    /// write, an unsynced tail lost to a power loss) is listed in `recoveryReport`; damage to
    /// anything known durable, a damaged manifest record, or a file the manifest needs that is
    /// missing or not the file it recorded makes `open` throw `CairnError.corruption` naming
    /// the file and offset. A directory holding database files but no CURRENT is corruption
    /// too, never a place to create a new database.
    public static func open(_ path: String, options: Options = Options()) throws -> Database {
        try Database(path: path, options: options, readOnly: false)
    }

    /// Opens an existing database for reading only (RocksDB's OpenForReadOnly): the logs are
    /// replayed into memory and nothing is written, so it works on a full disk or a read-only
    /// mount. It takes no lock, so it can also read a database another process has open, as
    /// of the moment it opens (files that process deletes later, by compaction, may make
    /// later reads fail: reopen then). Writes, `flush` and `compactRange` throw
    /// `CairnError.notSupported`. Throws `CairnError.notFound` if `path` holds no database.
    public static func openReadOnly(_ path: String, options: Options = Options()) throws -> Database {
        try Database(path: path, options: options, readOnly: true)
    }

    private init(path: String, options: Options, readOnly: Bool) throws {
        guard options.writeBufferSize >= 4096, options.blockSize >= 256, options.blockRestartInterval >= 1,
              options.maxImmutableMemtables >= 1, options.bloomBitsPerKey >= 0, options.maxOpenFiles >= 1
        else {
            throw CairnError.invalidArgument("options out of range (writeBufferSize >= 4096, blockSize >= 256, ...)")
        }
        self.path = path
        self.options = options
        self.isReadOnly = readOnly
        let fs = options.fileSystem
        self.fileSystem = fs
        self.backgroundDone = mutex.makeCondition()
        let creates = options.createIfMissing && !readOnly

        if !fs.fileExists(path) {
            guard creates else {
                throw CairnError.notFound("no database at \(path): the directory does not exist")
            }
            try fs.createDirectory(path)
        }
        // A read-only open takes no lock (RocksDB's OpenForReadOnly does not either): it can
        // read a database another process has open, as of the moment it opens.
        let lock: (any FileLock)?
        do {
            lock = readOnly ? nil : try fs.lockFile(FileNames.lock(path))
        } catch CairnError.busy {
            // Say which database and what to do, in one line (the file system's message only
            // names the lock file). Never a shared write: this process stops here.
            throw CairnError.busy(
                "the database at \(path) is locked by another process (or another open handle in this one), "
                    + "which holds \(FileNames.lock(path)); close it there first, or open this one read-only")
        }
        self.fileLock = lock
        var lockHeld = true
        defer { if lockHeld { lock?.unlock() } }

        if fs.fileExists(FileNames.current(path)) {
            if options.errorIfExists { throw CairnError.alreadyExists("database \(path) already exists") }
        } else {
            try Database.checkDirectoryWithoutCurrent(fileSystem: fs, directory: path)
            guard creates else {
                throw CairnError.notFound("no database at \(path): the directory holds no database files")
            }
            try VersionSet.createNew(fileSystem: fs, directory: path)
        }

        let blockCache = options.blockCacheCapacity > 0 ? BlockCache(capacity: options.blockCacheCapacity) : nil
        self.blockCache = blockCache
        self.tableCache = TableCache(
            fileSystem: fs, directory: path, capacity: options.maxOpenFiles,
            blockCache: blockCache, verifyChecksums: options.verifyChecksums, mapFiles: options.mapTableFiles)
        let obsolete = ObsoleteFileDeleter(fileSystem: fs, directory: path, tableCache: tableCache)
        self.obsoleteFiles = obsolete
        self.versions = VersionSet(
            fileSystem: fs, directory: path, obsoleteSink: { number in if !readOnly { obsolete.delete(number) } })
        try versions.recover()
        try Database.checkLiveFiles(fileSystem: fs, directory: path, versions: versions)

        // Replay the logs that hold writes not yet in tables.
        let recovery = try Database.replayLogs(fileSystem: fs, directory: path, options: options, versions: versions)
        self.recoveryReport = recovery.report

        if readOnly {
            self.log = nil
            self.memtable = MemtableHandle(recovery.memtable ?? Memtable.sized(for: options), logNumber: 0)
            stateLock.withLock {
                $0 = ReadState(memtable: memtable, immutables: [], version: versions.current, lastSequence: recovery.lastSequence)
            }
            lockHeld = false
            return
        }

        let logNumber = versions.newFileNumber()
        let logFile = try fs.newWritableFile(FileNames.log(path, logNumber))
        let log = try LogWriter(file: logFile, fileNumber: logNumber, kind: .wal)
        self.log = log
        try fs.syncDirectory(path)
        var edit = VersionEdit()
        edit.lastSequence = recovery.lastSequence
        edit.addedLogs = [logNumber]
        edit.logNumber = logNumber
        var recovered: MemtableHandle?
        if let mem = recovery.memtable, let firstLog = recovery.replayedLogs.first?.number {
            let droppedWrites = recovery.report.dropped.contains { $0.file.hasSuffix(".log") }
            if droppedWrites {
                // The damaged logs must not be replayed again (new writes would reuse the
                // sequence numbers of what was dropped): put what was recovered in a table now
                // and retire them.
                if let file = try writeLevel0Table(
                    mem, number: versions.newFileNumber(), fileSystem: fs, directory: path, options: options)
                {
                    edit.newFiles.append(file)
                }
            } else {
                // Keep the logs as the replayed memtable's log and flush it in the background.
                // They may hold writes the previous process never synced: make them durable
                // first, so no later synced write can outlive them.
                for (number, size) in recovery.replayedLogs {
                    try fs.syncFile(FileNames.log(path, number))
                    edit.addedLogs.append(number)
                    edit.syncedLogs.append(.init(number: number, size: size))
                }
                edit.logNumber = firstLog
                recovered = MemtableHandle(mem, logNumber: firstLog)
            }
        }
        try versions.logAndApply(edit)

        self.memtable = MemtableHandle(Memtable.sized(for: options), logNumber: logNumber)
        if let recovered { immutables = [recovered] }
        stateLock.withLock {
            $0 = ReadState(
                memtable: memtable, immutables: immutables, version: versions.current, lastSequence: recovery.lastSequence)
        }
        lockHeld = false
        deleteObsoleteFiles()
        mutex.withLock {
            scheduleFlush()
            maybeScheduleCompaction()
        }
    }

    /// Stops background work and releases the directory lock. Unflushed writes stay in the
    /// write-ahead log and are replayed by the next `open`; the log is synced and its size
    /// recorded in the manifest first, so the next open knows all of it is durable. Further
    /// calls throw `.closed`.
    public func close() throws {
        mutex.lock()
        if isClosed {
            mutex.unlock()
            return
        }
        // A flush under way or queued writes every immutable memtable first (RocksDB flushes
        // at shutdown too), so logs replayed at open do not pile up across short-lived opens
        // such as one `cairn` command each.
        while flushScheduled && backgroundError == nil { backgroundDone.wait() }
        isClosed = true
        // Queued writers finish; background work sees isClosed and stops after its step.
        while flushScheduled || !writers.isEmpty || compactionRunning || compactionScheduled {
            backgroundDone.wait()
        }
        stateLock.withLock { $0.memtable = nil; $0.immutables = [] }
        var firstError: Error?
        if let log, backgroundError == nil {
            do {
                var edit = VersionEdit()
                for closed in closedLogs {
                    if let size = try closed.syncedSizeAfterSync() { edit.syncedLogs.append(.init(number: closed.number, size: size)) }
                }
                try log.sync()
                edit.syncedLogs.append(.init(number: log.fileNumber, size: log.syncedSize))
                try versions.logAndApply(edit)
            } catch {
                firstError = error
            }
        }
        do { try log?.close() } catch { firstError = firstError ?? error }
        for closed in closedLogs { closed.close() }
        closedLogs = []
        versions.close()
        mutex.unlock()
        obsoleteFiles.drain()
        fileLock?.unlock()
        if let e = firstError { throw e }
    }

    deinit {
        try? close()
    }

    // MARK: - Recovery

    /// Called when the directory has no CURRENT: fails if it holds database files, since
    /// then a database lost its CURRENT and which manifest is live is unknown; creating a new
    /// database there would delete the old one's files. A lone `MANIFEST-000001` is a
    /// creation interrupted before CURRENT was written, and holds no data.
    static func checkDirectoryWithoutCurrent(fileSystem fs: any FileSystem, directory: String) throws {
        var tables = 0, logs = 0, manifests: [String] = []
        for name in try fs.listDirectory(directory) {
            switch FileNames.parse(name) {
            case .table?: tables += 1
            case .log?: logs += 1
            case .manifest?: manifests.append(name)
            default: break
            }
        }
        if tables == 0 && logs == 0 && (manifests.isEmpty || manifests == ["MANIFEST-000001"]) { return }
        throw CairnError.corruption(
            file: FileNames.current(directory), offset: 0,
            reason: "CURRENT is missing, but the directory holds database files (\(tables) tables, \(logs) logs, "
                + "\(manifests.count) manifests), so the live manifest is unknown; nothing was opened or created. "
                + repairAdvice)
    }

    /// Removes files no version needs: old logs and manifests, unreferenced tables, temp files.
    func deleteObsoleteFiles() {
        mutex.lock()
        let live = versions.liveFileNumbers
        let logNumber = versions.logNumber
        let manifest = versions.manifestNumber
        let pending = pendingOutputs
        mutex.unlock()
        guard let names = try? fileSystem.listDirectory(path) else { return }
        for name in names {
            let remove: Bool
            switch FileNames.parse(name) {
            case .log(let n)?: remove = n < logNumber
            case .table(let n)?: remove = !live.contains(n) && !pending.contains(n)
            case .manifest(let n)?: remove = n != manifest
            case .temporary?: remove = true
            default: remove = false
            }
            if remove {
                if case .table(let n)? = FileNames.parse(name) { tableCache.evict(fileNumber: n) }
                try? fileSystem.removeFile(joinPath(path, name))
            }
        }
    }

    /// Table numbers being written by a flush, not yet in any version (guarded by `mutex`).
    var pendingOutputs: Set<UInt64> = []
}

/// Deletes a table file once its last reader is gone (see `FileMetadata`).
///
/// The last reference can drop anywhere, including inside the database's locks (when a new
/// read state replaces the old one), so the unlink and cache eviction run on a queue of their
/// own rather than in the caller.
final class ObsoleteFileDeleter: Sendable {
    let fileSystem: any FileSystem
    let directory: String
    let tableCache: TableCache
    private let queue = DispatchQueue(label: "cairn.lsm.obsolete-files")

    init(fileSystem: any FileSystem, directory: String, tableCache: TableCache) {
        self.fileSystem = fileSystem
        self.directory = directory
        self.tableCache = tableCache
    }

    func delete(_ number: UInt64) {
        queue.async { [self] in
            tableCache.evict(fileNumber: number)
            try? fileSystem.removeFile(FileNames.table(directory, number))
        }
    }

    /// Waits until every deletion queued so far has run.
    func drain() { queue.sync {} }
}

/// What a reader captures in one short critical section: the memtables, the version and the
/// last visible sequence number, all consistent with each other.
struct ReadState: @unchecked Sendable {
    // Holds references to Sendable-by-design objects only; mutated only under `stateLock`.
    var memtable: MemtableHandle?
    var immutables: [MemtableHandle]
    var version: Version
    var lastSequence: SequenceNumber
}

/// A memtable plus the WAL that holds its writes, with its range tombstones fragmented for
/// reads (rebuilt only when new tombstones arrive).
final class MemtableHandle: @unchecked Sendable {
    // `memtable` is internally synchronized; `cache` is guarded by `lock`.
    let memtable: Memtable
    let logNumber: UInt64
    private let lock = SpinGuard()
    private var cache: (count: Int, tombstones: FragmentedRangeTombstones)?

    init(_ memtable: Memtable, logNumber: UInt64) {
        self.memtable = memtable
        self.logNumber = logNumber
    }

    /// The memtable's range tombstones, fragmented; nil when it has none.
    func tombstones() -> FragmentedRangeTombstones? {
        guard memtable.hasRangeTombstones else { return nil }
        let raw = memtable.rangeTombstones
        return lock.withLock {
            if let c = cache, c.count == raw.count { return c.tombstones }
            let built = FragmentedRangeTombstones(raw)
            cache = (raw.count, built)
            return built
        }
    }
}

extension Memtable {
    /// A memtable whose arena blocks suit `options.writeBufferSize` (an eighth of it, between
    /// 4 KiB and 1 MiB, as RocksDB sizes them), so small buffers are not rounded up to a block.
    static func sized(for options: Options) -> Memtable {
        Memtable(arenaBlockSize: min(1 << 20, max(4096, options.writeBufferSize / 8)),
                 filterBits: options.memtableFilter ? options.writeBufferSize / 8 : 0)
    }
}

/// Writes `mem` as a level-0 table numbered `number`, synced and with its directory entry
/// durable. Returns nil (and writes nothing) when the memtable is empty.
func writeLevel0Table(
    _ mem: Memtable, number: UInt64, fileSystem fs: any FileSystem, directory: String, options: Options
) throws -> VersionEdit.NewFile? {
    let tombstones = mem.rangeTombstones
    if mem.isEmpty && tombstones.isEmpty { return nil }
    let props = try writeTable(number: number, fileSystem: fs, directory: directory, options: options) { builder in
        let it = mem.makeIterator()
        try it.seekToFirst()
        while it.isValid {
            try builder.add(it.key, it.value)
            try it.next()
        }
        for t in tombstones { try builder.addRangeTombstone(t) }
    }
    return props.map { VersionEdit.NewFile(level: 0, number: number, properties: $0) }
}

/// Creates SSTable `number`, lets `fill` add its entries, then finishes it, fsyncs it and
/// makes its directory entry durable. If `fill` added nothing, or anything fails, the file is
/// removed; the result is nil for an empty table.
func writeTable(
    number: UInt64, fileSystem fs: any FileSystem, directory: String, options: Options,
    _ fill: (TableBuilder) throws -> Void
) throws -> TableProperties? {
    let tablePath = FileNames.table(directory, number)
    let file = try fs.newWritableFile(tablePath)
    do {
        var tableOptions = TableBuilderOptions(options)
        tableOptions.uniqueID = TableProperties.newUniqueID()
        let builder = TableBuilder(file: file, options: tableOptions)
        try fill(builder)
        let props = try builder.finish()
        if props.entryCount == 0 && props.rangeTombstoneCount == 0 {
            try? file.close()
            try? fs.removeFile(tablePath)
            return nil
        }
        try file.sync()
        try file.close()
        try fs.syncDirectory(directory)
        return props
    } catch {
        try? file.close()
        try? fs.removeFile(tablePath)
        throw error
    }
}
