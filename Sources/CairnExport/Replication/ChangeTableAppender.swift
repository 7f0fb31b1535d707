import Cairn
import CairnLSM
import Foundation

/// The optional append-only change table of `cairn replicate --change-table DIR`: a second
/// Delta table with one row per change record, as DMS writes change data: `_op` (INSERT,
/// MODIFY, REMOVE), `_seq` (the commit sequence number), `_commit_ts` (the commit time,
/// TIMESTAMP UTC), the typed columns of the replicated table (from the new image, or the keys
/// for REMOVE), `_item` and `_old_item` (DynamoDB JSON, when the stream keeps old images).
///
/// Each step appends the records after its own bookmark (its `txn` version) up to the
/// replicated table's, as one file and one commit, so it is exactly once on its own: after a
/// crash between the two tables' commits, it catches up on the next step. It starts at the
/// sequence the replicated table had when the change table was created.
final class ChangeTableAppender {
    let directory: String
    let tableName: String
    let options: TableReplicator.Options
    let log: DeltaLog
    private let lock: any FileLock
    private var state: DeltaTableState
    private var closed = false

    init(table: String, directory: String, options: TableReplicator.Options) throws {
        self.directory = directory
        tableName = table
        self.options = options
        log = DeltaLog(directory: directory, fileSystem: options.fileSystem)
        try log.createDirectories(log.cairnDirectory)
        lock = try options.fileSystem.lockFile(joinPath(log.cairnDirectory, "LOCK"))
        do {
            state = try log.load()
            if let metadata = state.metadata, metadata.configuration["cairn.table"] != table {
                throw CairnError.invalidArgument(
                    "\(directory) is the change table of \(metadata.configuration["cairn.table"] ?? "another table"), not \(table)")
            }
            let fs = options.fileSystem
            for name in try fs.listDirectory(directory) {
                if name.hasSuffix(".tmp") {
                    try fs.removeFile(joinPath(directory, name))
                } else if let version = TableReplicator.DataFileWriter.version(ofFileNamed: name), version > state.version {
                    try fs.removeFile(joinPath(directory, name))
                }
            }
        } catch {
            lock.unlock()
            throw error
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        lock.unlock()
    }

    static let fixedColumns = ChangeExport.changeColumns
    static let oldItemColumn = ParquetColumn("_old_item", .json)

    static func columns(_ schema: ItemRowSchema) -> [ParquetColumn] {
        fixedColumns + schema.parquetColumns(requiredKeys: false) + [oldItemColumn]
    }

    private func metadata(_ schema: ItemRowSchema, id: String, created: Int64?) -> DeltaMetadata {
        DeltaMetadata(
            id: id, name: tableName + "_changes", description: "Changes of Cairn table \(tableName), one row per change record",
            schemaString: DeltaSchema.schemaString(Self.columns(schema)),
            configuration: [ReplicationSchema.configurationKey: ReplicationSchema.encode(schema), "cairn.table": tableName],
            createdTime: created)
    }

    /// Appends the records after the change table's bookmark up to `sequence` (the
    /// replicated table's) as one version; returns it, or nil when there was nothing to add.
    func step(_ db: ItemDatabase, upTo sequence: UInt64, schema: ItemRowSchema) throws -> Int64? {
        let appId = options.consumerName
        let now = TableReplicator.milliseconds()
        guard state.version >= 0, let applied = state.transactions[appId].map({ UInt64(bitPattern: $0) }) else {
            // A new change table starts where the replicated table is.
            try log.commit(version: 0, actions: [
                .commitInfo(timestamp: now, operation: "CREATE TABLE", parameters: ["cairn.table": tableName, "cairn.sequence": String(sequence)]),
                .protocolVersion(DeltaProtocol()),
                .metadata(metadata(schema, id: UUID().uuidString.lowercased(), created: now)),
                .transaction(appId: appId, version: Int64(bitPattern: sequence), lastUpdated: now),
            ])
            state = try log.load()
            return 0
        }
        guard sequence > applied else { return nil }
        let version = state.version + 1
        let name = TableReplicator.DataFileWriter.name(version: version, index: 0)
        let fs = options.fileSystem
        let columns = Self.columns(schema)
        var open: (file: any WritableFile, parquet: ParquetFileWriter)?
        var count = 0
        try ExportSupport.forEachChange(db, table: tableName, after: applied, through: sequence) { record in
            if open == nil {
                let file = try fs.newWritableFile(joinPath(directory, name + ".tmp"))
                open = (file, try ParquetFileWriter(file: file, columns: columns, options: options.parquet))
            }
            try open?.parquet.write(ChangeExport.row(record, schema: schema))
            count += 1
        }
        var actions: [DeltaAction] = [
            .commitInfo(timestamp: now, operation: "WRITE", parameters: [
                "cairn.table": tableName, "cairn.sequence": String(sequence), "cairn.changes": String(count), "mode": "Append",
            ]),
        ]
        if let current = state.metadata, ReplicationSchema.decode(current.configuration[ReplicationSchema.configurationKey] ?? "") != schema {
            actions.append(.metadata(metadata(schema, id: current.id, created: current.createdTime)))
        }
        actions.append(.transaction(appId: appId, version: Int64(bitPattern: sequence), lastUpdated: now))
        if let current = open {
            let summary = try current.parquet.finish(metadata: [("cairn.table", tableName)])
            try current.file.close()
            try fs.rename(joinPath(directory, name + ".tmp"), to: joinPath(directory, name))
            try fs.syncDirectory(directory)
            actions.append(.add(DeltaAddFile(
                path: name, size: summary.bytes, modificationTime: now, dataChange: true, stats: "{\"numRecords\":\(summary.rows)}")))
        }
        try log.commit(version: version, actions: actions)
        state.apply(actions, version: version)
        if version % options.checkpointInterval == 0 {
            try DeltaCheckpoint.write(state, log: log, options: options.parquet)
            try log.writeStateFile(state)
        }
        return version
    }
}
