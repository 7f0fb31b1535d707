import Foundation
import Testing

/// `cairn-stress`, driven like a user: kill -9 cycles that must lose nothing, and a verifier
/// that must notice a lost write, a value that is not the key's, a key nobody wrote, and a
/// damaged expected-state file.
@Suite struct StressCLITests {
    static let stressBinary: String = {
        let cairn = URL(fileURLWithPath: ItemCLITests.binary)
        return cairn.deletingLastPathComponent().appendingPathComponent("cairn-stress").path
    }()

    /// Runs a binary; returns its exit status and standard output + error.
    static func run(_ binary: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "cairn-stress-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func killNineCyclesLoseNothingAcknowledged() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try Self.run(Self.stressBinary, [
            "crash", "--db", root + "/db", "--seed", "5", "--cycles", "4", "--keys", "2000", "--min-seconds", "0.4", "--max-seconds", "1.2",
        ])
        #expect(result.status == 0, "\(result.output)")
        let cycles = result.output.split(separator: "\n").filter { $0.hasPrefix("cycle ") }
        #expect(cycles.count == 4, "\(result.output)")
        #expect(cycles.allSatisfy { $0.hasSuffix("; 0 failure(s))") && $0.contains("verified 2000 keys") }, "\(result.output)")
        let summary = try #require(result.output.split(separator: "\n").last { $0.hasPrefix("cairn-stress crash: seed 5;") })
        let operations = summary.split(separator: ";").first { $0.contains("operations acknowledged") }
            .flatMap { Int($0.split(separator: " ").first ?? "") }
        #expect((operations ?? 0) > 0, "\(summary)")
    }

    /// The item layer: a table with two GSIs, an LSI, a stream and Time to Live, under puts,
    /// updates, deletes, conditions, transactions, batches and sweeps, replicated to a Delta
    /// table; each kill must leave the items, the indexes, the stream and the replica
    /// consistent.
    @Test func itemCyclesKeepTableIndexesAndStreamConsistent() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try Self.run(Self.stressBinary, [
            "crash", "--db", root + "/db", "--layer", "items", "--seed", "12", "--cycles", "3", "--keys", "1000",
            "--min-seconds", "0.8", "--max-seconds", "1.5",
        ])
        #expect(result.status == 0, "\(result.output)")
        let cycles = result.output.split(separator: "\n").filter { $0.hasPrefix("cycle ") }
        #expect(cycles.count == 3, "\(result.output)")
        for cycle in cycles {
            #expect(cycle.hasSuffix("; 0 failure(s))") && cycle.contains("indexes: byV") && cycle.contains("stream:"), "\(cycle)")
            // The replica holds one row per item the table holds.
            let present = cycle.firstMatch(of: /\((\d+) present;/).map { String($0.1) }
            #expect(present != nil && cycle.contains(" files, \(present ?? "?") rows;"), "\(cycle)")
        }
        // Items with an expired TTL were written and swept (one value in eight expires).
        let summary = try #require(result.output.split(separator: "\n").last { $0.hasPrefix("cairn-stress crash: seed 12;") })
        let swept = summary.firstMatch(of: /; (\d+) expired items found swept;/).flatMap { Int($0.1) }
        #expect((swept ?? 0) > 0, "\(summary)")
        #expect(summary.contains("(0 without an acknowledged operation)"), "\(summary)")

        // An item changed behind the expected state's back is reported.
        let item = #"{"pk": {"S": "p0"}, "sk": {"N": "0"}, "v": {"N": "9999"}}"#
        let put = try Self.run(ItemCLITests.binary, ["put-item", "--db", root + "/db", "--table-name", "stress", "--item", item])
        #expect(put.status == 0, "\(put.output)")
        let verify = try Self.run(Self.stressBinary, ["verify", "--db", root + "/db"])
        #expect(verify.status == 1 && verify.output.contains("key 0 holds an item with attributes"), "\(verify.output)")

        // A data file of the replica removed behind the replicator's back (a commit by another
        // Delta writer) is reported: the rows a reader sees no longer match the table.
        let log = root + "/db.delta/table/_delta_log"
        let commits = try FileManager.default.contentsOfDirectory(atPath: log).filter { $0.hasSuffix(".json") }.sorted()
        #expect(commits.first == String(repeating: "0", count: 20) + ".json", "\(commits.prefix(3))")
        var live = Set<String>()
        for name in commits {
            for line in try String(contentsOfFile: log + "/" + name, encoding: .utf8).split(separator: "\n") {
                let action = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                if let add = action["add"] as? [String: Any], let path = add["path"] as? String { live.insert(path) }
                if let remove = action["remove"] as? [String: Any], let path = remove["path"] as? String { live.remove(path) }
            }
        }
        let victim = try #require(live.sorted().first)
        let latest = try #require(commits.last)
        let next = try #require(Int(latest.dropLast(5))) + 1
        let foreign = #"{"remove":{"path":"\#(victim)","deletionTimestamp":1,"dataChange":true}}"# + "\n"
        try foreign.write(toFile: log + "/" + String(format: "%020d.json", next), atomically: true, encoding: .utf8)
        let replica = try Self.run(Self.stressBinary, ["verify", "--db", root + "/db"])
        #expect(replica.status == 1, "\(replica.output)")
        #expect(replica.output.contains("replica: the Delta log's live files hold"), "\(replica.output)")
        #expect(replica.output.contains("keys in") && replica.output.contains("rows, the table holds"), "\(replica.output)")
    }

    /// Regression: in a key space of three, a cancelled transaction's condition check often
    /// falls on a key the transaction writes; the harness listed that key twice and trapped
    /// (found by the 1,000-cycle item run, seed 20261208, cycle 30).
    @Test func aTinyKeySpaceCollidesWithoutTrapping() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try Self.run(Self.stressBinary, [
            "run", "--db", root + "/db", "--layer", "items", "--seed", "4", "--keys", "3", "--ops", "400", "--threads", "2",
        ])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("end: 800 operations; 0 check(s) failed"), "\(result.output)")
    }

    /// The checks fail when the database is wrong: each tampering below, made behind the
    /// expected state's back with `cairn kv`, is reported and exits 1.
    @Test func verifyReportsWhatIsWrong() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let db = root + "/db"
        let first = try Self.run(Self.stressBinary, ["run", "--db", db, "--seed", "3", "--keys", "300", "--ops", "1500", "--threads", "1"])
        #expect(first.status == 0, "\(first.output)")
        #expect(try Self.run(Self.stressBinary, ["verify", "--db", db]).status == 0)

        // A lost write: a present key deleted.
        let scan = try Self.run(ItemCLITests.binary, ["kv", "scan", "--db", db])
        let presentKey = String(try #require(scan.output.split(separator: "\n").first).prefix(11))
        #expect(presentKey.hasPrefix("key"), "\(scan.output.prefix(200))")
        #expect(try Self.run(ItemCLITests.binary, ["kv", "delete", "--db", db, presentKey]).status == 0)
        let lost = try Self.run(Self.stressBinary, ["verify", "--db", db])
        #expect(lost.status == 1 && lost.output.contains("key \(Int(presentKey.dropFirst(3)) ?? -1) is absent, expected value"), "\(lost.output)")

        // A value that is not the key's, and a key outside the key space.
        #expect(try Self.run(ItemCLITests.binary, ["kv", "put", "--db", db, presentKey, "not-a-stress-value"]).status == 0)
        #expect(try Self.run(ItemCLITests.binary, ["kv", "put", "--db", db, "zzz", "1"]).status == 0)
        let wrong = try Self.run(Self.stressBinary, ["verify", "--db", db])
        #expect(wrong.status == 1, "\(wrong.output)")
        #expect(wrong.output.contains("are no value of this key"), "\(wrong.output)")
        #expect(wrong.output.contains("key zzz is outside the key space"), "\(wrong.output)")

        // A damaged expected-state file is an error, not a verdict.
        let expected = db + ".expected"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: expected))
        bytes[0] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: expected))
        let damaged = try Self.run(Self.stressBinary, ["verify", "--db", db])
        #expect(damaged.status == 2 && damaged.output.contains("CSTE"), "\(damaged.output)")
    }
}
