import CairnLSM
import Foundation
import Testing
@testable import CairnExport

/// Nested columns (structs, maps, lists inside them) written by `ParquetFileWriter` and read
/// back by pyarrow, DuckDB and Polars (Tests/CairnExportTests/Support/read_parquet.py).
extension ParquetReadBackTests {
    typealias V = JSONValue

    /// A fresh directory, removed by the caller's `defer`.
    static func temporaryDirectory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-parquet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    static func entry(_ key: ParquetValue, _ value: ParquetValue) -> ParquetMapEntry { ParquetMapEntry(key: key, value: value) }

    static let nestedColumns = [
        ParquetColumn("id", .int64, optional: false),
        // An optional struct with optional and required children, a nested struct (itself
        // holding a struct), a list and a map.
        ParquetColumn("info", .group([
            ParquetColumn("a", .int64),
            ParquetColumn("b", .string, optional: false),
            ParquetColumn("inner", .group([
                ParquetColumn("x", .int32, optional: false),
                ParquetColumn("note", .string),
                ParquetColumn("deep", .group([ParquetColumn("v", .double)])),
            ])),
            ParquetColumn("tags", .list(.string)),
            ParquetColumn("props", .map(key: .string, value: .string, valueOptional: true)),
        ])),
        ParquetColumn("m", .map(key: .string, value: .string, valueOptional: true)),
        // A required struct holding a required map of other primitive kinds.
        ParquetColumn("totals", .group([
            ParquetColumn("k", .int64, optional: false),
            ParquetColumn("byMonth", .map(key: .int32, value: .decimal(precision: 10, scale: 2), valueOptional: false), optional: false),
        ]), optional: false),
        // A list of structs.
        ParquetColumn("items", .list(.group([ParquetColumn("name", .string, optional: false), ParquetColumn("qty", .int32)]))),
        // A list of lists (two repetition levels).
        ParquetColumn("matrix", .list(.list(.int32))),
    ]

