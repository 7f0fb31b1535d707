import Cairn
import CairnLSM
import Crypto
import Foundation
import Testing
@testable import CairnExport

/// DynamoDB's export format: written by `DynamoDBJSONExport.export`, read back by Python's gzip
/// and json as a tool would, and loaded by `importExport` into another table.
@Suite struct DynamoDBJSONExportTests {
    static func database(_ root: String) throws -> ItemDatabase {
        var options = ItemDatabase.Options()
        options.syncWrites = false
        let db = try ItemDatabase.open(root + "/db", options: options)
        for name in ["orders", "copy"] {
            _ = try db.createTable(CreateTableInput(
                tableName: name,
                keySchema: [KeySchemaElement(attributeName: "pk", keyType: .hash), KeySchemaElement(attributeName: "sk", keyType: .range)],
                attributeDefinitions: [
                    AttributeDefinition(attributeName: "pk", attributeType: .s), AttributeDefinition(attributeName: "sk", attributeType: .n),
                ]))
        }
        return db
    }

    static func scanAll(_ db: ItemDatabase, _ table: String) throws -> [Item] {
        var items: [Item] = []
        var start: Item?
        repeat {
            let page = try db.scan(ScanInput(tableName: table, exclusiveStartKey: start))
            items += page.items ?? []
            start = page.lastEvaluatedKey
        } while start != nil
        return items
    }

    /// Binary values in DynamoDB JSON are standard base64 with padding: equal to Foundation's
    /// for every length (each tail of 0, 1 or 2 bytes), appended after what is already there.
    @Test func base64IsFoundationsAtEveryLength() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...67 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var out = Array("{\"B\":".utf8)
            DynamoDBJSON.appendBase64(bytes, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == "{\"B\":" + Data(bytes).base64EncodedString(), "length \(length)")
        }
    }

    @Test func exportThenImportGivesTheSameItems() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-ddbjson-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let db = try Self.database(root)
        for i in 0..<1_234 { _ = try db.putItem(PutItemInput(tableName: "orders", item: try TableExportTests.item(i))) }
        let summary = try DynamoDBJSONExport.export(db, table: "orders", to: root + "/bucket", itemsPerFile: 500)
        #expect(summary.itemCount == 1_234 && summary.dataFiles.count == 3)
        let names = try FileManager.default.contentsOfDirectory(atPath: summary.directory).sorted()
        #expect(names == ["_started", "data", "manifest-files.checksum", "manifest-files.json", "manifest-summary.checksum", "manifest-summary.json"])

        // As a tool reads it: the manifests, then gzip + one JSON object a line.
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", """
            import gzip, json, sys, hashlib, base64, os
            bucket, export = sys.argv[1], sys.argv[2]
            summary = json.load(open(os.path.join(export, "manifest-summary.json")))
            count = 0
            for line in open(os.path.join(bucket, summary["manifestFilesS3Key"])):
                entry = json.loads(line)
                data = open(os.path.join(bucket, entry["dataFileS3Key"]), "rb").read()
                assert base64.b64encode(hashlib.md5(data).digest()).decode() == entry["md5Checksum"]
                lines = gzip.decompress(data).decode().splitlines()
                assert len(lines) == entry["itemCount"]
                for l in lines:
                    assert set(json.loads(l)) == {"Item"}
                count += len(lines)
            print(summary["outputFormat"], summary["itemCount"], count)
            """, root + "/bucket", summary.directory]
        let pipe = Pipe()
        python.standardOutput = pipe
        try python.run()
        let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)
        #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == "DYNAMODB_JSON 1234 1234")

        let imported = try DynamoDBJSONExport.importExport(from: root + "/bucket", into: db, table: "copy")
        #expect(imported.itemCount == 1_234 && imported.dataFiles == 3)
        let original = try Self.scanAll(db, "orders")
        let copy = try Self.scanAll(db, "copy")
        #expect(original.count == 1_234)
        #expect(copy == original)
        try db.close()
    }

    /// A data file that does not match its manifest, or a line that is not an item, is a
    /// clear error naming the file.
    @Test func damagedExportsAreRefused() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-ddbjson-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let db = try Self.database(root)
        for i in 0..<10 { _ = try db.putItem(PutItemInput(tableName: "orders", item: try TableExportTests.item(i))) }
        let summary = try DynamoDBJSONExport.export(db, table: "orders", to: root + "/bucket")
        let dataPath = root + "/bucket/" + summary.dataFiles[0]
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dataPath)))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: dataPath))
        #expect { try DynamoDBJSONExport.importExport(from: root + "/bucket", into: db, table: "copy") } throws: {
            "\($0)".contains("MD5") && "\($0)".contains(dataPath)
        }
        // A well-formed file whose line is not an item (and a manifest that agrees with it).
        let bad = try Gzip.compress(Array("{\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"}}}\n{\"NotItem\":1}\n".utf8))
        try Data(bad).write(to: URL(fileURLWithPath: dataPath))
        let md5 = Data(Insecure.MD5.hash(data: bad)).base64EncodedString()
        let manifest = #"{"itemCount":2,"md5Checksum":"\#(md5)","dataFileS3Key":"\#(summary.dataFiles[0])"}"# + "\n"
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: summary.directory + "/manifest-files.json"))
        #expect { try DynamoDBJSONExport.importExport(from: summary.directory, into: db, table: "copy") } throws: {
            "\($0)".contains("line 2")
        }
        #expect(throws: ExportError.self) { try DynamoDBJSONExport.importExport(from: root + "/nothing", into: db, table: "copy") }
        #expect(throws: (any Error).self) { try DynamoDBJSONExport.importExport(from: root + "/bucket", into: db, table: "missing") }
        // Gzip itself: a cut stream is an error, not a short read.
        let whole = try Gzip.compress(Array(repeating: 7, count: 10_000))
        #expect(try Gzip.decompress(whole, file: "x") == Array(repeating: 7, count: 10_000))
        #expect(throws: ExportError.self) { try Gzip.decompress(Array(whole.prefix(whole.count - 5)), file: "x") }
        try db.close()
    }
}
