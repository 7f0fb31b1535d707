import CairnLSM
import Foundation
import Testing
@testable import CairnExport

/// Files from `ParquetFileWriter`, read back by pyarrow, DuckDB and Polars with no options
/// (Tests/CairnExportTests/Support/read_parquet.py; .ci/run installs them with pip).
@Suite struct ParquetReadBackTests {
    /// What read_parquet.py prints.
    struct ReadBack: Decodable {
        var schema: [String: String]
        var pyarrow: [[JSONValue]]
        var duckdb: [[JSONValue]]
        var polars: [[JSONValue]]
        var metadata: [String: String]
        var row_groups: Int
        var chunks: [String: Chunk]
    }

    /// Row group 0's chunk of a column, as pyarrow reports it.
    struct Chunk: Decodable {
        var encodings: [String]
        var compression: String
        var null_count: Int?
        var min: JSONValue?
        var max: JSONValue?
    }

    /// A JSON value as read_parquet.py writes it.
    enum JSONValue: Decodable, Equatable, CustomStringConvertible {
        case null, bool(Bool), int(Int64), string(String), decimal(String), hex(String), double(String), timestamp(String)
        indirect case array([JSONValue])
        /// A struct: its fields by name.
        indirect case object([String: JSONValue])
        /// A map: its entries in order, each `.array([key, value])`.
        indirect case map([JSONValue])

        /// The tagged objects read_parquet.py writes for values JSON has no type of.
        private struct Tagged: Decodable {
            var decimal: String?
            var hex: String?
            var ts: String?
            var double: String?
            var fields: [String: JSONValue]?
            var map: [[JSONValue]]?

            enum CodingKeys: String, CodingKey {
                case decimal, hex, ts, double, map
                case fields = "struct"
            }
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null; return }
            if let b = try? c.decode(Bool.self) { self = .bool(b); return }
            if let i = try? c.decode(Int64.self) { self = .int(i); return }
            if let s = try? c.decode(String.self) { self = .string(s); return }
            if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
            let object = try c.decode(Tagged.self)
            if let d = object.decimal { self = .decimal(d) } else if let h = object.hex { self = .hex(h) } else if let t = object.ts {
                self = .timestamp(t)
            } else if let fields = object.fields {
                self = .object(fields)
            } else if let entries = object.map {
                self = .map(entries.map { .array($0) })
            } else {
                self = .double(object.double ?? "")
            }
        }

