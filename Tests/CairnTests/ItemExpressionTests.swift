import CairnLSM
import Synchronization
import Foundation
import Testing
@testable import Cairn

/// The item operations with their expressions, end to end through `ItemDatabase`.
@Suite struct ItemExpressionTests {
    func database() throws -> ItemDatabase {
        let db = try memoryDatabase()
        try db.createTable(tableRequest("tbl", ("p", .s)))
        try db.createTable(tableRequest("rng", ("p", .s), ("c", .n)))
        return db
    }

    func get(_ db: ItemDatabase, _ key: Item, table: String = "tbl") throws -> Item? {
        try db.getItem(GetItemInput(tableName: table, key: key)).item
    }

    @Test func failedConditionsLeaveTheItemUnchanged() throws {
        let db = try database()
        try db.putItem(PutItemInput(tableName: "tbl", item: ["p": "a", "s": "dog", "n": 1]))
        let before = try get(db, ["p": "a"])
        let failing: [() throws -> Void] = [
            { try db.putItem(PutItemInput(tableName: "tbl", item: ["p": "a"], conditionExpression: "s = :v",
                                          expressionAttributeValues: [":v": "cat"])) },
            { try db.putItem(PutItemInput(tableName: "tbl", item: ["p": "a"], conditionExpression: "attribute_not_exists(p)")) },
            { try db.deleteItem(DeleteItemInput(tableName: "tbl", key: ["p": "a"], conditionExpression: "n > :v",
                                                expressionAttributeValues: [":v": 5])) },
            { try db.updateItem(UpdateItemInput(tableName: "tbl", key: ["p": "a"], updateExpression: "SET s = :v",
                                                conditionExpression: "size(s) > :n",
                                                expressionAttributeValues: [":v": "cow", ":n": 3])) },
        ]
        for write in failing {
            let message = dynamoError("ConditionalCheckFailedException") { try write() }
            #expect(message == "The conditional request failed")
            #expect(try get(db, ["p": "a"]) == before)
        }
        // A condition on a missing item sees no attributes.
        dynamoError("ConditionalCheckFailedException") {
            try db.putItem(PutItemInput(tableName: "tbl", item: ["p": "new"], conditionExpression: "attribute_exists(p)"))
        }
        #expect(try get(db, ["p": "new"]) == nil)
        try db.putItem(PutItemInput(tableName: "tbl", item: ["p": "new"], conditionExpression: "attribute_not_exists(p)"))
        #expect(try get(db, ["p": "new"]) == ["p": "new"])
    }

    @Test func returnValuesOnConditionCheckFailure() throws {
        let db = try database()
        do {
            try db.putItem(PutItemInput(tableName: "tbl", item: ["p": "a", "s": "cat"], conditionExpression: "s = :v",
                                        expressionAttributeValues: [":v": "dog"], returnValuesOnConditionCheckFailure: .allOld))
            Issue.record("condition should fail")
        } catch let error as DynamoDBError {
            #expect(error.item == nil)  // no item existed
        }
        try db.putItem(PutItemInput(tableName: "tbl", item: ["p": "a", "s": "cat"]))
        for mode: ReturnValuesOnConditionCheckFailure in [.allOld, .none] {
            do {
                try db.updateItem(UpdateItemInput(tableName: "tbl", key: ["p": "a"], updateExpression: "SET s = :w",
                                                  conditionExpression: "s = :v",
                                                  expressionAttributeValues: [":v": "rat", ":w": "cow"],
                                                  returnValuesOnConditionCheckFailure: mode))
                Issue.record("condition should fail")
            } catch let error as DynamoDBError {
                #expect(error.name == "ConditionalCheckFailedException")
                #expect(error.item == (mode == .allOld ? ["p": "a", "s": "cat"] : nil))
            }
        }
    }

    @Test func updateReturnValues() throws {
        let db = try database()
        func update(_ expression: String, _ values: [String: AttributeValue]? = nil, _ mode: ReturnValue) throws -> Item? {
            try db.updateItem(UpdateItemInput(tableName: "tbl", key: ["p": "k"], updateExpression: expression,
                                              expressionAttributeValues: values, returnValues: mode)).attributes
        }
        try db.putItem(PutItemInput(tableName: "tbl", item: ["p": "k", "a": "hi", "b": "dog"]))
        #expect(try update("SET b = :v, c = :w", [":v": "cat", ":w": "hello"], .updatedOld) == ["b": "dog"])
        #expect(try update("SET b = :v", [":v": "cat"], .updatedOld) == ["b": "cat"])
        #expect(try update("REMOVE b", nil, .updatedNew) == nil)
        #expect(try update("SET a = :v, b = :w REMOVE c", [":v": "dog", ":w": "tiger"], .updatedNew) == ["a": "dog", "b": "tiger"])
        #expect(try update("SET b = :v", [":v": "x"], .allOld) == ["p": "k", "a": "dog", "b": "tiger"])
        #expect(try update("SET b = :v", [":v": "y"], .allNew) == ["p": "k", "a": "dog", "b": "y"])
        #expect(try update("SET b = :v", [":v": "z"], .none) == nil)
        // Nested paths return only the updated part, inside its hierarchy.
        try db.putItem(PutItemInput(tableName: "tbl", item: ["p": "k", "a": ["b": "dog", "c": [1, 2, 3]], "d": "cat"]))
        #expect(try update("SET a.b = :v", [":v": "hi"], .updatedOld) == ["a": ["b": "dog"]])
        #expect(try update("SET a.c[1] = :v", [":v": 7], .updatedOld) == ["a": ["c": [2]]])
        #expect(try update("SET a.c[1] = :v, a.b = :w", [":v": 8, ":w": "yo"], .updatedNew) == ["a": ["b": "yo", "c": [8]]])
        #expect(try get(db, ["p": "k"]) == ["p": "k", "a": ["b": "yo", "c": [1, 8, 3]], "d": "cat"])
    }