    /// Row `i` of the nested data, what the readers must return for it, and the nulls it puts
    /// in each leaf (entries without a value: a null there or above, an empty list or map).
    static func nestedRow(_ i: Int) -> (values: [ParquetValue], expected: [JSONValue], nulls: [String: Int]) {
        var nulls: [String: Int] = [:]
        func null(_ leaves: [String], _ count: Int = 1) { for leaf in leaves { nulls[leaf, default: 0] += count } }
        let innerLeaves = ["info.inner.x", "info.inner.note", "info.inner.deep.v"]
        let tagLeaves = ["info.tags.list.element"]
        let propLeaves = ["info.props.key_value.key", "info.props.key_value.value"]

        // info
        var info: (ParquetValue, JSONValue) = (.null, .null)
        if i % 7 == 0 {
            null(["info.a", "info.b"] + innerLeaves + tagLeaves + propLeaves)
        } else {
            let a: (ParquetValue, JSONValue) = i % 3 == 0 ? (.null, .null) : (.int64(Int64(i) * 11), .int(Int64(i) * 11))
            if i % 3 == 0 { null(["info.a"]) }
            let b = "b\(i % 40)"
            var inner: (ParquetValue, JSONValue) = (.null, .null)
            if i % 5 == 1 {
                null(innerLeaves)
            } else {
                let note: (ParquetValue, JSONValue) = i % 4 == 0 ? (.null, .null) : (.string("n\(i)"), .string("n\(i)"))
                if i % 4 == 0 { null(["info.inner.note"]) }
                var deep: (ParquetValue, JSONValue) = (.null, .null)
                if i % 6 == 2 {
                    null(["info.inner.deep.v"])
                } else if i % 9 == 0 {
                    null(["info.inner.deep.v"])
                    deep = (.group([.null]), .object(["v": .null]))
                } else {
                    deep = (.group([.double(Double(i) / 4)]), .object(["v": .double("\(Double(i) / 4)")]))
                }
                inner = (
                    .group([.int32(Int32(i)), note.0, deep.0]),
                    .object(["x": .int(Int64(i)), "note": note.1, "deep": deep.1]))
            }
            var tags: (ParquetValue, JSONValue) = (.null, .null)
            if i % 4 == 3 {
                null(tagLeaves)
            } else {
                let names = (0..<(i % 6)).map { "t\((i + $0) % 15)" }
                if names.isEmpty { null(tagLeaves) }
                tags = (.list(names.map { .string($0) }), .array(names.map { .string($0) }))
            }
            var props: (ParquetValue, JSONValue) = (.null, .null)
            if i % 8 == 5 {
                null(propLeaves)
            } else {
                let count = i % 4
                if count == 0 { null(propLeaves) }
                var entries: [ParquetMapEntry] = [], pairs: [JSONValue] = []
                for k in 0..<count {
                    let value: (ParquetValue, JSONValue) = k == 1 ? (.null, .null) : (.string("v\(i + k)"), .string("v\(i + k)"))
                    if k == 1 { null(["info.props.key_value.value"]) }
                    entries.append(entry(.string("p\(k)"), value.0))
                    pairs.append(.array([.string("p\(k)"), value.1]))
                }
                props = (.map(entries), .map(pairs))
            }
            info = (
                .group([a.0, .string(b), inner.0, tags.0, props.0]),
                .object(["a": a.1, "b": .string(b), "inner": inner.1, "tags": tags.1, "props": props.1]))
        }

        // m: null, empty, or 1...4 entries with some null values.
        var m: (ParquetValue, JSONValue) = (.null, .null)
        let mLeaves = ["m.key_value.key", "m.key_value.value"]
        switch i % 5 {
        case 0:
            null(mLeaves)
        case 1:
            null(mLeaves)
            m = (.map([]), .map([]))
        default:
            var entries: [ParquetMapEntry] = [], pairs: [JSONValue] = []
            for k in 0..<(1 + i % 4) {
                let isNull = (i + k) % 3 == 0
                if isNull { null(["m.key_value.value"]) }
                let value = "val-\(i)-\(k)-é"
                entries.append(entry(.string("k\(k)"), isNull ? .null : .string(value)))
                pairs.append(.array([.string("k\(k)"), isNull ? .null : .string(value)]))
            }
            m = (.map(entries), .map(pairs))
        }

        // totals: required, with a required map of int32 to DECIMAL(10, 2).
        var byMonth: [ParquetMapEntry] = [], byMonthPairs: [JSONValue] = []
        let months = i % 3
        if months == 0 { null(["totals.byMonth.key_value.key", "totals.byMonth.key_value.value"]) }
        for k in 0..<months {
            let unscaled = Int128(i * 100 + k) * (k % 2 == 0 ? 1 : -1)
            byMonth.append(entry(.int32(Int32(k + 1)), .decimal(unscaled)))
            let digits = String(unscaled.magnitude)
            let padded = String(repeating: "0", count: max(0, 3 - digits.count)) + digits
            let text = (unscaled < 0 ? "-" : "") + padded.dropLast(2) + "." + padded.suffix(2)
            byMonthPairs.append(.array([.int(Int64(k + 1)), .decimal(text)]))
        }

        // items: null, or 0...2 structs.
        var items: (ParquetValue, JSONValue) = (.null, .null)
        let itemLeaves = ["items.list.element.name", "items.list.element.qty"]
        if i % 10 == 9 {
            null(itemLeaves)
        } else {
            let count = i % 3
            if count == 0 { null(itemLeaves) }
            var values: [ParquetValue] = [], expected: [JSONValue] = []
            for k in 0..<count {
                let qty: (ParquetValue, JSONValue) = k == 0 ? (.null, .null) : (.int32(Int32(k * i)), .int(Int64(k * i)))
                if k == 0 { null(["items.list.element.qty"]) }
                values.append(.group([.string("it\(k)"), qty.0]))
                expected.append(.object(["name": .string("it\(k)"), "qty": qty.1]))
            }
            items = (.list(values), .array(expected))
        }

        // matrix: null, or 0...3 lists of 0...2 integers.
        var matrix: (ParquetValue, JSONValue) = (.null, .null)
        if i % 11 == 4 {
            null(["matrix.list.element.list.element"])
        } else {
            let rows = (0..<(i % 4)).map { r in (0..<((i + r) % 3)).map { Int32(i * 10 + r * 3 + $0) } }
            null(["matrix.list.element.list.element"], rows.isEmpty ? 1 : rows.filter(\.isEmpty).count)
            matrix = (.list(rows.map { .list($0.map { .int32($0) }) }), .array(rows.map { .array($0.map { .int(Int64($0)) }) }))
        }

        let values: [ParquetValue] = [
            .int64(Int64(i)), info.0, m.0, .group([.int64(Int64(i) * 3), .map(byMonth)]), items.0, matrix.0,
        ]
        let expected: [JSONValue] = [
            .int(Int64(i)), info.1, m.1, .object(["k": .int(Int64(i) * 3), "byMonth": .map(byMonthPairs)]), items.1, matrix.1,
        ]
        return (values, expected, nulls)
    }

