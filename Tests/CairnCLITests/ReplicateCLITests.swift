import Foundation
import Synchronization
import Testing

/// `cairn replicate`, driven like a user: other `cairn` processes write the table while the
/// replicator runs, and it is killed with SIGKILL again and again; the Delta table deltalake
/// reads at the end equals a full Scan, every item once.
@Suite struct ReplicateCLITests {
    let cli = ItemCLITests()

    /// read_delta.py (beside the CairnExport tests): deltalake's view of a table.
    static func readDelta(_ path: String) throws -> [String: Any] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CairnExportTests/Support/read_delta.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "read_delta.py needs deltalake: python3 -m pip install deltalake")
        let all = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(all[path] as? [String: Any])
    }

    /// A JSON object's canonical text (keys sorted), to compare items as sets.
    static func canonical(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func killedAgainAndAgainTheReplicaEndsEqualToTheTable() throws {
        let scratch = ItemCLITests.Scratch()
        let db = ["--db", scratch.db]
        #expect(try cli.cairn([
            "create-table", "--table-name", "Orders", "--attribute-definitions", "AttributeName=id,AttributeType=S",
            "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST",
            "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES",
        ] + db).status == 0)
        let delta = scratch.path + "/delta"
        var generator = SystemRandomNumberGenerator()
        var commitLines = 0
        var killed = 0
        for cycle in 0..<8 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ItemCLITests.binary)
            process.arguments = ["replicate", "--table-name", "Orders", "--to", delta, "--interval", "0.05"] + db
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Writes from other processes while it runs: 25 new items, and updates and deletes of
            // earlier ones.
            var requests: [String] = []
            for i in 0..<25 {
                let id = "c\(cycle)-\(i)"
                requests.append(#"{"PutRequest":{"Item":{"id":{"S":"\#(id)"},"n":{"N":"\#(cycle * 100 + i)"},"tag":{"S":"t\#(i % 3)"}}}}"#)
            }
            let batch = #"{"Orders":[\#(requests.joined(separator: ","))]}"#
            #expect(try cli.cairn(["batch-write-item", "--request-items", batch] + db).status == 0)
            if cycle > 0 {
                #expect(try cli.cairn(["put-item", "--table-name", "Orders", "--item",
                                       #"{"id":{"S":"c\#(cycle - 1)-0"},"n":{"N":"-1.5"},"tag":{"S":"updated"}}"#] + db).status == 0)
                #expect(try cli.cairn(["delete-item", "--table-name", "Orders", "--key", #"{"id":{"S":"c\#(cycle - 1)-1"}}"#] + db).status == 0)
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0.05...0.4, using: &generator))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            commitLines += printed.split(separator: "\n").count
        }
        #expect(killed >= 6, "the replicator was killed \(killed) times")
        #expect(commitLines > 0)
        // A last run applies what is left and exits.
        let last = try cli.cairn(["replicate", "--table-name", "Orders", "--to", delta, "--once"] + db)
        #expect(last.status == 0, "\(last.stderr)")

        let scan = try cli.cairn(["scan", "--table-name", "Orders"] + db)
        let items = try #require(try scan.json()["Items"] as? [Any])
        #expect(items.count == 8 * 25 - 7)
        let read = try Self.readDelta(delta)
        #expect(read["error"] == nil, "\(read["error"] ?? "")")
        let rows = (read["items"] as? [String]) ?? []
        let replicated = try rows.map { try Self.canonical(try JSONSerialization.jsonObject(with: Data($0.utf8))) }
        let expected = try items.map(Self.canonical)
        #expect(replicated.count == expected.count, "\(replicated.count) rows, \(expected.count) items")
        #expect(replicated.sorted() == expected.sorted())
        // Integers first: DECIMAL(38, 0) (the -1.5 of an update is in _item only).
        #expect((read["schema"] as? [String: String])?["n"] == "decimal128(38, 0)")

        // Another table cannot take over the directory.
        let wrong = try cli.cairn(["replicate", "--table-name", "Other", "--to", delta, "--once"] + db)
        #expect(wrong.status != 0)
    }
}
