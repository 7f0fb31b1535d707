import Cairn
import CairnLSM
import Crypto
import Foundation

/// DynamoDB's own export format (Export to S3, `DYNAMODB_JSON`), written to and read from a
/// directory that stands for the bucket: the way data moves between Cairn and DynamoDB (or
/// ScyllaDB Alternator) and back. Layout (Docs/parquet_writer.md, "DynamoDB JSON exports"):
///
/// ```
/// DIR/AWSDynamoDB/<ExportId>/_started
/// DIR/AWSDynamoDB/<ExportId>/data/<name>.json.gz        one {"Item": {...}} a line, gzip
/// DIR/AWSDynamoDB/<ExportId>/manifest-files.json        one line per data file
/// DIR/AWSDynamoDB/<ExportId>/manifest-files.checksum    MD5 of manifest-files.json, hex
/// DIR/AWSDynamoDB/<ExportId>/manifest-summary.json      written last: the export is complete
/// DIR/AWSDynamoDB/<ExportId>/manifest-summary.checksum
/// ```
public enum DynamoDBJSONExport {
    /// What an export wrote.
    public struct Summary: Sendable {
        public var exportID: String
        /// The export's directory (`DIR/AWSDynamoDB/<ExportId>`).
        public var directory: String
        public var itemCount: Int
        public var dataFiles: [String]
        public var bytes: Int64
        public var snapshotSequence: UInt64
    }

