import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing

/// `cairn dynamodbstreams VERB` and `cairn tail`, driven as a user would.
@Suite struct StreamCLITests {
    let cli = ItemCLITests()

    @Test func streamVerbsAndTail() throws {
        let scratch = ItemCLITests.Scratch()
        let db = ["--db", scratch.db]
        let created = try cli.cairn([
            "create-table", "--table-name", "Music", "--attribute-definitions", "AttributeName=Artist,AttributeType=S",
            "--key-schema", "AttributeName=Artist,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST",
            "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES",
        ] + db)
        #expect(created.status == 0, "\(created.stderr)")
        let description = try #require(try created.json()["TableDescription"] as? [String: Any])
        let arn = try #require(description["LatestStreamArn"] as? String)
        for n in 1...2 {
            #expect(try cli.cairn(["put-item", "--table-name", "Music", "--item", #"{"Artist": {"S": "A"}, "n": {"N": "\#(n)"}}"#] + db).status == 0)
        }

        let listed = try cli.cairn(["dynamodbstreams", "list-streams", "--table-name", "Music"] + db)
        let streams = try #require(try listed.json()["Streams"] as? [[String: Any]])
        #expect(streams.map { $0["StreamArn"] as? String } == [arn])

        let described = try cli.cairn(["dynamodbstreams", "describe-stream", "--stream-arn", arn] + db)
        let shards = try #require((try described.json()["StreamDescription"] as? [String: Any])?["Shards"] as? [[String: Any]])
        var records: [[String: Any]] = []
        for shard in shards {
            let shardId = try #require(shard["ShardId"] as? String)
            let iterator = try cli.cairn([
                "dynamodbstreams", "get-shard-iterator", "--stream-arn", arn, "--shard-id", shardId,
                "--shard-iterator-type", "TRIM_HORIZON",
            ] + db)
            let text = try #require(try iterator.json()["ShardIterator"] as? String)
            let page = try cli.cairn(["dynamodbstreams", "get-records", "--shard-iterator", text] + db)
            #expect(page.status == 0, "\(page.stderr)")
            records += try #require(try page.json()["Records"] as? [[String: Any]])
        }
        #expect(records.map { $0["eventName"] as? String }.sorted { ($0 ?? "") < ($1 ?? "") } == ["INSERT", "MODIFY"])

        let tail = try cli.cairn(["tail", "--table-name", "Music"] + db)
        let lines = tail.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains(#""eventName":"INSERT""#) == true)
        #expect(lines.last?.contains(#""OldImage":{"Artist":{"S":"A"},"n":{"N":"1"}}"#) == true)

        let bad = try cli.cairn(["dynamodbstreams", "get-records", "--shard-iterator", "nonsense"] + db)
        #expect(bad.status == 254)
        #expect(bad.stderr.contains("An error occurred (ValidationException) when calling the GetRecords operation"))
        let missing = try cli.cairn(["dynamodbstreams", "get-shard-iterator", "--stream-arn", arn] + db)
        #expect(missing.status == 252)
    }

    @Test func tailFollowPrintsNewRecordsAsTheyCommit() throws {
        let scratch = ItemCLITests.Scratch()
        let db = ["--db", scratch.db]
        #expect(try cli.cairn([
            "create-table", "--table-name", "Events", "--attribute-definitions", "AttributeName=id,AttributeType=S",
            "--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST",
            "--stream-specification", "StreamEnabled=true,StreamViewType=KEYS_ONLY",
        ] + db).status == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ItemCLITests.binary)
        process.arguments = ["tail", "--table-name", "Events", "--from", "latest", "--follow"] + db
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // SIGKILL: a child started from the test process may have SIGTERM blocked.
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try cli.cairn(["put-item", "--table-name", "Events", "--item", #"{"id": {"S": "e1"}}"#] + db).status == 0)
        // Read until the record's line arrives (bounded: 20 s).
        let received = Mutex(Data())
        let handle = output.fileHandleForReading
        handle.readabilityHandler = { h in
            let chunk = h.availableData
            received.withLock { $0.append(chunk) }
        }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && !(received.withLock { String(decoding: $0, as: UTF8.self) }.contains("\n")) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        handle.readabilityHandler = nil
        let text = received.withLock { String(decoding: $0, as: UTF8.self) }
        #expect(text.contains(#""Keys":{"id":{"S":"e1"}}"#), "\(text)")
        #expect(text.contains(#""eventName":"INSERT""#))
        #expect(process.isRunning, "--follow keeps waiting")
    }
}
