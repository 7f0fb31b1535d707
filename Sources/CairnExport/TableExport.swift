import Cairn
import CairnLSM
import Foundation

/// A full export of one table at one consistent snapshot (`cairn export`).
///
/// The snapshot is read twice: once to work out the columns (`ItemRowSchema.Inference`), once
/// to write the files, so every file of an export has the same schema. Each file is written
/// under a temporary name, synced, closed and renamed into place, so a crash never leaves a
/// partial file under a final name; `_cairn_export.json` (written last, atomically) lists the
/// files and says the export is complete. The directory must be empty or absent.
public enum TableExport {
    /// The formats `cairn export --format` takes.
    public enum Format: String, Sendable, CaseIterable {
        case parquet
        /// DynamoDB's own export layout (`DynamoDBJSONExport`).
        case dynamoDBJSON = "dynamodb-json"
    }

    public struct Options: Sendable {
        public var format: Format = .parquet
        public var parquet = ParquetWriterOptions()
        /// A file ends after this many items (and a new part begins).
        public var itemsPerFile = 5_000_000
        public var fileSystem: any FileSystem = PosixFileSystem()

        public init() {}
    }

    /// Where an export is: the phase, and items done of the total (known after the first pass).
    public struct Progress: Sendable {
        public enum Phase: String, Sendable { case scanning, writing, done }
        public var phase: Phase
        public var items: Int
        public var totalItems: Int?
    }

    /// What an export wrote.
    public struct Summary: Sendable {
        public var tableName: String
        public var format: Format
        public var itemCount: Int
        /// File names in the directory, in order.
        public var files: [String]
        public var bytes: Int64
        /// The snapshot's commit sequence number: changes after it are in the change stream
        /// with higher SequenceNumbers (the bookmark an incremental export starts from).
        public var snapshotSequence: UInt64
        public var schema: ItemRowSchema
    }

    /// The name of the file that marks a complete export and lists its files.
    public static let manifestName = "_cairn_export.json"

    /// Exports table `tableName` of `db` into `directory`.
    public static func export(
        _ db: ItemDatabase, table tableName: String, to directory: String, options: Options = Options(),
        progress: ((Progress) -> Void)? = nil
    ) throws -> Summary {
        let fs = options.fileSystem
        guard options.format == .parquet else {
            throw ExportError.encoding("TableExport writes Parquet; DynamoDBJSONExport writes \(options.format.rawValue)")
        }
        if fs.fileExists(directory) {
            let present = try fs.listDirectory(directory)
            guard present.isEmpty else {
                throw ExportError.encoding("\(directory) is not empty (\(present.count) entries): an export needs an empty or new directory")
            }
        } else {
            try fs.createDirectory(directory)
        }
        let snapshot = try db.snapshot(ofTable: tableName)

        var inference = ItemRowSchema.Inference(keyAttributes: snapshot.keyAttributes)
        var total = 0
        try snapshot.forEachItem { item in
            inference.observe(item)
            total += 1
            if total % 100_000 == 0 { progress?(Progress(phase: .scanning, items: total, totalItems: nil)) }
        }
        let schema = inference.schema
        let columns = schema.parquetColumns

        var files: [String] = []
        var bytes: Int64 = 0
        var written = 0
        var writer: (file: any WritableFile, parquet: ParquetFileWriter, name: String)?
        let metadata: [(key: String, value: String)] = [
            ("cairn.table", tableName), ("cairn.snapshot_sequence", String(snapshot.sequence)),
        ]
        func finishFile() throws {
            guard let open = writer else { return }
            let summary = try open.parquet.finish(metadata: metadata)
            try open.file.close()
            try fs.rename(joinPath(directory, open.name + ".tmp"), to: joinPath(directory, open.name))
            files.append(open.name)
            bytes += summary.bytes
            writer = nil
        }
        try snapshot.forEachItem { item in
            if writer == nil {
                let name = String(format: "part-%05d.parquet", files.count)
                let file = try fs.newWritableFile(joinPath(directory, name + ".tmp"))
                writer = (file, try ParquetFileWriter(file: file, columns: columns, options: options.parquet), name)
            }
            try writer?.parquet.write(try schema.row(item))
            written += 1
            if written % 100_000 == 0 { progress?(Progress(phase: .writing, items: written, totalItems: total)) }
            if let open = writer, open.parquet.rowsWritten >= Int64(options.itemsPerFile) { try finishFile() }
        }
        if files.isEmpty && writer == nil {
            // An empty table still gets one file, with the key columns and `_item`.
            let name = "part-00000.parquet"
            let file = try fs.newWritableFile(joinPath(directory, name + ".tmp"))
            writer = (file, try ParquetFileWriter(file: file, columns: columns, options: options.parquet), name)
        }
        try finishFile()
        guard written == total else {
            throw ExportError.encoding("the snapshot gave \(total) items, then \(written)")
        }
        try fs.syncDirectory(directory)
        let summary = Summary(
            tableName: tableName, format: options.format, itemCount: written, files: files, bytes: bytes,
            snapshotSequence: snapshot.sequence, schema: schema)
        try fs.writeFileAtomically(joinPath(directory, manifestName), manifest(summary), directory: directory)
        progress?(Progress(phase: .done, items: written, totalItems: total))
        return summary
    }

    /// The manifest's JSON: `{"format": ..., "table": ..., "itemCount": ..., "snapshotSequence":
    /// "...", "files": [...], "columns": [{"name": ..., "type": ...}]}`.
    static func manifest(_ summary: Summary) -> [UInt8] {
        var out: [UInt8] = []
        func key(_ k: String) { DynamoDBJSON.appendString(k, to: &out); out.append(UInt8(ascii: ":")) }
        out.append(contentsOf: Array("{".utf8))
        key("format"); DynamoDBJSON.appendString(summary.format.rawValue, to: &out); out.append(UInt8(ascii: ","))
        key("table"); DynamoDBJSON.appendString(summary.tableName, to: &out); out.append(UInt8(ascii: ","))
        key("itemCount"); out.append(contentsOf: Array(String(summary.itemCount).utf8)); out.append(UInt8(ascii: ","))
        key("snapshotSequence"); DynamoDBJSON.appendString(String(summary.snapshotSequence), to: &out); out.append(UInt8(ascii: ","))
        key("files"); out.append(UInt8(ascii: "["))
        for (i, file) in summary.files.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            DynamoDBJSON.appendString(file, to: &out)
        }
        out.append(contentsOf: Array("],".utf8))
        key("columns"); out.append(UInt8(ascii: "["))
        for (i, column) in summary.schema.parquetColumns.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "{")); key("name"); DynamoDBJSON.appendString(column.name, to: &out)
            out.append(UInt8(ascii: ",")); key("type"); DynamoDBJSON.appendString(column.kind.name, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: Array("]}\n".utf8))
        return out
    }
}
