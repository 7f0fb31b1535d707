import CairnLSM
import Foundation
import Testing
@testable import Cairn

@Suite struct TableOperationTests {
    @Test func createDescribeListDelete() throws {
        let db = try memoryDatabase()
        let created = try db.createTable(tableRequest("Music", ("Artist", .s), ("Song", .s))).tableDescription
        #expect(created.tableStatus == "ACTIVE")
        #expect(created.keySchema == [KeySchemaElement(attributeName: "Artist", keyType: .hash),
                                      KeySchemaElement(attributeName: "Song", keyType: .range)])
        #expect(created.billingModeSummary?.billingMode == .payPerRequest)
        #expect(created.tableArn.hasSuffix("table/Music"))
        let described = try db.describeTable(DescribeTableInput(tableName: "Music")).table
        #expect(described.tableId == created.tableId && described.itemCount == 0)
        try db.createTable(tableRequest("Albums", ("Id", .n)))
        #expect(try db.listTables().tableNames == ["Albums", "Music"])
        try db.deleteTable(DeleteTableInput(tableName: "Albums"))
        #expect(try db.listTables().tableNames == ["Music"])
        let message = dynamoError("ResourceNotFoundException") { _ = try db.describeTable(DescribeTableInput(tableName: "Albums")) }
        #expect(message == "Requested resource not found: Table: Albums not found")
        dynamoError("ResourceNotFoundException") { try db.deleteTable(DeleteTableInput(tableName: "Albums")) }
    }

    @Test func createTableThatExistsIsResourceInUse() throws {
        let db = try memoryDatabase()
        try db.createTable(tableRequest("T1x", ("p", .s)))
        let message = dynamoError("ResourceInUseException") { try db.createTable(tableRequest("T1x", ("p", .n))) }
        #expect(message == "Table already exists: T1x")
    }

    @Test func tableNameRules() throws {
        let db = try memoryDatabase()
        #expect(dynamoError { try db.createTable(tableRequest("ab", ("p", .s))) }
            == "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3")
        #expect(dynamoError { try db.createTable(tableRequest("a@", ("p", .s))) }
            == "2 validation errors detected: Value 'a@' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3; Value 'a@' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
        dynamoError { try db.createTable(tableRequest(String(repeating: "n", count: 256), ("p", .s))) }
        try db.createTable(tableRequest(String(repeating: "n", count: 255), ("p", .s)))
        try db.createTable(tableRequest(".a-b_c.9", ("p", .s)))
    }

    @Test func keySchemaValidation() throws {
        let db = try memoryDatabase()
        func create(_ schema: [(String, KeySchemaElement.KeyType)], _ definitions: [(String, String)]) throws {
            try db.createTable(CreateTableInput(
                tableName: "bad", keySchema: schema.map { KeySchemaElement(attributeName: $0.0, keyType: $0.1) },
                attributeDefinitions: definitions.map { AttributeDefinition(attributeName: $0.0, attributeType: $0.1) }))
        }
        #expect(dynamoError { try create([("p", .hash), ("c", .hash)], [("p", "S"), ("c", "S")]) }
            == "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
        #expect(dynamoError { try create([("c", .range)], [("c", "S")]) }
            == "Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
        #expect(dynamoError { try create([("c", .hash), ("p", .range), ("z", .range)], [("c", "S"), ("p", "S"), ("z", "S")] ) }?
            .contains("Member must have length less than or equal to 2") == true)
        #expect(dynamoError { try create([("c", .hash)], [("z", "S")]) }
            == "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [c], AttributeDefinitions: [z]")
        #expect(dynamoError { try create([("k", .hash)], [("k", "Q")]) }
            == "1 validation error detected: Value 'Q' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]")
        #expect(dynamoError { try create([("xyz", .hash)], [("xyz", "S"), ("xyz", "N")]) }?.contains("duplicate AttributeName xyz") == true)
        #expect(dynamoError { try create([("p", .hash)], [("p", "S"), ("q", "S")]) }
            == "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
        #expect(dynamoError { try create([("p", .hash), ("p", .range)], [("p", "S")]) }
            == "Both the Hash Key and the Range Key element in the KeySchema have the same name")
        #expect(try db.listTables().tableNames.isEmpty)
    }

    @Test func billingModeRules() throws {
        let db = try memoryDatabase()
        var request = tableRequest("billing", ("p", .s))
        request.billingMode = nil  // DynamoDB's default is PROVISIONED, which needs throughput
        #expect(dynamoError { try db.createTable(request) }
            == "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
        request.billingMode = .payPerRequest
        request.provisionedThroughput = ProvisionedThroughput(readCapacityUnits: 5, writeCapacityUnits: 5)
        dynamoError { try db.createTable(request) }
        request.billingMode = .provisioned
        let created = try db.createTable(request).tableDescription
        #expect(created.provisionedThroughput.readCapacityUnits == 5)
        #expect(created.billingModeSummary?.billingMode == .provisioned)
        let bad = #"{"TableName":"x12","KeySchema":[],"AttributeDefinitions":[],"BillingMode":"pay_per_request"}"#
        #expect(throws: DynamoDBError.self) { try JSONDecoder().decode(CreateTableInput.self, from: Data(bad.utf8)) }
        let updated = try db.updateTable(UpdateTableInput(tableName: "billing", billingMode: .payPerRequest)).tableDescription
        #expect(updated.billingModeSummary?.billingMode == .payPerRequest)
        #expect(updated.billingModeSummary?.lastUpdateToPayPerRequestDateTime != nil)
        #expect(updated.provisionedThroughput.readCapacityUnits == 0)
        dynamoError { try db.updateTable(UpdateTableInput(tableName: "billing")) }
    }

    @Test func deletionProtection() throws {
        let db = try memoryDatabase()
        var request = tableRequest("kept", ("p", .s))
        request.deletionProtectionEnabled = true
        try db.createTable(request)
        #expect(dynamoError { try db.deleteTable(DeleteTableInput(tableName: "kept")) }
            == "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
        try db.updateTable(UpdateTableInput(tableName: "kept", deletionProtectionEnabled: false))
        try db.deleteTable(DeleteTableInput(tableName: "kept"))
    }

    @Test func listTablesPaginates() throws {
        let db = try memoryDatabase()
        let names = (0..<23).map { String(format: "table%03d", $0) }
        for name in names.shuffled() { try db.createTable(tableRequest(name, ("p", .s))) }
        var seen: [String] = []
        var start: String?
        repeat {
            let page = try db.listTables(ListTablesInput(exclusiveStartTableName: start, limit: 5))
            #expect(page.tableNames.count <= 5)
            seen += page.tableNames
            start = page.lastEvaluatedTableName
        } while start != nil
        #expect(seen == names)
        dynamoError { _ = try db.listTables(ListTablesInput(limit: 0)) }
        dynamoError { _ = try db.listTables(ListTablesInput(limit: 101)) }
    }

    @Test func definitionsSurviveACrashAndDeletedTablesStayEmpty() throws {
        let fs = MemoryFileSystem()
        do {
            let db = try memoryDatabase(fs)
            try db.createTable(tableRequest("keep", ("p", .s), ("s", .n)))
            try db.createTable(tableRequest("gone", ("p", .s)))
            try db.putItem(PutItemInput(tableName: "gone", item: ["p": "x", "v": 1]))
            try db.deleteTable(DeleteTableInput(tableName: "gone"))
            try db.createTable(tableRequest("gone", ("p", .s)))
        }
        // Table definitions are written synchronously: a machine crash keeps them.
        let db = try memoryDatabase(fs.crashClone())
        let keep = try db.describeTable(DescribeTableInput(tableName: "keep")).table
        #expect(keep.keySchema.map(\.attributeName) == ["p", "s"])
        #expect(keep.attributeDefinitions.map(\.attributeType) == ["S", "N"])
        // The re-created table is new and empty: the old item is not visible in it.
        #expect(try db.getItem(GetItemInput(tableName: "gone", key: ["p": "x"])).item == nil)
        #expect(try db.describeTable(DescribeTableInput(tableName: "gone")).table.itemCount == 0)
        try db.createTable(tableRequest("third", ("p", .s)))
        #expect(try db.listTables().tableNames == ["gone", "keep", "third"])
    }

    @Test func aPlainKeyValueDatabaseIsRefused() throws {
        let fs = MemoryFileSystem()
        var options = CairnLSM.Options()
        options.fileSystem = fs
        let kv = try Database.open("/kv", options: options)
        _ = try kv.put(Array("hello".utf8), Array("world".utf8))
        try kv.close()
        #expect(throws: CairnError.self) { _ = try memoryDatabase(fs, path: "/kv") }
    }
}

