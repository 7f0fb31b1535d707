import Cairn
import CairnLSM
import Foundation

/// Continuous change capture of one table into a Delta Lake table kept at the table's latest
/// state (`cairn replicate`; Docs/delta_replication.md).
///
/// The first step is a full load at one snapshot (version 0). Each later step takes a new
/// snapshot at commit sequence S, reads the change-stream records after the last sequence
/// applied up to S, and commits one Delta version that upserts them: each changed item's
/// value at S goes into a new data file, and every file that held a changed item is rewritten
/// without it (copy on write: `remove` of the old file, `add` of the new). The version's
/// `txn` action carries the consumer's name as `appId` and S as `version`: the bookmark. A
/// restart reads the bookmark back from the log, so every change is applied exactly once
/// whatever the moment of a crash; files written for a version that never committed are
/// removed on restart, and the log never names a file before it is whole and synced.
///
/// Small files are merged as they accumulate (`dataChange: false`), checkpoints are written
/// every `checkpointInterval` versions, and an optional append-only change table
/// (`ChangeTableAppender`) gets one row per change record.
///
/// The replicator reads the base table through a snapshot, so it works on a database opened
/// read-only by another process too (`cairn replicate` reopens it each interval). Not
/// thread-safe: one step at a time.
public final class TableReplicator {
    public struct Options: Sendable {
        public var fileSystem: any FileSystem = PosixFileSystem()
        public var parquet = ParquetWriterOptions()
        /// The stream consumer's name: the Delta `txn` appId, and the base table's durable
        /// consumer whose position follows each commit (on a writable database).
        public var consumerName = "cairn-replicate"
        /// A data file holds at most this many items.
        public var targetFileRows = 131_072
        /// Files with fewer items are small ...
        public var smallFileRows = 16_384
        /// ... and once this many are present, a step merges them.
        public var smallFilesToMerge = 8
        /// A checkpoint every this many versions (Delta's default is 10).
        public var checkpointInterval: Int64 = 10
        /// Where to keep an append-only change table as well (nil: none).
        public var changeTableDirectory: String?

        public init() {}
    }

    /// What one step committed.
    public struct Commit: Sendable {
        /// The Delta table's new version.
        public var version: Int64
        /// The base table's commit sequence number the table is now at (the bookmark).
        public var sequence: UInt64
        /// True for the initial full load.
        public var isFullLoad: Bool
        /// Change records applied (items loaded, for the full load).
        public var changes: Int
        /// Items written into new data files (changed ones and rewritten neighbours).
        public var rowsWritten: Int
        public var filesAdded: Int
        public var filesRemoved: Int
        /// Files merged by compaction in this step.
        public var filesMerged: Int
        /// When each applied change record was committed in the base table (seconds since
        /// 1970, millisecond resolution), for lag figures.
        public var changeTimes: [Double]
        /// The change table's version after this step, when there is one.
        public var changeTableVersion: Int64?
        /// True when a checkpoint was written for `version`.
        public var checkpointed: Bool
    }

    public let tableName: String
    public let directory: String
    public let options: Options
    let log: DeltaLog
    private let lock: any FileLock
    private(set) var state: DeltaTableState
    private var schema: ItemRowSchema?
    /// Live data file → the storage keys of its items.
    private var keysOf: [String: [[UInt8]]] = [:]
    /// Storage key → the live data file that holds the item.
    private var fileOf: [StorageKey: String] = [:]
    private var changeTable: ChangeTableAppender?
    private var closed = false

    var keyDirectory: String { joinPath(log.cairnDirectory, "keys") }

