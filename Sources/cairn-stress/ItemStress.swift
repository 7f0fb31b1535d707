import Cairn
import CairnExport
import CairnLSM
import Foundation
import Synchronization

/// Random item operations on one table (`stress`: pk S, sk N; a stream of new and old
/// images; an eventual GSI, a strong GSI and an LSI; Time to Live on `ttl`), kept in step with
/// the expected state: PutItem, UpdateItem and DeleteItem with and without conditions,
/// conditions that must fail, TransactWriteItems (some cancelled by a failing condition
/// check), BatchWriteItem, Time to Live sweeps, GetItem and Query checked against the
/// expected state, and index queries whose items must be whole.
///
/// Key `i` is the item pk `p<i / 8>`, sk `i % 8`; its value with base `b` is that key with
/// `v` = b, `g` = `g<b % 16>` and `data` = the key-value layer's value bytes of (i, b); one base
/// in eight (`expires(_:)`) also carries a `ttl` an hour in the past, so the item may vanish
/// at any sweep after it is written. A full verification also checks the indexes against the
/// table (`verifyIndexes`) and each item changed since the last verification against its
/// newest stream record.
///
/// The export traffic: beside the operation threads, a `TableReplicator` keeps a Delta Lake
/// table of `stress` (and its change table) in `DB.delta`, a step every
/// `replicationInterval`, killed with the rest; a verification catches it up and checks
/// that its log holds every item of the table exactly once.
final class ItemStress: StressWorkload, @unchecked Sendable {
    enum Operation: String, CaseIterable {
        case put, update, delete, failingCondition, transaction, cancelledTransaction, batch, sweep, get, query, indexQuery
    }

    static let weights: [(Operation, Int)] = [
        (.put, 20), (.update, 14), (.delete, 7), (.failingCondition, 4), (.transaction, 9), (.cancelledTransaction, 2),
        (.batch, 9), (.sweep, 2), (.get, 18), (.query, 10), (.indexQuery, 5),
    ]

    static let table = "stress"
    static let itemsPerPartition = 8
    static let timeToLiveAttribute = "ttl"

    let db: ItemDatabase
    let state: ExpectedState
    let values: StressValues
    let configuration: StressConfiguration
    let locks = KeyLocks()
    let failures = CairnMutex<[String]>([])
    /// Seconds since 1970 that an expiring value's `ttl` is based on (the expected state's).
    let timeToLiveEpoch: UInt64
    /// The replica's directory: the Delta table in `table/`, its change table in `changes/`.
    let deltaDirectory: String
    var replicaTableDirectory: String { deltaDirectory + "/table" }

    init(db: ItemDatabase, state: ExpectedState, configuration: StressConfiguration, deltaDirectory: String) {
        self.db = db
        self.deltaDirectory = deltaDirectory
        self.state = state
        self.configuration = configuration
        values = StressValues(maxFiller: configuration.maxFiller)
        if state.timeToLiveEpoch == 0 {
            state.timeToLiveEpoch = UInt64(max(0, Date().timeIntervalSince1970 - 3600))
        }
        timeToLiveEpoch = state.timeToLiveEpoch
    }

