import CairnLSM
import Foundation
import Synchronization
import Testing
@testable import Cairn

/// Crash points and injected faults across one mixed item workload: a table with an eventual
/// GSI, a strong GSI, an LSI, a stream of new and old images and TTL; puts (some already
/// expired), updates, deletes, transactions and batches, with flushes, compactions, TTL sweeps
/// and stream trims between them, on tiny memtables and files.
///
/// - Crash points: the machine dies at a mutating file operation (unsynced data dropped); the
///   reopened database holds every acknowledged write and nothing after the one in flight,
///   its indexes equal its table, and each item's newest stream record is the item.
/// - Faults: ENOSPC (the disk stays full) or EIO (once) at a file operation: the call gets a
///   typed error, later writes are refused until a reopen, and the reopened database holds
///   every acknowledged write, with the same index and stream checks.
///
/// A sample of the operations runs in `swift test`; every one with CAIRN_RELIABILITY_ALL=1.
@Suite struct WorkloadCrashAndFaultTests {
    /// A clock the test moves (TTL and stream retention read it).
    final class Clock: Sendable {
        let seconds = CairnMutex<Double>(1_800_000_000)
        var now: Double { seconds.withLock { $0 } }
        func advance(_ by: Double) { seconds.withLock { $0 += by } }
    }

    static func options(_ fs: MemoryFileSystem, clock: Clock) -> ItemDatabase.Options {
        var options = ItemDatabase.Options()
        options.storage.fileSystem = fs
        options.storage.writeBufferSize = 8 << 10
        options.storage.targetFileSize = 16 << 10
        options.storage.level0FileNumCompactionTrigger = 2
        options.storage.maxBytesForLevelBase = 64 << 10
        options.storage.blockSize = 512
        options.syncWrites = true
        options.timeToLiveSweepInterval = 0
        options.streamRetention = 120
        options.clock = { clock.now }
        return options
    }

    /// One acknowledged change of the table: the items of `keys` after it (nil: absent).
    /// `atomic` changes (one item, a transaction) apply whole; the others (a batch, a sweep)
    /// item by item. A TTL sweep's deletes are not synced (an expired item deleted again
    /// after a crash is harmless): they are not `durable` until a later synced write.
    struct Change {
        var items: [String: Item?]
        var atomic: Bool
        var durable = true
    }

