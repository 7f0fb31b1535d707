import CairnLSM
import Foundation
import Synchronization
import Testing

@testable import Cairn

/// Local and global secondary indexes: definitions, upkeep in the item's batch and from the
/// index log, reads, online creation and deletion, crashes.
@Suite struct SecondaryIndexTests {
    /// Options with no background threads: eventual indexes change only when a test runs the
    /// updater.
    static func options(_ fs: MemoryFileSystem = MemoryFileSystem()) -> ItemDatabase.Options {
        var options = ItemDatabase.Options()
        options.storage.fileSystem = fs
        options.timeToLiveSweepInterval = 0
        options.indexUpdateInterval = 0
        options.syncWrites = false
        return options
    }

    static func keys(_ pairs: (String, KeySchemaElement.KeyType)...) -> [KeySchemaElement] {
        pairs.map { KeySchemaElement(attributeName: $0.0, keyType: $0.1) }
    }

    /// `orders`: customer (S) / order (N); LSI byPlaced (customer, placed) KEYS_ONLY; GSI
    /// byStatus (status, placed) INCLUDE total, eventual; GSI byTotal (total) KEYS_ONLY, strong.
    static func ordersTable() -> CreateTableInput {
        CreateTableInput(
            tableName: "orders", keySchema: keys(("customer", .hash), ("order", .range)),
            attributeDefinitions: [
                AttributeDefinition(attributeName: "customer", attributeType: .s),
                AttributeDefinition(attributeName: "order", attributeType: .n),
                AttributeDefinition(attributeName: "placed", attributeType: .s),
                AttributeDefinition(attributeName: "status", attributeType: .s),
                AttributeDefinition(attributeName: "total", attributeType: .n),
            ],
            localSecondaryIndexes: [
                LocalSecondaryIndex(
                    indexName: "byPlaced", keySchema: keys(("customer", .hash), ("placed", .range)),
                    projection: IndexProjection(projectionType: .keysOnly)),
            ],
            globalSecondaryIndexes: [
                GlobalSecondaryIndex(
                    indexName: "byStatus", keySchema: keys(("status", .hash), ("placed", .range)),
                    projection: IndexProjection(projectionType: .include, nonKeyAttributes: ["total"])),
                GlobalSecondaryIndex(
                    indexName: "byTotal", keySchema: keys(("total", .hash)),
                    projection: IndexProjection(projectionType: .keysOnly), consistency: .strong),
            ])
    }

    /// `orders` without indexes (for online creation).
    static func plainOrdersTable() -> CreateTableInput {
        var table = ordersTable()
        table.localSecondaryIndexes = nil
        table.globalSecondaryIndexes = nil
        table.attributeDefinitions = Array(table.attributeDefinitions.prefix(2))
        return table
    }

    static func order(_ customer: String, _ order: Int, placed: String?, status: String?, total: Int?, note: String = "n") -> Item {
        var item: Item = ["customer": .s(customer), "order": .n(Number(exactly: order)), "note": .s(note)]
        if let placed { item["placed"] = .s(placed) }
        if let status { item["status"] = .s(status) }
        if let total { item["total"] = .n(Number(exactly: total)) }
        return item
    }

    func query(_ db: ItemDatabase, _ index: String?, _ condition: String, _ values: [String: AttributeValue],
               select: Select? = nil, forward: Bool? = nil, limit: Int? = nil, consistent: Bool? = nil) throws -> [Item] {
        var items: [Item] = []
        var start: Item?
        repeat {
            let names = ["#s": "status", "#t": "total"].filter { condition.contains($0.key) }
            let page = try db.query(QueryInput(
                tableName: "orders", keyConditionExpression: condition, expressionAttributeNames: names.isEmpty ? nil : names,
                expressionAttributeValues: values,
                scanIndexForward: forward, limit: limit, exclusiveStartKey: start, select: select,
                consistentRead: consistent, indexName: index))
            items += page.items ?? []
            start = page.lastEvaluatedKey
            if let start, let index, let definition = try db.catalog.table("orders").index(named: index) {
                // A page's key carries the index keys and the table keys.
                for attribute in definition.keyAttributes { #expect(start[attribute.name] != nil) }
                #expect(start["customer"] != nil && start["order"] != nil)
            }
        } while start != nil
        return items
    }

    @Test func createTableChecksIndexesAsDynamoDBDoes() throws {
        let db = try ItemDatabase.open("/db", options: Self.options())
        var request = Self.ordersTable()
        request.tableName = "noSort"
        request.keySchema = Self.keys(("customer", .hash))
        request.attributeDefinitions.removeAll { $0.attributeName == "order" }
        #expect(dynamoError { try db.createTable(request) }
            == "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")

        request = Self.ordersTable()
        request.localSecondaryIndexes?[0].keySchema = Self.keys(("status", .hash), ("placed", .range))
        #expect(dynamoError { try db.createTable(request) }
            == "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: byPlaced. index hash key: status, table hash key: customer")

        request = Self.ordersTable()
        request.globalSecondaryIndexes?[1].indexName = "byStatus"
        #expect(dynamoError { try db.createTable(request) } == "One or more parameter values were invalid: Duplicate index name: byStatus")

