import Foundation
import Testing

/// Drives the built `cairn` executable as a user would from a shell.
@Suite struct CLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let binary: String = {
        // Beside the test binary: the build this run uses (sanitized with it, or a --scratch-path).
        let beside = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("cairn").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for candidate in [".build/debug/cairn", ".build/release/cairn"] {
            let path = root.appendingPathComponent(candidate).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return root.appendingPathComponent(".build/debug/cairn").path
    }()

    func cairn(_ args: [String], stdin: String = "") throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = args
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }

    @Test func kvVerbsRoundTrip() throws {
        let dir = TemporaryDirectory()
        let db = ["--db", dir.path + "/db"]
        #expect(try cairn(["kv", "put"] + db + ["apple", "red"]).status == 0)
        #expect(try cairn(["kv", "put"] + db + ["banana", "yellow", "--sync"]).status == 0)
        #expect(try cairn(["kv", "get"] + db + ["apple"]).stdout == "red\n")
        let missing = try cairn(["kv", "get"] + db + ["cherry"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("not found"))

        let load = try cairn(["kv", "load"] + db, stdin: "k1\tv1\nk2\tv2\nk3\tv3\n")
        #expect(load.status == 0 && load.stdout.contains("loaded 3"))
        #expect(try cairn(["kv", "scan"] + db).stdout == "apple\tred\nbanana\tyellow\nk1\tv1\nk2\tv2\nk3\tv3\n")
        #expect(try cairn(["kv", "scan"] + db + ["--from", "b", "--to", "k3"]).stdout == "banana\tyellow\nk1\tv1\nk2\tv2\n")
        #expect(try cairn(["kv", "scan"] + db + ["--limit", "2", "--reverse"]).stdout == "k3\tv3\nk2\tv2\n")
        #expect(try cairn(["kv", "delete"] + db + ["k2"]).status == 0)
        #expect(try cairn(["kv", "get"] + db + ["k2"]).status != 0)
        #expect(try cairn(["kv", "put", "--hex"] + db + ["00ff", "0102"]).status == 0)
        #expect(try cairn(["kv", "get", "--hex"] + db + ["00ff"]).stdout == "0102\n")

        #expect(try cairn(["kv", "flush"] + db).status == 0)
        #expect(try cairn(["kv", "compact"] + db).status == 0)
        let verify = try cairn(["kv", "verify"] + db)
        #expect(verify.status == 0 && verify.stdout.contains("OK"))
        let stats = try cairn(["kv", "stats"] + db)
        #expect(stats.status == 0 && stats.stdout.contains("L1"))

        let sst = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/db").first { $0.hasSuffix(".sst") }
        let dump = try cairn(["kv", "dump-sst", dir.path + "/db/" + (try #require(sst))])
        #expect(dump.status == 0 && dump.stdout.contains("apple") && dump.stdout.contains("entries"))
        #expect(try cairn(["kv", "put"] + db + ["late", "entry"]).status == 0)
        // The put above is in the newest log (the database was not flushed since).
        let log = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/db").filter { $0.hasSuffix(".log") }.max()
        let wal = try cairn(["kv", "dump-wal", dir.path + "/db/" + (try #require(log))])
        #expect(wal.status == 0)
        #expect(wal.stdout.contains("put 'late' => 'entry'"))
        #expect(wal.stdout.contains("1 records"))
    }

    @Test func corruptTableGivesOneLineErrorNotACrash() throws {
        let dir = TemporaryDirectory()
        let db = ["--db", dir.path + "/db"]
        let lines = (0..<3000).map { "key\($0)\tvalue\($0)" }.joined(separator: "\n")
        #expect(try cairn(["kv", "load"] + db, stdin: lines).status == 0)
        #expect(try cairn(["kv", "flush"] + db).status == 0)
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/db").first { $0.hasSuffix(".sst") })
        let path = dir.path + "/db/" + name
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[200] ^= 0x10
        try data.write(to: URL(fileURLWithPath: path))
        let verify = try cairn(["kv", "verify"] + db)
        #expect(verify.status == 1)
        #expect(verify.stderr.contains("corruption in \(path) at offset"))
        #expect(verify.stderr.split(separator: "\n").count == 1)
        let dump = try cairn(["kv", "dump-sst", path])
        #expect(dump.status == 1 && dump.stderr.contains("corruption"))
    }

    @Test func shellRunsVerbsFromStdin() throws {
        let dir = TemporaryDirectory()
        let script = """
            kv put greeting "hello world"
            kv get greeting
            kv put other x
            kv scan --from greeting
            help kv
            bogus-verb
            exit
            """
        let run = try cairn(["--db", dir.path + "/db"], stdin: script)
        #expect(run.stdout.contains("hello world\n"))
        #expect(run.stdout.contains("greeting\thello world\nother\tx\n"))
        #expect(run.stdout.contains("dump-sst"))
        #expect(run.stderr.contains("bogus-verb"))
        #expect(run.status == 1, "a failed line makes a piped shell exit non-zero")
    }
}