    /// What the workload did: the changes acknowledged, in order, and the change in flight.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var acknowledged: [Change] = []
        private var inFlight: Change?
        func begin(_ change: Change) { lock.withLock { inFlight = change } }
        func acknowledge() { lock.withLock { if let change = inFlight { acknowledged.append(change) }; inFlight = nil } }
        /// A change acknowledged while another stays in flight (a write after a failed one).
        func acknowledgeBeside(_ change: Change) { lock.withLock { acknowledged.append(change) } }
        /// The acknowledged changes and the one in flight, at this moment.
        var snapshot: (acknowledged: [Change], inFlight: Change?) { lock.withLock { (acknowledged, inFlight) } }
    }

    static func key(_ i: Int) -> Item { ["pk": .s("p\(i % 7)"), "sk": .n(Number(exactly: i))] }
    static func name(_ key: Item) -> String {
        guard case .s(let p)? = key["pk"], case .n(let s)? = key["sk"] else { return "?" }
        return "\(p)/\(s)"
    }

    /// Runs the workload; each write goes through `log`. Throws the first error.
    static func workload(_ db: ItemDatabase, clock: Clock, log: Log, steps: Int = 90) throws {
        _ = try db.createTable(CreateTableInput(
            tableName: "tbl", keySchema: [KeySchemaElement(attributeName: "pk", keyType: .hash), KeySchemaElement(attributeName: "sk", keyType: .range)],
            attributeDefinitions: [
                AttributeDefinition(attributeName: "pk", attributeType: .s), AttributeDefinition(attributeName: "sk", attributeType: .n),
                AttributeDefinition(attributeName: "g", attributeType: .s), AttributeDefinition(attributeName: "v", attributeType: .n),
            ],
            streamSpecification: StreamSpecification(streamEnabled: true, streamViewType: .newAndOldImages),
            localSecondaryIndexes: [LocalSecondaryIndex(
                indexName: "byV", keySchema: [KeySchemaElement(attributeName: "pk", keyType: .hash), KeySchemaElement(attributeName: "v", keyType: .range)],
                projection: IndexProjection(projectionType: .keysOnly))],
            globalSecondaryIndexes: [
                GlobalSecondaryIndex(indexName: "byG", keySchema: [KeySchemaElement(attributeName: "g", keyType: .hash)], projection: IndexProjection(projectionType: .all)),
                GlobalSecondaryIndex(
                    indexName: "byGStrong", keySchema: [KeySchemaElement(attributeName: "g", keyType: .hash), KeySchemaElement(attributeName: "sk", keyType: .range)],
                    projection: IndexProjection(projectionType: .keysOnly), consistency: .strong),
            ]))
        _ = try db.updateTimeToLive(UpdateTimeToLiveInput(tableName: "tbl", timeToLiveSpecification: .init(enabled: true, attributeName: "exp")))
        var random = Rng(state: 42)
        var current: [String: Item] = [:]
        var version = 0
        func item(_ i: Int, expired: Bool) -> Item {
            version += 1
            var item = key(i)
            item["v"] = .n(Number(exactly: version))
            item["g"] = .s("g\(version % 5)")
            item["pad"] = .s(String(repeating: "x", count: 100 + random.below(400)))
            if expired { item["exp"] = .n(Number(exactly: Int(clock.now) - 10)) }
            return item
        }
        for step in 0..<steps {
            let i = random.below(40)
            switch random.below(10) {
            case 0...3:
                let new = item(i, expired: random.below(5) == 0)
                log.begin(Change(items: [name(key(i)): new], atomic: true))
                _ = try db.putItem(PutItemInput(tableName: "tbl", item: new))
                current[name(key(i))] = new
            case 4, 5:
                var new = current[name(key(i))] ?? key(i)
                version += 1
                new["v"] = .n(Number(exactly: version))
                new["g"] = .s("g\(version % 5)")
                log.begin(Change(items: [name(key(i)): new], atomic: true))
                _ = try db.updateItem(UpdateItemInput(
                    tableName: "tbl", key: key(i), updateExpression: "SET v = :v, g = :g",
                    expressionAttributeValues: [":v": new["v"]!, ":g": new["g"]!]))
                current[name(key(i))] = new
            case 6:
                log.begin(Change(items: [name(key(i)): nil], atomic: true))
                _ = try db.deleteItem(DeleteItemInput(tableName: "tbl", key: key(i)))
                current[name(key(i))] = nil
            case 7, 8:
                let j = (i + 1 + random.below(39)) % 40
                let a = item(i, expired: false), b = item(j, expired: false)
                log.begin(Change(items: [name(key(i)): a, name(key(j)): nil], atomic: true))
                _ = try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
                    .put(.init(tableName: "tbl", item: a)), .delete(.init(tableName: "tbl", key: key(j))),
                ]))
                current[name(key(i))] = a
                current[name(key(j))] = nil
                _ = b
            default:
                let keys = Set((0..<3).map { _ in random.below(40) })
                var changes: [String: Item?] = [:]
                var requests: [WriteRequest] = []
                for k in keys.sorted() {
                    let new = item(k, expired: false)
                    changes[name(key(k))] = new
                    requests.append(.put(new))
                }
                log.begin(Change(items: changes, atomic: false))
                _ = try db.batchWriteItem(BatchWriteItemInput(requestItems: ["tbl": requests]))
                for (k, v) in changes { current[k] = v }
            }
            log.acknowledge()
            if step % 15 == 14 {
                // Expired items go; the stream's old records are trimmed; the memtable is flushed.
                clock.advance(90)
                let expired = current.filter { if case .n? = $0.value["exp"] { return true } else { return false } }
                log.begin(Change(items: expired.mapValues { _ in nil }, atomic: false, durable: false))
                try db.sweepExpiredItems()
                log.acknowledge()
                for k in expired.keys { current[k] = nil }
                try db.maintainStreams()
                try db.storage.flush()
            }
        }
        try db.catchUpIndexes()
        try db.storage.compactRange()
    }

    /// The state after the first `count` acknowledged changes.
    static func state(_ changes: ArraySlice<Change>) -> [String: Item] {
        var items: [String: Item] = [:]
        for change in changes {
            for (k, v) in change.items { items[k] = v }
        }
        return items
    }

    /// Why the recovered database is not the state after `acknowledged` (with `inFlight`
    /// applied or not; whole when atomic), its indexes not its table's, or its stream not its
    /// items'; nil when all hold.
    static func problem(in db: ItemDatabase, acknowledged: [Change], inFlight: Change?) throws -> String? {
        guard (try db.listTables(ListTablesInput()).tableNames ?? []).contains("tbl") else {
            return acknowledged.isEmpty ? nil : "the table is gone though \(acknowledged.count) writes were acknowledged"
        }
        let expected = state(acknowledged[...])
        // Unsynced changes after the last synced one may be lost (each item on its own).
        let lastDurable = acknowledged.lastIndex { $0.durable } ?? -1
        let beforeUnsynced = state(acknowledged[..<(lastDurable + 1)])
        let unsyncedKeys = Set(acknowledged[(lastDurable + 1)...].flatMap { $0.items.keys })
        var found: [String: Item] = [:]
        var start: Item?
        repeat {
            let page = try db.scan(ScanInput(tableName: "tbl", exclusiveStartKey: start))
            for item in page.items ?? [] { found[name(item)] = item }
            start = page.lastEvaluatedKey
        } while start != nil
        var inFlightApplied: [Bool] = []
        for k in Set(expected.keys).union(found.keys) {
            if unsyncedKeys.contains(k), found[k] == beforeUnsynced[k] { continue }
            if found[k] == expected[k] {
                if let change = inFlight, let new = change.items[k], new != expected[k] { inFlightApplied.append(false) }
                continue
            }
            guard let change = inFlight, let new = change.items[k], found[k] == new else {
                return "item \(k) is \(found[k].map { "v \($0["v"].map { "\($0)" } ?? "?")" } ?? "absent"), expected \(expected[k].map { "v \($0["v"].map { "\($0)" } ?? "?")" } ?? "absent") (\(acknowledged.count) acknowledged)"
            }
            inFlightApplied.append(true)
        }
        if let change = inFlight, change.atomic, Set(inFlightApplied).count > 1 {
            return "a transaction in flight is half applied"
        }
        try db.catchUpIndexes()
        let report = try db.verifyIndexes()
        if let bad = report.indexes.first(where: { !$0.isConsistent }) {
            return "index \(bad.indexName): \(bad.missing) missing, \(bad.extra) extra, \(bad.wrongValue) wrong"
        }
        var newest: [String: ChangeRecord] = [:]
        var position: UInt64 = 0
        while true {
            let page = try db.changeRecords(of: "tbl", after: position, limit: 1000)
            guard let last = page.last else { break }
            for record in page { newest[name(record.keys)] = record }
            position = last.sequenceNumber
        }
        for (k, record) in newest where (record.eventName == .remove ? nil : record.newImage) != found[k] {
            return "the newest stream record of \(k) (\(record.eventName)) is not the item"
        }
        return nil
    }

    static var everyOperation: Bool { ProcessInfo.processInfo.environment["CAIRN_RELIABILITY_ALL"] == "1" }

    /// The operations to try out of `total`: every one, or the first 40 and an even spread of
    /// 60 more.
    static func sample(_ total: Int) -> [Int] {
        guard !everyOperation, total > 100 else { return Array(0..<total) }
        return Array(0..<40) + (0..<60).map { 40 + $0 * (total - 40) / 60 }
    }

    @Test func aCrashAtAFileOperationKeepsEveryAcknowledgedWrite() throws {
        // A full run first, to count the operations.
        let counting = MemoryFileSystem()
        let clock0 = Clock()
        let db0 = try ItemDatabase.open("/db", options: Self.options(counting, clock: clock0))
        try Self.workload(db0, clock: clock0, log: Log())
        try db0.close()
        let total = counting.operationCount
        let points = Set(Self.sample(total))

        let fs = MemoryFileSystem()
        let clock = Clock()
        let log = Log()
        let images = CairnMutex<[(image: MemoryFileSystem, acknowledged: [Change], inFlight: Change?)]>([])
        fs.setOperationHook { _, _, index in
            guard points.contains(index) else { return }
            let (acknowledged, inFlight) = log.snapshot
            let image = fs.crashClone()
            images.withLock { $0.append((image, acknowledged, inFlight)) }
        }
        let db = try ItemDatabase.open("/db", options: Self.options(fs, clock: clock))
        try Self.workload(db, clock: clock, log: log)
        fs.setOperationHook(nil)
        try db.close()
        let taken = images.withLock { $0 }
        #expect(taken.count >= points.count * 9 / 10, "\(taken.count) crash images of \(points.count) points")
        var failures = 0
        for (n, taken) in taken.enumerated() {
            do {
                let recovered = try ItemDatabase.open("/db", options: Self.options(taken.image, clock: clock))
                defer { try? recovered.close() }
                if let problem = try Self.problem(in: recovered, acknowledged: taken.acknowledged, inFlight: taken.inFlight) {
                    failures += 1
                    if failures <= 3 { Issue.record("crash image \(n): \(problem)") }
                }
            } catch {
                failures += 1
                if failures <= 3 { Issue.record("crash image \(n): reopening failed: \(error)") }
            }
        }
        print("crash points: \(taken.count) of \(total) file operations, \(failures) failures")
        #expect(failures == 0)
    }

    @Test(arguments: [ENOSPC, EIO])
    func aFaultAtAFileOperationIsTypedRefusesWritesAndLosesNothing(_ code: Int32) throws {
        let counting = MemoryFileSystem()
        let clock0 = Clock()
        let db0 = try ItemDatabase.open("/db", options: Self.options(counting, clock: clock0))
        var kinds: [MemoryFileSystem.Operation] = []
        let recorded = CairnMutex<[MemoryFileSystem.Operation]>([])
        counting.setOperationHook { operation, _, _ in recorded.withLock { $0.append(operation) } }
        try Self.workload(db0, clock: clock0, log: Log())
        counting.setOperationHook(nil)
        try db0.close()
        kinds = recorded.withLock { $0 }
        var failures = 0, faulted = 0, refused = 0
        for index in Self.sample(kinds.count) {
            let kind = kinds[index]
            let before = kinds[..<index].filter { $0 == kind }.count
            let fs = MemoryFileSystem()
            let clock = Clock()
            let log = Log()
            let db = try ItemDatabase.open("/db", options: Self.options(fs, clock: clock))
            fs.injectFault(FaultRule(kind, trigger: code == ENOSPC ? .after(before) : .onceAfter(before), errno: code, partialWriteBytes: 3))
            var thrown: (any Error)?
            do {
                try Self.workload(db, clock: clock, log: log)
            } catch {
                thrown = error
            }
            if let thrown {
                faulted += 1
                let typed = thrown is CairnError || (thrown as? DynamoDBError)?.name == "InternalServerError"
                if !typed {
                    failures += 1
                    if failures <= 3 { Issue.record("fault at operation \(index) (\(kind)): untyped error \(thrown)") }
                }
                // Writes are refused until the database is reopened (even once the disk is fine).
                fs.clearFaults()
                do {
                    _ = try db.putItem(PutItemInput(tableName: "tbl", item: Self.key(999)))
                    // A write the engine never saw fail (a failed read, a background error not yet
                    // raised) may still be taken; it is then acknowledged and must survive.
                    log.acknowledgeBeside(Change(items: [Self.name(Self.key(999)): Self.key(999)], atomic: true))
                    print("a write was taken after the fault at operation \(index) (\(kind), after \(before) of its kind): \(thrown)")
                } catch {
                    refused += 1
                }
            }
            fs.clearFaults()
            try? db.close()
            let (acknowledged, inFlight) = log.snapshot
            let image = fs.processCrashClone()
            do {
                let recovered = try ItemDatabase.open("/db", options: Self.options(image, clock: clock))
                defer { try? recovered.close() }
                if let problem = try Self.problem(in: recovered, acknowledged: acknowledged, inFlight: inFlight) {
                    failures += 1
                    if failures <= 3 { Issue.record("fault at operation \(index) (\(kind)): \(problem)") }
                }
            } catch {
                failures += 1
                if failures <= 3 { Issue.record("fault at operation \(index) (\(kind)): reopening failed: \(error)") }
            }
        }
        print("faults (errno \(code)): \(Self.sample(kinds.count).count) of \(kinds.count) file operations, \(faulted) reached the caller, \(refused) then refused a write, \(failures) failures")
        #expect(failures == 0)
        #expect(refused == faulted, "after \(faulted - refused) of \(faulted) faults the database took a write before a reopen")
        #expect(faulted > 0)
    }
}