        var description: String {
            switch self {
            case .null: return "null"
            case .bool(let b): return "\(b)"
            case .int(let i): return "\(i)"
            case .string(let s): return "\"\(s)\""
            case .decimal(let d): return "dec(\(d))"
            case .hex(let h): return "hex(\(h))"
            case .double(let d): return "dbl(\(d))"
            case .timestamp(let t): return "ts(\(t))"
            case .array(let a): return "\(a)"
            case .object(let fields): return "{" + fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
            case .map(let entries): return "map\(entries)"
            }
        }
    }

    static let columns = [
        ParquetColumn("id", .int64, optional: false),
        ParquetColumn("name", .string),
        ParquetColumn("small", .int32),
        ParquetColumn("flag", .boolean),
        ParquetColumn("ratio", .double),
        ParquetColumn("price", .decimal(precision: 38, scale: 2)),
        ParquetColumn("blob", .binary),
        ParquetColumn("doc", .json),
    ]

    /// Row `i` of the test data, and what the readers must return for it.
    static func row(_ i: Int) -> (values: [ParquetValue], expected: [JSONValue]) {
        let hasName = i % 7 != 3
        let name = "name-\(i % 50)-é"  // few distinct values: dictionary-encoded
        let small = Int32(i % 3 == 0 ? -i : i)
        let price = Int128(i) * 1_000_003 - 50_000_000 + (i == 5 ? Int128("12345678901234567890123456789012345")! : 0)
        let blob: [UInt8] = (0..<(i % 5)).map { UInt8(truncatingIfNeeded: i &* 31 &+ $0) }
        let doc = "{\"n\":\(i)}"
        func decimalText(_ unscaled: Int128) -> String {
            let negative = unscaled < 0
            let digits = String(unscaled.magnitude)
            let padded = String(repeating: "0", count: max(0, 3 - digits.count)) + digits
            return (negative ? "-" : "") + padded.dropLast(2) + "." + padded.suffix(2)
        }
        let values: [ParquetValue] = [
            .int64(Int64(i) * 1_000_000_007),
            hasName ? .string(name) : .null,
            .int32(small),
            i % 4 == 0 ? .null : .boolean(i % 3 == 0),
            i % 6 == 0 ? .null : .double(Double(i) / 8),
            i % 9 == 0 ? .null : .decimal(price),
            .bytes(blob),
            .bytes(Array(doc.utf8)),
        ]
        let expected: [JSONValue] = [
            .int(Int64(i) * 1_000_000_007),
            hasName ? .string(name) : .null,
            .int(Int64(small)),
            i % 4 == 0 ? .null : .bool(i % 3 == 0),
            i % 6 == 0 ? .null : .double("\(Double(i) / 8)"),
            i % 9 == 0 ? .null : .decimal(decimalText(price)),
            .hex(blob.map { String(format: "%02x", $0) }.joined()),
            .string(doc),
        ]
        return (values, expected)
    }

    static func readBack(_ path: String) throws -> ReadBack {
        let data = try runSupportScript("read_parquet.py", [path], needs: "pyarrow duckdb polars")
        return try JSONDecoder().decode(ReadBack.self, from: data)
    }

    /// Runs Support/`script` with python3 and `arguments`; returns its standard output, or
    /// throws with its standard error (naming the packages it `needs`) when it fails.
    static func runSupportScript(_ script: String, _ arguments: [String], needs packages: String) throws -> Data {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Support/" + script).path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ExportError.encoding("\(script) failed (it needs: python3 -m pip install \(packages)): \(errorText)")
        }
        return data
    }

    @Test(arguments: ParquetCompression.allCases)
    func pyarrowAndDuckDBReadEveryRowAndValue(_ compression: ParquetCompression) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-parquet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/rows.parquet"
        let fs = PosixFileSystem()
        let file = try fs.newWritableFile(path)
        var options = ParquetWriterOptions()
        options.compression = compression
        options.rowGroupRows = 2_500  // several row groups
        options.pageRowLimit = 700    // several pages per chunk
        let writer = try ParquetFileWriter(file: file, columns: Self.columns, options: options)
        let count = 6_000
        var expected: [[JSONValue]] = []
        for i in 0..<count {
            let row = Self.row(i)
            try writer.write(row.values)
            expected.append(row.expected)
        }
        let summary = try writer.finish(metadata: [("cairn.table", "orders")])
        try file.close()
        #expect(summary.rows == Int64(count) && summary.rowGroups == 3)
        let read = try Self.readBack(path)
        #expect(read.row_groups == 3)
        #expect(read.metadata["cairn.table"] == "orders")
        #expect(read.schema == [
            "id": "int64", "name": "string", "small": "int32", "flag": "bool", "ratio": "double",
            "price": "decimal128(38, 2)", "blob": "binary", "doc": read.schema["doc"] ?? "",
        ])
        #expect(read.schema["doc"] == "string")
        #expect(read.pyarrow.count == count)
        for (i, (got, want)) in zip(read.pyarrow, expected).enumerated() where got != want {
            Issue.record("pyarrow row \(i): \(got) != \(want)")
            break
        }
        // Statistics of row group 0 (rows 0..<2,500), against the data.
        let group = (0..<2_500).map { Self.row($0) }
        func values(_ column: Int) -> [ParquetValue] { group.map { $0.values[column] }.filter { $0 != .null } }
        func expectedRange(_ column: Int, _ less: (ParquetValue, ParquetValue) -> Bool) -> (JSONValue?, JSONValue?) {
            let present = group.filter { $0.values[column] != .null }
            let low = present.min { less($0.values[column], $1.values[column]) }
            let high = present.max { less($0.values[column], $1.values[column]) }
            return (low?.expected[column], high?.expected[column])
        }
        func int64(_ v: ParquetValue) -> Int64 {
            switch v {
            case .int64(let x): return x
            case .int32(let x): return Int64(x)
            case .boolean(let b): return b ? 1 : 0
            default: return 0
            }
        }
        func check(_ name: String, _ column: Int, _ less: (ParquetValue, ParquetValue) -> Bool) {
            let (low, high) = expectedRange(column, less)
            #expect(read.chunks[name]?.min == low, "\(name) min")
            #expect(read.chunks[name]?.max == high, "\(name) max")
            #expect(read.chunks[name]?.null_count == group.count - values(column).count, "\(name) nulls")
        }
        check("id", 0) { int64($0) < int64($1) }
        check("name", 1) { if case .bytes(let a) = $0, case .bytes(let b) = $1 { return a.lexicographicallyPrecedes(b) }; return false }
        check("small", 2) { int64($0) < int64($1) }
        check("flag", 3) { int64($0) < int64($1) }
        check("ratio", 4) { if case .double(let a) = $0, case .double(let b) = $1 { return a < b }; return false }
        check("price", 5) { if case .decimal(let a) = $0, case .decimal(let b) = $1 { return a < b }; return false }
        // Few distinct names: a dictionary; unique ids: PLAIN. (pyarrow names LZ4_RAW "LZ4".)
        #expect(read.chunks["name"]?.encodings.contains("RLE_DICTIONARY") == true)
        #expect(read.chunks["id"]?.encodings.contains("RLE_DICTIONARY") == false)
        #expect(read.chunks["id"]?.compression == ["none": "UNCOMPRESSED", "zstd": "ZSTD", "lz4_raw": "LZ4"][compression.rawValue])
        #expect(read.duckdb.count == count)
        for (i, (got, want)) in zip(read.duckdb, expected).enumerated() where got != want {
            Issue.record("duckdb row \(i): \(got) != \(want)")
            break
        }
        #expect(read.polars.count == count)
        for (i, (got, want)) in zip(read.polars, expected).enumerated() where got != want {
            Issue.record("polars row \(i): \(got) != \(want)")
            break
        }
    }
}

