import Cairn
import CairnLSM
import Foundation
import Testing
@testable import CairnExport

/// `TableExport`: a table's items, as a full Scan returns them, become Parquet rows that
/// pyarrow and DuckDB read back: every typed column and the lossless `_item`.
@Suite struct TableExportTests {
    /// Items of every type: numbers that fit DECIMAL and some that do not, sets, maps, lists,
    /// NULL values, an attribute of two types, and missing attributes.
    static func item(_ i: Int) throws -> Item {
        var item: Item = [
            "pk": .s("customer-\(i % 37)"),
            "sk": .n(try Number(parsing: "\(i)")),
            "name": .s("name \(i) \"quoted\" \\ é"),
            "price": .n(try Number(parsing: i % 2 == 0 ? "\(i).25" : "-\(i * 1_000).125")),
            "flag": .bool(i % 3 == 0),
            "blob": .b((0..<(i % 4)).map { UInt8(truncatingIfNeeded: $0 &+ i) }),
            "tags": .ss(["t\(i % 3)", "u\(i % 5)"]),
            "amounts": .ns([try Number(parsing: "\(i)"), try Number(parsing: "0.5")]),
            "blobs": .bs([[1, 2], [UInt8(truncatingIfNeeded: i)]]),
            "address": .m(["city": .s("c\(i % 4)"), "zip": .n(try Number(parsing: "\(10_000 + i)"))]),
            "history": .l([.s("a"), .n(try Number(parsing: "1")), .bool(true)]),
            "mixed": i % 2 == 0 ? .s("text") : .n(try Number(parsing: "5")),
            "huge": .n(try Number(parsing: i == 3 ? "1E+100" : "7")),  // one value does not fit DECIMAL(38)
        ]
        if i % 5 == 0 { item["price"] = .null }
        if i % 7 == 0 { item["name"] = nil }
        return item
    }

    @Test func exportedRowsEqualAFullScan() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-export-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var options = ItemDatabase.Options()
        options.syncWrites = false
        let db = try ItemDatabase.open(root + "/db", options: options)
        _ = try db.createTable(CreateTableInput(
            tableName: "orders",
            keySchema: [KeySchemaElement(attributeName: "pk", keyType: .hash), KeySchemaElement(attributeName: "sk", keyType: .range)],
            attributeDefinitions: [
                AttributeDefinition(attributeName: "pk", attributeType: .s), AttributeDefinition(attributeName: "sk", attributeType: .n),
            ]))
        let count = 2_000
        for i in 0..<count { _ = try db.putItem(PutItemInput(tableName: "orders", item: try Self.item(i))) }
        var exportOptions = TableExport.Options()
        exportOptions.itemsPerFile = 900  // several files per thread
        exportOptions.threads = 3  // three shares of the table, read and written at once
        exportOptions.minimumItemsPerThread = 1
        var phases: [TableExport.Progress.Phase] = []
        let summary = try TableExport.export(db, table: "orders", to: root + "/out", options: exportOptions) { phases.append($0.phase) }
        #expect(summary.itemCount == count)
        // Each share's 600-odd items in one file, named in share order (Scan order).
        let names = (0..<summary.files.count).map { String(format: "part-%05d.parquet", $0) }
        #expect(summary.files == names && names.count == 3)
        #expect(phases.last == .done)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/out").sorted() == ["_cairn_export.json"] + names)

        // The columns: keys, then typed attributes by name, then _item; "mixed" has two types.
        let columns = summary.schema.parquetColumns.map(\.name)
        #expect(columns == ["pk", "sk", "address", "amounts", "blob", "blobs", "flag", "history", "huge", "name", "price", "tags", "_item"])
        #expect(summary.schema.columns.first { $0.attribute == "price" }?.source == .decimal(scale: 3))
        #expect(summary.schema.columns.first { $0.attribute == "huge" }?.source == .numberText)
        #expect(summary.schema.columns.first { $0.attribute == "amounts" }?.source == .decimalSet(scale: 1))

        // A full Scan, in order.
        var scanned: [Item] = []
        var start: Item?
        repeat {
            let page = try db.scan(ScanInput(tableName: "orders", exclusiveStartKey: start))
            scanned += page.items ?? []
            start = page.lastEvaluatedKey
        } while start != nil
        #expect(scanned.count == count)

        var rows: [[ParquetReadBackTests.JSONValue]] = []
        var duckRows: [[ParquetReadBackTests.JSONValue]] = []
        for file in summary.files {
            let read = try ParquetReadBackTests.readBack(root + "/out/" + file)
            #expect(read.metadata["cairn.table"] == "orders")
            #expect(read.schema["price"] == "decimal128(38, 3)" && read.schema["tags"] == "list<element: string not null>")
            rows += read.pyarrow
            duckRows += read.duckdb
            #expect(read.polars.count == read.pyarrow.count, "\(file): polars")
            if let i = zip(read.polars, read.pyarrow).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                Issue.record("\(file) row \(i): polars \(read.polars[i]) != pyarrow \(read.pyarrow[i])")
            }
        }
        #expect(rows.count == duckRows.count)
        if let i = zip(rows, duckRows).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("row \(i): pyarrow \(rows[i]) != duckdb \(duckRows[i])")
        }
        #expect(rows.count == count)
        let itemColumn = columns.count - 1
        let decoder = JSONDecoder()
        for (i, (row, item)) in zip(rows, scanned).enumerated() {
            // _item is the whole item, losslessly.
            guard case .string(let json) = row[itemColumn],
                  let decoded = try? decoder.decode([String: AttributeValue].self, from: Data(json.utf8)) else {
                Issue.record("row \(i): _item is not DynamoDB JSON: \(row[itemColumn])")
                break
            }
            #expect(decoded == item, "row \(i)")
            // Typed columns hold the same values.
            let byName = Dictionary(uniqueKeysWithValues: zip(columns, row))
            #expect(byName["pk"] == .string(keyString(item["pk"])))
            #expect(byName["flag"] == (item["flag"] == .bool(true) ? .bool(true) : .bool(false)))
            if case .n(let price)? = item["price"], case .decimal(let text)? = byName["price"] {
                #expect(try Number(parsing: text) == price, "row \(i) price \(text)")
            } else {
                #expect(byName["price"] == .null, "row \(i) price")
            }
            if case .n(let huge)? = item["huge"] { #expect(byName["huge"] == .string(huge.description)) }
            if case .ss(let tags)? = item["tags"] { #expect(byName["tags"] == .array(tags.map { .string($0) })) }
            if case .m(let address)? = item["address"], case .string(let json)? = byName["address"] {
                #expect(try decoder.decode(AttributeValue.self, from: Data(json.utf8)) == .m(address))
            }
            if i >= 50 { break }  // typed columns spot-checked; _item checked for every row below
        }
        for (i, (row, item)) in zip(rows, scanned).enumerated() {
            guard case .string(let json) = row[itemColumn] else { Issue.record("row \(i)"); break }
            if try decoder.decode([String: AttributeValue].self, from: Data(json.utf8)) != item {
                Issue.record("row \(i): _item differs from the Scan")
                break
            }
        }
        // A second export into the same directory is refused.
        #expect(throws: ExportError.self) { try TableExport.export(db, table: "orders", to: root + "/out") }
        try db.close()
    }
}

private func keyString(_ value: AttributeValue?) -> String {
    if case .s(let s)? = value { return s }
    return ""
}
