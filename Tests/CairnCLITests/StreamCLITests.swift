import Foundation
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
}
