import Foundation
import Testing

/// Issue 24 through the `cairn` executable on the real file system: what an operator sees
/// after disk trouble. Each case ends in a one-line error naming the file (exit status not 0)
/// or in the exact data, never in silent loss.
@Suite struct DamagedFilesCLITests {
    let cli = CLITests()

    func files(_ dir: String, _ suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(suffix) || $0.hasPrefix(suffix) }.sorted()
    }

    /// A database with 300 keys in a table and 3 more in the log.
    func makeDatabase(_ path: String) throws -> [String] {
        let lines = (0..<300).map { "k\(1000 + $0)\tvalue-\($0)" }.joined(separator: "\n")
        #expect(try cli.cairn(["kv", "load", "--db", path], stdin: lines + "\n").status == 0)
        #expect(try cli.cairn(["kv", "flush", "--db", path]).status == 0)
        for i in 0..<3 { #expect(try cli.cairn(["kv", "put", "--db", path, "late\(i)", "v\(i)"]).status == 0) }
        return (0..<300).map { "k\(1000 + $0)\tvalue-\($0)" } + (0..<3).map { "late\($0)\tv\($0)" }
    }

    func scanLines(_ path: String, _ extra: [String] = []) throws -> [String] {
        let run = try cli.cairn(["kv", "scan", "--db", path] + extra)
        #expect(run.status == 0, "\(run.stderr)")
        return run.stdout.split(separator: "\n").map(String.init)
    }

    func listing(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    }

    @Test func readVerbsOnAPathWithNoDatabaseCreateNothing() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/nothing"
        for verb in [["kv", "scan"], ["kv", "get", "k"], ["kv", "verify"], ["kv", "stats"]] {
            let run = try cli.cairn(verb + ["--db", path])
            #expect(run.status != 0)
            #expect(run.stderr.contains("no database at \(path)"), "\(verb): \(run.stderr)")
        }
        for verb in [["scan", "--table-name", "Things"], ["list-tables"], ["describe-table", "--table-name", "Things"]] {
            let run = try cli.cairn(verb + ["--db", path])
            #expect(run.status == 255)
            #expect(run.stderr.contains("no database at \(path)"), "\(verb): \(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        #expect(try cli.cairn(["kv", "scan", "--db", path]).stderr.contains("holds no database files"))
        #expect(try listing(path).filter { $0 != "LOCK" } == [])
        // A verb that writes creates it.
        #expect(try cli.cairn(["kv", "put", "--db", path, "a", "1"]).status == 0)
        #expect(try scanLines(path) == ["a\t1"])
    }

    @Test func missingCurrentRefusesEveryVerbThenRepairRestoresTheData() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/db"
        let expected = try makeDatabase(path)
        try FileManager.default.removeItem(atPath: path + "/CURRENT")
        let before = try listing(path)
        for verb in [["kv", "scan"], ["kv", "put", "x", "y"], ["kv", "verify"]] {
            let run = try cli.cairn(verb + ["--db", path])
            #expect(run.status != 0)
            #expect(run.stderr.contains("CURRENT is missing"), "\(run.stderr)")
            #expect(run.stderr.contains("cairn kv repair"))
        }
        let item = try cli.cairn(["put-item", "--db", path, "--table-name", "Things", "--item", #"{"pk": {"S": "a"}}"#])
        #expect(item.status == 255 && item.stderr.contains("CURRENT is missing"))
        #expect(try listing(path) == before, "a refused open changes nothing")

        let repair = try cli.cairn(["kv", "repair", "--db", path])
        #expect(repair.status == 0, "\(repair.stderr)")
        #expect(repair.stdout.contains("kept "))
        #expect(repair.stdout.contains("set aside"))
        #expect(try scanLines(path) == expected)
        #expect(try cli.cairn(["kv", "verify", "--db", path]).status == 0)
    }

    @Test func aFlippedBitInTheManifestsLastRecordIsReportedAndRepairable() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/db"
        let expected = try makeDatabase(path)
        let manifest = path + "/" + (try #require(try files(path, "MANIFEST-").last))
        var data = try Data(contentsOf: URL(fileURLWithPath: manifest))
        data[data.count - 3] ^= 0x10
        try data.write(to: URL(fileURLWithPath: manifest))
        let run = try cli.cairn(["kv", "scan", "--db", path])
        #expect(run.status != 0)
        #expect(run.stderr.contains("corruption in \(manifest)"), "\(run.stderr)")
        #expect(run.stderr.contains("not a torn write"))
        #expect(try cli.cairn(["kv", "repair", "--db", path]).status == 0)
        #expect(try scanLines(path) == expected)
    }

    @Test func aTableSwappedForAnotherDatabasesTwinIsCorruption() throws {
        let dir = TemporaryDirectory()
        let a = dir.path + "/a", b = dir.path + "/b"
        _ = try makeDatabase(a)
        _ = try makeDatabase(b)
        let table = try #require(try files(a, ".sst").first)
        #expect(try files(b, ".sst").first == table)
        let other = try Data(contentsOf: URL(fileURLWithPath: b + "/" + table))
        #expect(other.count == (try FileManager.default.attributesOfItem(atPath: a + "/" + table)[.size] as? Int))
        try other.write(to: URL(fileURLWithPath: a + "/" + table))
        for verb in [["kv", "scan"], ["kv", "verify"]] {
            let run = try cli.cairn(verb + ["--db", a])
            #expect(run.status != 0)
            #expect(run.stderr.contains("corruption in \(a)/\(table)"), "\(run.stderr)")
            #expect(run.stderr.contains("does not match"))
        }
    }

    @Test func deletedOrCutLogsAreCorruptionAndAnUnsyncedTailIsAWarning() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/db"
        let expected = try makeDatabase(path)
        let log = path + "/" + (try #require(try files(path, ".log").last))
        let original = try Data(contentsOf: URL(fileURLWithPath: log))

        // Cut: the last close recorded the log's synced size.
        try original.prefix(original.count - 10).write(to: URL(fileURLWithPath: log))
        var run = try cli.cairn(["kv", "scan", "--db", path])
        #expect(run.status != 0)
        #expect(run.stderr.contains("corruption in \(log)") && run.stderr.contains("synced writes were cut off"), "\(run.stderr)")

        // Deleted.
        try FileManager.default.removeItem(atPath: log)
        run = try cli.cairn(["kv", "scan", "--db", path])
        #expect(run.status != 0)
        #expect(run.stderr.contains("corruption in \(log)") && run.stderr.contains("write-ahead log is missing"), "\(run.stderr)")

        // Bytes past the synced size (a torn write a crash left): dropped, with a warning.
        try (original + Data([0x5a, 0x13, 0x77, 0x01, 0x99])).write(to: URL(fileURLWithPath: log))
        let readOnly = try cli.cairn(["kv", "scan", "--db", path, "--read-only"])
        #expect(readOnly.status == 0)
        #expect(readOnly.stderr.contains("warning: recovery \(log): dropped 5 bytes"), "\(readOnly.stderr)")
        run = try cli.cairn(["kv", "scan", "--db", path])
        #expect(run.status == 0)
        #expect(run.stderr.contains("warning: recovery \(log): dropped 5 bytes"), "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").map(String.init) == expected)
        // Reported once: that open put the recovered writes in a table.
        let again = try cli.cairn(["kv", "stats", "--db", path])
        #expect(again.stderr.isEmpty)
        #expect(again.stdout.contains("nothing dropped at open"))
    }

    @Test(.disabled(if: SanitizerRuntime.isActive, SanitizerRuntime.fileSizeLimitReason))
    func aFullDiskStillReadsWithReadOnly() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/db"
        let expected = try makeDatabase(path)
        let before = try listing(path)
        // A file-size limit of 0: every write fails (EFBIG) as on a full disk.
        func limited(_ args: [String]) throws -> CLITests.Run {
            let quoted = ([CLITests.binary] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", "trap '' XFSZ; ulimit -f 0; exec " + quoted.joined(separator: " ")]
            let output = Pipe(), error = Pipe()
            process.standardOutput = output
            process.standardError = error
            try process.run()
            let out = output.fileHandleForReading.readDataToEndOfFile()
            let err = error.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return CLITests.Run(
                status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                stderr: String(decoding: err, as: UTF8.self))
        }
        // The item verbs too, on an item database.
        let items = dir.path + "/items"
        #expect(try cli.cairn([
            "create-table", "--db", items, "--table-name", "Things", "--attribute-definitions", "AttributeName=pk,AttributeType=S",
            "--key-schema", "AttributeName=pk,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST",
        ]).status == 0)
        #expect(try cli.cairn(["put-item", "--db", items, "--table-name", "Things", "--item", #"{"pk": {"S": "a"}, "n": {"N": "7"}}"#]).status == 0)
        let itemRead = try limited(["get-item", "--db", items, "--table-name", "Things", "--key", #"{"pk": {"S": "a"}}"#, "--read-only"])
        #expect(itemRead.status == 0, "\(itemRead.stderr)")
        #expect(itemRead.stdout.contains("\"N\": \"7\""))
        let itemWrite = try limited(["put-item", "--db", items, "--table-name", "Things", "--item", #"{"pk": {"S": "b"}}"#, "--read-only"])
        #expect(itemWrite.status == 255 && itemWrite.stderr.contains("read-only"), "\(itemWrite.stderr)")

        let normal = try limited(["kv", "scan", "--db", path])
        #expect(normal.status != 0)
        #expect(normal.stderr.hasPrefix("error: I/O error"), "\(normal.stderr)")
        let readOnly = try limited(["kv", "scan", "--db", path, "--read-only"])
        #expect(readOnly.status == 0, "\(readOnly.stderr)")
        #expect(readOnly.stdout.split(separator: "\n").map(String.init) == expected)
        let write = try limited(["kv", "put", "--db", path, "--read-only", "x", "y"])
        #expect(write.status != 0 && write.stderr.contains("read-only"))
        // The failed normal open may leave an empty new log; nothing else changed.
        #expect(try listing(path).filter { !$0.hasSuffix(".log") } == before.filter { !$0.hasSuffix(".log") })
        #expect(try scanLines(path) == expected)
    }
}
