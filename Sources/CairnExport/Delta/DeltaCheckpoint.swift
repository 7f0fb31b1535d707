import CairnLSM
import Foundation

/// A Delta checkpoint: the table's whole state at one version as a Parquet file,
/// `_delta_log/<version>.checkpoint.parquet`, and `_delta_log/_last_checkpoint` pointing at
/// it (PROTOCOL.md, "Checkpoints"), so readers start there instead of replaying every commit.
///
/// One action a row, in the classic single-file form: the columns `txn`, `add`, `remove`,
/// `metaData` and `protocol` are optional structs, and each row has exactly one of them set,
/// with the fields Spark writes (maps of strings for partition values, tags, options and
/// configuration). The file is written under a temporary name and renamed, and
/// `_last_checkpoint` is replaced atomically after it, so a reader never sees a part of one.
public enum DeltaCheckpoint {
    static let stringMap = ParquetColumn.Kind.map(key: .string, value: .string, valueOptional: true)

    /// The checkpoint's columns.
    static let columns: [ParquetColumn] = [
        ParquetColumn("txn", .group([
            ParquetColumn("appId", .string), ParquetColumn("version", .int64), ParquetColumn("lastUpdated", .int64),
        ])),
        ParquetColumn("add", .group([
            ParquetColumn("path", .string), ParquetColumn("partitionValues", stringMap), ParquetColumn("size", .int64),
            ParquetColumn("modificationTime", .int64), ParquetColumn("dataChange", .boolean), ParquetColumn("stats", .string),
            ParquetColumn("tags", stringMap),
        ])),
        ParquetColumn("remove", .group([
            ParquetColumn("path", .string), ParquetColumn("deletionTimestamp", .int64), ParquetColumn("dataChange", .boolean),
            ParquetColumn("extendedFileMetadata", .boolean), ParquetColumn("partitionValues", stringMap),
            ParquetColumn("size", .int64),
        ])),
        ParquetColumn("metaData", .group([
            ParquetColumn("id", .string), ParquetColumn("name", .string), ParquetColumn("description", .string),
            ParquetColumn("format", .group([ParquetColumn("provider", .string), ParquetColumn("options", stringMap)])),
            ParquetColumn("schemaString", .string), ParquetColumn("partitionColumns", .list(.string)),
            ParquetColumn("configuration", stringMap), ParquetColumn("createdTime", .int64),
        ])),
        ParquetColumn("protocol", .group([
            ParquetColumn("minReaderVersion", .int32), ParquetColumn("minWriterVersion", .int32),
        ])),
    ]

    /// The checkpoint rows of `state`: protocol, metadata, transactions, then files.
    static func rows(_ state: DeltaTableState) -> [[ParquetValue]] {
        func string(_ s: String?) -> ParquetValue { s.map { .string($0) } ?? .null }
        func map(_ m: [String: String]) -> ParquetValue {
            .map(m.sorted(by: { $0.key < $1.key }).map { ParquetMapEntry(key: .string($0.key), value: .string($0.value)) })
        }
        func row(column: Int, _ value: ParquetValue) -> [ParquetValue] {
            var row = [ParquetValue](repeating: .null, count: columns.count)
            row[column] = value
            return row
        }
        var rows: [[ParquetValue]] = []
        for action in state.checkpointActions() {
            switch action {
            case .transaction(let appId, let version, let lastUpdated):
                rows.append(row(column: 0, .group([.string(appId), .int64(version), lastUpdated.map { .int64($0) } ?? .null])))
            case .add(let a):
                rows.append(row(column: 1, .group([
                    .string(a.path), map([:]), .int64(a.size), .int64(a.modificationTime), .boolean(a.dataChange),
                    string(a.stats), .null,
                ])))
            case .remove(let r):
                rows.append(row(column: 2, .group([
                    .string(r.path), .int64(r.deletionTimestamp), .boolean(r.dataChange), .boolean(r.size != nil), map([:]),
                    r.size.map { .int64($0) } ?? .null,
                ])))
            case .metadata(let m):
                rows.append(row(column: 3, .group([
                    .string(m.id), string(m.name), string(m.description), .group([.string("parquet"), map([:])]),
                    .string(m.schemaString), .list(m.partitionColumns.map { .string($0) }), map(m.configuration),
                    m.createdTime.map { .int64($0) } ?? .null,
                ])))
            case .protocolVersion(let p):
                rows.append(row(column: 4, .group([.int32(Int32(p.minReaderVersion)), .int32(Int32(p.minWriterVersion))])))
            case .commitInfo, .other:
                continue
            }
        }
        return rows
    }

    /// Writes the checkpoint of `state` (at `state.version`) and then `_last_checkpoint`.
    public static func write(_ state: DeltaTableState, log: DeltaLog, options: ParquetWriterOptions = ParquetWriterOptions()) throws {
        let fs = log.fileSystem
        let name = DeltaLog.checkpointName(state.version)
        let temp = joinPath(log.logDirectory, "." + name + ".tmp")
        let file = try fs.newWritableFile(temp)
        let rows = rows(state)
        do {
            let writer = try ParquetFileWriter(file: file, columns: columns, options: options)
            for row in rows { try writer.write(row) }
            try writer.finish()
            try file.close()
        } catch {
            try? file.close()
            try? fs.removeFile(temp)
            throw error
        }
        try fs.rename(temp, to: joinPath(log.logDirectory, name))
        try fs.syncDirectory(log.logDirectory)
        let pointer = "{\"size\":\(rows.count),\"version\":\(state.version)}\n"
        try fs.writeFileAtomically(joinPath(log.logDirectory, "_last_checkpoint"), Array(pointer.utf8), directory: log.logDirectory)
    }
}