    /// Opens the item database in `path` with the run's options, creating the table on the
    /// first run.
    static func open(_ path: String, configuration: StressConfiguration) throws -> ItemDatabase {
        var options = ItemDatabase.Options()
        options.storage = configuration.options()
        options.syncWrites = configuration.syncWrites
        // Sweeps are operations of the stress (`.sweep`), so none runs while it verifies.
        options.timeToLiveSweepInterval = 0
        let db = try ItemDatabase.open(path, options: options)
        if !(try db.listTables(ListTablesInput()).tableNames).contains(table) {
            func keys(_ elements: (String, KeySchemaElement.KeyType)...) -> [KeySchemaElement] {
                elements.map { KeySchemaElement(attributeName: $0.0, keyType: $0.1) }
            }
            _ = try db.createTable(CreateTableInput(
                tableName: table, keySchema: keys(("pk", .hash), ("sk", .range)),
                attributeDefinitions: [
                    AttributeDefinition(attributeName: "pk", attributeType: .s), AttributeDefinition(attributeName: "sk", attributeType: .n),
                    AttributeDefinition(attributeName: "g", attributeType: .s), AttributeDefinition(attributeName: "v", attributeType: .n),
                ],
                streamSpecification: StreamSpecification(streamEnabled: true, streamViewType: .newAndOldImages),
                localSecondaryIndexes: [
                    LocalSecondaryIndex(indexName: "byV", keySchema: keys(("pk", .hash), ("v", .range)), projection: IndexProjection(projectionType: .keysOnly)),
                ],
                globalSecondaryIndexes: [
                    GlobalSecondaryIndex(indexName: "byG", keySchema: keys(("g", .hash), ("sk", .range)), projection: IndexProjection(projectionType: .all)),
                    GlobalSecondaryIndex(
                        indexName: "byGStrong", keySchema: keys(("g", .hash), ("pk", .range)), projection: IndexProjection(projectionType: .keysOnly),
                        consistency: .strong),
                ]))
        }
        // A separate request: a crash between the two leaves a table without TTL, enabled here.
        if try db.describeTimeToLive(DescribeTimeToLiveInput(tableName: table)).timeToLiveDescription.attributeName != timeToLiveAttribute {
            _ = try db.updateTimeToLive(UpdateTimeToLiveInput(
                tableName: table, timeToLiveSpecification: TimeToLiveSpecification(enabled: true, attributeName: timeToLiveAttribute)))
        }
        return db
    }

    // MARK: Items

    func key(_ i: Int) -> Item {
        ["pk": .s("p\(i / Self.itemsPerPartition)"), "sk": .n(Number(exactly: i % Self.itemsPerPartition))]
    }

    func item(_ i: Int, base: UInt16) -> Item {
        var item = key(i)
        item["v"] = .n(Number(exactly: Int(base)))
        item["g"] = .s("g\(base % 16)")
        item["data"] = .b(values.value(key: i, base: base))
        if Self.expires(base) { item[Self.timeToLiveAttribute] = timeToLive(base) }
        return item
    }

    /// Whether the value of base `base` carries a `ttl` in the past: one base in eight.
    static func expires(_ base: UInt16) -> Bool { base % 8 == 5 }

    /// The `ttl` of an expiring value.
    func timeToLive(_ base: UInt16) -> AttributeValue { .n(Number(exactly: Int(timeToLiveEpoch) + Int(base))) }

    func mayVanish(_ slot: ExpectedState.Slot) -> Bool { slot.exists && Self.expires(slot.base) }

    /// UpdateItem's expression and values writing the value of `base` over any item of key
    /// `i`: whatever the item held before (or none), the result is `item(i, base)`.
    private func updateWriting(_ i: Int, base: UInt16) -> (expression: String, values: [String: AttributeValue]) {
        var attributeValues: [String: AttributeValue] = [
            ":v": .n(Number(exactly: Int(base))), ":g": .s("g\(base % 16)"), ":d": .b(values.value(key: i, base: base)),
        ]
        guard Self.expires(base) else { return ("SET v = :v, g = :g, #d = :d REMOVE #t", attributeValues) }
        attributeValues[":t"] = timeToLive(base)
        return ("SET v = :v, g = :g, #d = :d, #t = :t", attributeValues)
    }

    private static let updateNames = ["#d": "data", "#t": timeToLiveAttribute]

    /// The key number of an item's key attributes, or nil when they are no key of the key
    /// space (so a number from a table, a stream or a batch's answer always indexes `state`).
    func number(of item: Item) -> Int? {
        guard case .s(let pk)? = item["pk"], pk.hasPrefix("p"), let partition = Int(pk.dropFirst()), partition >= 0,
              case .n(let sk)? = item["sk"], let slot = Int(sk.description), (0..<Self.itemsPerPartition).contains(slot) else { return nil }
        let (number, overflow) = partition.multipliedReportingOverflow(by: Self.itemsPerPartition)
        guard !overflow, number + slot < keyCount else { return nil }
        return number + slot
    }

