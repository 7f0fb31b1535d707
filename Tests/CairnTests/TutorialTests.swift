import Foundation
import Testing
@testable import Cairn

/// The examples of Docs/tutorial.md, run as written (on an in-memory file system), so the
/// tutorial cannot drift from the API.
@Suite struct TutorialTests {
    struct Song: Codable, Equatable {
        var Artist: String
        var Title: String
        var Year: Int
        var Tags: Set<String>
        var Released: Date?
    }

    @Test func theTutorialRunsAsWritten() throws {
        let db = try memoryDatabase()
        let songs = try db.createTable("Songs", partitionKey: ("Artist", .s), sortKey: ("Title", .s))
        let same = db.table("Songs")
        #expect(same.name == songs.name)

        try songs.put(["Artist": "Nina Simone", "Title": "Sinnerman", "Year": 1965,
                       "Tags": .ss(["jazz", "soul"]), "Album": ["Name": "Pastel Blues", "Tracks": 9]])
        let song = try songs.get(["Artist": "Nina Simone", "Title": "Sinnerman"])
        #expect(song?["Album"] == ["Name": "Pastel Blues", "Tracks": 9])
        let year = try songs.get(["Artist": "Nina Simone", "Title": "Sinnerman"], projection: "#y",
                                 names: ["#y": "Year"])
        #expect(year == ["Year": 1965])

        try songs.put(["Artist": "Nina Simone", "Title": "Feeling Good", "Year": 1965],
                      if: "attribute_not_exists(Artist)")
        #expect(throws: DynamoDBError.conditionalCheckFailed()) {
            try songs.put(["Artist": "Nina Simone", "Title": "Feeling Good", "Year": 1965],
                          if: "attribute_not_exists(Artist)")
        }
        let updated = try songs.update(["Artist": "Nina Simone", "Title": "Sinnerman"],
                                       "SET Plays = if_not_exists(Plays, :zero) + :one ADD Tags :new",
                                       values: [":zero": 0, ":one": 1, ":new": .ss(["classic"])])
        #expect(updated?["Plays"] == 1)
        if case .ss(let tags)? = updated?["Tags"] { #expect(Set(tags) == ["jazz", "soul", "classic"]) } else { Issue.record("Tags") }

        try songs.update(["Artist": "Nina Simone", "Title": "Sinnerman"], "SET Version = :v", values: [":v": 3])
        try songs.update(["Artist": "Nina Simone", "Title": "Sinnerman"], "SET Version = :next",
                         if: "Version = :seen", values: [":seen": 3, ":next": 4])
        do {
            try songs.update(["Artist": "Nina Simone", "Title": "Sinnerman"], "SET Version = :next",
                             if: "Version = :seen", values: [":seen": 3, ":next": 4])
            Issue.record("the stale version must lose")
        } catch let error as DynamoDBError where error.name == "ConditionalCheckFailedException" {}

        let sixties = try songs.query("Artist = :a AND begins_with(Title, :t)",
                                      filter: "#y BETWEEN :from AND :to",
                                      names: ["#y": "Year"],
                                      values: [":a": "Nina Simone", ":t": "S", ":from": 1960, ":to": 1969])
        #expect(sixties.map { $0["Title"] } == ["Sinnerman"])
        #expect(try songs.scan().count == 2)

        try songs.put(Song(Artist: "Nina Simone", Title: "Sinnerman", Year: 1965, Tags: ["jazz"], Released: nil))
        let typed = try songs.get(Song.self, key: ["Artist": "Nina Simone", "Title": "Sinnerman"])
        #expect(typed == Song(Artist: "Nina Simone", Title: "Sinnerman", Year: 1965, Tags: ["jazz"], Released: nil))
        let all: [Song] = try songs.query(Song.self, "Artist = :a", values: [":a": "Nina Simone"])
        #expect(all.map(\.Title) == ["Feeling Good", "Sinnerman"])
        #expect(all.first?.Tags == [])  // an absent set decodes as an empty one
    }

