import Foundation
import Testing

/// `cairn export`, driven like a user: the files it writes read back in pyarrow.
@Suite struct ExportCLITests {
    let cli = ItemCLITests()

    @Test func exportWritesParquetThatPyarrowReads() throws {
        let scratch = ItemCLITests.Scratch()
        let db = ["--db", scratch.db]
        #expect(try cli.cairn(["create-table", "--table-name", "Music", "--billing-mode", "PAY_PER_REQUEST",
                               "--attribute-definitions", "AttributeName=Artist,AttributeType=S", "AttributeName=Song,AttributeType=S",
                               "--key-schema", "AttributeName=Artist,KeyType=HASH", "AttributeName=Song,KeyType=RANGE"] + db).status == 0)
        for (artist, song, year) in [("A", "x", "1999"), ("B", "y", "2001.5"), ("C", "z", "-3")] {
            let item = #"{"Artist":{"S":"\#(artist)"},"Song":{"S":"\#(song)"},"Year":{"N":"\#(year)"}}"#
            #expect(try cli.cairn(["put-item", "--table-name", "Music", "--item", item] + db).status == 0)
        }
        let out = scratch.path + "/export"
        let run = try cli.cairn(["export", "--table-name", "Music", "--to", out, "--compression", "lz4_raw"] + db)
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try run.json()
        #expect(summary["ItemCount"] as? Int == 3)
        #expect(summary["Files"] as? [String] == ["part-00000.parquet"])
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/_cairn_export.json"))) as? [String: Any]
        #expect((manifest?["columns"] as? [[String: String]])?.map { $0["type"] ?? "" } == ["string", "string", "decimal(38,1)", "json"])
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", """
            import sys, pyarrow.parquet as pq
            rows = pq.read_table(sys.argv[1]).to_pylist()
            print(";".join(f"{r['Artist']},{r['Song']},{r['Year']}" for r in rows))
            """, out + "/part-00000.parquet"]
        let pipe = Pipe()
        python.standardOutput = pipe
        try python.run()
        let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)
        // In the table's Scan order (by partition hash), so compared as a set.
        #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").sorted() == ["A,x,1999.0", "B,y,2001.5", "C,z,-3.0"])
        // --at needs a stream with old images: a one-line error naming it.
        let at = try cli.cairn(["export", "--table-name", "Music", "--to", scratch.path + "/at", "--at", "2026-12-07T10:00:00Z"] + db)
        #expect(at.status != 0 && at.stderr.contains("stream"), "\(at.stderr)")
        let badTime = try cli.cairn(["export", "--table-name", "Music", "--to", scratch.path + "/at2", "--at", "yesterday"] + db)
        #expect(badTime.status != 0 && badTime.stderr.contains("ISO 8601"))
        // A second export into the same directory: a one-line error and a non-zero status.
        let again = try cli.cairn(["export", "--table-name", "Music", "--to", out] + db)
        #expect(again.status != 0 && again.stderr.contains("not empty"))
        let missing = try cli.cairn(["export", "--table-name", "Nope", "--to", scratch.path + "/other"] + db)
        #expect(missing.status != 0 && missing.stderr.contains("Nope"))
    }

    @Test func dynamoDBJSONExportLoadsIntoAnotherTable() throws {
        let scratch = ItemCLITests.Scratch()
        let db = ["--db", scratch.db]
        for table in ["Music", "Copy"] {
            #expect(try cli.cairn(["create-table", "--table-name", table, "--billing-mode", "PAY_PER_REQUEST",
                                   "--attribute-definitions", "AttributeName=Artist,AttributeType=S",
                                   "--key-schema", "AttributeName=Artist,KeyType=HASH"] + db).status == 0)
        }
        for artist in ["A", "B", "C"] {
            #expect(try cli.cairn(["put-item", "--table-name", "Music", "--item", #"{"Artist":{"S":"\#(artist)"},"Plays":{"N":"3"}}"#] + db).status == 0)
        }
        let export = try cli.cairn(["export", "--table-name", "Music", "--to", scratch.path + "/bucket", "--format", "dynamodb-json"] + db)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(try export.json()["ItemCount"] as? Int == 3)
        let load = try cli.cairn(["import", "--table-name", "Copy", "--from", scratch.path + "/bucket"] + db)
        #expect(load.status == 0, "\(load.stderr)")
        #expect(try load.json()["ImportedItemCount"] as? Int == 3)
        let scan = try cli.cairn(["scan", "--table-name", "Copy", "--select", "COUNT"] + db)
        #expect(try scan.json()["Count"] as? Int == 3)
        let bad = try cli.cairn(["import", "--table-name", "Copy", "--from", scratch.path + "/nowhere"] + db)
        #expect(bad.status != 0 && bad.stderr.contains("no DynamoDB export"))
    }

    @Test func incrementalExportWritesTheStreamsChanges() throws {
        let scratch = ItemCLITests.Scratch()
        let db = ["--db", scratch.db]
        #expect(try cli.cairn(["create-table", "--table-name", "Music", "--billing-mode", "PAY_PER_REQUEST",
                               "--attribute-definitions", "AttributeName=Artist,AttributeType=S",
                               "--key-schema", "AttributeName=Artist,KeyType=HASH",
                               "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES"] + db).status == 0)
        // Three changes: two inserts and a modify (a put that changes nothing writes no record).
        for (artist, plays) in [("A", 1), ("B", 1), ("A", 2)] {
            #expect(try cli.cairn(["put-item", "--table-name", "Music", "--item", #"{"Artist":{"S":"\#(artist)"},"Plays":{"N":"\#(plays)"}}"#] + db).status == 0)
        }
        let run = try cli.cairn(["export", "--table-name", "Music", "--to", scratch.path + "/changes", "--from", "0",
                                 "--to-time", "2100-01-01T00:00:00Z"] + db)
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try run.json()
        #expect(summary["ChangeCount"] as? Int == 3 && summary["ExportType"] as? String == "INCREMENTAL_EXPORT")
        let bad = try cli.cairn(["export", "--table-name", "Music", "--to", scratch.path + "/x", "--from", "yesterday"] + db)
        #expect(bad.status != 0 && bad.stderr.contains("--from"))
    }
}