    /// What `item` is as the value of key `i`.
    func observed(_ item: Item?, key i: Int) -> Observed {
        guard let item else { return .absent }
        guard case .n(let v)? = item["v"], let base = UInt16(v.description), self.item(i, base: base) == item else {
            return .foreign("an item with attributes \(item.keys.sorted())")
        }
        return .value(base)
    }

    func observe(_ key: Int) throws -> Observed {
        observed(try db.getItem(GetItemInput(tableName: Self.table, key: self.key(key), consistentRead: true)).item, key: key)
    }

    // MARK: Operations

    private func pick(_ random: inout SplitMix64) -> Operation {
        var roll = Int(random.next() % 100)
        for (operation, weight) in Self.weights {
            if roll < weight { return operation }
            roll -= weight
        }
        return .get
    }

    /// The condition that holds for key `i` in state `slot`, with its values; none when the
    /// item may have expired and been swept (either state is possible).
    private func holdingCondition(_ slot: ExpectedState.Slot) -> (String?, [String: AttributeValue]?) {
        if mayVanish(slot) { return (nil, nil) }
        return slot.exists ? ("v = :old", [":old": .n(Number(exactly: Int(slot.base)))]) : ("attribute_not_exists(pk)", nil)
    }

    private static func isConditionFailure(_ error: any Error, _ name: String) -> Bool {
        (error as? DynamoDBError)?.name == name
    }

    func step(_ random: inout SplitMix64) throws {
        let conditioned = random.next() % 2 == 0
        let operation = pick(&random)
        switch operation {
        case .put:
            let i = randomKey(&random)
            try write([i], deleting: []) { bases in
                let (condition, values) = conditioned ? holdingCondition(state[i].unsent()) : (nil, nil)
                _ = try db.putItem(PutItemInput(
                    tableName: Self.table, item: item(i, base: bases[i, default: 0]), conditionExpression: condition, expressionAttributeValues: values))
            }
        case .update:
            let i = randomKey(&random)
            try write([i], deleting: []) { bases in
                var (expression, attributeValues) = updateWriting(i, base: bases[i, default: 0])
                var condition: String?
                if conditioned {
                    let (text, values) = holdingCondition(state[i].unsent())
                    condition = text
                    attributeValues.merge(values ?? [:]) { a, _ in a }
                }
                _ = try db.updateItem(UpdateItemInput(
                    tableName: Self.table, key: key(i), updateExpression: expression, conditionExpression: condition,
                    expressionAttributeNames: Self.updateNames, expressionAttributeValues: attributeValues))
            }
        case .delete:
            let i = randomKey(&random)
            try write([], deleting: [i]) { _ in
                let (condition, values) = conditioned ? holdingCondition(state[i].unsent()) : (nil, nil)
                _ = try db.deleteItem(DeleteItemInput(tableName: Self.table, key: key(i), conditionExpression: condition, expressionAttributeValues: values))
            }
        case .failingCondition:
            try failingCondition(randomKey(&random))
        case .transaction, .cancelledTransaction:
            var keys: [Int] = []
            for _ in 0..<(2 + Int(random.next() % 3)) {
                let i = randomKey(&random)
                if !keys.contains(i) { keys.append(i) }
            }
            var deletes: [Int] = [], puts: [Int] = [], updates: Set<Int> = []
            for i in keys {
                switch random.next() % 4 {
                case 0: deletes.append(i)
                case 1: puts.append(i); updates.insert(i)
                default: puts.append(i)
                }
            }
            try transaction(puts: puts, updates: updates, deletes: deletes, cancelled: operation == .cancelledTransaction)
        case .batch:
            var puts: [Int] = [], deletes: [Int] = []
            for _ in 0..<(2 + Int(random.next() % 7)) {
                let i = randomKey(&random)
                guard !puts.contains(i), !deletes.contains(i) else { continue }
                if random.next() % 4 == 0 { deletes.append(i) } else { puts.append(i) }
            }
            try batch(puts: puts, deletes: deletes)
        case .sweep:
            // Deletes the expired items (a quarter of the time, as of an hour ahead, so also
            // values written just now), each under its item's lock, beside the other threads.
            _ = try db.sweepExpiredItems(now: random.next() % 4 == 0 ? Date().timeIntervalSince1970 + 3600 : nil)
        case .get:
            try checkKey(randomKey(&random), "GetItem")
        case .query:
            try checkPartition(randomKey(&random) / Self.itemsPerPartition)
        case .indexQuery:
            try checkIndexQuery(group: Int(random.next() % 16), strong: random.next() % 2 == 0)
        }
    }

