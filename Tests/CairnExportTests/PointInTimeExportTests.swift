import Cairn
import CairnLSM
import Foundation
import Synchronization
import Testing
@testable import CairnExport

/// `cairn export --at TIME`: the table as it was at a past moment, from a snapshot of now and
/// the stream's old images, in both formats; and the times it refuses.
@Suite struct PointInTimeExportTests {
    static func open(_ root: String, clock: @escaping @Sendable () -> Double, view: StreamViewType = .newAndOldImages) throws -> ItemDatabase {
        var options = ItemDatabase.Options()
        options.syncWrites = false
        options.clock = clock
        let db = try ItemDatabase.open(root + "/db", options: options)
        for table in ["orders", "copy"] {
            _ = try db.createTable(CreateTableInput(
                tableName: table,
                keySchema: [KeySchemaElement(attributeName: "pk", keyType: .hash)],
                attributeDefinitions: [AttributeDefinition(attributeName: "pk", attributeType: .s)],
                billingMode: .payPerRequest,
                streamSpecification: table == "orders" ? StreamSpecification(streamEnabled: true, streamViewType: view) : nil))
        }
        return db
    }

    static func put(_ db: ItemDatabase, _ i: Int, _ version: Int) throws {
        _ = try db.putItem(PutItemInput(tableName: "orders", item: [
            "pk": .s("k\(i)"), "version": .n(try Number(parsing: "\(version)")), "note": .s("item \(i) v\(version)"),
        ]))
    }

    static func delete(_ db: ItemDatabase, _ i: Int) throws {
        _ = try db.deleteItem(DeleteItemInput(tableName: "orders", key: ["pk": .s("k\(i)")]))
    }

    static func scan(_ db: ItemDatabase, _ table: String) throws -> [Item] {
        try ReplicationTests.scanAll(db, table)
    }

    @Test func anExportAtAPastTimeEqualsTheTableThen() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-pitr-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let now = CairnMutex<Double>(1_800_000_000)
        let db = try Self.open(root, clock: { now.withLock { $0 } })
        defer { try? db.close() }
        for i in 0..<200 { try Self.put(db, i, 1) }
        now.withLock { $0 += 100 }
        let past = try Self.scan(db, "orders")
        let moment = Date(timeIntervalSince1970: 1_800_000_150)
        now.withLock { $0 += 100 }
        // After the moment: updates, deletes, inserts; then some of each again.
        for i in stride(from: 0, to: 200, by: 3) { try Self.put(db, i, 2) }
        for i in stride(from: 1, to: 200, by: 7) { try Self.delete(db, i) }
        for i in 200..<230 { try Self.put(db, i, 1) }
        now.withLock { $0 += 100 }
        for i in stride(from: 0, to: 200, by: 6) { try Self.put(db, i, 3) }
        for i in stride(from: 1, to: 200, by: 14) { try Self.put(db, i, 4) }  // deleted, then back
        for i in 200..<210 { try Self.delete(db, i) }
        #expect(try !ReplicationTests.sameItems(Self.scan(db, "orders"), past))

        // Parquet, in three shares (items deleted since come back in their share).
        var options = TableExport.Options()
        options.at = moment
        options.threads = 3
        options.minimumItemsPerThread = 1
        let summary = try TableExport.export(db, table: "orders", to: root + "/parquet", options: options)
        #expect(summary.itemCount == past.count)
        var exported: [Item] = []
        let decoder = JSONDecoder()
        for file in summary.files {
            let read = try ParquetReadBackTests.readBack(root + "/parquet/" + file)
            #expect(read.metadata["cairn.export_time"] == "1800000150.0")
            for row in read.pyarrow {
                guard case .string(let json)? = row.last else { Issue.record("no _item"); continue }
                exported.append(try decoder.decode([String: AttributeValue].self, from: Data(json.utf8)))
            }
        }
        #expect(ReplicationTests.sameItems(exported, past), "\(exported.count) items exported, \(past.count) then")

        // DynamoDB JSON, loaded into another table.
        let export = try DynamoDBJSONExport.export(db, table: "orders", to: root + "/json", at: moment)
        #expect(export.itemCount == past.count)
        _ = try DynamoDBJSONExport.importExport(from: root + "/json", into: db, table: "copy")
        #expect(ReplicationTests.sameItems(try Self.scan(db, "copy"), past))

        // Now (no moment) is the table as it is.
        let current = try TableExport.export(db, table: "orders", to: root + "/now")
        #expect(current.itemCount == (try Self.scan(db, "orders")).count)
    }

    @Test func timesTheStreamCannotCoverAreRefused() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-pitr-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let now = CairnMutex<Double>(1_800_000_000)
        let db = try Self.open(root, clock: { now.withLock { $0 } })
        defer { try? db.close() }
        try Self.put(db, 0, 1)
        now.withLock { $0 += 25 * 3600 }
        func refused(_ seconds: Double, _ fragment: String) {
            var options = TableExport.Options()
            options.at = Date(timeIntervalSince1970: seconds)
            #expect {
                try TableExport.export(db, table: "orders", to: root + "/out-\(UUID().uuidString)", options: options)
            } throws: { error in
                "\(error)".contains(fragment)
            }
        }
        refused(1_799_999_000, "before")  // before the stream was enabled
        refused(1_800_000_100, "retention")  // 25 hours ago
        refused(1_800_000_000 + 26 * 3600, "future")
        // A stream without old images cannot undo changes.
        let keysOnly = try Self.open(root + "/k", clock: { now.withLock { $0 } }, view: .keysOnly)
        defer { try? keysOnly.close() }
        var options = TableExport.Options()
        options.at = Date(timeIntervalSince1970: 1_800_000_000 + 25 * 3600 - 10)
        #expect { try TableExport.export(keysOnly, table: "orders", to: root + "/k/out", options: options) } throws: { error in
            "\(error)".contains("old images")
        }
    }
}