    /// Opens (or prepares to create) the Delta table in `directory`: takes its lock, replays
    /// its log, loads the key lists of its files, and removes what a crashed step left.
    public init(table tableName: String, directory: String, options: Options = Options()) throws {
        self.tableName = tableName
        self.directory = directory
        self.options = options
        guard options.targetFileRows > 0, options.smallFileRows >= 0, options.checkpointInterval > 0 else {
            throw CairnError.invalidArgument("targetFileRows and checkpointInterval must be positive")
        }
        let fs = options.fileSystem
        log = DeltaLog(directory: directory, fileSystem: fs)
        try log.createDirectories(log.cairnDirectory)
        lock = try fs.lockFile(joinPath(log.cairnDirectory, "LOCK"))
        do {
            state = try log.load()
            if let metadata = state.metadata {
                guard let text = metadata.configuration[ReplicationSchema.configurationKey],
                      let stored = ReplicationSchema.decode(text) else {
                    throw CairnError.corruption(
                        file: log.logDirectory, offset: 0,
                        reason: "the table's metadata has no valid \(ReplicationSchema.configurationKey): it was not written by cairn replicate")
                }
                guard metadata.configuration["cairn.table"] == tableName else {
                    throw CairnError.invalidArgument(
                        "\(directory) replicates table \(metadata.configuration["cairn.table"] ?? "?"), not \(tableName)")
                }
                schema = stored
            }
            try log.createDirectories(keyDirectory)
            try removeLeftovers()
            for path in state.files.keys {
                let keyPath = joinPath(keyDirectory, path + ".keys")
                let keys = try KeyListFile.decode(try fs.readFile(keyPath), file: keyPath)
                keysOf[path] = keys
                for key in keys { fileOf[StorageKey(key)] = path }
            }
            if let changes = options.changeTableDirectory {
                changeTable = try ChangeTableAppender(table: tableName, directory: changes, options: options)
            }
        } catch {
            lock.unlock()
            throw error
        }
    }

    /// Releases the lock (and the change table's).
    public func close() {
        guard !closed else { return }
        closed = true
        changeTable?.close()
        lock.unlock()
    }

    deinit { close() }

    /// The base table's commit sequence number the Delta table is at (nil before the full load).
    public var appliedSequence: UInt64? {
        state.transactions[options.consumerName].map { UInt64(bitPattern: $0) }
    }

    /// The Delta table's current version (-1 before the full load).
    public var version: Int64 { state.version }

    /// Items in the Delta table at its current version.
    public var itemCount: Int { fileOf.count }

    /// Rows in the table's live files by their key lists (equal to `itemCount` unless an item
    /// is in two files, which would be a bug).
    public var rowCount: Int { keysOf.values.reduce(0) { $0 + $1.count } }

    /// One step: the full load when the Delta table does not exist yet, else the changes the
    /// stream holds up to now as one version; nil when there was nothing to apply.
    public func step(_ db: ItemDatabase) throws -> Commit? {
        guard !closed else { throw CairnError.closed("the replicator of \(directory) is closed") }
        // Throws ValidationException for a table without an enabled stream (cheap: no count).
        _ = try db.consumer(named: options.consumerName, of: tableName)
        var commit: Commit?
        if state.version < 0 {
            commit = try fullLoad(db)
        } else {
            commit = try applyChanges(db)
        }
        if let changeTable, let applied = appliedSequence {
            let changeVersion = try changeTable.step(db, upTo: applied, schema: schema ?? ItemRowSchema(columns: []))
            if commit != nil { commit?.changeTableVersion = changeVersion }
        }
        if let applied = appliedSequence, commit != nil, !db.storage.isReadOnly {
            // The base table's own record of the bookmark (the Delta log's is the one that counts).
            try db.consumer(named: options.consumerName, of: tableName).commit(applied)
        }
        return commit
    }

    /// Runs steps every `interval` seconds (each starting an interval after the previous
    /// one started) until `shouldStop` returns true, checked between steps and every 100 ms
    /// of the wait; `onCommit` gets each version committed (the progress report). For an
    /// in-process replicator of a database this process writes; `cairn replicate` does the same
    /// with a read-only open per step.
    public func run(
        _ db: ItemDatabase, interval: TimeInterval = 1, shouldStop: () -> Bool, onCommit: (Commit) -> Void = { _ in }
    ) throws {
        while !shouldStop() {
            let started = Date()
            if let commit = try step(db) { onCommit(commit) }
            while !shouldStop() {
                let remaining = interval - Date().timeIntervalSince(started)
                guard remaining > 0 else { break }
                Thread.sleep(forTimeInterval: min(remaining, 0.1))
            }
        }
    }

    // MARK: The full load