    /// A put whose condition is false must fail with ConditionalCheckFailedException and
    /// change nothing.
    private func failingCondition(_ i: Int) throws {
        try locks.withLocks([i]) {
            let slot = state[i]
            state[i] = slot.markingPending(delete: false)
            // False whether or not the item has expired and been swept.
            let (condition, values): (String, [String: AttributeValue]?) = slot.exists
                ? ("v = :wrong", [":wrong": .n(Number(exactly: Int(slot.base &+ 7)))]) : ("attribute_exists(pk)", nil)
            do {
                _ = try db.putItem(PutItemInput(tableName: Self.table, item: item(i, base: slot.nextBase), conditionExpression: condition, expressionAttributeValues: values))
                fail("PutItem: key \(i) was written though its condition \(condition) is false (\(slot))")
                state[i] = state[i].settled()
            } catch where Self.isConditionFailure(error, "ConditionalCheckFailedException") {
                state[i] = slot
            }
        }
    }

    /// TransactWriteItems of puts (some as updates) and deletes, each conditioned on the key's
    /// state; a cancelled one adds a condition check that is false, and must change nothing.
    private func transaction(puts: [Int], updates: Set<Int>, deletes: [Int], cancelled: Bool) throws {
        var checkKey: Int?
        if cancelled, let first = (puts + deletes).first { checkKey = (first + 1) % keyCount }
        // The checked key may be one the transaction writes (a small key space): once each.
        let all = Array(Set(puts + deletes + (checkKey.map { [$0] } ?? [])))
        try locks.withLocks(all) {
            var actions: [TransactWriteItem] = []
            let before = Dictionary(uniqueKeysWithValues: all.map { ($0, state[$0]) })
            for i in puts {
                let slot = state[i]
                let (condition, values) = holdingCondition(slot)
                state[i] = slot.markingPending(delete: false)
                let base = slot.nextBase
                if updates.contains(i) {
                    var (expression, attributeValues) = updateWriting(i, base: base)
                    attributeValues.merge(values ?? [:]) { a, _ in a }
                    actions.append(.update(.init(
                        tableName: Self.table, key: key(i), updateExpression: expression, conditionExpression: condition,
                        expressionAttributeNames: Self.updateNames, expressionAttributeValues: attributeValues)))
                } else {
                    actions.append(.put(.init(tableName: Self.table, item: item(i, base: base), conditionExpression: condition, expressionAttributeValues: values)))
                }
            }
            for i in deletes {
                let slot = state[i]
                let (condition, values) = holdingCondition(slot)
                state[i] = slot.markingPending(delete: true)
                actions.append(.delete(.init(tableName: Self.table, key: key(i), conditionExpression: condition, expressionAttributeValues: values)))
            }
            if let checkKey, !puts.contains(checkKey), !deletes.contains(checkKey), !mayVanish(state[checkKey]) {
                // The opposite of the key's state: false.
                let condition = state[checkKey].exists ? "attribute_not_exists(pk)" : "attribute_exists(pk)"
                actions.append(.conditionCheck(.init(tableName: Self.table, key: key(checkKey), conditionExpression: condition)))
            } else if checkKey != nil, let i = puts.first ?? deletes.first {
                // The key is written by the transaction (a second condition on it would be a
                // validation error) or may have expired (no condition on it is sure to be
                // false): make the first action's condition false instead.
                actions[0] = .conditionCheck(.init(tableName: Self.table, key: key(i), conditionExpression: "v = :never", expressionAttributeValues: [":never": .n(-1)]))
            }
            do {
                _ = try db.transactWriteItems(TransactWriteItemsInput(transactItems: actions))
                if checkKey != nil {
                    fail("TransactWriteItems: committed though a condition check was false (keys \(all))")
                }
                for i in puts + deletes { state[i] = state[i].settled() }
            } catch where checkKey != nil && Self.isConditionFailure(error, "TransactionCanceledException") {
                for (i, slot) in before { state[i] = slot }
            }
        }
    }

