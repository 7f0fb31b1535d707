import CairnLSM
import Foundation
import Testing
@testable import Cairn

@Suite struct ItemOperationTests {
    func database() throws -> ItemDatabase {
        let db = try memoryDatabase()
        try db.createTable(tableRequest("hash", ("p", .s)))
        try db.createTable(tableRequest("ranged", ("p", .s), ("c", .n)))
        try db.createTable(tableRequest("binary", ("p", .b), ("c", .b)))
        return db
    }

    /// Regression: `nil` for "no sort key" was typed as AttributeValue and became NULL, so a
    /// table with only a partition key rejected every item.
    @Test func putGetDeleteOnAPartitionKeyOnlyTable() throws {
        let db = try database()
        let item: Item = ["p": "a", "n": 1, "m": ["x": [true, .null]], "ss": .ss(["b", "a"])]
        try db.putItem(PutItemInput(tableName: "hash", item: item))
        #expect(try db.getItem(GetItemInput(tableName: "hash", key: ["p": "a"])).item == item)
        let old = try db.deleteItem(DeleteItemInput(tableName: "hash", key: ["p": "a"], returnValues: .allOld))
        #expect(old.attributes == item)
        #expect(try db.getItem(GetItemInput(tableName: "hash", key: ["p": "a"])).item == nil)
        #expect(try db.deleteItem(DeleteItemInput(tableName: "hash", key: ["p": "a"], returnValues: .allOld)).attributes == nil)
    }

