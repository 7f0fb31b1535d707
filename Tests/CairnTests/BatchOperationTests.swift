import CairnLSM
import Foundation
import Testing
@testable import Cairn

@Suite("BatchOperationTests")
struct BatchOperationTests {
    static func database() throws -> ItemDatabase {
        let db = try memoryDatabase()
        try db.createTable(tableRequest("users", ("id", .s)))
        try db.createTable(tableRequest("events", ("user", .s), ("at", .n)))
        return db
    }

    @Test func batchWriteItemPutsAndDeletesAcrossTables() throws {
        let db = try Self.database()
        try db.putItem(PutItemInput(tableName: "users", item: ["id": .s("gone")]))
        let output = try db.batchWriteItem(BatchWriteItemInput(requestItems: [
            "users": [.put(["id": .s("u1"), "name": .s("Ada")]), .delete(key: ["id": .s("gone")])],
            "events": (0..<10).map { .put(["user": .s("u1"), "at": .n(Number(exactly: $0))]) },
        ]))
        #expect(output.unprocessedItems.isEmpty)
        #expect(try db.getItem(GetItemInput(tableName: "users", key: ["id": .s("u1")])).item?["name"] == .s("Ada"))
        #expect(try db.getItem(GetItemInput(tableName: "users", key: ["id": .s("gone")])).item == nil)
        let events = try db.query(QueryInput(
            tableName: "events", keyConditionExpression: "#u = :u", expressionAttributeNames: ["#u": "user"],
            expressionAttributeValues: [":u": .s("u1")]))
        #expect(events.count == 10)
        let json = String(decoding: try JSONEncoder().encode(output), as: UTF8.self)
        #expect(json == #"{"UnprocessedItems":{}}"#)
    }

    @Test func batchWriteItemValidatesTheWholeBatchBeforeWriting() throws {
        let db = try Self.database()
        let many = (0..<26).map { WriteRequest.put(["user": .s("u"), "at": .n(Number(exactly: $0))]) }
        #expect(dynamoError { try db.batchWriteItem(BatchWriteItemInput(requestItems: ["events": many])) }
            == "Too many items requested for the BatchWriteItem call")
        #expect(dynamoError {
            try db.batchWriteItem(BatchWriteItemInput(requestItems: [
                "events": Array(many.prefix(20)), "users": (0..<6).map { .put(["id": .s("u\($0)")]) },
            ]))
        } == "Too many items requested for the BatchWriteItem call")
        try db.batchWriteItem(BatchWriteItemInput(requestItems: ["events": Array(many.prefix(25))]))  // 25 is fine
        #expect(dynamoError {
            try db.batchWriteItem(BatchWriteItemInput(requestItems: [
                "users": [.put(["id": .s("dup"), "v": .n(1)]), .delete(key: ["id": .s("dup")])],
            ]))
        } == "Provided list of item keys contains duplicates")
        #expect(dynamoError { try db.batchWriteItem(BatchWriteItemInput(requestItems: [:])) }
            == "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
        #expect(dynamoError { try db.batchWriteItem(BatchWriteItemInput(requestItems: ["users": []])) }?
            .contains("Value '{users=[]}' at 'requestItems'") == true)
        #expect(dynamoError { try db.batchWriteItem(BatchWriteItemInput(requestItems: ["users": [WriteRequest()]])) }
            == "Supplied WriteRequest must contain exactly one of PutRequest or DeleteRequest")
        dynamoError("ResourceNotFoundException") {
            try db.batchWriteItem(BatchWriteItemInput(requestItems: ["nope": [.put(["id": .s("x")])]]))
        }
        // One bad item fails the batch before any write: the good put is not there.
        #expect(dynamoError {
            try db.batchWriteItem(BatchWriteItemInput(requestItems: [
                "users": [.put(["id": .s("good")]), .put(["id": .n(1)])],
            ]))
        } != nil)
        #expect(try db.getItem(GetItemInput(tableName: "users", key: ["id": .s("good")])).item == nil)
    }

    @Test func batchGetItemReadsAcrossTablesWithProjections() throws {
        let db = try Self.database()
        for i in 0..<5 {
            try db.putItem(PutItemInput(tableName: "users", item: ["id": .s("u\(i)"), "name": .s("n\(i)"), "age": .n(Number(exactly: 20 + i))]))
        }
        try db.putItem(PutItemInput(tableName: "events", item: ["user": .s("u1"), "at": .n(7), "kind": .s("login")]))
        let output = try db.batchGetItem(BatchGetItemInput(requestItems: [
            "users": KeysAndAttributes(keys: [["id": .s("u1")], ["id": .s("u3")], ["id": .s("missing")]],
                                       projectionExpression: "#n", expressionAttributeNames: ["#n": "name"]),
            "events": KeysAndAttributes(keys: [["user": .s("u1"), "at": .n(7)]]),
        ]))
        #expect(Set(output.responses["users"] ?? []) == [["name": .s("n1")], ["name": .s("n3")]])
        #expect(output.responses["events"] == [["user": .s("u1"), "at": .n(7), "kind": .s("login")]])
        #expect(output.unprocessedKeys.isEmpty)

        let keys = (0..<101).map { ["id": AttributeValue.s("k\($0)")] }
        #expect(dynamoError { _ = try db.batchGetItem(BatchGetItemInput(requestItems: ["users": KeysAndAttributes(keys: keys)])) }
            == "Too many items requested for the BatchGetItem call")
        #expect(dynamoError {
            _ = try db.batchGetItem(BatchGetItemInput(requestItems: [
                "users": KeysAndAttributes(keys: [["id": .s("a")], ["id": .s("a")]]),
            ]))
        } == "Provided list of item keys contains duplicates")
        #expect(dynamoError { _ = try db.batchGetItem(BatchGetItemInput(requestItems: [:])) }?
            .contains("at 'requestItems' failed to satisfy constraint") == true)
        dynamoError("ResourceNotFoundException") {
            _ = try db.batchGetItem(BatchGetItemInput(requestItems: ["nope": KeysAndAttributes(keys: [["id": .s("a")]])]))
        }
    }

    @Test func batchGetItemStopsAt16MBAndReturnsTheRestAsUnprocessed() throws {
        let db = try Self.database()
        let blob = AttributeValue.b([UInt8](repeating: 7, count: 390_000))
        let keys = (0..<60).map { ["id": AttributeValue.s("big\($0)")] }
        for key in keys {
            var item = key
            item["blob"] = blob
            try db.putItem(PutItemInput(tableName: "users", item: item))
        }
        var request = BatchGetItemInput(requestItems: ["users": KeysAndAttributes(keys: keys, projectionExpression: "id")])
        var seen: [Item] = []
        var calls = 0
        while !request.requestItems.isEmpty {
            let output = try db.batchGetItem(request)
            calls += 1
            let items = output.responses["users"] ?? []
            #expect(!items.isEmpty)
            // Sizes count whole items (before projection): 16 MB holds 43 of these.
            #expect(items.count <= 44)
            seen += items
            request.requestItems = output.unprocessedKeys
            #expect(output.unprocessedKeys["users"]?.projectionExpression == (output.unprocessedKeys.isEmpty ? nil : "id"))
        }
        #expect(calls == 2)
        #expect(Set(seen) == Set(keys))
    }
}