    private func fullLoad(_ db: ItemDatabase) throws -> Commit {
        let snapshot = try db.snapshot(ofTable: tableName)
        var inference = ItemRowSchema.Inference(keyAttributes: snapshot.keyAttributes)
        var total = 0
        try snapshot.forEachItem { item in
            inference.observe(item)
            total += 1
        }
        let schema = inference.schema
        self.schema = schema
        let version: Int64 = 0
        var writer = DataFileWriter(replicator: self, version: version, columns: schema.parquetColumns(requiredKeys: false), dataChange: true)
        try snapshot.forEachItem { item in
            try writer.append(key: try snapshot.storageKey(of: item), row: schema.lenientRow(item))
        }
        let added = try writer.finish()
        let now = Self.milliseconds()
        var actions: [DeltaAction] = [
            .commitInfo(timestamp: now, operation: "CREATE TABLE AS SELECT", parameters: [
                "cairn.table": tableName, "cairn.sequence": String(snapshot.sequence), "cairn.items": String(total),
            ]),
            .protocolVersion(DeltaProtocol()),
            .metadata(metadata(schema, id: UUID().uuidString.lowercased(), created: now)),
            .transaction(appId: options.consumerName, version: Int64(bitPattern: snapshot.sequence), lastUpdated: now),
        ]
        actions += added.map { .add($0.add) }
        let checkpointed = try commit(version: version, actions: actions, added: added, removed: [])
        return Commit(
            version: version, sequence: snapshot.sequence, isFullLoad: true, changes: total, rowsWritten: total,
            filesAdded: added.count, filesRemoved: 0, filesMerged: 0, changeTimes: [], checkpointed: checkpointed)
    }

    private func metadata(_ schema: ItemRowSchema, id: String, created: Int64?) -> DeltaMetadata {
        DeltaMetadata(
            id: id, name: tableName, description: "Cairn table \(tableName), replicated by cairn replicate",
            schemaString: DeltaSchema.schemaString(schema.parquetColumns(requiredKeys: false)),
            configuration: [ReplicationSchema.configurationKey: ReplicationSchema.encode(schema), "cairn.table": tableName],
            createdTime: created)
    }

    // MARK: A step of changes

    private func applyChanges(_ db: ItemDatabase) throws -> Commit? {
        guard let applied = appliedSequence, var schema else { return nil }
        let snapshot = try db.snapshot(ofTable: tableName)
        guard snapshot.sequence > applied else { return nil }
        // The records after the bookmark up to the snapshot, and the keys they change.
        var changed = Set<StorageKey>()
        var orderedChanged: [(key: [UInt8], keys: Item)] = []
        var times: [Double] = []
        try ExportSupport.forEachChange(db, table: tableName, after: applied, through: snapshot.sequence) { record in
            times.append(record.approximateCreationDate.timeIntervalSince1970)
            let key = try snapshot.storageKey(of: record.keys)
            if changed.insert(StorageKey(key)).inserted { orderedChanged.append((key, record.keys)) }
        }
        guard !times.isEmpty else { return nil }

        // Each changed item's value at the snapshot (nil: deleted); new attributes add columns.
        var values: [StorageKey: Item] = [:]
        var inference = ItemRowSchema.Inference(keyAttributes: snapshot.keyAttributes)
        for (key, _) in orderedChanged {
            if let item = try snapshot.item(atStorageKey: key) {
                values[StorageKey(key)] = item
                inference.observe(item)
            }
        }
        let evolved = schema.adding(inference.schema)
        let schemaChanged = evolved != schema
        schema = evolved
        let columns = schema.parquetColumns(requiredKeys: false)

        // Files to rewrite: those holding a changed item; and, once enough small files gather,
        // the small ones (merged with dataChange false).
        let touched = Set(changed.compactMap { fileOf[$0] })
        let small = keysOf.filter { !touched.contains($0.key) && $0.value.count < options.smallFileRows }.map(\.key).sorted()
        let merging = small.count >= options.smallFilesToMerge ? small : []
        let version = state.version + 1

        // New files: the changed items with the untouched neighbours from small rewritten
        // files; each large rewritten file's neighbours in files of their own (so a file that
        // keeps being touched stays its size instead of growing with every step); the merged
        // small files. Each in key order.
        var added: [WrittenFile] = []
        func write(_ keys: [[UInt8]], dataChange: Bool) throws {
            guard !keys.isEmpty else { return }
            var writer = DataFileWriter(replicator: self, version: version, columns: columns, dataChange: dataChange, firstIndex: added.count)
            for key in keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                guard let item = try values[StorageKey(key)] ?? snapshot.item(atStorageKey: key) else {
                    throw CairnError.corruption(
                        file: joinPath(directory, fileOf[StorageKey(key)] ?? "?"), offset: 0,
                        reason: "an item of this data file is not in table \(tableName) at sequence \(snapshot.sequence), and no change record removed it (was the stream trimmed past the bookmark \(applied)?)")
                }
                try writer.append(key: key, row: schema.lenientRow(item))
            }
            added += try writer.finish()
        }
        var pooled: [[UInt8]] = values.keys.map(\.bytes)
        var rowsWritten = pooled.count
        var separate: [[[UInt8]]] = []
        for path in touched.sorted() {
            let neighbours = (keysOf[path] ?? []).filter { !changed.contains(StorageKey($0)) }
            rowsWritten += neighbours.count
            if neighbours.count < options.smallFileRows { pooled += neighbours } else { separate.append(neighbours) }
        }
        try write(pooled, dataChange: true)
        for neighbours in separate { try write(neighbours, dataChange: true) }
        let mergeKeys: [[UInt8]] = merging.flatMap { keysOf[$0] ?? [] }
        rowsWritten += mergeKeys.count
        try write(mergeKeys, dataChange: false)