    private func batch(puts: [Int], deletes: [Int]) throws {
        try write(puts, deleting: deletes) { bases in
            let requests = puts.map { WriteRequest.put(item($0, base: bases[$0, default: 0])) } + deletes.map { WriteRequest.delete(key: key($0)) }
            let output = try db.batchWriteItem(BatchWriteItemInput(requestItems: [Self.table: requests]))
            if let unprocessed = output.unprocessedItems[Self.table], !unprocessed.isEmpty {
                // Not written: back to the state before (the write() settles only the rest).
                for request in unprocessed {
                    let item = request.putRequest?.item ?? request.deleteRequest?.key
                    if let item, let i = number(of: item) { state[i] = state[i].unsent().markingPending(delete: request.deleteRequest != nil) }
                }
                fail("BatchWriteItem: \(unprocessed.count) unprocessed request(s) with no throttling in an embedded store")
            }
        }
    }

    /// A consistent Query of one partition against the expected state of its keys.
    private func checkPartition(_ partition: Int) throws {
        let first = partition * Self.itemsPerPartition
        let keys = (first..<min(keyCount, first + Self.itemsPerPartition)).map { $0 }
        guard !keys.isEmpty else { return }
        try locks.withLocks(keys) {
            let output = try db.query(QueryInput(
                tableName: Self.table, keyConditionExpression: "pk = :p", expressionAttributeValues: [":p": .s("p\(partition)")], consistentRead: true))
            var seen: [Int: Item] = [:]
            for item in output.items ?? [] {
                guard let i = number(of: item), keys.contains(i) else {
                    fail("Query: partition \(partition) returned an item of another key")
                    continue
                }
                seen[i] = item
            }
            for i in keys {
                let observed = observed(seen[i], key: i)
                if !state[i].allows(observed, vanishing: mayVanish) { fail("Query: " + Self.problem(key: i, observed: observed, slot: state[i])) }
            }
        }
    }

    /// An index Query: every item it returns must be whole (the eventual index may lag, so its
    /// values may be older than the table's; the strong one is compared with the table by
    /// `verifyIndexes`).
    private func checkIndexQuery(group: Int, strong: Bool) throws {
        let output = try db.query(QueryInput(
            tableName: Self.table, keyConditionExpression: "g = :g", expressionAttributeValues: [":g": .s("g\(group)")],
            indexName: strong ? "byGStrong" : "byG"))
        for item in output.items ?? [] {
            guard let i = number(of: item) else {
                fail("Query of \(strong ? "byGStrong" : "byG"): an item without a stress key")
                continue
            }
            if !strong, case .foreign(let what) = observed(item, key: i) {
                fail("Query of byG: key \(i) is \(what), no value of this key")
            }
            if item["g"] != .s("g\(group)") { fail("Query of \(strong ? "byGStrong" : "byG"): key \(i) has g \(String(describing: item["g"])), asked for g\(group)") }
        }
    }

    // MARK: The whole table