        request = Self.ordersTable()
        request.globalSecondaryIndexes?[0].projection = IndexProjection(projectionType: .include)
        #expect(dynamoError { try db.createTable(request) }
            == "One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified")

        request = Self.ordersTable()
        request.globalSecondaryIndexes?[1].projection = IndexProjection(projectionType: .all, nonKeyAttributes: ["x"])
        #expect(dynamoError { try db.createTable(request) }
            == "One or more parameter values were invalid: ProjectionType is ALL, but NonKeyAttributes is specified")

        request = Self.ordersTable()
        request.attributeDefinitions.append(AttributeDefinition(attributeName: "unused", attributeType: .s))
        #expect(dynamoError { try db.createTable(request) }?.hasPrefix("One or more parameter values were invalid: Some AttributeDefinitions are not used.") == true)

        request = Self.ordersTable()
        request.attributeDefinitions.removeAll { $0.attributeName == "total" }
        #expect(dynamoError { try db.createTable(request) }?
            .hasPrefix("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions.") == true)

        request = Self.ordersTable()
        request.localSecondaryIndexes = (0..<6).map { i in
            LocalSecondaryIndex(indexName: "local\(i)", keySchema: Self.keys(("customer", .hash), ("placed", .range)),
                                projection: IndexProjection(projectionType: .keysOnly))
        }
        #expect(dynamoError { try db.createTable(request) }
            == "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5")

        request = Self.ordersTable()
        request.globalSecondaryIndexes = (0..<21).map { i in
            GlobalSecondaryIndex(indexName: "global\(i)", keySchema: Self.keys((i == 0 ? "total" : "status", .hash)),
                                 projection: IndexProjection(projectionType: .keysOnly))
        }
        #expect(dynamoError { try db.createTable(request) }
            == "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20")

        request = Self.ordersTable()
        request.globalSecondaryIndexes?[0].projection = IndexProjection(
            projectionType: .include, nonKeyAttributes: (0..<101).map { "a\($0)" })
        #expect(dynamoError { try db.createTable(request) }?.contains("exceeds the limit of 100") == true)

        let created = try db.createTable(Self.ordersTable()).tableDescription
        #expect(created.attributeDefinitions.map(\.attributeName) == ["customer", "order", "placed", "status", "total"])
        #expect(created.localSecondaryIndexes?.map(\.indexName) == ["byPlaced"])
        #expect(created.globalSecondaryIndexes?.map(\.indexName) == ["byStatus", "byTotal"])
        #expect(created.globalSecondaryIndexes?.map(\.indexStatus) == ["ACTIVE", "ACTIVE"])
        #expect(created.globalSecondaryIndexes?.map(\.consistency) == [.eventual, .strong])
        #expect(created.globalSecondaryIndexes?[0].indexArn == "arn:aws:dynamodb:local:000000000000:table/orders/index/byStatus")
        #expect(created.globalSecondaryIndexes?[0].projection == IndexProjection(projectionType: .include, nonKeyAttributes: ["total"]))
        try db.close()
    }

    @Test func localIndexIsStrongAndFetchesUnprojectedAttributes() throws {
        let db = try ItemDatabase.open("/db", options: Self.options())
        try db.createTable(Self.ordersTable())
        let placed = ["2026-03", "2026-01", "2026-02", "2026-01"]
        for (i, date) in placed.enumerated() {
            try db.putItem(PutItemInput(tableName: "orders", item: Self.order("ann", i, placed: date, status: "open", total: 10 * i)))
        }
        try db.putItem(PutItemInput(tableName: "orders", item: Self.order("bob", 9, placed: "2026-01", status: nil, total: nil)))
        try db.putItem(PutItemInput(tableName: "orders", item: Self.order("ann", 7, placed: nil, status: "open", total: 5)))
        // Strongly consistent without any catch-up; ordered by the index sort key, then the
        // table's sort key; an item without `placed` is not in the index.
        let all = try query(db, "byPlaced", "customer = :c", [":c": "ann"], limit: 1, consistent: true)
        #expect(all.map { $0["order"] } == [1, 3, 2, 0])
        #expect(all.allSatisfy { Set($0.keys) == ["customer", "order", "placed"] })
        let backwards = try query(db, "byPlaced", "customer = :c AND placed < :p", [":c": "ann", ":p": "2026-03"], forward: false)
        #expect(backwards.map { $0["order"] } == [2, 3, 1])
        // ALL_ATTRIBUTES reads the rest from the table, as DynamoDB does for a local index.
        let full = try query(db, "byPlaced", "customer = :c AND placed = :p", [":c": "ann", ":p": "2026-01"], select: .allAttributes)
        #expect(full == [Self.order("ann", 1, placed: "2026-01", status: "open", total: 10),
                         Self.order("ann", 3, placed: "2026-01", status: "open", total: 30)])
        let count = try db.query(QueryInput(
            tableName: "orders", keyConditionExpression: "customer = :c", expressionAttributeValues: [":c": "ann"],
            select: .count, indexName: "byPlaced"))
        #expect(count.count == 4 && count.items == nil)
        // An update that moves the item within and out of the index.
        try db.updateItem(UpdateItemInput(
            tableName: "orders", key: ["customer": "ann", "order": 0], updateExpression: "SET placed = :p",
            expressionAttributeValues: [":p": "2025-12"]))
        try db.updateItem(UpdateItemInput(
            tableName: "orders", key: ["customer": "ann", "order": 2], updateExpression: "REMOVE placed"))
        #expect(try query(db, "byPlaced", "customer = :c", [":c": "ann"]).map { $0["order"] } == [0, 1, 3])
        try db.deleteItem(DeleteItemInput(tableName: "orders", key: ["customer": "ann", "order": 1]))
        #expect(try query(db, "byPlaced", "customer = :c", [":c": "ann"]).map { $0["order"] } == [0, 3])
        #expect(dynamoError { _ = try query(db, "nope", "customer = :c", [":c": "ann"]) }
            == "The table does not have the specified index: nope")
        #expect(dynamoError { _ = try query(db, "byPlaced", "order = :c", [":c": 1]) } != nil)
        #expect(try db.verifyIndexes().isConsistent)
        try db.close()
    }

    @Test func globalIndexesEventualAndStrong() throws {
        let db = try ItemDatabase.open("/db", options: Self.options())
        try db.createTable(Self.ordersTable())
        try db.putItem(PutItemInput(tableName: "orders", item: Self.order("ann", 1, placed: "2026-01", status: "open", total: 10)))
        try db.putItem(PutItemInput(tableName: "orders", item: Self.order("bob", 2, placed: "2026-02", status: "open", total: 10)))
        // The strong index serves ConsistentRead at once.
        let strong = try query(db, "byTotal", "#t = :t", [":t": 10], consistent: true)
        #expect(Set(strong.compactMap { $0["order"] }) == [1, 2])
        #expect(strong.allSatisfy { Set($0.keys) == ["customer", "order", "total"] })
        // The eventual one refuses ConsistentRead, and has nothing until the updater runs.
        #expect(dynamoError { _ = try query(db, "byStatus", "#s = :s", [":s": "open"], consistent: true) }
            == "Consistent reads are not supported on global secondary indexes")
        #expect(try query(db, "byStatus", "#s = :s", [":s": "open"]).isEmpty)
        try db.catchUpIndexes()
        let open = try query(db, "byStatus", "#s = :s", [":s": "open"])
        #expect(open.map { $0["order"] } == [1, 2])
        #expect(open.allSatisfy { Set($0.keys) == ["customer", "order", "status", "placed", "total"] })
        #expect(dynamoError { _ = try query(db, "byStatus", "#s = :s", [":s": "open"], select: .allAttributes) }
            == "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index byStatus because its projection type is not ALL")
        // Moving out of one partition into another; sparse when the key is removed.
        try db.updateItem(UpdateItemInput(
            tableName: "orders", key: ["customer": "ann", "order": 1], updateExpression: "SET #s = :s, #t = :t",
            expressionAttributeNames: ["#s": "status", "#t": "total"], expressionAttributeValues: [":s": "shipped", ":t": 12]))
        try db.updateItem(UpdateItemInput(
            tableName: "orders", key: ["customer": "bob", "order": 2], updateExpression: "REMOVE #s",
            expressionAttributeNames: ["#s": "status"]))
        #expect(try query(db, "byTotal", "#t = :t", [":t": 10], consistent: true).map { $0["order"] } == [2])
        try db.catchUpIndexes()
        #expect(try query(db, "byStatus", "#s = :s", [":s": "open"]).isEmpty)
        #expect(try query(db, "byStatus", "#s = :s", [":s": "shipped"]).map { $0["order"] } == [1])
        // Scan an index, in segments.
        var scanned: [Item] = []
        for segment in 0..<3 {
            scanned += try db.scan(ScanInput(tableName: "orders", segment: segment, totalSegments: 3).withIndex("byTotal")).items ?? []
        }
        #expect(Set(scanned.compactMap { $0["order"] }) == [1, 2])
        let description = try db.describeTable(DescribeTableInput(tableName: "orders")).table
        #expect(description.globalSecondaryIndexes?.first { $0.indexName == "byTotal" }?.itemCount == 2)
        #expect(description.globalSecondaryIndexes?.first { $0.indexName == "byStatus" }?.itemCount == 1)
        #expect(description.localSecondaryIndexes?.first?.itemCount == 2)
        #expect(try db.verifyIndexes().isConsistent)
        try db.close()
    }

    @Test func indexKeysOfTheWrongTypeAreRefusedNamingTheIndex() throws {
        let db = try ItemDatabase.open("/db", options: Self.options())
        try db.createTable(Self.ordersTable())
        #expect(dynamoError {
            try db.putItem(PutItemInput(tableName: "orders", item: Self.order("ann", 1, placed: "p", status: "s", total: nil)
                .merging(["total": "ten"]) { _, b in b }))
        } == "One or more parameter values were invalid: Type mismatch for Index Key total Expected: N Actual: S IndexName: byTotal")
        #expect(dynamoError {
            try db.putItem(PutItemInput(tableName: "orders", item: Self.order("ann", 1, placed: "p", status: "", total: 1)))
        } == "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: byStatus, IndexKey: status")
        #expect(dynamoError {
            try db.updateItem(UpdateItemInput(
                tableName: "orders", key: ["customer": "ann", "order": 1], updateExpression: "SET placed = :p",
                expressionAttributeValues: [":p": 5]))
        }?.contains("IndexName: byPlaced") == true)
        // In a transaction, the whole transaction is cancelled and nothing is written.
        let error = dynamoError("TransactionCanceledException") {
            _ = try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
                .put(.init(tableName: "orders", item: Self.order("ann", 2, placed: "p", status: "s", total: 1))),
                .put(.init(tableName: "orders", item: Self.order("ann", 3, placed: "p", status: "s", total: 1)
                    .merging(["status": .n(1)]) { _, b in b })),
            ]))
        }
        #expect(error != nil)
        #expect(try db.scan(ScanInput(tableName: "orders")).count == 0)
        try db.catchUpIndexes()
        #expect(try db.verifyIndexes().indexes.allSatisfy { $0.storedEntries == 0 && $0.isConsistent })
        try db.close()
    }

    /// Random puts, updates that move items in and out of the indexes, deletes, batches,
    /// transactions and TTL deletions: after the updater catches up, every index equals what
    /// a model of the table calls for, through Query and through verifyIndexes.
    @Test func randomOperationsKeepEveryIndexEqualToTheModel() throws {
        let clock = CairnMutex(1_000_000.0)
        var options = Self.options()
        options.clock = { clock.withLock { $0 } }
        options.storage.writeBufferSize = 32 << 10
        let db = try ItemDatabase.open("/db", options: options)
        try db.createTable(Self.ordersTable())
        try db.updateTimeToLive(UpdateTimeToLiveInput(
            tableName: "orders", timeToLiveSpecification: TimeToLiveSpecification(enabled: true, attributeName: "expires")))
        var model: [String: Item] = [:]  // by "customer/order"
        var rng = Rng(state: 7)
        func randomItem(_ customer: String, _ order: Int) -> Item {
            var item = Self.order(
                customer, order,
                placed: rng.below(4) == 0 ? nil : "2026-0\(rng.below(5))",
                status: rng.below(3) == 0 ? nil : ["open", "shipped", "lost"][rng.below(3)],
                total: rng.below(4) == 0 ? nil : rng.below(6), note: "v\(rng.below(1000))")
            if rng.below(10) == 0 { item["expires"] = .n(Number(exactly: 1_000_000 + rng.below(100))) }
            return item
        }
        for step in 0..<600 {
            let customer = ["ann", "bob", "cy"][rng.below(3)]
            let order = rng.below(12)
            let id = "\(customer)/\(order)"
            let key: Item = ["customer": .s(customer), "order": .n(Number(exactly: order))]
            switch rng.below(6) {
            case 0, 1:
                let item = randomItem(customer, order)
                try db.putItem(PutItemInput(tableName: "orders", item: item))
                model[id] = item
            case 2:
                let value = "2026-0\(rng.below(5))"
                let placed = rng.below(2) == 0
                try db.updateItem(UpdateItemInput(
                    tableName: "orders", key: key, updateExpression: placed ? "SET placed = :p" : "SET #s = :p",
                    expressionAttributeNames: placed ? nil : ["#s": "status"], expressionAttributeValues: [":p": .s(value)]))
                // (Applied to the model from what the table now holds: the expression chose.)
                model[id] = try db.getItem(GetItemInput(tableName: "orders", key: key)).item
            case 3:
                try db.updateItem(UpdateItemInput(
                    tableName: "orders", key: key, updateExpression: ["REMOVE placed", "REMOVE #t", "ADD #t :one"][step % 3],
                    expressionAttributeNames: step % 3 == 0 ? nil : ["#t": "total"],
                    expressionAttributeValues: step % 3 == 2 ? [":one": 1] : nil))
                model[id] = try db.getItem(GetItemInput(tableName: "orders", key: key)).item
            case 4:
                try db.deleteItem(DeleteItemInput(tableName: "orders", key: key))
                model[id] = nil
            default:
                let other = (order + 1) % 12
                let a = randomItem(customer, order), b = randomItem(customer, other)
                if rng.below(2) == 0 {
                    _ = try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
                        .put(.init(tableName: "orders", item: a)),
                        .delete(.init(tableName: "orders", key: ["customer": .s(customer), "order": .n(Number(exactly: other))])),
                    ]))
                    model[id] = a
                    model["\(customer)/\(other)"] = nil
                } else {
                    _ = try db.batchWriteItem(BatchWriteItemInput(requestItems: ["orders": [
                        WriteRequest(putRequest: .init(item: a)), WriteRequest(putRequest: .init(item: b)),
                    ]]))
                    model[id] = a
                    model["\(customer)/\(other)"] = b
                }
            }
            if step % 97 == 0 { try db.runIndexUpkeep() }
            if step == 400 {
                clock.withLock { $0 = 1_000_200 }
                _ = try db.sweepExpiredItems()
                model = model.filter { $0.value["expires"] == nil }
            }
        }
        try db.catchUpIndexes()
        let report = try db.verifyIndexes()
        #expect(report.isConsistent, "\(report)")
        #expect(report.indexes.count == 3)
        let items = Array(model.values)
        // Every index, queried partition by partition, returns what the model says, in order.
        for status in ["open", "shipped", "lost"] {
            let expected = items.filter { $0["status"] == .s(status) && $0["placed"] != nil }
                .sorted { ($0["placed"].map(keyString) ?? "", keyString($0["customer"]), keyNumber($0["order"]))
                    < ($1["placed"].map(keyString) ?? "", keyString($1["customer"]), keyNumber($1["order"])) }
            let got = try query(db, "byStatus", "#s = :s", [":s": .s(status)], limit: 3)
            #expect(got.map { "\(keyString($0["customer"]))/\(keyNumber($0["order"]))" }
                == expected.map { "\(keyString($0["customer"]))/\(keyNumber($0["order"]))" })
            #expect(got.allSatisfy { item in
                let source = model["\(keyString(item["customer"]))/\(keyNumber(item["order"]))"]
                return item["total"] == source?["total"] && item["note"] == nil
            })
        }
        for customer in ["ann", "bob", "cy"] {
            let expected = items.filter { $0["customer"] == .s(customer) && $0["placed"] != nil }
                .sorted { (keyString($0["placed"]), keyNumber($0["order"])) < (keyString($1["placed"]), keyNumber($1["order"])) }
                .map { keyNumber($0["order"]) }
            #expect(try query(db, "byPlaced", "customer = :c", [":c": .s(customer)], limit: 2).map { keyNumber($0["order"]) } == expected)
        }
        for total in 0..<8 {
            let expected = Set(items.filter { $0["total"] == .n(Number(exactly: total)) }.map {
                "\(keyString($0["customer"]))/\(keyNumber($0["order"]))"
            })
            let got = try query(db, "byTotal", "#t = :t", [":t": .n(Number(exactly: total))], consistent: true)
            #expect(Set(got.map { "\(keyString($0["customer"]))/\(keyNumber($0["order"]))" }) == expected)
        }
        try db.close()
    }

    /// UpdateTable creates a global index while writers keep writing: CREATING and not
    /// readable, then ACTIVE and equal to what the table calls for; deleting it removes its
    /// entries.
    @Test func onlineCreationBackfillsUnderConcurrentWritesAndDeletionReclaims() throws {
        let db = try ItemDatabase.open("/db", options: Self.options())
        try db.createTable(Self.plainOrdersTable())
        for i in 0..<2_500 {
            try db.putItem(PutItemInput(tableName: "orders", item: Self.order("c\(i % 50)", i, placed: "p\(i % 7)", status: i % 5 == 0 ? nil : "s\(i % 3)", total: i % 11)))
        }
        for consistency in [IndexConsistency.eventual, .strong] {
            let name = "byStatus" + consistency.rawValue
            let create = GlobalSecondaryIndex(
                indexName: name, keySchema: Self.keys(("status", .hash), ("placed", .range)),
                projection: IndexProjection(projectionType: .all), consistency: consistency)
            let updated = try db.updateTable(UpdateTableInput(
                tableName: "orders",
                attributeDefinitions: [AttributeDefinition(attributeName: "status", attributeType: .s),
                                       AttributeDefinition(attributeName: "placed", attributeType: .s)],
                globalSecondaryIndexUpdates: [GlobalSecondaryIndexUpdate(create: create)])).tableDescription
            let described = updated.globalSecondaryIndexes?.first { $0.indexName == name }
            #expect(described?.indexStatus == "CREATING" && described?.backfilling == true)
            #expect(dynamoError { _ = try query(db, name, "#s = :s", [":s": "s1"]) }
                == "Cannot read from backfilling global secondary index: \(name)")
            #expect(dynamoError("LimitExceededException") {
                var second = create
                second.indexName = "another"
                try db.updateTable(UpdateTableInput(tableName: "orders", globalSecondaryIndexUpdates: [GlobalSecondaryIndexUpdate(create: second)]))
            } != nil)
            // Writers change items (some into, out of and within the index) while the
            // backfill runs in steps.
            let stop = Atomic<Bool>(false)
            let writes = Atomic<Int>(0)
            let done = DispatchSemaphore(value: 0)
            Thread {
                var rng = Rng(state: 99)
                while !stop.load(ordering: .relaxed) {
                    let i = rng.below(3_000)
                    do {
                        switch rng.below(3) {
                        case 0:
                            try db.putItem(PutItemInput(tableName: "orders", item: Self.order(
                                "c\(i % 50)", i, placed: "q\(i % 5)", status: rng.below(4) == 0 ? nil : "s\(rng.below(3))", total: 1)))
                        case 1:
                            try db.deleteItem(DeleteItemInput(tableName: "orders", key: ["customer": .s("c\(i % 50)"), "order": .n(Number(exactly: i))]))
                        default:
                            try db.updateItem(UpdateItemInput(
                                tableName: "orders", key: ["customer": .s("c\(i % 50)"), "order": .n(Number(exactly: i))],
                                updateExpression: "SET #s = :s", expressionAttributeNames: ["#s": "status"],
                                expressionAttributeValues: [":s": .s("s\(rng.below(3))")]))
                        }
                        writes.add(1, ordering: .relaxed)
                    } catch {
                        Issue.record("\(error)")
                    }
                }
                done.signal()
            }.start()
            var passes = 0
            while try db.runIndexUpkeep() { passes += 1 }
            stop.store(true, ordering: .relaxed)
            done.wait()
            #expect(passes >= 2)  // 2,500 items take three steps of 1,000
            #expect(writes.load(ordering: .relaxed) > 0)
            try db.catchUpIndexes()
            let described2 = try db.describeTable(DescribeTableInput(tableName: "orders")).table.globalSecondaryIndexes?.first { $0.indexName == name }
            #expect(described2?.indexStatus == "ACTIVE" && described2?.backfilling == nil)
            let report = try db.verifyIndexes()
            #expect(report.isConsistent, "\(report)")
            #expect((report.indexes.first { $0.indexName == name }?.storedEntries ?? 0) > 1_000)
            if consistency == .strong {
                // Strong from now on: a write is in the index before the updater runs.
                try db.putItem(PutItemInput(tableName: "orders", item: Self.order("zz", 1, placed: "p", status: "fresh", total: 1)))
                #expect(try query(db, name, "#s = :s", [":s": "fresh"], consistent: true).count == 1)
            }
        }
        // Deleting an index removes every entry with it.
        let number = try db.catalog.table("orders").number
        #expect(try rawCount(db, IndexKeys.logPrefix(number), IndexKeys.logEnd(number)) > 0)
        let ordinal = try #require(try db.catalog.table("orders").index(named: "byStatusEVENTUAL")).ordinal
        let deleting = try db.updateTable(UpdateTableInput(tableName: "orders", globalSecondaryIndexUpdates: [
            GlobalSecondaryIndexUpdate(delete: DeleteGlobalSecondaryIndexAction(indexName: "byStatusEVENTUAL")),
        ])).tableDescription.globalSecondaryIndexes?.first { $0.indexName == "byStatusEVENTUAL" }
        #expect(deleting?.indexStatus == "DELETING" && deleting?.keySchema.map(\.attributeName) == ["status", "placed"])
        #expect(try rawCount(db, IndexKeys.indexPrefix(table: number, ordinal: ordinal), IndexKeys.indexEnd(table: number, ordinal: ordinal)) == 0)
        // No index reads the log any more (the other is strong and ACTIVE): it went too.
        #expect(try rawCount(db, IndexKeys.logPrefix(number), IndexKeys.logEnd(number)) == 0)
        #expect(dynamoError { _ = try query(db, "byStatusEVENTUAL", "#s = :s", [":s": "s1"]) } != nil)
        #expect(dynamoError("ResourceNotFoundException") {
            try db.updateTable(UpdateTableInput(tableName: "orders", globalSecondaryIndexUpdates: [
                GlobalSecondaryIndexUpdate(delete: DeleteGlobalSecondaryIndexAction(indexName: "byStatusEVENTUAL")),
            ]))
        } != nil)
        #expect(try rawCount(db, IndexKeys.tablePrefix(number), IndexKeys.tableEnd(number)) > 0)
        try db.deleteTable(DeleteTableInput(tableName: "orders"))
        #expect(try rawCount(db, IndexKeys.tablePrefix(number), IndexKeys.tableEnd(number)) == 0)
        #expect(try rawCount(db, IndexKeys.logPrefix(number), IndexKeys.logEnd(number)) == 0)
        try db.close()
    }

    /// A table with a local index limits each partition's item collection (its items and
    /// their local-index entries); ReturnItemCollectionMetrics reports the size.
    @Test func itemCollectionSizeLimitAndMetrics() throws {
        let fs = MemoryFileSystem()
        var options = Self.options(fs)
        options.itemCollectionSizeLimit = 10_000
        var db = try ItemDatabase.open("/db", options: options)
        try db.createTable(Self.ordersTable())
        let note = String(repeating: "x", count: 1_000)
        var written = 0
        var refused: DynamoDBError?
        for i in 0..<20 {
            do {
                let output = try db.putItem(PutItemInput(tableName: "orders", item: Self.order("ann", i, placed: "p", status: nil, total: nil, note: note))
                    .collectionMetrics())
                written += 1
                let metrics = try #require(output.itemCollectionMetrics)
                #expect(metrics.itemCollectionKey == ["customer": "ann"])
                let bytes = (metrics.sizeEstimateRangeGB.first ?? 0) * Double(1 << 30)
                // Each item: about 1,040 bytes, plus its KEYS_ONLY local entry (keys + 100).
                #expect(abs(bytes - Double(written) * 1_183) < Double(written) * 40, "\(bytes) after \(written)")
            } catch let error as DynamoDBError {
                refused = error
                break
            }
        }
        #expect(refused?.name == "ItemCollectionSizeLimitExceededException")
        #expect((7...9).contains(written))
        // Other partitions are their own collections; a table without a local index has none.
        try db.putItem(PutItemInput(tableName: "orders", item: Self.order("bob", 1, placed: "p", status: nil, total: nil, note: note)))
        #expect(try db.putItem(PutItemInput(tableName: "orders", item: Self.order("bob", 2, placed: nil, status: nil, total: nil))
            .collectionMetrics()).itemCollectionMetrics?.itemCollectionKey == ["customer": "bob"])
        // Shrinking is always allowed, and makes room again.
        let deleted = try db.deleteItem(DeleteItemInput(tableName: "orders", key: ["customer": "ann", "order": 0]).collectionMetrics())
        #expect((deleted.itemCollectionMetrics?.sizeEstimateRangeGB.first ?? 1) * Double(1 << 30) < Double(written) * 1_183)
        try db.putItem(PutItemInput(tableName: "orders", item: Self.order("ann", 0, placed: "p", status: nil, total: nil, note: note)))
        // Batches and transactions report each collection they changed once, and a
        // transaction that would overgrow one is cancelled with that reason.
        var batch = BatchWriteItemInput(requestItems: ["orders": [
            WriteRequest(putRequest: .init(item: Self.order("cy", 1, placed: "p", status: nil, total: nil))),
            WriteRequest(putRequest: .init(item: Self.order("cy", 2, placed: "p", status: nil, total: nil))),
            WriteRequest(putRequest: .init(item: Self.order("dee", 1, placed: "p", status: nil, total: nil))),
        ]])
        batch.returnItemCollectionMetrics = .size
        let batchMetrics = try db.batchWriteItem(batch).itemCollectionMetrics?["orders"]
        #expect(Set(batchMetrics?.map(\.itemCollectionKey) ?? []) == [["customer": "cy"], ["customer": "dee"]])
        var transaction = TransactWriteItemsInput(transactItems: [
            .put(.init(tableName: "orders", item: Self.order("cy", 3, placed: "p", status: nil, total: nil))),
        ])
        transaction.returnItemCollectionMetrics = .size
        #expect(try db.transactWriteItems(transaction).itemCollectionMetrics?["orders"]?.map(\.itemCollectionKey) == [["customer": "cy"]])
        do {
            _ = try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
                .put(.init(tableName: "orders", item: Self.order("ann", 60, placed: "p", status: nil, total: nil, note: note))),
                .put(.init(tableName: "orders", item: Self.order("eve", 1, placed: "p", status: nil, total: nil))),
            ]))
            Issue.record("the transaction should be cancelled")
        } catch let error as DynamoDBError {
            #expect(error.name == "TransactionCanceledException")
            #expect(error.cancellationReasons?.map(\.code) == ["ItemCollectionSizeLimitExceeded", "None"] as [String?])
        }
        // After a reopen the size is computed again from the stored collection.
        try db.close()
        db = try ItemDatabase.open("/db", options: options)
        #expect(dynamoError("ItemCollectionSizeLimitExceededException") {
            try db.putItem(PutItemInput(tableName: "orders", item: Self.order("ann", 50, placed: "p", status: nil, total: nil, note: note)))
        } == "Item collection size limit exceeded. The size of the item collection exceeds the limit for a table with local secondary indexes")
        try db.close()
    }

    func rawCount(_ db: ItemDatabase, _ lower: [UInt8], _ upper: [UInt8]) throws -> Int {
        let iterator = try db.storage.makeIterator(ReadOptions(lowerBound: lower, upperBound: upper))
        try iterator.seekToFirst()
        var count = 0
        while iterator.isValid {
            count += 1
            try iterator.next()
        }
        return count
    }

    /// A crash at every file operation of a workload on every kind of index, then reopen and
    /// catch up: every index equals what its table calls for.
    @Test func crashAtEveryOperationThenCatchUpLeavesEveryIndexEqualToItsTable() throws {
        let fs = MemoryFileSystem()
        var options = Self.options(fs)
        options.storage.writeBufferSize = 16 << 10
        let db = try ItemDatabase.open("/db", options: options)
        try db.createTable(Self.ordersTable())
        let images = CairnMutex<[MemoryFileSystem]>([])
        fs.setOperationHook { _, _, _ in images.withLock { $0.append(fs.crashClone()) } }
        var rng = Rng(state: 5)
        for i in 0..<160 {
            let customer = ["ann", "bob"][rng.below(2)], order = rng.below(8)
            switch rng.below(4) {
            case 0, 1:
                try db.putItem(PutItemInput(tableName: "orders", item: Self.order(
                    customer, order, placed: "p\(rng.below(3))", status: rng.below(3) == 0 ? nil : "s\(rng.below(2))", total: rng.below(3))))
            case 2:
                try db.deleteItem(DeleteItemInput(tableName: "orders", key: ["customer": .s(customer), "order": .n(Number(exactly: order))]))
            default:
                try db.updateItem(UpdateItemInput(
                    tableName: "orders", key: ["customer": .s(customer), "order": .n(Number(exactly: order))],
                    updateExpression: "SET #s = :s", expressionAttributeNames: ["#s": "status"], expressionAttributeValues: [":s": .s("s\(i % 3)")]))
            }
            if i % 20 == 0 { try db.runIndexUpkeep() }
        }
        fs.setOperationHook(nil)
        try db.close()
        let all = images.withLock { $0 }
        #expect(all.count > 20)
        let failures = checkEveryCrashImage(all, options: options) { recovered in
            try recovered.catchUpIndexes()
            let report = try recovered.verifyIndexes()
            return report.isConsistent ? nil : "\(report)"
        }
        #expect(failures == 0)
    }

    /// A crash at every file operation of an online index creation (its backfill steps, the
    /// log applied beside them, the activation), with writes going on: reopening resumes the
    /// backfill and ends with the index ACTIVE and equal to its table.
    @Test func crashDuringBackfillResumesIt() throws {
        let fs = MemoryFileSystem()
        var options = Self.options(fs)
        options.storage.writeBufferSize = 64 << 10
        let db = try ItemDatabase.open("/db", options: options)
        try db.createTable(Self.plainOrdersTable())
        for i in 0..<1_300 {
            try db.putItem(PutItemInput(tableName: "orders", item: Self.order("c\(i % 9)", i, placed: "p\(i % 4)", status: "s\(i % 3)", total: i)))
        }
        try db.updateTable(UpdateTableInput(
            tableName: "orders", attributeDefinitions: [AttributeDefinition(attributeName: "status", attributeType: .s)],
            globalSecondaryIndexUpdates: [GlobalSecondaryIndexUpdate(create: GlobalSecondaryIndex(
                indexName: "byStatus", keySchema: Self.keys(("status", .hash)), projection: IndexProjection(projectionType: .keysOnly),
                consistency: .strong))]))
        let images = CairnMutex<[MemoryFileSystem]>([])
        fs.setOperationHook { _, _, _ in images.withLock { $0.append(fs.crashClone()) } }
        var rng = Rng(state: 3)
        var more = true
        while more {
            for _ in 0..<25 {
                let i = rng.below(1_400)
                try db.putItem(PutItemInput(tableName: "orders", item: Self.order("c\(i % 9)", i, placed: "p", status: "s\(rng.below(4))", total: 1)))
            }
            more = try db.runIndexUpkeep()
        }
        fs.setOperationHook(nil)
        #expect(try db.catalog.table("orders").index(named: "byStatus")?.status == .active)
        try db.close()
        let all = images.withLock { $0 }
        #expect(all.count > 10)
        var resumedCreating = 0
        let failures = checkEveryCrashImage(all, options: options, allowMissingTable: false) { recovered in
            if try recovered.catalog.table("orders").index(named: "byStatus")?.status == .creating { resumedCreating += 1 }
            try recovered.catchUpIndexes()
            let report = try recovered.verifyIndexes()
            let active = try recovered.catalog.table("orders").index(named: "byStatus")?.status == .active
            let ok = report.isConsistent && active && report.indexes.first?.storedEntries != 0
            return ok ? nil : "active \(active): \(report)"
        }
        #expect(resumedCreating > 0)
        #expect(failures == 0)
    }

    /// A table with a change stream and every kind of index: each write still makes exactly
    /// one stream record, with the images the stream's view type asks for, and the indexes
    /// follow the same writes.
    @Test func streamAndIndexesOnOneTable() throws {
        let db = try ItemDatabase.open("/db", options: Self.options())
        var table = Self.ordersTable()
        table.streamSpecification = StreamSpecification(streamEnabled: true, streamViewType: .newAndOldImages)
        try db.createTable(table)
        try db.putItem(PutItemInput(tableName: "orders", item: Self.order("ann", 1, placed: "p1", status: "open", total: 5)))
        try db.updateItem(UpdateItemInput(
            tableName: "orders", key: ["customer": "ann", "order": 1], updateExpression: "SET #s = :s",
            expressionAttributeNames: ["#s": "status"], expressionAttributeValues: [":s": "shipped"]))
        try db.putItem(PutItemInput(tableName: "orders", item: Self.order("ann", 1, placed: "p1", status: "shipped", total: 5)))
        try db.deleteItem(DeleteItemInput(tableName: "orders", key: ["customer": "ann", "order": 1]))
        try db.putItem(PutItemInput(tableName: "orders", item: Self.order("bob", 2, placed: "p2", status: "open", total: 7)))
        let records = try db.streamRecords(of: "orders", after: 0)
        // The third write changed nothing (the same item): no record.
        #expect(records.map(\.eventName) == [.insert, .modify, .remove, .insert])
        #expect(records[1].dynamodb.oldImage?["status"] == "open" && records[1].dynamodb.newImage?["status"] == "shipped")
        try db.catchUpIndexes()
        #expect(try db.verifyIndexes().isConsistent)
        #expect(try query(db, "byStatus", "#s = :s", [":s": "open"]).map { $0["order"] } == [2])
        #expect(try query(db, "byTotal", "#t = :t", [":t": 5], consistent: true).isEmpty)
        #expect(try query(db, "byPlaced", "customer = :c", [":c": "ann"]).isEmpty)
        try db.close()
    }

    /// Writers on three threads, the background updater running as in production, and an
    /// index created and another deleted online meanwhile: afterwards, and after a reopen,
    /// every index equals its table.
    @Test func concurrentWritersWithTheBackgroundUpdater() throws {
        let fs = MemoryFileSystem()
        var options = Self.options(fs)
        options.indexUpdateInterval = 0.05
        options.indexUpdateDelay = 0.001
        let db = try ItemDatabase.open("/db", options: options)
        try db.createTable(Self.ordersTable())
        let errors = CairnMutex<[String]>([])
        let stop = Atomic<Bool>(false)
        let group = DispatchGroup()
        for worker in 0..<3 {
            group.enter()
            Thread {
                var rng = Rng(state: UInt64(worker) &+ 41)
                while !stop.load(ordering: .relaxed) {
                    let customer = "c\(rng.below(6))", order = rng.below(40)
                    do {
                        switch rng.below(3) {
                        case 0:
                            try db.deleteItem(DeleteItemInput(tableName: "orders", key: ["customer": .s(customer), "order": .n(Number(exactly: order))]))
                        default:
                            try db.putItem(PutItemInput(tableName: "orders", item: Self.order(
                                customer, order, placed: "p\(rng.below(5))", status: rng.below(4) == 0 ? nil : "s\(rng.below(3))",
                                total: rng.below(5))))
                        }
                    } catch {
                        errors.withLock { $0.append("\(error)") }
                    }
                }
                group.leave()
            }.start()
        }
        try db.updateTable(UpdateTableInput(
            tableName: "orders",
            globalSecondaryIndexUpdates: [GlobalSecondaryIndexUpdate(create: GlobalSecondaryIndex(
                indexName: "byPlacedGlobal", keySchema: Self.keys(("placed", .hash), ("order", .range)),
                projection: IndexProjection(projectionType: .keysOnly)))]))
        // The background updater backfills it while the writers go on.
        let deadline = Date().addingTimeInterval(20)
        while try db.catalog.table("orders").index(named: "byPlacedGlobal")?.status != .active && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(try db.catalog.table("orders").index(named: "byPlacedGlobal")?.status == .active)
        try db.updateTable(UpdateTableInput(tableName: "orders", globalSecondaryIndexUpdates: [
            GlobalSecondaryIndexUpdate(delete: DeleteGlobalSecondaryIndexAction(indexName: "byStatus")),
        ]))
        Thread.sleep(forTimeInterval: 0.2)
        stop.store(true, ordering: .relaxed)
        group.wait()
        #expect(errors.withLock { $0 }.isEmpty)
        try db.catchUpIndexes()
        let report = try db.verifyIndexes()
        #expect(report.isConsistent, "\(report)")
        #expect(report.indexes.map(\.indexName).sorted() == ["byPlaced", "byPlacedGlobal", "byTotal"])
        #expect(report.indexes.allSatisfy { $0.storedEntries > 0 })
        try db.close()
        let reopened = try ItemDatabase.open("/db", options: options)
        #expect(try reopened.verifyIndexes().isConsistent)
        try reopened.close()
    }

    /// A damaged index-log position or log record is typed corruption from the updater,
    /// never a crash or a silently skipped record.
    @Test func damagedIndexLogIsCorruption() throws {
        let db = try ItemDatabase.open("/db", options: Self.options())
        try db.createTable(Self.ordersTable())
        let number = try db.catalog.table("orders").number
        try db.putItem(PutItemInput(tableName: "orders", item: Self.order("ann", 1, placed: "p", status: "s", total: 1)))
        try db.storage.put(IndexKeys.logPositionKey(number), [1, 2, 3])
        #expect {
            try db.runIndexUpkeep()
        } throws: { ($0 as? CairnError)?.isCorruption == true && "\($0)".contains("log position of table \(number) is 3 bytes") }
        try db.storage.delete(IndexKeys.logPositionKey(number))
        try db.storage.put(IndexKeys.logKey(number, sequence: 1), [9, 9])
        #expect { try db.runIndexUpkeep() } throws: { ($0 as? CairnError)?.isCorruption == true }
        try db.close()
    }

    @Test func indexLogRecordsRoundTripAndDamageIsCorruption() throws {
        let record = IndexLogRecord(itemKey: [1, 2, 3], itemBytes: [8, 8, 8], changes: [
            .init(ordinal: 0, oldKey: [4, 5], newKey: [6], newValue: nil),
            .init(ordinal: 3, oldKey: nil, newKey: [7, 7], newValue: [1]),
            .init(ordinal: 4, oldKey: [2], newKey: nil, newValue: nil),
        ])
        let bytes = record.encoded()
        #expect(try IndexLogRecord.decode(bytes) == record)
        let deletion = IndexLogRecord(itemKey: [9], itemBytes: nil, changes: [.init(ordinal: 1, oldKey: [7])])
        #expect(try IndexLogRecord.decode(deletion.encoded()) == deletion)
        for cut in 0..<bytes.count {
            #expect(throws: CairnError.self) { try IndexLogRecord.decode(Array(bytes.prefix(cut))) }
        }
        var bad = bytes
        bad[0] = 9
        #expect(throws: CairnError.self) { try IndexLogRecord.decode(bad) }
        #expect(throws: CairnError.self) { try IndexLogRecord.decode(bytes + [0]) }
        // An entry of the item's bytes in a record that does not carry them.
        let missing = IndexLogRecord(itemKey: [1], itemBytes: nil, changes: [.init(ordinal: 0, newKey: [6])])
        #expect(throws: CairnError.self) { try IndexLogRecord.decode(missing.encoded()) }
    }

    /// A version 1 record (old entries only, as the first release wrote them) left in the log
    /// by a crash is applied after an upgrade: the updater reads the item for the new entry.
    @Test func version1IndexLogRecordsAreApplied() throws {
        let db = try ItemDatabase.open("/db", options: Self.options())
        try db.createTable(Self.ordersTable())
        let number = try db.catalog.table("orders").number
        try db.putItem(PutItemInput(tableName: "orders", item: Self.order("ann", 1, placed: "p", status: "open", total: 5)))
        var logged: [([UInt8], IndexLogRecord)] = []
        let iterator = try db.storage.makeIterator(ReadOptions(
            lowerBound: IndexKeys.logPrefix(number), upperBound: IndexKeys.logEnd(number)))
        try iterator.seekToFirst()
        while iterator.isValid {
            logged.append((iterator.key, try IndexLogRecord.decode(iterator.value)))
            try iterator.next()
        }
        try #require(logged.count == 1)
        let (key, record) = logged[0]
        #expect(record.changes.map(\.newKey).allSatisfy { $0 != nil })
        var version1: [UInt8] = [1]
        Coding.appendLengthPrefixed(&version1, record.itemKey)
        version1.append(UInt8(record.changes.count))
        for change in record.changes {
            KeySpace.appendBigEndian(change.ordinal, to: &version1)
            version1.append(0)
        }
        try db.storage.put(key, version1)
        #expect(try IndexLogRecord.decode(version1).readsItem)
        try db.catchUpIndexes()
        let found = try query(db, "byStatus", "#s = :s", [":s": .s("open")])
        #expect(found.count == 1 && found.first?["total"] == .n(Number(exactly: 5)))
        #expect(try db.verifyIndexes().isConsistent)
        try db.close()
    }
}

private func keyString(_ value: AttributeValue?) -> String {
    if case .s(let s)? = value { return s }
    return ""
}

private func keyNumber(_ value: AttributeValue?) -> Int {
    if case .n(let n)? = value { return Int(n.description) ?? -1 }
    return -1
}

extension ScanInput {
    fileprivate func withIndex(_ name: String) -> ScanInput {
        var copy = self
        copy.indexName = name
        return copy
    }
}

extension PutItemInput {
    fileprivate func collectionMetrics() -> PutItemInput {
        var copy = self
        copy.returnItemCollectionMetrics = .size
        return copy
    }
}

extension DeleteItemInput {
    fileprivate func collectionMetrics() -> DeleteItemInput {
        var copy = self
        copy.returnItemCollectionMetrics = .size
        return copy
    }
}
