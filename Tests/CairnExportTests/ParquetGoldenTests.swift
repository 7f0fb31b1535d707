import CairnLSM
import Testing
@testable import CairnExport

/// The writer's exact bytes for fixed inputs, pinned by a hash: the writer may get faster,
/// but a given input must keep giving the same file (Docs/parquet_writer.md). The hashes
/// were taken from the writer before its rewrite for speed; a change of output must be
/// deliberate, documented, and update them.
@Suite struct ParquetGoldenTests {
    /// An in-memory file.
    final class MemoryFile: WritableFile, @unchecked Sendable {
        var bytes: [UInt8] = []
        let path = "memory"
        var size: Int64 { Int64(bytes.count) }
        func append(_ data: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: data) }
        func sync() throws {}
        func close() throws {}
    }

    /// FNV-1a, 64 bits, as 16 hex digits.
    static func fingerprint(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The rows of cairn-bench's parquetwrite workload (pk with 10 rows per value, a unique
    /// decimal and seq, a 1,000-value optional name, three operations).
    static func benchmarkRows(_ count: Int) -> [[ParquetValue]] {
        let operations: [ParquetValue] = ["INSERT", "MODIFY", "REMOVE"].map { .string($0) }
        return (0..<count).map { i -> [ParquetValue] in
            let digits = String(i / 10)
            let pk = "user" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
            return [
                .string(pk), .int64(Int64(i % 10)), .decimal(Int128((i &* 7919) % 10_000_000 - 5_000_000)),
                i % 10 == 0 ? .null : .string("name-\(i % 1000)-xxxxxxxxxxx"), .int64(1_000_000 + Int64(i)), operations[i % 3],
            ]
        }
    }

    static let benchmarkColumns = [
        ParquetColumn("pk", .string, optional: false),
        ParquetColumn("sk", .int64, optional: false),
        ParquetColumn("amount", .decimal(precision: 38, scale: 2), optional: false),
        ParquetColumn("name", .string, optional: true),
        ParquetColumn("seq", .int64, optional: false),
        ParquetColumn("op", .string, optional: false),
    ]

    static func write(_ columns: [ParquetColumn], _ rows: [[ParquetValue]], _ options: ParquetWriterOptions) throws -> [UInt8] {
        let file = MemoryFile()
        let writer = try ParquetFileWriter(file: file, columns: columns, options: options)
        for row in rows { try writer.write(row) }
        try writer.finish(metadata: [(key: "k", value: "v")])
        return file.bytes
    }

    /// The benchmark's rows with the default options, and with small dictionaries, pages and
    /// row groups (dictionary fallbacks at their limit and by ratio, many pages), per codec.
    @Test func benchmarkRowsGiveTheSameBytes() throws {
        let rows = Self.benchmarkRows(30_000)
        var small = ParquetWriterOptions()
        small.encodingThreads = 1
        small.dictionaryPageBytes = 20_000
        small.pageRowLimit = 1_000
        small.dataPageBytes = 6_000
        small.rowGroupRows = 12_000
        var results: [String] = []
        for compression in ParquetCompression.allCases {
            var options = ParquetWriterOptions()
            options.compression = compression
            results.append(Self.fingerprint(try Self.write(Self.benchmarkColumns, rows, options)))
            small.compression = compression
            results.append(Self.fingerprint(try Self.write(Self.benchmarkColumns, rows, small)))
        }
        #expect(results == Self.benchmarkFingerprints)
    }

    static let benchmarkFingerprints = [
        "af7a50849da364f8", "8b32dc6bcc9b6ddb", "8dc1be813bd7bfdf", "b0047d16a287f9db", "2d0845a20a93bedf", "e28a0843ee5361c2",
    ]

    /// Every primitive kind, optional and required, with NaN, signed zeros, infinities, empty
    /// strings, extreme integers and decimals; and nested columns (lists, maps, structs); with
    /// 1, 2 and 3 encoding threads.
    @Test func everyKindGivesTheSameBytes() throws {
        let columns = [
            ParquetColumn("b", .boolean), ParquetColumn("i", .int32, optional: false), ParquetColumn("l", .int64),
            ParquetColumn("t", .timestampMicros), ParquetColumn("d", .double), ParquetColumn("s", .string),
            ParquetColumn("j", .json, optional: false), ParquetColumn("x", .binary), ParquetColumn("m", .decimal(precision: 9, scale: 3)),
            ParquetColumn("tags", .list(.string)),
            ParquetColumn("attrs", .map(key: .string, value: .decimal(precision: 20, scale: 0), valueOptional: true)),
            ParquetColumn("add", .group([
                ParquetColumn("path", .string), ParquetColumn("size", .int64, optional: false),
                ParquetColumn("parts", .list(.list(.int32))),
                ParquetColumn("pv", .map(key: .int64, value: .group([ParquetColumn("v", .double)]), valueOptional: false)),
            ])),
        ]
        let doubles: [Double] = [0, -0.0, .nan, 1.5, -.infinity, .infinity, -2.25, 1e300, .leastNonzeroMagnitude]
        var rows: [[ParquetValue]] = []
        for i in 0..<5_000 {
            let n = Int64(i)
            let text = i % 13 == 0 ? "" : String(repeating: "\u{e9}z", count: i % 7) + "\(i % 97)"
            let bytes: ParquetValue = .bytes((0..<(i % 9)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ i) })
            let listValue: ParquetValue = i % 5 == 0 ? .null : .list((0..<(i % 4)).map { .string("t\(($0 + i) % 11)") })
            var entries: [ParquetMapEntry] = []
            for k in 0..<(i % 3) {
                let scaled = Int128(n * 1_000_003 - 7) * Int128(k + 1)
                entries.append(ParquetMapEntry(key: .string("k\(k)"), value: k == 1 ? .null : .decimal(scaled)))
            }
            let mapValue: ParquetValue = i % 6 == 0 ? .null : .map(entries)
            var parts: [ParquetValue] = []
            for k in 0..<(i % 3) {
                let inner: [ParquetValue] = (0..<k).map { _ in ParquetValue.int32(Int32(k * i % 100)) }
                parts.append(.list(inner))
            }
            let pvEntry = ParquetMapEntry(key: .int64(n % 5), value: .group([.double(doubles[i % doubles.count])]))
            let pv: ParquetValue = i % 7 == 0 ? .null : .map(i % 2 == 0 ? [] : [pvEntry])
            let path: ParquetValue = i % 3 == 0 ? .null : .string("p/\(i % 50)")
            let add: ParquetValue = i % 8 == 0 ? .null : .group([path, .int64(n &* 31), i % 4 == 0 ? .null : .list(parts), pv])
            let long: Int64 = i % 17 == 0 ? .min : (i % 19 == 0 ? .max : n * n - 1_000_000)
            let double = doubles[i % doubles.count] * Double(i % 3 + 1)
            let unscaled = Int128(i % 2 == 0 ? 999_999_999 - i : -i * 1_237)
            var row: [ParquetValue] = []
            row.append(i % 11 == 0 ? .null : .boolean(i % 3 == 0))
            row.append(.int32(Int32(truncatingIfNeeded: i &* 2_654_435_761)))
            row.append(i % 4 == 0 ? .null : .int64(long))
            row.append(.int64(1_700_000_000_000_000 + n % 300))
            row.append(i % 10 == 0 ? .null : .double(double))
            row.append(i % 9 == 0 ? .null : .string(text))
            row.append(.string("{\"n\":\(i % 40)}"))
            row.append(i % 2 == 0 ? .null : bytes)
            row.append(i % 3 == 0 ? .null : .decimal(unscaled))
            row += [listValue, mapValue, add]
            rows.append(row)
        }
        var results: [String] = []
        for (k, compression) in ParquetCompression.allCases.enumerated() {
            var options = ParquetWriterOptions()
            options.compression = compression
            // One encoding thread (the default), two or three: the same file.
            options.encodingThreads = k + 1
            results.append(Self.fingerprint(try Self.write(columns, rows, options)))
            options.dictionaryPageBytes = [64, 700, 3_000][k]
            options.dictionaryMaxDistinctRatio = [0.5, 0.1, 0.9][k]
            options.pageRowLimit = [37, 500, 2][k]
            options.dataPageBytes = [100, 2_000, 1 << 20][k]
            options.rowGroupRows = [1_700, 333, 10_000][k]
            options.rowGroupBytes = [1 << 20, 20_000, 50_000][k]
            results.append(Self.fingerprint(try Self.write(columns, rows, options)))
        }
        #expect(results == Self.everyKindFingerprints)
    }

    static let everyKindFingerprints = [
        "ff2731377550c8a6", "e6f67004a689f2ac", "fb01a5bdc8ee832e", "370cac51bb731a8d", "3a211ebe2aadd7b6", "3e566116f97563f6",
    ]
}
