import Cairn
import CairnLSM
import Foundation
import Synchronization
import Testing
@testable import CairnExport

/// `ChangeExport`: the stream's changes in a time window as Parquet rows with `_op`, `_seq`,
/// `_commit_ts`, the item's columns, `_item` and `_old_item`, read back by pyarrow, DuckDB and
/// Polars.
@Suite struct ChangeExportTests {
    @Test func changesInAWindowBecomeRowsInCommitOrder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-changes-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let now = CairnMutex<Double>(1_800_000_000)
        var options = ItemDatabase.Options()
        options.syncWrites = false
        options.clock = { now.withLock { $0 } }
        let db = try ItemDatabase.open(root + "/db", options: options)
        _ = try db.createTable(CreateTableInput(
            tableName: "orders",
            keySchema: [KeySchemaElement(attributeName: "pk", keyType: .hash)],
            attributeDefinitions: [AttributeDefinition(attributeName: "pk", attributeType: .s)],
            billingMode: .payPerRequest,
            streamSpecification: StreamSpecification(streamEnabled: true, streamViewType: .newAndOldImages)))
        func put(_ pk: String, _ total: String) throws {
            _ = try db.putItem(PutItemInput(tableName: "orders", item: ["pk": .s(pk), "total": .n(try Number(parsing: total))]))
        }
        // Before the window: 20 inserts.
        for i in 0..<20 { try put("k\(i)", "\(i).5") }
        now.withLock { $0 += 100 }
        // In the window: 5 modifies, 3 removes, 2 inserts.
        for i in 0..<5 { try put("k\(i)", "\(i * 10)") }
        for i in 5..<8 { _ = try db.deleteItem(DeleteItemInput(tableName: "orders", key: ["pk": .s("k\(i)")])) }
        for i in 20..<22 { try put("k\(i)", "-1.25") }
        now.withLock { $0 += 100 }
        // After it: one more.
        try put("late", "1")

        let windowStart = Date(timeIntervalSince1970: 1_800_000_050)
        let windowEnd = Date(timeIntervalSince1970: 1_800_000_150)
        let summary = try ChangeExport.export(db, table: "orders", to: root + "/out", from: windowStart, to: windowEnd)
        #expect(summary.changeCount == 10 && summary.files == ["changes-00000.parquet"])
        let read = try ParquetReadBackTests.readBack(root + "/out/changes-00000.parquet")
        #expect(read.schema["_commit_ts"] == "timestamp[us, tz=UTC]")
        #expect(read.schema["total"] == "decimal128(38, 2)")
        let ops = read.pyarrow.map { $0[0] }
        #expect(ops == Array(repeating: .string("MODIFY"), count: 5) + Array(repeating: .string("REMOVE"), count: 3)
            + Array(repeating: .string("INSERT"), count: 2))
        // Sequence numbers ascend; every change carries the window's commit time.
        let sequences = read.pyarrow.compactMap { row -> Int64? in if case .int(let s) = row[1] { return s } else { return nil } }
        #expect(sequences.count == 10 && sequences == sequences.sorted() && Set(sequences).count == 10)
        #expect(read.pyarrow.allSatisfy { $0[2] == .timestamp("2027-01-15T08:01:40+00:00") })
        // A modify: the new total in its column, the old item in _old_item.
        let columns = ["_op", "_seq", "_commit_ts", "pk", "total", "_item", "_old_item"]
        let first = Dictionary(uniqueKeysWithValues: zip(columns, read.pyarrow[0]))
        #expect(first["pk"] == .string("k0") && first["total"] == .decimal("0.00"))
        #expect(first["_old_item"] == .string(#"{"pk":{"S":"k0"},"total":{"N":"0.5"}}"#))
        // A remove: the keys, no total.
        let removed = Dictionary(uniqueKeysWithValues: zip(columns, read.pyarrow[5]))
        #expect(removed["pk"] == .string("k5") && removed["total"] == .null && removed["_item"] == .string(#"{"pk":{"S":"k5"}}"#))
        for (name, rows) in [("duckdb", read.duckdb), ("polars", read.polars)] {
            #expect(rows.count == 10, "\(name)")
            if let i = zip(rows, read.pyarrow).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                Issue.record("\(name) row \(i): \(rows[i]) != pyarrow \(read.pyarrow[i])")
            }
        }
        // The whole stream: every change, 31.
        let all = try ChangeExport.export(db, table: "orders", to: root + "/all", from: nil, to: nil)
        #expect(all.changeCount == 31)
        // A table without a stream is refused.
        _ = try db.createTable(CreateTableInput(
            tableName: "plain", keySchema: [KeySchemaElement(attributeName: "pk", keyType: .hash)],
            attributeDefinitions: [AttributeDefinition(attributeName: "pk", attributeType: .s)], billingMode: .payPerRequest))
        #expect(throws: (any Error).self) { try ChangeExport.export(db, table: "plain", to: root + "/none", from: nil, to: nil) }
        try db.close()
    }
}