extension ParquetReadBackTests {
    /// A dictionary that outgrows its limit falls back to PLAIN for the chunk, and the file
    /// still reads back whole.
    @Test func dictionaryOverItsLimitFallsBackToPlain() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-parquet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/fallback.parquet"
        let file = try PosixFileSystem().newWritableFile(path)
        var options = ParquetWriterOptions()
        options.dictionaryPageBytes = 2_000
        let writer = try ParquetFileWriter(
            file: file, columns: [ParquetColumn("k", .string, optional: false), ParquetColumn("n", .int32, optional: false)],
            options: options)
        // 300 distinct 30-byte strings, each 5 times: a fifth distinct, but 10 KB of dictionary.
        let names = (0..<300).map { String(format: "value-%024d", $0) }
        for i in 0..<1_500 { try writer.write([.string(names[i % 300]), .int32(Int32(i % 7))]) }
        try writer.finish()
        try file.close()
        let read = try Self.readBack(path)
        #expect(read.pyarrow.count == 1_500 && read.duckdb.count == 1_500 && read.polars.count == 1_500)
        #expect(read.pyarrow[301] == [.string(names[1]), .int(0)])
        #expect(read.chunks["k"]?.encodings.contains("RLE_DICTIONARY") == false)
        #expect(read.chunks["n"]?.encodings.contains("RLE_DICTIONARY") == true)
    }

    /// Values that do not fit their column are typed errors that leave the file as it was:
    /// the rows around them read back, and only they.
    @Test func valuesThatDoNotFitAreRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-parquet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fs = PosixFileSystem()
        let file = try fs.newWritableFile(directory + "/a.parquet")
        let writer = try ParquetFileWriter(file: file, columns: [
            ParquetColumn("id", .int64, optional: false), ParquetColumn("d", .decimal(precision: 5, scale: 2)),
        ])
        try writer.write([.int64(1), .decimal(-99_999)])
        #expect(throws: ExportError.self) { try writer.write([.null, .null]) }
        #expect(throws: ExportError.self) { try writer.write([.int32(1), .null]) }
        #expect(throws: ExportError.self) { try writer.write([.int64(2), .decimal(100_000)]) }  // 6 digits
        #expect(throws: ExportError.self) { try writer.write([.int64(2)]) }
        try writer.write([.int64(3), .null])
        #expect(throws: ExportError.self) {
            try ParquetFileWriter(file: try fs.newWritableFile(directory + "/b.parquet"), columns: [ParquetColumn("d", .decimal(precision: 39, scale: 0))])
        }
        try writer.finish()
        try file.close()
        #expect(throws: ExportError.finished) { try writer.write([.int64(1), .null]) }
        let read = try Self.readBack(directory + "/a.parquet")
        #expect(read.pyarrow == [[.int(1), .decimal("-999.99")], [.int(3), .null]])
        #expect(read.duckdb == read.pyarrow)
        #expect(read.polars == read.pyarrow)
    }
}