    /// Exports table `tableName` into `directory` at one snapshot, `itemsPerFile` items per
    /// data file.
    public static func export(
        _ db: ItemDatabase, table tableName: String, to directory: String, itemsPerFile: Int = 1_000_000,
        fileSystem fs: any FileSystem = PosixFileSystem(), at time: Date? = nil, progress: ((TableExport.Progress) -> Void)? = nil
    ) throws -> Summary {
        let description = try db.describeTable(DescribeTableInput(tableName: tableName)).table
        let view = try PointInTimeView(db, table: tableName, at: time)
        let snapshot = view.snapshot
        let start = Date()
        let exportID = String(format: "%014lld-%08x", Int64(start.timeIntervalSince1970 * 1000), UInt32.random(in: 0...UInt32.max))
        for path in [directory, joinPath(directory, "AWSDynamoDB")] where !fs.fileExists(path) { try fs.createDirectory(path) }
        let exportDirectory = joinPath(joinPath(directory, "AWSDynamoDB"), exportID)
        let prefix = "AWSDynamoDB/\(exportID)"
        try fs.createDirectory(exportDirectory)
        try fs.createDirectory(joinPath(exportDirectory, "data"))
        try fs.writeFileAtomically(joinPath(exportDirectory, "_started"), [], directory: exportDirectory)

        var manifestFiles: [UInt8] = []
        var dataFiles: [String] = []
        var bytes: Int64 = 0
        var count = 0
        var lines: [UInt8] = []
        var linesInFile = 0
        func finishFile() throws {
            guard linesInFile > 0 else { return }
            let gzipped = try Gzip.compress(lines)
            let name = String(format: "%08x%08x.json.gz", UInt32.random(in: 0...UInt32.max), UInt32(dataFiles.count))
            let key = "\(prefix)/data/\(name)"
            try fs.writeFileAtomically(joinPath(joinPath(exportDirectory, "data"), name), gzipped, directory: joinPath(exportDirectory, "data"))
            let md5 = Insecure.MD5.hash(data: gzipped)
            manifestFiles += Array(#"{"itemCount":\#(linesInFile),"md5Checksum":"\#(Data(md5).base64EncodedString())","etag":"\#(hex(md5))","dataFileS3Key":"\#(key)"}"#.utf8)
            manifestFiles.append(UInt8(ascii: "\n"))
            dataFiles.append(key)
            bytes += Int64(gzipped.count)
            lines.removeAll(keepingCapacity: true)
            linesInFile = 0
        }
        try view.forEachItem(share: 0, of: 1) { item in
            lines += Array(#"{"Item":"#.utf8)
            DynamoDBJSON.appendMap(item, to: &lines)
            lines += Array("}\n".utf8)
            linesInFile += 1
            count += 1
            if count % 100_000 == 0 { progress?(TableExport.Progress(phase: .writing, items: count, totalItems: nil)) }
            if linesInFile >= itemsPerFile { try finishFile() }
        }
        try finishFile()
        try fs.writeFileAtomically(joinPath(exportDirectory, "manifest-files.json"), manifestFiles, directory: exportDirectory)
        try fs.writeFileAtomically(
            joinPath(exportDirectory, "manifest-files.checksum"), Array(hex(Insecure.MD5.hash(data: manifestFiles)).utf8),
            directory: exportDirectory)
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let exportArn = "\(description.tableArn)/export/\(exportID)"
        var summary: [UInt8] = []
        func field(_ name: String, _ value: String?, last: Bool = false) {
            DynamoDBJSON.appendString(name, to: &summary)
            summary.append(UInt8(ascii: ":"))
            if let value { DynamoDBJSON.appendString(value, to: &summary) } else { summary += Array("null".utf8) }
            if !last { summary.append(UInt8(ascii: ",")) }
        }
        summary.append(UInt8(ascii: "{"))
        field("version", "2020-06-30")
        field("exportArn", exportArn)
        field("startTime", iso.string(from: start))
        field("endTime", iso.string(from: Date()))
        field("tableArn", description.tableArn)
        field("tableId", description.tableId)
        field("exportTime", iso.string(from: time ?? start))
        field("s3Bucket", directory)
        field("s3Prefix", nil)
        field("s3SseAlgorithm", nil)
        field("s3SseKmsKeyId", nil)
        field("manifestFilesS3Key", "\(prefix)/manifest-files.json")
        summary += Array(#""billedSizeBytes":\#(bytes),"itemCount":\#(count),"#.utf8)
        field("outputFormat", "DYNAMODB_JSON")
        field("exportType", "FULL_EXPORT", last: true)
        summary += Array("}\n".utf8)
        try fs.writeFileAtomically(
            joinPath(exportDirectory, "manifest-summary.checksum"), Array(hex(Insecure.MD5.hash(data: summary)).utf8),
            directory: exportDirectory)
        try fs.writeFileAtomically(joinPath(exportDirectory, "manifest-summary.json"), summary, directory: exportDirectory)
        progress?(TableExport.Progress(phase: .done, items: count, totalItems: count))
        return Summary(
            exportID: exportID, directory: exportDirectory, itemCount: count, dataFiles: dataFiles, bytes: bytes,
            snapshotSequence: snapshot.sequence)
    }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// What an import loaded.
    public struct ImportSummary: Sendable {
        public var itemCount: Int
        public var dataFiles: Int
    }

    /// Loads a DYNAMODB_JSON export into the existing table `tableName` (ImportTable's
    /// DYNAMODB_JSON input): `directory` is the bucket directory (holding
    /// `AWSDynamoDB/<ExportId>/`, the newest complete export is taken), an export's own
    /// directory, or its `manifest-files.json`. Each data file's MD5 is checked against the
    /// manifest. Items are written with BatchWriteItem, 25 at a time; an item already there is
    /// replaced. A damaged or malformed file is `ExportError.encoding` naming the file and line.
    public static func importExport(
        from directory: String, into db: ItemDatabase, table tableName: String,
        fileSystem fs: any FileSystem = PosixFileSystem(), progress: ((TableExport.Progress) -> Void)? = nil
    ) throws -> ImportSummary {
        _ = try db.describeTable(DescribeTableInput(tableName: tableName))  // the table must exist
        let (manifestPath, bucket) = try locateManifest(directory, fs)
        let manifest = try fs.readFile(manifestPath)
        let decoder = JSONDecoder()
        struct FileEntry: Decodable { var itemCount: Int?; var md5Checksum: String?; var dataFileS3Key: String }
        struct Line: Decodable {
            var item: Item
            enum CodingKeys: String, CodingKey { case item = "Item" }
        }
        var total = 0, files = 0
        for (n, rawLine) in manifest.split(separator: UInt8(ascii: "\n")).enumerated() where !rawLine.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
            guard let entry = try? decoder.decode(FileEntry.self, from: Data(rawLine)) else {
                throw ExportError.encoding("\(manifestPath) line \(n + 1): not a manifest-files entry")
            }
            let dataPath = joinPath(bucket, entry.dataFileS3Key)
            let compressed = try fs.readFile(dataPath)
            if let expected = entry.md5Checksum, Data(Insecure.MD5.hash(data: compressed)).base64EncodedString() != expected {
                throw ExportError.encoding("\(dataPath): MD5 differs from the manifest's \(expected)")
            }
            let text = entry.dataFileS3Key.hasSuffix(".gz") ? try Gzip.decompress(compressed, file: dataPath) : compressed
            var batch: [WriteRequest] = []
            var itemsInFile = 0
            func flush() throws {
                guard !batch.isEmpty else { return }
                var pending = [tableName: batch]
                while !pending.isEmpty {
                    pending = try db.batchWriteItem(BatchWriteItemInput(requestItems: pending)).unprocessedItems ?? [:]
                }
                batch.removeAll(keepingCapacity: true)
            }
            for (lineNumber, line) in text.split(separator: UInt8(ascii: "\n")).enumerated() where !line.isEmpty {
                let item: Item
                do {
                    item = try decoder.decode(Line.self, from: Data(line)).item
                } catch {
                    throw ExportError.encoding("\(dataPath) line \(lineNumber + 1): not an {\"Item\": ...} line in DynamoDB JSON (\(error))")
                }
                batch.append(.put(item))
                itemsInFile += 1
                if batch.count == 25 { try flush() }
            }
            try flush()
            if let expected = entry.itemCount, expected != itemsInFile {
                throw ExportError.encoding("\(dataPath): \(itemsInFile) items, the manifest says \(expected)")
            }
            total += itemsInFile
            files += 1
            progress?(TableExport.Progress(phase: .writing, items: total, totalItems: nil))
        }
        progress?(TableExport.Progress(phase: .done, items: total, totalItems: total))
        return ImportSummary(itemCount: total, dataFiles: files)
    }

    /// The manifest-files.json to read and the directory its keys are relative to.
    private static func locateManifest(_ path: String, _ fs: any FileSystem) throws -> (manifest: String, bucket: String) {
        func bucket(ofExport exportDirectory: String) -> String {
            // <bucket>/AWSDynamoDB/<ExportId>: keys start at the bucket.
            URL(fileURLWithPath: exportDirectory).deletingLastPathComponent().deletingLastPathComponent().path
        }
        if path.hasSuffix("manifest-files.json") {
            return (path, bucket(ofExport: URL(fileURLWithPath: path).deletingLastPathComponent().path))
        }
        if fs.fileExists(joinPath(path, "manifest-files.json")) { return (joinPath(path, "manifest-files.json"), bucket(ofExport: path)) }
        let root = joinPath(path, "AWSDynamoDB")
        guard fs.fileExists(root) else {
            throw ExportError.encoding("\(path) holds no DynamoDB export (no AWSDynamoDB/ directory or manifest-files.json)")
        }
        // The newest complete export (ExportIds start with the export's time in milliseconds).
        let complete = try fs.listDirectory(root).sorted().filter { fs.fileExists(joinPath(joinPath(root, $0), "manifest-summary.json")) }
        guard let newest = complete.last else { throw ExportError.encoding("\(root) holds no complete export (no manifest-summary.json)") }
        return (joinPath(joinPath(root, newest), "manifest-files.json"), path)
    }
}