    @Test func putReplacesAndReturnsTheOldItem() throws {
        let db = try database()
        let first = try db.putItem(PutItemInput(tableName: "ranged", item: ["p": "a", "c": 1, "v": "one"], returnValues: .allOld))
        #expect(first.attributes == nil)
        let second = try db.putItem(PutItemInput(tableName: "ranged", item: ["p": "a", "c": 1, "w": "two"], returnValues: .allOld))
        #expect(second.attributes == ["p": "a", "c": 1, "v": "one"])
        #expect(try db.getItem(GetItemInput(tableName: "ranged", key: ["p": "a", "c": 1])).item == ["p": "a", "c": 1, "w": "two"])
        // "1.0" and "1" are the same number, so the same key.
        let sameKey: Item = ["p": "a", "c": .n(try Number(parsing: "1.0"))]
        #expect(try db.getItem(GetItemInput(tableName: "ranged", key: sameKey)).item?["w"] == "two")
        for value in ["ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"] {
            let request = PutItemInput(tableName: "ranged", item: ["p": "a", "c": 1], returnValues: ReturnValue(rawValue: value))
            #expect(dynamoError { try db.putItem(request) } == "Return values set to invalid value")
            let delete = DeleteItemInput(tableName: "ranged", key: ["p": "a", "c": 1], returnValues: ReturnValue(rawValue: value))
            #expect(dynamoError { try db.deleteItem(delete) } == "Return values set to invalid value")
        }
        let json = #"{"TableName":"ranged","Item":{},"ReturnValues":"none"}"#
        #expect(throws: DynamoDBError.validation(
            "1 validation error detected: Value 'none' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]")) {
            try JSONDecoder().decode(PutItemInput.self, from: Data(json.utf8))
        }
        let select = #"{"TableName":"ranged","Select":"count"}"#
        #expect(throws: DynamoDBError.validation(
            "1 validation error detected: Value 'count' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]")) {
            try JSONDecoder().decode(ScanInput.self, from: Data(select.utf8))
        }
    }

    @Test func keyValidation() throws {
        let db = try database()
        #expect(dynamoError { try db.putItem(PutItemInput(tableName: "ranged", item: ["p": "a"])) }
            == "One or more parameter values were invalid: Missing the key c in the item")
        #expect(dynamoError { try db.putItem(PutItemInput(tableName: "ranged", item: ["p": "a", "c": "x"])) }
            == "One or more parameter values were invalid: Type mismatch for key c expected: N actual: S")
        #expect(dynamoError { try db.putItem(PutItemInput(tableName: "hash", item: ["p": ""])) }
            == "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: p")
        for key: Item in [["p": "a"], ["p": "a", "c": 1, "x": 2], ["p": "a", "c": "1"], ["p": "a", "d": 1]] {
            #expect(dynamoError { _ = try db.getItem(GetItemInput(tableName: "ranged", key: key)) }
                == "The provided key element does not match the schema")
        }
        let longKey = String(repeating: "k", count: 2049)
        #expect(dynamoError { try db.putItem(PutItemInput(tableName: "hash", item: ["p": .s(longKey)])) }?
            .contains("Size of hashkey has exceeded the maximum size limit of 2048 bytes") == true)
        try db.putItem(PutItemInput(tableName: "hash", item: ["p": .s(String(longKey.dropLast()))]))
        dynamoError("ResourceNotFoundException") { try db.putItem(PutItemInput(tableName: "nope", item: ["p": "a"])) }
        dynamoError("ResourceNotFoundException") { _ = try db.getItem(GetItemInput(tableName: "nope", key: ["p": "a"])) }
    }

    @Test func itemValidationAndTheSizeLimit() throws {
        let db = try database()
        #expect(dynamoError { try db.putItem(PutItemInput(tableName: "hash", item: ["p": "a", "s": .ss([])])) }
            == "One or more parameter values were invalid: An string set  may not be empty")
        // 400 KB counts names and values: p (1 + 1 byte) and "big" (3 bytes) + the string.
        let fits = String(repeating: "x", count: ItemSize.maxItemBytes - 2 - 3)
        try db.putItem(PutItemInput(tableName: "hash", item: ["p": "a", "big": .s(fits)]))
        #expect(dynamoError { try db.putItem(PutItemInput(tableName: "hash", item: ["p": "a", "big": .s(fits + "x")])) }
            == "Item size has exceeded the maximum allowed size")
        #expect(try db.getItem(GetItemInput(tableName: "hash", key: ["p": "a"])).item?["big"] == .s(fits))
    }

    @Test func binaryKeysRoundTrip() throws {
        let db = try database()
        let key: Item = ["p": .b([0, 0xFF, 0]), "c": .b([])]
        #expect(dynamoError { try db.putItem(PutItemInput(tableName: "binary", item: key)) }?.contains("empty binary value") == true)
        let item: Item = ["p": .b([0, 0xFF, 0]), "c": .b([0]), "v": .bs([[1], [2]])]
        try db.putItem(PutItemInput(tableName: "binary", item: item))
        #expect(try db.getItem(GetItemInput(tableName: "binary", key: ["p": .b([0, 0xFF, 0]), "c": .b([0])])).item == item)
    }

    @Test func itemsSurviveReopenAndCrashOnlyLosesNothingAcknowledged() throws {
        let fs = MemoryFileSystem()
        do {
            let db = try memoryDatabase(fs)
            try db.createTable(tableRequest("t12", ("p", .s), ("c", .n)))
            for i in 0..<200 { try db.putItem(PutItemInput(tableName: "t12", item: ["p": "k", "c": .n(Number(exactly: i))])) }
            try db.deleteItem(DeleteItemInput(tableName: "t12", key: ["p": "k", "c": 7]))
        }
        // Writes are synced by default, so a machine crash keeps every acknowledged one.
        let db = try memoryDatabase(fs.crashClone())
        #expect(try db.describeTable(DescribeTableInput(tableName: "t12")).table.itemCount == 199)
        #expect(try db.getItem(GetItemInput(tableName: "t12", key: ["p": "k", "c": 7])).item == nil)
        #expect(try db.getItem(GetItemInput(tableName: "t12", key: ["p": "k", "c": 199])).item != nil)
    }

    @Test func scanPagesReassembleAndSegmentsPartitionTheTable() throws {
        let db = try database()
        var expected = Set<Item>()
        for p in 0..<60 {
            for c in 0..<(p % 4) {
                let item: Item = ["p": .s("part\(p)"), "c": .n(Number(exactly: c)), "pad": .s(String(repeating: "z", count: p))]
                try db.putItem(PutItemInput(tableName: "ranged", item: item))
                expected.insert(item)
            }
        }
        for limit in [1, 3, 7, 100, 1000] {
            var seen: [Item] = []
            var start: Item?
            repeat {
                let page = try db.scan(ScanInput(tableName: "ranged", limit: limit, exclusiveStartKey: start))
                #expect(page.scannedCount <= limit && page.count == page.items?.count)
                seen += page.items ?? []
                start = page.lastEvaluatedKey
            } while start != nil
            #expect(seen.count == expected.count && Set(seen) == expected)
        }
        for total in [1, 2, 3, 8, 1000] {
            var seen: [Item] = []
            for segment in 0..<total {
                var start: Item?
                repeat {
                    let page = try db.scan(ScanInput(tableName: "ranged", limit: 10, exclusiveStartKey: start,
                                                     segment: segment, totalSegments: total))
                    seen += page.items ?? []
                    start = page.lastEvaluatedKey
                } while start != nil
            }
            #expect(seen.count == expected.count && Set(seen) == expected, "total segments \(total)")
        }
        let counted = try db.scan(ScanInput(tableName: "ranged", select: .count))
        #expect(counted.items == nil && counted.count == expected.count)
    }

    @Test func scanParameterValidation() throws {
        let db = try database()
        #expect(dynamoError { _ = try db.scan(ScanInput(tableName: "hash", segment: 1)) }
            == "The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
        #expect(dynamoError { _ = try db.scan(ScanInput(tableName: "hash", totalSegments: 2)) }
            == "The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
        #expect(dynamoError { _ = try db.scan(ScanInput(tableName: "hash", segment: 2, totalSegments: 2)) }
            == "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 2 is not less than TotalSegments: 2")
        #expect(dynamoError { _ = try db.scan(ScanInput(tableName: "hash", segment: 0, totalSegments: 1_000_001)) }?
            .contains("Member must have value less than or equal to 1000000") == true)
        #expect(dynamoError { _ = try db.scan(ScanInput(tableName: "hash", limit: 0)) }
            == "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")
        dynamoError { _ = try db.scan(ScanInput(tableName: "hash", select: .allProjectedAttributes)) }
        dynamoError { _ = try db.scan(ScanInput(tableName: "hash", select: .specificAttributes)) }
        var indexed = ScanInput(tableName: "hash")
        indexed.indexName = "byX"
        #expect(dynamoError { _ = try db.scan(indexed) } == "The table does not have the specified index: byX")
        try db.putItem(PutItemInput(tableName: "ranged", item: ["p": "x", "c": 1]))
        let page = try db.scan(ScanInput(tableName: "ranged", limit: 1, segment: 0, totalSegments: 1))
        let key = try #require(page.lastEvaluatedKey)
        // A start key belongs to exactly one of 2 segments; the other refuses it.
        var refusals: [String] = []
        for segment in [0, 1] {
            do {
                _ = try db.scan(ScanInput(tableName: "ranged", exclusiveStartKey: key, segment: segment, totalSegments: 2))
            } catch let error as DynamoDBError {
                refusals.append(error.message)
            }
        }
        #expect(refusals.count == 1)
        #expect(refusals.first?.hasPrefix("The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: 2 Segment: ") == true)
    }

    @Test func scanStopsAtOneMegabyte() throws {
        let db = try database()
        let big = String(repeating: "b", count: 300_000)
        for i in 0..<10 { try db.putItem(PutItemInput(tableName: "hash", item: ["p": .s("k\(i)"), "v": .s(big)])) }
        var pages: [Int] = []
        var start: Item?
        repeat {
            let page = try db.scan(ScanInput(tableName: "hash", exclusiveStartKey: start))
            pages.append(page.scannedCount)
            start = page.lastEvaluatedKey
        } while start != nil
        // 300 KB items: the fourth reaches 1 MB and ends the page.
        #expect(pages == [4, 4, 2])
    }
}
