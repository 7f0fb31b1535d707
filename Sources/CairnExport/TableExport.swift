import Cairn
import CairnLSM
import Foundation
import Synchronization

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
        /// Threads reading and writing at once, each a share of the table (by partition hash)
        /// into files of its own; by default one per processor, at most 8.
        public var threads = min(8, max(1, ProcessInfo.processInfo.activeProcessorCount))
        /// Writing uses fewer threads when each would have fewer items than this, so a small
        /// table is one file.
        public var minimumItemsPerThread = 100_000
        /// Export the table as it was at this moment (nil: now), undoing later changes from the
        /// stream's old images (`PointInTimeView`).
        public var at: Date?

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

    /// Items done by all threads, for progress.
    final class ItemCounter: Sendable {
        private let count = Atomic<Int>(0)
        func add() { count.add(1, ordering: .relaxed) }
        var value: Int { count.load(ordering: .relaxed) }
    }

    /// What one thread wrote of its share: temporary files in order, with their rows and sizes.
    private struct ShareOutput: Sendable {
        var files: [(temporary: String, bytes: Int64)] = []
        var items = 0
    }

    /// Runs `body` for each share, `threads` at once; share 0 on the calling thread, which
    /// alone calls `progress` (with the items done by all). Rethrows the first error.
    private static func forEachShare<T: Sendable>(
        _ shares: Int, done: ItemCounter, progress: ((Int) -> Void)?, _ body: @escaping @Sendable (Int) throws -> T
    ) throws -> [T] {
        let results = CairnMutex<[Int: Result<T, any Error>]>([:])
        let group = DispatchGroup()
        for share in 1..<max(shares, 1) {
            group.enter()
            Thread.detachNewThread {
                let result = Result { try body(share) }
                results.withLock { $0[share] = result }
                group.leave()
            }
        }
        let first = Result { try body(0) }
        results.withLock { $0[0] = first }
        while group.wait(timeout: .now() + .milliseconds(200)) == .timedOut {
            progress?(done.value)
        }
        return try (0..<shares).map { share in
            guard let result = results.withLock({ $0[share] }) else {
                throw ExportError.encoding("share \(share) of the export ended without a result")
            }
            return try result.get()
        }
    }

    /// Exports table `tableName` of `db` into `directory`.
    public static func export(
        _ db: ItemDatabase, table tableName: String, to directory: String, options: Options = Options(),
        progress: ((Progress) -> Void)? = nil
    ) throws -> Summary {
        let fs = options.fileSystem
        guard options.format == .parquet else {
            throw ExportError.encoding("TableExport writes Parquet; DynamoDBJSONExport writes \(options.format.rawValue)")
        }
        guard options.itemsPerFile > 0 else { throw ExportError.encoding("itemsPerFile must be positive") }
        try ExportSupport.prepareEmptyDirectory(directory, fileSystem: fs)
        let view = try PointInTimeView(db, table: tableName, at: options.at)
        let snapshot = view.snapshot
        let shares = max(1, min(options.threads, 64))

        // Pass 1: the columns, each thread inferring from its share.
        let scanned = ItemCounter()
        let keys = snapshot.keyAttributes
        let inferences = try forEachShare(shares, done: scanned, progress: progress.map { report in
            { report(Progress(phase: .scanning, items: $0, totalItems: nil)) }
        }) { share -> ItemRowSchema.Inference in
            var inference = ItemRowSchema.Inference(keyAttributes: keys)
            try view.forEachItem(share: share, of: shares) { item in
                inference.observe(item)
                scanned.add()
            }
            return inference
        }
        var inference = ItemRowSchema.Inference(keyAttributes: keys)
        for part in inferences { inference.merge(part) }
        let total = scanned.value
        let schema = inference.schema
        let columns = schema.parquetColumns
        var metadata: [(key: String, value: String)] = [
            ("cairn.table", tableName), ("cairn.snapshot_sequence", String(snapshot.sequence)),
        ]
        if let at = options.at { metadata.append(("cairn.export_time", String(at.timeIntervalSince1970))) }
        let fileMetadata = metadata

        // Pass 2: the rows, each thread writing its share into temporary files of its own.
        let writers = max(1, min(shares, total / max(1, options.minimumItemsPerThread)))
        let written = ItemCounter()
        let outputs = try forEachShare(writers, done: written, progress: progress.map { report in
            { report(Progress(phase: .writing, items: $0, totalItems: total)) }
        }) { share -> ShareOutput in
            var output = ShareOutput()
            var writer: (file: any WritableFile, parquet: ParquetFileWriter, name: String)?
            func finishFile() throws {
                guard let open = writer else { return }
                writer = nil
                let summary = try open.parquet.finish(metadata: fileMetadata)
                try open.file.close()
                output.files.append((open.name, summary.bytes))
            }
            func openFile() throws {
                let name = String(format: ".share-%03d-%05d.parquet.tmp", share, output.files.count)
                let file = try fs.newWritableFile(joinPath(directory, name))
                writer = (file, try ParquetFileWriter(file: file, columns: columns, options: options.parquet), name)
            }
            try view.forEachItem(share: share, of: writers) { item in
                if writer == nil { try openFile() }
                try writer?.parquet.write(try schema.row(item))
                output.items += 1
                written.add()
                if let open = writer, open.parquet.rowsWritten >= Int64(options.itemsPerFile) { try finishFile() }
            }
            // An empty table still gets one file, with the key columns and `_item`.
            if share == 0 && output.files.isEmpty && writer == nil && total == 0 { try openFile() }
            try finishFile()
            return output
        }
        let count = outputs.reduce(0) { $0 + $1.items }
        guard count == total else {
            throw ExportError.encoding("the snapshot gave \(total) items, then \(count)")
        }
        // Final names in share order: the files in order hold the items in Scan order.
        var files: [String] = []
        var bytes: Int64 = 0
        for output in outputs {
            for file in output.files {
                let name = String(format: "part-%05d.parquet", files.count)
                try fs.rename(joinPath(directory, file.temporary), to: joinPath(directory, name))
                files.append(name)
                bytes += file.bytes
            }
        }
        try fs.syncDirectory(directory)
        let summary = Summary(
            tableName: tableName, format: options.format, itemCount: count, files: files, bytes: bytes,
            snapshotSequence: snapshot.sequence, schema: schema)
        try fs.writeFileAtomically(joinPath(directory, manifestName), manifest(summary), directory: directory)
        progress?(Progress(phase: .done, items: count, totalItems: total))
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