/// Damaged catalog and format-marker records give typed errors at open, never a trap.
@Suite struct CatalogDamageTests {
    /// Creates an item database with one table, then rewrites `key` to `value` through the
    /// raw engine and reopens it as an item database.
    func reopen(after key: [UInt8], _ value: [UInt8]) throws -> Result<ItemDatabase, Error> {
        let fs = MemoryFileSystem()
        let db = try memoryDatabase(fs)
        try db.createTable(tableRequest("tbl", ("p", .s)))
        try db.close()
        var options = CairnLSM.Options()
        options.fileSystem = fs
        let raw = try Database.open("/db", options: options)
        _ = try raw.put(key, value, sync: true)
        try raw.close()
        return Result { try memoryDatabase(fs) }
    }

    func expectError(_ result: Result<ItemDatabase, Error>, _ check: (CairnError) -> Bool) {
        switch result {
        case .success: Issue.record("opened a damaged database")
        case .failure(let error as CairnError): #expect(check(error), "\(error)")
        case .failure(let error): Issue.record("unexpected \(error)")
        }
    }

    @Test func damagedRecordsAreRefusedWithTypedErrors() throws {
        let definitionKey = KeySpace.tableDefinitionKey("tbl")
        expectError(try reopen(after: definitionKey, [TableDefinition.recordVersion] + Array("{not json".utf8))) {
            if case .corruption(_, _, let reason) = $0 { return reason.contains("undecodable definition of table tbl") }
            return false
        }
        expectError(try reopen(after: definitionKey, [])) {
            if case .corruption = $0 { return true } else { return false }
        }
        expectError(try reopen(after: definitionKey, [9] + Array("{}".utf8))) {
            if case .notSupported = $0 { return true } else { return false }
        }
        expectError(try reopen(after: KeySpace.formatMarkerKey, Array("NOTCAIRN".utf8) + [1])) {
            if case .corruption = $0 { return true } else { return false }
        }
        expectError(try reopen(after: KeySpace.formatMarkerKey, KeySpace.formatMagic + [KeySpace.formatVersion + 1])) {
            if case .notSupported = $0 { return true } else { return false }
        }
        expectError(try reopen(after: KeySpace.nextTableNumberKey, [1, 2, 3])) {
            if case .corruption = $0 { return true } else { return false }
        }
        // An intact record reopens.
        let intact = try reopen(after: Array("unrelated".utf8).map { $0 | 0x80 }, [1])
        #expect((try? intact.get().listTables().tableNames) == ["tbl"])
    }
}
