import Foundation
import Synchronization
import Testing
@testable import CairnLSM

/// Every bit: one bit of one file of a small database (`SmallDatabase`: tables of each
/// compression at two levels with every block kind, a write-ahead log of unflushed updates,
/// MANIFEST, CURRENT) is flipped on the in-memory file system, then the database is opened,
/// verified (`Database.verify`), scanned and every key read back. Each flip must be
///
/// - **detected**: a `CairnError.corruption` whose file is the flipped one, or
/// - **harmless**: the scan and every point read equal the undamaged database's exactly.
///
/// Anything else is a failure: a different result with no error, another error, a corruption
/// error naming another file. (A crash or a hang stops the test run.) The item layer's catalog,
/// items, index entries, index logs and stream records are CairnLSM keys and values, so they are
/// covered by the table and log flips here; `ItemBitFlipTests` and `ReplicationBitFlipTests` run
/// the same harness on an item database and on the replicator's own files.
///
/// Sampling: CI (fast mode) flips every bit of each file's first and last 64 bytes (headers,
/// footers, trailers) and every 11th bit elsewhere (11 is prime to 8, so every bit position of
/// a byte is hit); `CAIRN_FLIP_ALL=1` flips every bit of files up to 4 KiB and, above that,
/// every bit of the first and last 512 bytes and every 7th bit between. Counts per file type
/// are printed.
@Suite struct BitFlipTests {
    static var full: Bool { ProcessInfo.processInfo.environment["CAIRN_FLIP_ALL"] == "1" }

    /// The bit offsets to flip in a file of `size` bytes.
    static func sample(size: Int, full: Bool = BitFlipTests.full) -> [Int] {
        MemoryFileSystem.bitFlipSample(size: size, everyBit: full)
    }

    /// The file type a byte of a file belongs to (blocks of a table by the table's layout).
    static func regions(_ fs: MemoryFileSystem, _ path: String) throws -> (Int) -> String {
        let name = String(path.split(separator: "/").last ?? "")
        if name.hasSuffix(".sst") {
            let blocks = try FileInspector.openTable(path, fileSystem: fs).blocks()
            return { offset in
                for block in blocks where offset >= Int(block.offset) && offset < Int(block.offset + block.size) + (block.kind == .footer ? 0 : 5) {
                    return "sst \(block.kind.rawValue)"
                }
                return "sst ?"
            }
        }
        if name.hasSuffix(".log") { return { $0 < LogFormat.fileHeaderRecordSize ? "wal header" : "wal records" } }
        if name.hasPrefix("MANIFEST-") { return { $0 < LogFormat.fileHeaderRecordSize ? "manifest header" : "manifest edits" } }
        return { _ in name }
    }

    typealias Counts = BitFlipSweep.Counts
    typealias Outcome = BitFlipSweep.Outcome

    /// Runs `check` on a copy of `base` with each sampled bit of each file in `directory`
    /// flipped, two threads at a time; records the first failures as issues, prints the counts
    /// per file type and returns them.
    static func run(
        _ label: String, base: MemoryFileSystem, directory: String, files: [String]? = nil,
        regions: (MemoryFileSystem, String) throws -> (Int) -> String = BitFlipTests.regions,
        check: @escaping @Sendable (MemoryFileSystem, String) -> Outcome
    ) throws -> [String: Counts] {
        let names = try files ?? base.listDirectory(directory).filter { $0 != "LOCK" }.sorted()
        var sweep = BitFlipSweep(everyBit: full)
        for name in names {
            let path = directory + "/" + name
            guard let size = base.contents(of: path)?.count, size > 0 else { continue }
            sweep.add(path: path, size: size, type: try regions(base, path))
        }
        let result = sweep.run(on: base, check: check)
        for failure in result.failures.prefix(10) { Issue.record("\(label): \(failure)") }
        print(result.report(label))
        return result.counts
    }

    /// An error as an outcome: corruption naming the flipped file is detection.
    static func classify(_ error: Error, flipped path: String) -> Outcome {
        if case CairnError.corruption(let file, _, _) = error {
            let name = String(path.split(separator: "/").last ?? "")
            return file.hasSuffix(name) ? .detected : .failure("corruption reported in another file: \(error)")
        }
        return .failure("not a corruption error: \(error)")
    }

    /// The undamaged database: its scan.
    static func reference(_ fs: MemoryFileSystem) throws -> [([UInt8], [UInt8])] {
        let db = try Database.open("/db", options: SmallDatabase.options(fs.processCrashClone(), compression: .lz4))
        defer { try? db.close() }
        return try SmallDatabase.scan(db)
    }

    @Test func everyFileOfADatabaseDetectsOrSurvivesEachFlippedBit() throws {
        let base = MemoryFileSystem()
        try SmallDatabase.build(path: "/db", fileSystem: base)
        let expected = try Self.reference(base)
        // Keys that must read as absent: deleted, range-deleted, never written.
        let absent = [SmallDatabase.key("a", 12), SmallDatabase.key("a", 20), SmallDatabase.key("a", 31),
                      SmallDatabase.key("b", 3), SmallDatabase.key("b", 11), SmallDatabase.key("c", 1),
                      SmallDatabase.key("e", 0)]
        let counts = try Self.run("CairnLSM", base: base, directory: "/db") { image, path in
            do {
                var options = SmallDatabase.options(image, compression: .lz4)
                options.disableAutoCompactions = false
                let db = try Database.open("/db", options: options)
                defer { try? db.close() }
                try db.verify()
                let scan = try SmallDatabase.scan(db)
                guard scan.count == expected.count && zip(scan, expected).allSatisfy({ $0.0 == $1.0 && $0.1 == $1.1 }) else {
                    return .failure("the scan differs with no error (\(scan.count) keys, expected \(expected.count))")
                }
                for (key, value) in expected where try db.get(key) != value {
                    return .failure("get(\(String(decoding: key, as: UTF8.self))) differs with no error")
                }
                for key in absent where try db.get(key) != nil {
                    return .failure("get(\(String(decoding: key, as: UTF8.self))) found a deleted key")
                }
                return .harmless
            } catch {
                return Self.classify(error, flipped: path)
            }
        }
        #expect(counts.values.reduce(0) { $0 + $1.failures } == 0)
        for type in ["sst data", "sst index", "sst filter", "sst properties", "sst metaindex", "sst rangeDeletion",
                     "sst footer", "wal header", "wal records", "manifest header", "manifest edits", "CURRENT"] {
            #expect((counts[type]?.flips ?? 0) > 0, "no flips in \(type)")
        }
    }
}