    @Test func updateCreatesItemsAsDynamoDBDoes() throws {
        let db = try database()
        let created = try db.updateItem(UpdateItemInput(tableName: "tbl", key: ["p": "n1"], updateExpression: "SET a = :v",
                                                        expressionAttributeValues: [":v": 1], returnValues: .allNew))
        #expect(created.attributes == ["p": "n1", "a": 1])
        // UPDATED_NEW never returns key attributes, even for a new item.
        let other = try db.updateItem(UpdateItemInput(tableName: "tbl", key: ["p": "n2"], updateExpression: "SET a = :v",
                                                      expressionAttributeValues: [":v": 1], returnValues: .updatedNew))
        #expect(other.attributes == ["a": 1])
        // Only removing from a missing item creates nothing.
        let removed = try db.updateItem(UpdateItemInput(tableName: "tbl", key: ["p": "n3"], updateExpression: "REMOVE b",
                                                        returnValues: .allNew))
        #expect(removed.attributes == nil)
        #expect(try get(db, ["p": "n3"]) == nil)
        // REMOVE of a nested path is ignored on a missing item, refused on an existing one
        // that lacks the parent (DynamoDB's behaviour, recorded by Alternator's tests).
        try db.updateItem(UpdateItemInput(tableName: "tbl", key: ["p": "n3"], updateExpression: "REMOVE x.y"))
        #expect(try get(db, ["p": "n3"]) == nil)
        try db.putItem(PutItemInput(tableName: "tbl", item: ["p": "n3"]))
        #expect(dynamoError {
            try db.updateItem(UpdateItemInput(tableName: "tbl", key: ["p": "n3"], updateExpression: "REMOVE x.y"))
        } == "The document path provided in the update expression is invalid for update")
        // No update expression at all creates the item with only its key.
        try db.updateItem(UpdateItemInput(tableName: "tbl", key: ["p": "n4"]))
        #expect(try get(db, ["p": "n4"]) == ["p": "n4"])
        // ADD creates numbers and sets.
        try db.updateItem(UpdateItemInput(tableName: "tbl", key: ["p": "n5"], updateExpression: "ADD n :one, s :set",
                                          expressionAttributeValues: [":one": 1, ":set": .ss(["x"])]))
        try db.updateItem(UpdateItemInput(tableName: "tbl", key: ["p": "n5"], updateExpression: "ADD n :one, s :set",
                                          expressionAttributeValues: [":one": 1, ":set": .ss(["y"])]))
        let counted = try #require(try get(db, ["p": "n5"]))
        #expect(counted["n"] == 2)
        if case .ss(let set)? = counted["s"] { #expect(Set(set) == ["x", "y"]) } else { Issue.record("not a set") }
    }

    @Test func valuesWithoutAnExpressionAreRefusedPerOperation() throws {
        let db = try database()
        #expect(dynamoError { try db.putItem(PutItemInput(tableName: "tbl", item: ["p": "a"], expressionAttributeValues: [":v": 1])) }
            == "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null")
        #expect(dynamoError { try db.updateItem(UpdateItemInput(tableName: "tbl", key: ["p": "a"], expressionAttributeValues: [":v": 1])) }
            == "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null")
        #expect(dynamoError { _ = try db.scan(ScanInput(tableName: "tbl", expressionAttributeValues: [":v": 1])) }
            == "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null")
        #expect(try db.getItem(GetItemInput(tableName: "tbl", key: ["p": "a"])).item == nil)
    }

    @Test func keyAttributesCannotBeUpdated() throws {
        let db = try database()
        #expect(dynamoError {
            try db.updateItem(UpdateItemInput(tableName: "rng", key: ["p": "a", "c": 1], updateExpression: "SET c = :v",
                                              expressionAttributeValues: [":v": 2]))
        } == "One or more parameter values were invalid: Cannot update attribute c. This attribute is part of the key")
        #expect(try get(db, ["p": "a", "c": 1], table: "rng") == nil)
    }

    @Test func updatesThatGrowAnItemPastTheLimitFail() throws {
        let db = try database()
        let half = String(repeating: "h", count: 250_000)
        try db.putItem(PutItemInput(tableName: "tbl", item: ["p": "big", "a": .s(half)]))
        #expect(dynamoError {
            try db.updateItem(UpdateItemInput(tableName: "tbl", key: ["p": "big"], updateExpression: "SET b = :v",
                                              expressionAttributeValues: [":v": .s(half)]))
        } == "Item size to update has exceeded the maximum allowed size")
        #expect(try get(db, ["p": "big"])?["b"] == nil)
    }

    @Test func projectionOnGetItem() throws {
        let db = try database()
        try db.putItem(PutItemInput(tableName: "tbl", item: ["p": "a", "x": ["y": 1, "z": [10, 20, 30]], "w": true]))
        let item = try db.getItem(GetItemInput(tableName: "tbl", key: ["p": "a"], projectionExpression: "x.z[1], #w",
                                               expressionAttributeNames: ["#w": "w"])).item
        #expect(item == ["x": ["z": [20]], "w": true])
    }

    @Test func queryWithKeyConditionsFiltersAndPages() throws {
        let db = try database()
        for c in 0..<50 {
            try db.putItem(PutItemInput(tableName: "rng", item: ["p": "q", "c": .n(Number(exactly: c)), "even": .bool(c % 2 == 0)]))
            try db.putItem(PutItemInput(tableName: "rng", item: ["p": "other", "c": .n(Number(exactly: c))]))
        }
        func all(_ input: QueryInput) throws -> [Int] {
            var input = input
            var out: [Int] = []
            repeat {
                let page = try db.query(input)
                out += (page.items ?? []).compactMap { if case .n(let n)? = $0["c"] { return Int(n.description) } else { return nil } }
                input.exclusiveStartKey = page.lastEvaluatedKey
            } while input.exclusiveStartKey != nil
            return out
        }
        var input = QueryInput(tableName: "rng", keyConditionExpression: "p = :p AND c BETWEEN :lo AND :hi",
                               filterExpression: "even = :t", expressionAttributeValues: [":p": "q", ":lo": 10, ":hi": 20, ":t": true])
        for limit in [nil, 1, 3, 100] {
            input.limit = limit
            input.scanIndexForward = true
            #expect(try all(input) == [10, 12, 14, 16, 18, 20])
            input.scanIndexForward = false
            #expect(try all(input) == [20, 18, 16, 14, 12, 10])
        }
        let page = try db.query(QueryInput(tableName: "rng", keyConditionExpression: "p = :p AND c < :v",
                                           filterExpression: "even = :t", expressionAttributeValues: [":p": "q", ":v": 4, ":t": true],
                                           limit: 3))
        #expect(page.scannedCount == 3 && page.count == 2 && page.lastEvaluatedKey == ["p": "q", "c": 2])
        let counted = try db.query(QueryInput(tableName: "rng", keyConditionExpression: "p = :p", expressionAttributeValues: [":p": "q"],
                                              select: .count))
        #expect(counted.count == 50 && counted.items == nil)
        #expect(dynamoError {
            _ = try db.query(QueryInput(tableName: "rng", keyConditionExpression: "p = :p", filterExpression: "c > :v",
                                        expressionAttributeValues: [":p": "q", ":v": 1]))
        } == "Filter Expression can only contain non-primary key attributes: Primary key attribute: c")
        #expect(dynamoError {
            _ = try db.query(QueryInput(tableName: "rng", keyConditionExpression: "p = :p", expressionAttributeValues: [":p": ""]))
        } == "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: p")
        #expect(dynamoError {
            _ = try db.query(QueryInput(tableName: "rng", keyConditionExpression: "p = :p AND c > :v",
                                        expressionAttributeValues: [":p": "q", ":v": "x"]))
        }?.contains("Condition parameter type does not match schema type") == true)
        #expect(dynamoError {
            _ = try db.query(QueryInput(tableName: "rng", keyConditionExpression: "p = :p AND c > :v",
                                        expressionAttributeValues: [":p": "q", ":v": 10], exclusiveStartKey: ["p": "q", "c": 3]))
        } == "The provided starting key is outside query boundaries based on provided conditions")
    }

    /// Conditional increments from many threads: each read-check-write is atomic, so no
    /// increment is lost and every failure is a real conflict.
    @Test func concurrentConditionalIncrementsNeverLoseAnUpdate() throws {
        let db = try database()
        try db.putItem(PutItemInput(tableName: "tbl", item: ["p": "counter", "n": 0]))
        let threads = 4, perThread = 150
        let successes = CairnMutex(0)
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            var done = 0
            while done < perThread {
                do {
                    guard case .n(let current)? = try get(db, ["p": "counter"])?["n"] else { return }
                    try db.updateItem(UpdateItemInput(tableName: "tbl", key: ["p": "counter"], updateExpression: "SET n = n + :one",
                                                      conditionExpression: "n = :seen",
                                                      expressionAttributeValues: [":one": 1, ":seen": .n(current)]))
                    done += 1
                } catch let error as DynamoDBError where error.name == "ConditionalCheckFailedException" {
                    continue
                } catch {
                    return
                }
            }
            successes.withLock { $0 += done }
        }
        #expect(successes.withLock { $0 } == threads * perThread)
        #expect(try get(db, ["p": "counter"])?["n"] == .n(Number(exactly: threads * perThread)))
    }
}