    /// Structs (optional and required, with optional and required children, nested to three
    /// levels), maps of strings with null, empty and null-valued entries, maps of other kinds,
    /// a list and a map inside a struct, a list of structs and a list of lists, across pages
    /// and row groups:
    /// every row and value as pyarrow, DuckDB and Polars read them, the schema, and each
    /// leaf's null count.
    @Test(arguments: [ParquetCompression.zstd, .none])
    func nestedColumnsReadBackWhole(_ compression: ParquetCompression) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/nested.parquet"
        let file = try PosixFileSystem().newWritableFile(path)
        var options = ParquetWriterOptions()
        options.compression = compression
        options.rowGroupRows = 1_800  // 3 row groups
        options.pageRowLimit = 250    // several pages per chunk
        let writer = try ParquetFileWriter(file: file, columns: Self.nestedColumns, options: options)
        let count = 5_000
        var expected: [[JSONValue]] = []
        var nulls: [String: Int] = [:]
        for i in 0..<count {
            let row = Self.nestedRow(i)
            try writer.write(row.values)
            expected.append(row.expected)
            if i < options.rowGroupRows { nulls.merge(row.nulls, uniquingKeysWith: +) }
        }
        let summary = try writer.finish()
        try file.close()
        #expect(summary.rows == Int64(count) && summary.rowGroups == 3)

