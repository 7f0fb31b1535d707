import Cairn
import CairnLSM
import Foundation
import Testing
@testable import CairnExport

/// CairnExport's own files written by an earlier build must stay readable:
/// `Tests/Fixtures/formats/export/delta` is a Delta table written by `TableReplicator` (three
/// versions, a checkpoint with Cairn's state file, key lists of every live file) and
/// `export/parquet` a `cairn export` of the same table. The tests copy them to a temporary
/// directory, check the version bytes (key-list magic and version, Delta protocol versions,
/// Parquet magic), reopen the replicator on the Delta table (state file, commits, key lists) and
/// compare every key list and every item with the listings committed beside them; deltalake and
/// pyarrow read the tables back as a user would.
///
/// To rewrite it (only when a format changes on purpose): `CAIRN_WRITE_FIXTURES=1 swift test
/// --skip-build --filter ExportFormatCompatibilityTests` (Tests/Fixtures/formats/README.md).
@Suite struct ExportFormatCompatibilityTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/formats/export").path

    static var writing: Bool { ProcessInfo.processInfo.environment["CAIRN_WRITE_FIXTURES"] == "1" }

    static func options(_ fileSystem: any FileSystem = PosixFileSystem()) -> TableReplicator.Options {
        var options = ReplicationTests.smallOptions(fileSystem)
        options.targetFileRows = 12
        options.checkpointInterval = 2
        return options
    }

    /// Three replicated versions: a full load of 30 items, then updates, deletes and inserts.
    static func build(_ root: String) throws -> ItemDatabase {
        let db = try ReplicationTests.openDatabase("/db", fileSystem: MemoryFileSystem())
        let replicator = try TableReplicator(table: "orders", directory: root + "/delta", options: options())
        defer { replicator.close() }
        for i in 0..<30 { try ReplicationTests.put(db, i, round: 0) }
        _ = try replicator.step(db)
        for i in stride(from: 0, to: 30, by: 4) { try ReplicationTests.put(db, i, round: 1) }
        try ReplicationTests.delete(db, 3)
        _ = try replicator.step(db)
        for i in 30..<34 { try ReplicationTests.put(db, i, round: 2) }
        try ReplicationTests.delete(db, 8)
        _ = try replicator.step(db)
        var export = TableExport.Options()
        export.threads = 1
        _ = try TableExport.export(db, table: "orders", to: root + "/parquet", options: export)
        return db
    }

    /// Items as sorted DynamoDB JSON lines.
    static func itemLines(_ items: [Item]) -> String {
        items.map { String(decoding: DynamoDBJSON.encode($0), as: UTF8.self) }.sorted().map { $0 + "\n" }.joined()
    }

    /// Every live file's key list: the file's name, then its keys in hex.
    static func keyListing(_ delta: String) throws -> String {
        let fs = PosixFileSystem()
        let state = try DeltaLog(directory: delta, fileSystem: fs).load()
        var text = "version \(state.version)\n"
        for file in state.files.keys.sorted() {
            let path = delta + "/_cairn/keys/" + file + ".keys"
            text += file + "\n"
            for key in try KeyListFile.decode(try fs.readFile(path), file: path) {
                text += "  " + key.map { String(format: "%02x", $0) }.joined() + "\n"
            }
        }
        return text
    }

    @Test(.enabled(if: ExportFormatCompatibilityTests.writing)) func writeFixture() throws {
        try? FileManager.default.removeItem(atPath: Self.fixture)
        try FileManager.default.createDirectory(atPath: Self.fixture, withIntermediateDirectories: true)
        let db = try Self.build(Self.fixture)
        defer { try? db.close() }
        try? FileManager.default.removeItem(atPath: Self.fixture + "/delta/_cairn/LOCK")
        try Self.itemLines(try ReplicationTests.scanAll(db, "orders"))
            .write(toFile: Self.fixture + "/items.jsonl", atomically: true, encoding: .utf8)
        try Self.keyListing(Self.fixture + "/delta").write(toFile: Self.fixture + "/keys.txt", atomically: true, encoding: .utf8)
    }

    static func copyFixture() throws -> String {
        let temp = NSTemporaryDirectory() + "cairn-export-fixture-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: fixture, toPath: temp)
        return temp
    }

    static func files(_ dir: String) throws -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).sorted()
    }

    /// Key-list magic and version, the Delta protocol, Parquet's magic, the state file.
    @Test(.disabled(if: ExportFormatCompatibilityTests.writing)) func everyFileCarriesTheVersionsOfToday() throws {
        let root = try Self.copyFixture()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let all = try Self.files(root)
        let keyLists = all.filter { $0.hasSuffix(".keys") }
        let parquet = all.filter { $0.hasSuffix(".parquet") }
        let states = all.filter { $0.contains("_cairn/state/") }
        #expect(keyLists.count >= 3 && parquet.count >= 4 && states.count >= 1, "\(all)")
        for name in keyLists {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: root + "/" + name)))
            #expect(Array(bytes.prefix(5)) == Array("CKEY".utf8) + [1], "\(name): key list CKEY version 1")
        }
        for name in parquet {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: root + "/" + name)))
            #expect(Array(bytes.prefix(4)) == Array("PAR1".utf8) && Array(bytes.suffix(4)) == Array("PAR1".utf8), "\(name)")
        }
        let first = try String(contentsOfFile: root + "/delta/_delta_log/" + DeltaLog.commitName(0), encoding: .utf8)
        #expect(first.contains(#""protocol":{"minReaderVersion":1,"minWriterVersion":2}"#), "\(first.prefix(300))")
        let stateBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: root + "/" + states[0])))
        let state = try DeltaAction.parseLines(try DeltaLog.checkedStateFile(stateBytes, file: states[0]), file: states[0])
        // A build that predates the checksum line reads it as an unknown action.
        #expect(try DeltaAction.parseLines(stateBytes, file: states[0]).count == state.count + 1)
        #expect(state.count > 3)
        // Its last line: the CRC-32C of the lines before it.
        let stateText = try String(contentsOfFile: root + "/" + states[0], encoding: .utf8)
        #expect(stateText.split(separator: "\n").last?.hasPrefix(#"{"cairn.stateChecksum":"#) == true)
    }

    /// The replicator reopens the table (state file, later commits, key lists) at the committed
    /// version, every key list as listed, and deltalake and pyarrow read the committed items.
    @Test(.disabled(if: ExportFormatCompatibilityTests.writing)) func filesReadAsListed() throws {
        let root = try Self.copyFixture()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let expected = try String(contentsOfFile: Self.fixture + "/items.jsonl", encoding: .utf8)
        let count = expected.split(separator: "\n").count
        #expect(count == 30 - 2 + 4)
        let replicator = try TableReplicator(table: "orders", directory: root + "/delta", options: Self.options())
        #expect(replicator.version == 2)
        #expect(replicator.itemCount == count)
        #expect(replicator.rowCount == count)
        replicator.close()
        #expect(try Self.keyListing(root + "/delta") == (try String(contentsOfFile: Self.fixture + "/keys.txt", encoding: .utf8)))

        let read = try ReplicationTests.readDelta([root + "/delta"])[root + "/delta"]
        let items = try #require(ReplicationTests.items(read, "delta fixture"))
        #expect(Self.itemLines(items) == expected)
        #expect(read?.version == 2)

        for name in try Self.files(root + "/parquet") where name.hasSuffix(".parquet") {
            let data = try ParquetReadBackTests.runSupportScript("read_parquet.py", [root + "/parquet/" + name], needs: "pyarrow duckdb polars")
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            // Rows are lists in column order; `_item` is the last column.
            let rows = try #require(object["pyarrow"] as? [[Any]])
            let texts = rows.compactMap { $0.last as? String }
            let decoded = try texts.map { try JSONDecoder().decode([String: AttributeValue].self, from: Data($0.utf8)) }
            #expect(Self.itemLines(decoded) == expected, "\(name)")
        }
    }
}
