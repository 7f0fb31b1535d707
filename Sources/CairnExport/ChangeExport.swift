import Cairn
import CairnLSM
import Foundation

/// An incremental export: the changes a table's change stream holds between two times, as
/// Parquet rows (`cairn export --from TIME --to-time TIME`).
///
/// One row per change, in commit order: `_op` (INSERT, MODIFY or REMOVE, as DMS writes
/// them), `_seq` (the commit sequence number), `_commit_ts` (when it was written, UTC
/// microseconds), the item's typed columns (worked out from the changes, as `ItemRowSchema`
/// does for a table), `_item` (the item after the change in DynamoDB JSON, or its keys for
/// REMOVE) and `_old_item` (the item before, when the stream keeps old images). The table
/// needs an enabled stream, and the window must lie within the stream's retention (24 hours).
public enum ChangeExport {
    /// What an incremental export wrote.
    public struct Summary: Sendable {
        public var tableName: String
        public var changeCount: Int
        public var files: [String]
        public var bytes: Int64
        /// The first and last commit sequence numbers exported (0 when none).
        public var firstSequence: UInt64
        public var lastSequence: UInt64
    }

    /// A change as a row of `changeColumns` + `schema`'s columns + `_old_item`: `_op`, `_seq`,
    /// `_commit_ts`, the new image's columns (the keys for REMOVE; a value that does not fit
    /// its column is null there), `_item`, and the old image in DynamoDB JSON.
    static func row(_ record: ChangeRecord, schema: ItemRowSchema) -> [ParquetValue] {
        var row: [ParquetValue] = [
            .string(record.eventName.rawValue), .int64(Int64(bitPattern: record.sequenceNumber)),
            .int64(Int64((record.approximateCreationDate.timeIntervalSince1970 * 1_000_000).rounded())),
        ]
        row += schema.lenientRow(record.newImage ?? record.keys)
        row.append(record.oldImage.map { .bytes(DynamoDBJSON.encode($0)) } ?? .null)
        return row
    }

    /// The fixed columns before the item's.
    static let changeColumns = [
        ParquetColumn("_op", .string, optional: false),
        ParquetColumn("_seq", .int64, optional: false),
        ParquetColumn("_commit_ts", .timestampMicros, optional: false),
    ]

    /// Exports the changes of `tableName` committed in [`from`, `to`) (nil: from the oldest
    /// record kept, up to now) into `directory`, empty or new.
    public static func export(
        _ db: ItemDatabase, table tableName: String, to directory: String, from: Date?, to: Date?,
        options: TableExport.Options = TableExport.Options(), progress: ((TableExport.Progress) -> Void)? = nil
    ) throws -> Summary {
        let fs = options.fileSystem
        try ExportSupport.prepareEmptyDirectory(directory, fileSystem: fs)
        let keys = try db.describeTable(DescribeTableInput(tableName: tableName)).table.keySchema.map(\.attributeName)
        // Changes committed after this call started are not part of the export.
        let end = db.storage.latestSequenceNumber
        let fromSeconds = from?.timeIntervalSince1970 ?? -.infinity
        let toSeconds = to?.timeIntervalSince1970 ?? .infinity
        func forEachChange(_ body: (ChangeRecord) throws -> Void) throws {
            try ExportSupport.forEachChange(db, table: tableName, after: 0, through: end) { record in
                let time = record.approximateCreationDate.timeIntervalSince1970
                if time >= fromSeconds && time < toSeconds { try body(record) }
            }
        }

        // Pass 1: the columns, from every image in the window.
        var inference = ItemRowSchema.Inference(keyNames: keys)
        var total = 0
        try forEachChange { record in
            inference.observe(record.newImage ?? record.keys)
            total += 1
        }
        let schema = inference.schema
        let columns = changeColumns + schema.parquetColumns + [ParquetColumn("_old_item", .json)]

        // Pass 2: the rows.
        var files: [String] = []
        var bytes: Int64 = 0
        var written = 0
        var first: UInt64 = 0, last: UInt64 = 0
        var writer: (file: any WritableFile, parquet: ParquetFileWriter, name: String)?
        let metadata: [(key: String, value: String)] = [("cairn.table", tableName), ("cairn.export", "changes")]
        func openFile() throws {
            let name = String(format: "changes-%05d.parquet", files.count)
            let file = try fs.newWritableFile(joinPath(directory, name + ".tmp"))
            writer = (file, try ParquetFileWriter(file: file, columns: columns, options: options.parquet), name)
        }
        func finishFile() throws {
            guard let open = writer else { return }
            let summary = try open.parquet.finish(metadata: metadata)
            try open.file.close()
            try fs.rename(joinPath(directory, open.name + ".tmp"), to: joinPath(directory, open.name))
            files.append(open.name)
            bytes += summary.bytes
            writer = nil
        }
        try forEachChange { record in
            if writer == nil { try openFile() }
            let sequence = record.sequenceNumber
            if first == 0 { first = sequence }
            last = sequence
            let row = Self.row(record, schema: schema)
            try writer?.parquet.write(row)
            written += 1
            if written % 100_000 == 0 { progress?(TableExport.Progress(phase: .writing, items: written, totalItems: total)) }
            if let open = writer, open.parquet.rowsWritten >= Int64(options.itemsPerFile) { try finishFile() }
        }
        if files.isEmpty && writer == nil { try openFile() }  // an empty window still gets a file
        try finishFile()
        try fs.syncDirectory(directory)
        progress?(TableExport.Progress(phase: .done, items: written, totalItems: total))
        return Summary(tableName: tableName, changeCount: written, files: files, bytes: bytes, firstSequence: first, lastSequence: last)
    }
}