        let read = try Self.readBack(path)
        #expect(read.row_groups == 3)
        #expect(read.schema["info"] == "struct<a: int64, b: string not null, inner: struct<x: int32 not null, note: string, "
            + "deep: struct<v: double>>, tags: list<element: string not null>, props: map<string, string ('props')>>")
        #expect(read.schema["m"] == "map<string, string ('m')>")
        #expect(read.schema["totals"] == "struct<k: int64 not null, byMonth: map<int32, decimal128(10, 2) ('byMonth')> not null>")
        #expect(read.schema["items"] == "list<element: struct<name: string not null, qty: int32> not null>")
        #expect(read.schema["matrix"] == "list<element: list<element: int32 not null> not null>")
        for (name, rows) in [("pyarrow", read.pyarrow), ("duckdb", read.duckdb), ("polars", read.polars)] {
            #expect(rows.count == count, "\(name)")
            for (i, (got, want)) in zip(rows, expected).enumerated() where got != want {
                Issue.record("\(name) row \(i): \(got) != \(want)")
                break
            }
        }
        // One chunk per leaf, path_in_schema the full path, null counts of row group 0.
        let leaves = [
            "id", "info.a", "info.b", "info.inner.x", "info.inner.note", "info.inner.deep.v", "info.tags.list.element",
            "info.props.key_value.key", "info.props.key_value.value", "m.key_value.key", "m.key_value.value", "totals.k",
            "totals.byMonth.key_value.key", "totals.byMonth.key_value.value", "items.list.element.name",
            "items.list.element.qty", "matrix.list.element.list.element",
        ]
        #expect(Set(read.chunks.keys) == Set(leaves))
        for leaf in leaves {
            #expect(read.chunks[leaf]?.null_count == nulls[leaf, default: 0], "\(leaf) nulls")
        }
        #expect(nulls["m.key_value.value", default: 0] > nulls["m.key_value.key", default: 0])  // the data has null values
        // Statistics of a leaf under a map: its keys' range.
        #expect(read.chunks["m.key_value.key"]?.min == .string("k0"))
        #expect(read.chunks["m.key_value.key"]?.max == .string("k3"))
        #expect(read.chunks["info.b"]?.encodings.contains("RLE_DICTIONARY") == true)
    }

    /// A value that does not fit a nested column is a typed error naming the column's path,
    /// and the row leaves the file as it was; schemas Parquet cannot hold are refused.
    @Test func nestedValuesThatDoNotFitAreRefused() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fs = PosixFileSystem()
        let columns = [
            ParquetColumn("s", .group([
                ParquetColumn("a", .int64, optional: false),
                ParquetColumn("inner", .group([ParquetColumn("x", .string, optional: false)])),
            ])),
            ParquetColumn("m", .map(key: .string, value: .int32, valueOptional: false)),
            ParquetColumn("l", .list(.string), optional: false),
        ]
        let file = try fs.newWritableFile(directory + "/a.parquet")
        let writer = try ParquetFileWriter(file: file, columns: columns)
        func refused(_ row: [ParquetValue], mentioning path: String) {
            do {
                try writer.write(row)
                Issue.record("\(row) was written")
            } catch let error as ExportError {
                guard case .encoding(let message) = error, message.contains(path) else {
                    Issue.record("\(error) does not name \(path)")
                    return
                }
            } catch {
                Issue.record("\(error)")
            }
        }
        let good: [ParquetValue] = [
            .group([.int64(1), .group([.string("x")])]), .map([Self.entry(.string("k"), .int32(1))]), .list([.string("e")]),
        ]
        try writer.write(good)
        refused([.group([.null, .null]), .null, .list([])], mentioning: "s.a")                       // required child
        refused([.group([.int64(1), .group([.null])]), .null, .list([])], mentioning: "s.inner.x")   // required grandchild
        refused([.group([.int64(1)]), .null, .list([])], mentioning: "s")                            // child count
        refused([.int64(1), .null, .list([])], mentioning: "s")                                      // not a struct
        refused([.null, .map([Self.entry(.null, .int32(1))]), .list([])], mentioning: "m.key_value.key")
        refused([.null, .map([Self.entry(.string("k"), .null)]), .list([])], mentioning: "m.key_value.value")
        refused([.null, .map([Self.entry(.string("k"), .string("x"))]), .list([])], mentioning: "m.key_value.value")
        refused([.null, .map([Self.entry(.string("k"), .int32(1)), Self.entry(.string("k"), .int32(2))]), .list([])], mentioning: "m")
        let manyWithADuplicate = (0..<20).map { Self.entry(.string("k\($0)"), .int32(1)) } + [Self.entry(.string("k7"), .int32(2))]
        refused([.null, .map(manyWithADuplicate), .list([])], mentioning: "m")
        refused([.null, .list([]), .list([])], mentioning: "m")                                      // not a map
        refused([.null, .null, .null], mentioning: "l")
        refused([.null, .null, .list([.string("a"), .null])], mentioning: "l.list.element")
        // A good first column does not get in when a later one is refused.
        refused([.group([.int64(2), .null]), .null, .list([.null])], mentioning: "l.list.element")
        try writer.write([.null, .map([]), .list([])])
        try writer.finish()
        try file.close()
        let read = try Self.readBack(directory + "/a.parquet")
        let expected: [[JSONValue]] = [
            [.object(["a": .int(1), "inner": .object(["x": .string("x")])]), .map([.array([.string("k"), .int(1)])]), .array([.string("e")])],
            [.null, .map([]), .array([])],
        ]
        #expect(read.pyarrow == expected)
        #expect(read.duckdb == expected)
        #expect(read.polars == expected)

        for bad in [
            ParquetColumn("g", .group([])),
            ParquetColumn("g", .group([ParquetColumn("a", .int32), ParquetColumn("a", .string)])),
            ParquetColumn("m", .map(key: .list(.string), value: .string, valueOptional: true)),
            ParquetColumn("m", .map(key: .string, value: .decimal(precision: 40, scale: 0), valueOptional: true)),
            ParquetColumn("g", .group([ParquetColumn("d", .decimal(precision: 0, scale: 0))])),
        ] {
            #expect(throws: ExportError.self, "\(bad.kind.name)") {
                try ParquetFileWriter(file: try fs.newWritableFile(directory + "/b.parquet"), columns: [bad])
            }
        }
    }

    /// The columns of a Delta Lake checkpoint (delta-io/delta PROTOCOL.md, "Checkpoint
    /// Schema") as a Spark-written one has them: every field OPTIONAL, maps of string to
    /// optional string.
    static let checkpointColumns: [ParquetColumn] = {
        let stringMap = ParquetColumn.Kind.map(key: .string, value: .string, valueOptional: true)
        return [
            ParquetColumn("txn", .group([
                ParquetColumn("appId", .string), ParquetColumn("version", .int64), ParquetColumn("lastUpdated", .int64),
            ])),
            ParquetColumn("add", .group([
                ParquetColumn("path", .string), ParquetColumn("partitionValues", stringMap), ParquetColumn("size", .int64),
                ParquetColumn("modificationTime", .int64), ParquetColumn("dataChange", .boolean),
                ParquetColumn("stats", .string), ParquetColumn("tags", stringMap),
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
            ParquetColumn("protocol", .group([ParquetColumn("minReaderVersion", .int32), ParquetColumn("minWriterVersion", .int32)])),
        ]
    }()

    /// A checkpoint-shaped file, one action per row (the others null), read back by pyarrow
    /// (and DuckDB and Polars) with every action whole.
    @Test func deltaCheckpointShapedFileRoundTrips() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/00000000000000000010.checkpoint.parquet"
        let file = try PosixFileSystem().newWritableFile(path)
        var options = ParquetWriterOptions()
        options.pageRowLimit = 7
        let writer = try ParquetFileWriter(file: file, columns: Self.checkpointColumns, options: options)
        func s(_ text: String) -> (ParquetValue, JSONValue) { (.string(text), .string(text)) }
        func i64(_ n: Int64) -> (ParquetValue, JSONValue) { (.int64(n), .int(n)) }
        func bool(_ b: Bool) -> (ParquetValue, JSONValue) { (.boolean(b), .bool(b)) }
        let none: (ParquetValue, JSONValue) = (.null, .null)
        func map(_ entries: [(String, String?)]?) -> (ParquetValue, JSONValue) {
            guard let entries else { return none }
            return (
                .map(entries.map { Self.entry(.string($0.0), $0.1.map { .string($0) } ?? .null) }),
                .map(entries.map { .array([.string($0.0), $0.1.map { .string($0) } ?? .null]) }))
        }
        func group(_ names: [String], _ fields: [(ParquetValue, JSONValue)]) -> (ParquetValue, JSONValue) {
            (.group(fields.map(\.0)), .object(Dictionary(uniqueKeysWithValues: zip(names, fields.map(\.1)))))
        }
        let txnNames = ["appId", "version", "lastUpdated"]
        let addNames = ["path", "partitionValues", "size", "modificationTime", "dataChange", "stats", "tags"]
        let removeNames = ["path", "deletionTimestamp", "dataChange", "extendedFileMetadata", "partitionValues", "size"]
        let metaNames = ["id", "name", "description", "format", "schemaString", "partitionColumns", "configuration", "createdTime"]
        // (column index, action)
        var actions: [(Int, (ParquetValue, JSONValue))] = []
        actions.append((4, group(["minReaderVersion", "minWriterVersion"], [(.int32(1), .int(1)), (.int32(2), .int(2))])))
        let schemaString = #"{"type":"struct","fields":[{"name":"pk","type":"string","nullable":true,"metadata":{}}]}"#
        actions.append((3, group(metaNames, [
            s("5f0f1a8e-2f43-4c21-9a0b-6a3b1d1c0e11"), none, none,
            group(["provider", "options"], [s("parquet"), map([])]),
            s(schemaString),
            (.list([.string("day")]), .array([.string("day")])),
            map([("delta.appendOnly", "false"), ("delta.checkpointInterval", "10")]),
            i64(1_700_000_000_000),
        ])))
        actions.append((0, group(txnNames, [s("cairn-replicator"), i64(42), i64(1_700_000_000_123)])))
        actions.append((0, group(txnNames, [s("other"), i64(7), none])))
        for k in 0..<40 {
            actions.append((1, group(addNames, [
                s("day=2024-01-\(k % 28 + 1)/part-\(k).parquet"),
                map([("day", k % 9 == 0 ? nil : "2024-01-\(k % 28 + 1)")]),
                i64(Int64(1_000 + k)), i64(1_700_000_000_000 + Int64(k)), bool(true),
                k % 4 == 0 ? none : s(#"{"numRecords":\#(k)}"#),
                k % 3 == 0 ? none : map(k % 3 == 1 ? [] : [("INSERTION_TIME", "\(k)"), ("OPTIMIZE_TARGET_SIZE", nil)]),
            ])))
        }
        for k in 0..<12 {
            actions.append((2, group(removeNames, [
                s("day=2024-02-01/old-\(k).parquet"), i64(1_699_000_000_000 + Int64(k)), bool(k % 2 == 0),
                k % 5 == 0 ? none : bool(true), map(k % 5 == 0 ? nil : [("day", "2024-02-01")]),
                k % 5 == 0 ? none : i64(Int64(k * 10)),
            ])))
        }
        var expected: [[JSONValue]] = []
        for (column, action) in actions {
            var row = [ParquetValue](repeating: .null, count: 5)
            var want = [JSONValue](repeating: .null, count: 5)
            row[column] = action.0
            want[column] = action.1
            try writer.write(row)
            expected.append(want)
        }
        try writer.finish()
        try file.close()

        let read = try Self.readBack(path)
        #expect(read.schema["add"] == "struct<path: string, partitionValues: map<string, string ('partitionValues')>, size: int64, "
            + "modificationTime: int64, dataChange: bool, stats: string, tags: map<string, string ('tags')>>")
        #expect(read.schema["metaData"] == "struct<id: string, name: string, description: string, format: struct<provider: string, "
            + "options: map<string, string ('options')>>, schemaString: string, partitionColumns: list<element: string not null>, "
            + "configuration: map<string, string ('configuration')>, createdTime: int64>")
        #expect(read.schema["protocol"] == "struct<minReaderVersion: int32, minWriterVersion: int32>")
        #expect(read.chunks.count == 3 + 9 + 7 + 11 + 2)  // leaves
        #expect(read.chunks["metaData.format.options.key_value.value"] != nil)
        for (name, rows) in [("pyarrow", read.pyarrow), ("duckdb", read.duckdb), ("polars", read.polars)] {
            #expect(rows.count == expected.count, "\(name)")
            for (i, (got, want)) in zip(rows, expected).enumerated() where got != want {
                Issue.record("\(name) row \(i): \(got) != \(want)")
                break
            }
        }
    }
}