    @Test func batchesAndTransactionsRunAsWritten() throws {
        let db = try memoryDatabase()
        try db.createTable("Songs", partitionKey: ("Artist", .s), sortKey: ("Title", .s))
        try db.createTable("Accounts", partitionKey: ("Id", .s))
        try db.putItem(PutItemInput(tableName: "Songs", item: ["Artist": "Nina Simone", "Title": "Feeling Good"]))
        try db.putItem(PutItemInput(tableName: "Accounts", item: ["Id": "alice", "Balance": 100]))
        try db.putItem(PutItemInput(tableName: "Accounts", item: ["Id": "bob", "Balance": 0]))

        try db.batchWriteItem(BatchWriteItemInput(requestItems: [
            "Songs": [.put(["Artist": "Miles Davis", "Title": "So What", "Year": 1959]),
                      .delete(key: ["Artist": "Nina Simone", "Title": "Feeling Good"])],
        ]))
        let batch = try db.batchGetItem(BatchGetItemInput(requestItems: [
            "Songs": KeysAndAttributes(keys: [["Artist": "Miles Davis", "Title": "So What"]], projectionExpression: "Title"),
        ]))
        #expect(batch.responses["Songs"] == [["Title": "So What"]])
        #expect(try db.getItem(GetItemInput(tableName: "Songs", key: ["Artist": "Nina Simone", "Title": "Feeling Good"])).item == nil)

        let transfer = TransactWriteItemsInput(transactItems: [
            .update(.init(tableName: "Accounts", key: ["Id": "alice"], updateExpression: "ADD Balance :minus",
                          conditionExpression: "Balance >= :amount",
                          expressionAttributeValues: [":minus": -30, ":amount": 30])),
            .update(.init(tableName: "Accounts", key: ["Id": "bob"], updateExpression: "ADD Balance :plus",
                          expressionAttributeValues: [":plus": 30])),
        ], clientRequestToken: "transfer-0001")
        try db.transactWriteItems(transfer)
        try db.transactWriteItems(transfer)  // the retry changes nothing
        #expect(try db.getItem(GetItemInput(tableName: "Accounts", key: ["Id": "alice"])).item?["Balance"] == 70)
        #expect(try db.getItem(GetItemInput(tableName: "Accounts", key: ["Id": "bob"])).item?["Balance"] == 30)
        var reasons: [String?] = []
        do {
            try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
                .conditionCheck(.init(tableName: "Accounts", key: ["Id": "alice"], conditionExpression: "Balance >= :x",
                                      expressionAttributeValues: [":x": 1_000])),
                .delete(.init(tableName: "Accounts", key: ["Id": "bob"])),
            ]))
        } catch let error as DynamoDBError {
            #expect(error.name == "TransactionCanceledException")
            reasons = error.cancellationReasons?.map(\.code) ?? []
        }
        #expect(reasons == ["ConditionalCheckFailed", "None"])
        #expect(try db.getItem(GetItemInput(tableName: "Accounts", key: ["Id": "bob"])).item != nil)
    }

    @Test func timeToLiveRunsAsWritten() throws {
        let db = try memoryDatabase()
        try db.createTable("Sessions", partitionKey: ("Id", .s))
        try db.updateTimeToLive(UpdateTimeToLiveInput(
            tableName: "Sessions", timeToLiveSpecification: .init(enabled: true, attributeName: "Expires")))
        let inAnHour = Int(Date().timeIntervalSince1970) + 3_600
        try db.putItem(PutItemInput(tableName: "Sessions", item: ["Id": "s-1", "Expires": .n(Number(exactly: inAnHour))]))
        #expect(try db.describeTimeToLive(DescribeTimeToLiveInput(tableName: "Sessions")).timeToLiveDescription.timeToLiveStatus == "ENABLED")
        #expect(try db.sweepExpiredItems() == 0)
        #expect(try db.sweepExpiredItems(now: Double(inAnHour) + 1) == 1)
    }

    @Test func secondaryIndexesRunAsWritten() throws {
        let db = try memoryDatabase()
        let input = CreateTableInput(
            tableName: "Orders",
            keySchema: [KeySchemaElement(attributeName: "Customer", keyType: .hash),
                        KeySchemaElement(attributeName: "Id", keyType: .range)],
            attributeDefinitions: [AttributeDefinition(attributeName: "Customer", attributeType: .s),
                                   AttributeDefinition(attributeName: "Id", attributeType: .n),
                                   AttributeDefinition(attributeName: "Placed", attributeType: .s),
                                   AttributeDefinition(attributeName: "State", attributeType: .s)],
            localSecondaryIndexes: [LocalSecondaryIndex(
                indexName: "ByPlaced",
                keySchema: [KeySchemaElement(attributeName: "Customer", keyType: .hash),
                            KeySchemaElement(attributeName: "Placed", keyType: .range)],
                projection: IndexProjection(projectionType: .keysOnly))],
            globalSecondaryIndexes: [GlobalSecondaryIndex(
                indexName: "ByState",
                keySchema: [KeySchemaElement(attributeName: "State", keyType: .hash)],
                projection: IndexProjection(projectionType: .all),
                consistency: .strong)])
        try db.createTable(input)
        let orders = db.table("Orders")
        try orders.put(["Customer": "ann", "Id": 1, "Placed": "2026-12-01", "State": "open", "Total": 30])
        try orders.put(["Customer": "ann", "Id": 2, "Placed": "2026-11-20", "State": "shipped", "Total": 12])
        let byDate = try orders.query("Customer = :c", values: [":c": "ann"], index: "ByPlaced")
        #expect(byDate == [["Customer": "ann", "Id": 2, "Placed": "2026-11-20"], ["Customer": "ann", "Id": 1, "Placed": "2026-12-01"]])
        let open = try orders.query("#s = :s", names: ["#s": "State"], values: [":s": "open"], index: "ByState")
        #expect(open == [["Customer": "ann", "Id": 1, "Placed": "2026-12-01", "State": "open", "Total": 30]])
        try db.catchUpIndexes()
        #expect(try db.verifyIndexes().isConsistent)
    }
}
