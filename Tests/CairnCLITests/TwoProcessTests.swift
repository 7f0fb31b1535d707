import Foundation
import Synchronization
import Testing

/// Two processes on one database: while a `cairn` shell holds it open, a second `cairn` that
/// would write (`put-item`, `kv put`) exits non-zero with a one-line "locked by another process"
/// error and writes nothing; a `--read-only` reader still reads; the first process's writes are
/// intact afterwards.
@Suite struct TwoProcessTests {
    let cli = ItemCLITests()

    /// A `cairn` shell on `db`, fed through a pipe; its output is collected.
    final class Shell {
        let process = Process()
        let input = Pipe()
        let output = Collected()

        final class Collected: Sendable {
            let data = Mutex(Data())
        }

        init(db: String) throws {
            process.executableURL = URL(fileURLWithPath: ItemCLITests.binary)
            process.arguments = ["--db", db]
            let out = Pipe()
            process.standardInput = input
            process.standardOutput = out
            process.standardError = out
            out.fileHandleForReading.readabilityHandler = { [output] handle in
                let chunk = handle.availableData
                output.data.withLock { $0.append(chunk) }
            }
            try process.run()
        }

        func send(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }

        var text: String { output.data.withLock { String(decoding: $0, as: UTF8.self) } }

        /// Ends the shell (end of input) and waits for it.
        func finish() {
            try? input.fileHandleForWriting.close()
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    @Test func aSecondWriterIsRefusedWithALockedErrorAndNothingIsShared() throws {
        let scratch = ItemCLITests.Scratch()
        let db = ["--db", scratch.db]
        #expect(try cli.createMusic(scratch.db).status == 0)
        #expect(try cli.cairn(["put-item", "--table-name", "Music", "--item", #"{"pk":{"S":"first"},"sk":{"N":"1"}}"#] + db).status == 0)

        let shell = try Shell(db: scratch.db)
        defer { shell.finish() }
        // The shell writes, so it certainly holds the database open.
        shell.send(#"put-item --table-name Music --item '{"pk":{"S":"shell"},"sk":{"N":"2"}}'"#)
        // (Its output is buffered in a pipe: watch for the item with a read-only reader, which
        // takes no lock.)
        var committed = false
        let deadline = Date().addingTimeInterval(20)
        while !committed && Date() < deadline {
            let read = try cli.cairn(["scan", "--table-name", "Music", "--read-only"] + db)
            committed = read.stdout.contains("\"shell\"")
            if !committed { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(committed, "the shell's put-item: \(shell.text)")

        for args in [
            ["put-item", "--table-name", "Music", "--item", #"{"pk":{"S":"second"},"sk":{"N":"3"}}"#],
            ["kv", "put", "intruder", "value"],
            ["create-table", "--table-name", "Other", "--attribute-definitions", "AttributeName=id,AttributeType=S",
             "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST"],
        ] {
            let run = try cli.cairn(args + db)
            #expect(run.status != 0, "\(args[0]) must fail while the shell holds the database")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1, "one line: \(run.stderr)")
            #expect(run.stderr.contains("is locked by another process"), "\(run.stderr)")
            #expect(run.stderr.contains(scratch.db), "names the database: \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
        // A read-only reader takes no lock and sees what the shell committed.
        let reader = try cli.cairn(["scan", "--table-name", "Music", "--read-only"] + db)
        #expect(reader.status == 0, "\(reader.stderr)")
        #expect(reader.stdout.contains("\"shell\"") && !reader.stdout.contains("\"second\""))

        shell.finish()
        #expect(shell.process.terminationStatus == 0, "\(shell.text)")
        // Afterwards: the first process's items are intact and nothing of the refused writes.
        let scan = try cli.cairn(["scan", "--table-name", "Music"] + db)
        #expect(scan.status == 0, "\(scan.stderr)")
        let items = try #require(try scan.json()["Items"] as? [[String: Any]])
        let keys = items.compactMap { ($0["pk"] as? [String: Any])?["S"] as? String }.sorted()
        #expect(keys == ["first", "shell"])
        #expect(try cli.cairn(["kv", "get", "intruder"] + db).status != 0)
        #expect(try cli.cairn(["describe-table", "--table-name", "Other"] + db).status != 0)
        let verify = try cli.cairn(["verify"] + db)
        #expect(verify.status == 0, "\(verify.stderr)")
    }
}