extension ParquetEncodingTests {
    /// Dremel's striping, worked by hand: levels of each leaf of an optional struct holding an
    /// optional string, an optional map of string to optional string and a list, and the
    /// footer's schema elements for it.
    @Test func nestedValuesGetTheirDefinitionAndRepetitionLevels() throws {
        let column = ParquetColumn("add", .group([
            ParquetColumn("path", .string),
            ParquetColumn("pv", .map(key: .string, value: .string, valueOptional: true)),
            ParquetColumn("parts", .list(.list(.int32)), optional: false),
        ]))
        var leaves: [ParquetLeaf] = []
        var schema: [Parquet.SchemaElement] = []
        let shredder = ColumnShredder(column: column, leaves: &leaves, schema: &schema)
        #expect(leaves.map(\.dottedPath) == [
            "add.path", "add.pv.key_value.key", "add.pv.key_value.value", "add.parts.list.element.list.element",
        ])
        #expect(leaves.map(\.maxDefinition) == [2, 3, 4, 3])
        #expect(leaves.map(\.maxRepetition) == [0, 1, 1, 2])
        #expect(schema.map(\.name) == ["add", "path", "pv", "key_value", "key", "value", "parts", "list", "element", "list", "element"])
        #expect(schema.map(\.childCount) == [3, nil, 1, 2, nil, nil, 1, 1, 1, 1, nil])
        #expect(schema.map(\.repetition) == [
            .optional, .optional, .optional, .repeated, .required, .optional, .required, .repeated, .required, .repeated, .required,
        ])
        #expect(schema.map(\.logicalType) == [nil, .string, .map, nil, .string, .string, .list, nil, .list, nil, nil])

        var chunks = RowGroupBuilder(leaves: leaves, options: ParquetWriterOptions())
        let rows: [ParquetValue] = [
            .null,
            .group([.null, .null, .list([])]),
            .group([.string("p"), .map([]), .list([.list([])])]),
            .group([.string("p"), .map([
                ParquetMapEntry(key: .string("a"), value: .string("x")), ParquetMapEntry(key: .string("b"), value: .null),
            ]), .list([.list([.int32(1), .int32(2)]), .list([]), .list([.int32(3)])])]),
        ]
        for row in rows {
            var bound = 0
            try shredder.check(row, bound: &bound)
            shredder.shred(row, repetitionLevel: 0, into: &chunks)
        }
        #expect(Array(chunks.levels(ofLeaf: 0).definition) == [0, 1, 2, 2])
        #expect(Array(chunks.levels(ofLeaf: 0).repetition) == [])
        #expect(Array(chunks.levels(ofLeaf: 1).definition) == [0, 1, 2, 3, 3])
        #expect(Array(chunks.levels(ofLeaf: 1).repetition) == [0, 0, 0, 0, 1])
        #expect(Array(chunks.levels(ofLeaf: 2).definition) == [0, 1, 2, 4, 3])
        #expect(Array(chunks.levels(ofLeaf: 2).repetition) == [0, 0, 0, 0, 1])
        // parts: null struct; empty outer list; one empty inner list; [[1, 2], [], [3]].
        #expect(Array(chunks.levels(ofLeaf: 3).definition) == [0, 1, 2, 3, 3, 2, 3])
        #expect(Array(chunks.levels(ofLeaf: 3).repetition) == [0, 0, 0, 0, 2, 1, 1])
    }
}