extension ParquetReadBackTests {
    /// LIST columns (Parquet's three-level lists) of strings, decimals and integers, with null,
    /// empty and long lists, across pages and row groups.
    @Test func listColumnsReadBackAsLists() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-parquet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/lists.parquet"
        let file = try PosixFileSystem().newWritableFile(path)
        var options = ParquetWriterOptions()
        options.rowGroupRows = 1_500
        options.pageRowLimit = 400
        let writer = try ParquetFileWriter(file: file, columns: [
            ParquetColumn("id", .int32, optional: false),
            ParquetColumn("tags", .list(.string)),
            ParquetColumn("amounts", .list(.decimal(precision: 38, scale: 3))),
            ParquetColumn("counts", .list(.int64), optional: false),
        ], options: options)
        var expected: [[JSONValue]] = []
        for i in 0..<4_000 {
            let tagCount = i % 5 == 0 ? -1 : i % 13  // -1: null
            let tags = tagCount < 0 ? nil : (0..<tagCount).map { "t\(($0 * 7 + i) % 20)" }
            let amounts = i % 3 == 0 ? nil : (0..<(i % 4)).map { Int128($0 * 1_000 + i) * (i % 2 == 0 ? 1 : -1) }
            let counts = (0..<(i % 3)).map { Int64(i * 10 + $0) }
            try writer.write([
                .int32(Int32(i)),
                tags.map { .list($0.map { .string($0) }) } ?? .null,
                amounts.map { .list($0.map { .decimal($0) }) } ?? .null,
                .list(counts.map { .int64($0) }),
            ])
            func decimal(_ unscaled: Int128) -> String {
                let digits = String(unscaled.magnitude)
                let padded = String(repeating: "0", count: max(0, 4 - digits.count)) + digits
                return (unscaled < 0 ? "-" : "") + padded.dropLast(3) + "." + padded.suffix(3)
            }
            expected.append([
                .int(Int64(i)),
                tags.map { .array($0.map { .string($0) }) } ?? .null,
                amounts.map { .array($0.map { .decimal(decimal($0)) }) } ?? .null,
                .array(counts.map { .int($0) }),
            ])
        }
        try writer.finish()
        try file.close()
        let read = try Self.readBack(path)
        #expect(read.row_groups == 3)
        #expect(read.schema["tags"] == "list<element: string not null>")
        #expect(read.schema["amounts"] == "list<element: decimal128(38, 3) not null>")
        for (name, rows) in [("pyarrow", read.pyarrow), ("duckdb", read.duckdb), ("polars", read.polars)] {
            #expect(rows.count == expected.count, "\(name)")
            for (i, (got, want)) in zip(rows, expected).enumerated() where got != want {
                Issue.record("\(name) row \(i): \(got) != \(want)")
                break
            }
        }
        #expect(read.chunks["tags.list.element"]?.encodings.contains("RLE_DICTIONARY") == true)
    }
}