        let now = Self.milliseconds()
        var actions: [DeltaAction] = [
            .commitInfo(timestamp: now, operation: "MERGE", parameters: [
                "cairn.table": tableName, "cairn.sequence": String(snapshot.sequence), "cairn.changes": String(times.count),
                "cairn.merged": String(merging.count),
            ]),
        ]
        if schemaChanged, let current = state.metadata {
            actions.append(.metadata(metadata(schema, id: current.id, created: current.createdTime)))
        }
        actions.append(.transaction(appId: options.consumerName, version: Int64(bitPattern: snapshot.sequence), lastUpdated: now))
        var removed: [String] = []
        for path in touched.sorted() {
            actions.append(.remove(DeltaRemoveFile(path: path, deletionTimestamp: now, dataChange: true, size: state.files[path]?.size)))
            removed.append(path)
        }
        for path in merging {
            actions.append(.remove(DeltaRemoveFile(path: path, deletionTimestamp: now, dataChange: false, size: state.files[path]?.size)))
            removed.append(path)
        }
        actions += added.map { .add($0.add) }
        self.schema = schema
        let checkpointed = try commit(version: version, actions: actions, added: added, removed: removed)
        return Commit(
            version: version, sequence: snapshot.sequence, isFullLoad: false, changes: times.count,
            rowsWritten: rowsWritten, filesAdded: added.count, filesRemoved: removed.count,
            filesMerged: merging.count, changeTimes: times, checkpointed: checkpointed)
    }

    // MARK: Committing

    /// Commits `actions` as `version`, then brings the in-memory state up to it, removes the
    /// key lists of removed files and writes a checkpoint when one is due.
    private func commit(version: Int64, actions: [DeltaAction], added: [WrittenFile], removed: [String]) throws -> Bool {
        try options.fileSystem.syncDirectory(keyDirectory)
        try options.fileSystem.syncDirectory(directory)
        try log.commit(version: version, actions: actions)
        state.apply(actions, version: version)
        for path in removed {
            for key in keysOf[path] ?? [] where fileOf[StorageKey(key)] == path { fileOf[StorageKey(key)] = nil }
            keysOf[path] = nil
        }
        for file in added {
            keysOf[file.add.path] = file.keys
            for key in file.keys { fileOf[StorageKey(key)] = file.add.path }
        }
        for path in removed { try? options.fileSystem.removeFile(joinPath(keyDirectory, path + ".keys")) }
        guard version > 0, version % options.checkpointInterval == 0 else { return false }
        try DeltaCheckpoint.write(state, log: log, options: options.parquet)
        try log.writeStateFile(state)
        return true
    }

    /// Removes what a step that never committed left: data files and key lists of versions
    /// past the log's, key lists of files no longer in the table, and temporary files.
    private func removeLeftovers() throws {
        let fs = options.fileSystem
        for name in try fs.listDirectory(directory) {
            if name.hasSuffix(".tmp") {
                try fs.removeFile(joinPath(directory, name))
            } else if let version = DataFileWriter.version(ofFileNamed: name), version > state.version {
                try fs.removeFile(joinPath(directory, name))
            }
        }
        for name in try fs.listDirectory(keyDirectory) {
            let dataFile = name.hasSuffix(".keys") ? String(name.dropLast(5)) : name
            if state.files[dataFile] == nil { try fs.removeFile(joinPath(keyDirectory, name)) }
        }
        if fs.fileExists(log.logDirectory) {
            for name in try fs.listDirectory(log.logDirectory) where name.hasSuffix(".tmp") {
                try fs.removeFile(joinPath(log.logDirectory, name))
            }
        }
    }

    static func milliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    // MARK: Writing data files

    /// A data file written and synced, not yet committed.
    struct WrittenFile {
        var add: DeltaAddFile
        var keys: [[UInt8]]
    }

    /// Writes rows into data files `part-<version>-<n>.parquet` of at most `targetFileRows`
    /// rows, each with its key list.
    struct DataFileWriter {
        let replicator: TableReplicator
        let version: Int64
        let columns: [ParquetColumn]
        let dataChange: Bool
        var index: Int
        private var open: (file: any WritableFile, parquet: ParquetFileWriter, name: String, keys: [[UInt8]])?
        private(set) var written: [WrittenFile] = []

        init(replicator: TableReplicator, version: Int64, columns: [ParquetColumn], dataChange: Bool, firstIndex: Int = 0) {
            self.replicator = replicator
            self.version = version
            self.columns = columns
            self.dataChange = dataChange
            index = firstIndex
        }

        static func name(version: Int64, index: Int) -> String { String(format: "part-%020lld-%05d.parquet", version, index) }

        /// The version in a data file's name, or nil for another name.
        static func version(ofFileNamed name: String) -> Int64? {
            guard name.hasPrefix("part-"), name.hasSuffix(".parquet"), name.utf8.count == 39 else { return nil }
            return Int64(name.dropFirst(5).prefix(20))
        }

        mutating func append(key: [UInt8], row: [ParquetValue]) throws {
            if open == nil {
                let name = Self.name(version: version, index: index)
                index += 1
                let file = try replicator.options.fileSystem.newWritableFile(joinPath(replicator.directory, name + ".tmp"))
                open = (file, try ParquetFileWriter(file: file, columns: columns, options: replicator.options.parquet), name, [])
            }
            try open?.parquet.write(row)
            open?.keys.append(key)
            if let current = open, current.keys.count >= replicator.options.targetFileRows { try finishFile() }
        }

        private mutating func finishFile() throws {
            guard let current = open else { return }
            open = nil
            let fs = replicator.options.fileSystem
            let summary = try current.parquet.finish(metadata: [("cairn.table", replicator.tableName)])
            try current.file.close()
            try fs.rename(joinPath(replicator.directory, current.name + ".tmp"), to: joinPath(replicator.directory, current.name))
            let keyPath = joinPath(replicator.keyDirectory, current.name + ".keys")
            try fs.writeFileAtomically(keyPath, KeyListFile.encode(current.keys), directory: replicator.keyDirectory)
            let add = DeltaAddFile(
                path: current.name, size: summary.bytes, modificationTime: TableReplicator.milliseconds(), dataChange: dataChange,
                stats: "{\"numRecords\":\(summary.rows)}")
            written.append(WrittenFile(add: add, keys: current.keys))
        }

        /// Finishes the open file; returns every file written.
        mutating func finish() throws -> [WrittenFile] {
            try finishFile()
            return written
        }
    }
}

/// An item's storage key as a dictionary key, hashed in one call over its bytes (an array of
/// bytes hashes byte by byte).
struct StorageKey: Hashable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (a: StorageKey, b: StorageKey) -> Bool { a.bytes == b.bytes }
}
