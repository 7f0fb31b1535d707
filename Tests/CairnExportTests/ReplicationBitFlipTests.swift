import Cairn
import CairnLSM
import Foundation
import Synchronization
import Testing
@testable import CairnExport

/// Every bit of the replicator's own files: its key lists (`_cairn/keys/*.keys`) and Cairn's
/// Delta state file (`_cairn/state/<version>.json`). One bit is flipped on the in-memory file
/// system, then a replicator opens the table (which replays the state file and the commits
/// after it and loads every live file's key list) and takes a step. The flip must be detected
/// (`CairnError.corruption` naming the file) or harmless (the table state, every key list and
/// the step equal the undamaged table's). The Delta log's own JSON commits are Delta's format,
/// without checksums, and not flipped here. Sampling as `BitFlipTests` (CairnLSMTests):
/// fast by default, `CAIRN_FLIP_ALL=1` for every bit (files here are under 4 KiB).
@Suite struct ReplicationBitFlipTests {
    static var full: Bool { ProcessInfo.processInfo.environment["CAIRN_FLIP_ALL"] == "1" }

    /// What a replicator opened on `fs` sees: the log's state, every live key list, its counts.
    struct Seen: Equatable {
        var state: DeltaTableState
        var keys: [String: [[UInt8]]]
        var version: Int64
        var applied: UInt64?
        var items: Int
        var rows: Int
    }

    static func open(_ fs: MemoryFileSystem) throws -> (TableReplicator, Seen) {
        let replicator = try TableReplicator(table: "orders", directory: "/delta", options: ExportFormatCompatibilityTests.options(fs))
        let state = try DeltaLog(directory: "/delta", fileSystem: fs).load()
        var keys: [String: [[UInt8]]] = [:]
        for file in state.files.keys {
            let path = "/delta/_cairn/keys/" + file + ".keys"
            keys[file] = try KeyListFile.decode(try fs.readFile(path), file: path)
        }
        return (replicator, Seen(state: state, keys: keys, version: replicator.version, applied: replicator.appliedSequence,
                                 items: replicator.itemCount, rows: replicator.rowCount))
    }

    @Test func keyListsAndTheStateFileDetectOrSurviveEachFlippedBit() throws {
        let db = try ReplicationTests.openDatabase("/db", fileSystem: MemoryFileSystem())
        defer { try? db.close() }
        let base = MemoryFileSystem()
        try base.createDirectory("/delta")
        do {
            let replicator = try TableReplicator(table: "orders", directory: "/delta", options: ExportFormatCompatibilityTests.options(base))
            defer { replicator.close() }
            for i in 0..<30 { try ReplicationTests.put(db, i, round: 0) }
            _ = try replicator.step(db)
            for i in stride(from: 0, to: 30, by: 4) { try ReplicationTests.put(db, i, round: 1) }
            try ReplicationTests.delete(db, 3)
            _ = try replicator.step(db)
            for i in 30..<34 { try ReplicationTests.put(db, i, round: 2) }
            _ = try replicator.step(db)
        }
        let (reference, expected) = try Self.open(base.processCrashClone())
        reference.close()
        #expect(expected.items == 33)

        var sweep = BitFlipSweep(everyBit: Self.full)
        for (directory, type) in [("/delta/_cairn/keys", "key list"), ("/delta/_cairn/state", "Delta state file")] {
            for name in try base.listDirectory(directory).sorted() {
                let path = directory + "/" + name
                sweep.add(path: path, size: base.contents(of: path)?.count ?? 0) { _ in type }
            }
        }
        #expect(Set(sweep.flips.map(\.type)).count == 2)
        let result = sweep.run(on: base) { image, _ in
            let (replicator, seen) = try Self.open(image)
            defer { replicator.close() }
            if seen != expected { return .failure("the replicator sees another table with no error") }
            if let commit = try replicator.step(db) { return .failure("a step after the flip committed version \(commit.version)") }
            return .harmless
        }
        print(result.report("Replication"))
        let found = result.failures
        for failure in found.prefix(10) { Issue.record(Comment(rawValue: failure)) }
        #expect(found.isEmpty)
    }

    /// Regression (found by the harness above): the state file carries a CRC-32C line, so a
    /// flipped bit in it is corruption naming it, not a silently different table; a state file
    /// written before the line existed still loads, to the same state.
    @Test func theStateFileIsChecksummedAndOldStateFilesStillLoad() throws {
        let db = try ReplicationTests.openDatabase("/db", fileSystem: MemoryFileSystem())
        defer { try? db.close() }
        let fs = MemoryFileSystem()
        try fs.createDirectory("/delta")
        do {
            let replicator = try TableReplicator(table: "orders", directory: "/delta", options: ExportFormatCompatibilityTests.options(fs))
            defer { replicator.close() }
            for round in 0..<3 {
                try ReplicationTests.put(db, round, round: round)
                _ = try replicator.step(db)
            }
        }
        let name = try #require(try fs.listDirectory("/delta/_cairn/state").first)
        let path = "/delta/_cairn/state/" + name
        let bytes = try fs.readFile(path)
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.last?.hasPrefix(#"{"cairn.stateChecksum":"#) == true, "\(text.suffix(80))")
        let expected = try DeltaLog(directory: "/delta", fileSystem: fs).load()

        // A data file's size, one digit changed (bit 0 keeps a digit a digit): the JSON is still
        // valid, the checksum is not.
        let size = try #require(text.range(of: #""size":"#))
        let offset = text.utf8.distance(from: text.startIndex, to: size.upperBound)
        let damaged = fs.processCrashClone()
        try damaged.flipBit(path: path, byteOffset: offset, bit: 0)
        #expect(throws: CairnError.self) { _ = try DeltaLog(directory: "/delta", fileSystem: damaged).load() }
        do {
            _ = try DeltaLog(directory: "/delta", fileSystem: damaged).load()
        } catch CairnError.corruption(let file, _, let reason) {
            #expect(file == path && reason.contains("checksum"), "\(reason)")
        }

        // The same file without its checksum line, as an earlier build wrote it.
        let old = fs.processCrashClone()
        let body = lines.dropLast().map { $0 + "\n" }.joined()
        try old.removeFile(path)
        try old.writeFileAtomically(path, Array(body.utf8), directory: "/delta/_cairn/state")
        #expect(try DeltaLog(directory: "/delta", fileSystem: old).load() == expected)
    }
}