    /// A full Scan against the point reads, the indexes against the table, and each item
    /// changed since the last verification against its newest stream record.
    func verifyWhole(present: Int, into result: inout StressVerification) throws {
        var scanned = 0
        var start: Item?
        repeat {
            let page = try db.scan(ScanInput(tableName: Self.table, exclusiveStartKey: start))
            for item in page.items ?? [] {
                guard let i = number(of: item) else {
                    result.failures.append("Scan: an item outside the key space")
                    continue
                }
                if case .foreign(let what) = observed(item, key: i) { result.failures.append("Scan: key \(i) is \(what)") }
                scanned += 1
            }
            start = page.lastEvaluatedKey
        } while start != nil
        if scanned != present { result.failures.append("Scan: \(scanned) items, point reads found \(present)") }
        result.checked.append("Scan: \(scanned) items")

        let report = try db.verifyIndexes()
        for index in report.indexes {
            if !index.isConsistent {
                result.failures.append("index \(index.indexName): \(index.missing) missing, \(index.extra) extra, \(index.wrongValue) wrong of \(index.expectedEntries) entries")
            }
        }
        result.checked.append("indexes: " + report.indexes.map { "\($0.indexName) \($0.storedEntries) entries" }.joined(separator: ", "))

        // The stream: the newest record of each key changed since the last check is its state.
        var newest: [Int: ChangeRecord] = [:]
        var position = state.streamPosition
        var records = 0
        while true {
            let page = try db.changeRecords(of: Self.table, after: position, limit: 1000)
            guard let last = page.last else { break }
            for record in page {
                records += 1
                guard let i = number(of: record.keys) else {
                    result.failures.append("stream: a record of a key outside the key space")
                    continue
                }
                newest[i] = record
            }
            position = last.sequenceNumber
        }
        for (i, record) in newest {
            let current = try db.getItem(GetItemInput(tableName: Self.table, key: key(i), consistentRead: true)).item
            let image = record.eventName == .remove ? nil : record.newImage
            if image != current {
                result.failures.append("stream: the newest record of key \(i) (\(record.eventName), sequence \(record.sequenceNumber)) differs from the item in the table")
            }
        }
        state.streamPosition = position
        result.checked.append("stream: \(records) new records, \(newest.count) keys' newest images")
        try verifyReplica(items: scanned, streamEnd: position, into: &result)
    }

    // MARK: Export traffic

    /// Small files, frequent merges and checkpoints, so that each kind of commit happens
    /// within seconds.
    var replicatorOptions: TableReplicator.Options {
        var options = TableReplicator.Options()
        options.consumerName = "cairn-stress"
        options.targetFileRows = 1_024
        options.smallFileRows = 128
        options.smallFilesToMerge = 4
        options.checkpointInterval = 5
        options.changeTableDirectory = deltaDirectory + "/changes"
        return options
    }

    func runBackground(until stop: @escaping @Sendable () -> Bool) throws {
        let replicator = try TableReplicator(table: Self.table, directory: replicaTableDirectory, options: replicatorOptions)
        defer { replicator.close() }
        try replicator.run(db, interval: configuration.replicationInterval, shouldStop: stop)
    }

    /// Catches the replica up and checks it: a bookmark at the stream's end, and every item
    /// of the table in exactly one row, by the replicator's key lists and by the row counts
    /// the Delta log's live files declare (what a reader of the table sees).
    private func verifyReplica(items: Int, streamEnd: UInt64, into result: inout StressVerification) throws {
        let replicator = try TableReplicator(table: Self.table, directory: replicaTableDirectory, options: replicatorOptions)
        defer { replicator.close() }
        var steps = 0
        while try replicator.step(db) != nil {
            steps += 1
            if steps > 1_000 {
                result.failures.append("replica: still finding changes after 1,000 steps")
                return
            }
        }
        let applied = replicator.appliedSequence ?? 0
        if applied < streamEnd { result.failures.append("replica: bookmark \(applied), the stream ends at \(streamEnd)") }
        if replicator.itemCount != items || replicator.rowCount != items {
            result.failures.append("replica: \(replicator.itemCount) keys in \(replicator.rowCount) rows, the table holds \(items) items")
        }
        let log = try DeltaLog(directory: replicaTableDirectory, fileSystem: PosixFileSystem()).load()
        var rows = 0
        for file in log.files.values {
            guard let stats = file.stats, let object = try? JSONSerialization.jsonObject(with: Data(stats.utf8)) as? [String: Any],
                  let records = object["numRecords"] as? Int else {
                result.failures.append("replica: \(file.path) has no numRecords in its stats")
                continue
            }
            rows += records
        }
        if rows != items { result.failures.append("replica: the Delta log's live files hold \(rows) rows, the table \(items) items") }
        if log.transactions[replicatorOptions.consumerName] != Int64(bitPattern: applied) {
            result.failures.append("replica: the Delta log's bookmark is \(String(describing: log.transactions[replicatorOptions.consumerName])), the replicator's \(applied)")
        }
        result.checked.append("replica: version \(log.version), \(log.files.count) files, \(rows) rows")
    }

    func close() throws { try db.close() }
}
