import CairnLSM
import Foundation
import Synchronization
import Testing
@testable import Cairn

/// Time to Live's expiry index: sweeps read only due entries, every write path indexes, the
/// backfill covers items stored before TTL was enabled (also after a crash), and disabling or
/// deleting the table drops the index.
@Suite("ExpiryIndexTests")
struct ExpiryIndexTests {
    typealias Clock = TimeToLiveTests.TestClock

    static func put(_ db: ItemDatabase, _ id: String, expires: Int?) throws {
        var item: Item = ["id": .s(id)]
        if let expires { item["expires"] = .n(Number(exactly: expires)) }
        try db.putItem(PutItemInput(tableName: "sessions", item: item))
    }

    static func marker(_ db: ItemDatabase) throws -> [UInt8]? {
        try db.storage.get(ExpiryIndex.markerKey(try db.catalog.table("sessions").number))
    }

    @Test func aSweepResolvesOnlyTheDueEntries() throws {
        let clock = Clock()
        let db = try TimeToLiveTests.database(clock: clock)
        try db.createTable(tableRequest("sessions", ("id", .s)))
        try db.updateTimeToLive(TimeToLiveTests.spec(true))
        #expect(try Self.marker(db) == ExpiryIndex.markerValue("expires"))  // empty: complete at once
        let now = Int(clock.read())
        for i in 0..<500 { try Self.put(db, "live\(i)", expires: now + 60 + i) }
        for i in 0..<7 { try Self.put(db, "gone\(i)", expires: now - 1 - i) }
        for i in 0..<50 { try Self.put(db, "plain\(i)", expires: nil) }
        #expect(try db.sweepExpiredItems() == 7)
        // The pass read the 7 due entries and none of the 550 other items.
        #expect(db.expiryEntriesResolvedCounter.load(ordering: .relaxed) == 7)
        #expect(try db.sweepExpiredItems() == 0)
        #expect(db.expiryEntriesResolvedCounter.load(ordering: .relaxed) == 7)
        #expect(try db.scan(ScanInput(tableName: "sessions")).count == 550)

        // 100 seconds on: the first 40 live items are due (expiry now+60 ... now+99).
        #expect(try db.sweepExpiredItems(now: Double(now + 100)) == 40)
        #expect(db.expiryEntriesResolvedCounter.load(ordering: .relaxed) == 47)
    }

    @Test func everyWritePathIndexes() throws {
        let clock = Clock()
        let db = try TimeToLiveTests.database(clock: clock)
        try db.createTable(tableRequest("sessions", ("id", .s)))
        try db.updateTimeToLive(TimeToLiveTests.spec(true))
        #expect(try db.sweepExpiredItems() == 0)  // completes the (empty) backfill
        let past = AttributeValue.n(Number(exactly: Int(clock.read()) - 10))
        try db.updateItem(UpdateItemInput(tableName: "sessions", key: ["id": .s("update")], updateExpression: "SET expires = :e",
                                          expressionAttributeValues: [":e": past]))
        try db.batchWriteItem(BatchWriteItemInput(requestItems: ["sessions": [
            WriteRequest(putRequest: .init(item: ["id": .s("batch"), "expires": past])),
        ]]))
        try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
            .put(.init(tableName: "sessions", item: ["id": .s("transact-put"), "expires": past])),
            .update(.init(tableName: "sessions", key: ["id": .s("transact-update")], updateExpression: "SET expires = :e",
                          expressionAttributeValues: [":e": past])),
        ]))
        #expect(try db.scan(ScanInput(tableName: "sessions")).count == 4)
        #expect(try db.sweepExpiredItems() == 4)
        #expect(try db.scan(ScanInput(tableName: "sessions")).count == 0)
        #expect(try TimeToLiveTests.indexEntries(db, db.catalog.table("sessions")).isEmpty)
    }

    @Test func theBackfillIndexesOlderItemsAndSurvivesACrash() throws {
        let clock = Clock()
        let fs = MemoryFileSystem()
        let db = try TimeToLiveTests.database(fs, clock: clock)
        try db.createTable(tableRequest("sessions", ("id", .s)))
        let now = Int(clock.read())
        for i in 0..<30 { try Self.put(db, "old\(i)", expires: i % 3 == 0 ? now - 5 : now + 500) }
        try db.updateTimeToLive(TimeToLiveTests.spec(true))
        #expect(try Self.marker(db) == nil)
        // A crash before any sweep: TTL is on, the index is not built.
        let reopened = try TimeToLiveTests.database(fs.crashClone(), clock: clock)
        #expect(try Self.marker(reopened) == nil)
        #expect(try reopened.sweepExpiredItems() == 10)
        #expect(try Self.marker(reopened) == ExpiryIndex.markerValue("expires"))
        #expect(try TimeToLiveTests.indexEntries(reopened, reopened.catalog.table("sessions")).count == 20)
        #expect(try reopened.sweepExpiredItems(now: Double(now + 501)) == 20)
    }

    @Test func anIOErrorDuringTheBackfillLeavesNoMarker() throws {
        let clock = Clock()
        let fs = MemoryFileSystem()
        let db = try TimeToLiveTests.database(fs, clock: clock)
        try db.createTable(tableRequest("sessions", ("id", .s)))
        let now = Int(clock.read())
        for i in 0..<20 { try Self.put(db, "old\(i)", expires: i % 2 == 0 ? now - 5 : now + 500) }
        try db.updateTimeToLive(TimeToLiveTests.spec(true))
        // The backfill's entries go out unsynced; the marker's synced write fails.
        fs.injectFault(FaultRule(.sync, pathContains: ".log", trigger: .always))
        #expect(throws: (any Error).self) { try db.sweepExpiredItems() }
        #expect(try Self.marker(db) == nil)
        #expect(db.timeToLiveDeletions == 0)
        fs.clearFaults()
        // After a crash, the next open's first pass backfills again and deletes.
        let reopened = try TimeToLiveTests.database(fs.crashClone(), clock: clock)
        #expect(try Self.marker(reopened) == nil)
        #expect(try reopened.sweepExpiredItems() == 10)
        #expect(try Self.marker(reopened) == ExpiryIndex.markerValue("expires"))
    }

    @Test func disablingDropsTheIndexAndEnablingAgainRebuildsIt() throws {
        let clock = Clock()
        let db = try TimeToLiveTests.database(clock: clock)
        try db.createTable(tableRequest("sessions", ("id", .s)))
        try db.updateTimeToLive(TimeToLiveTests.spec(true))
        let now = Int(clock.read())
        try Self.put(db, "a", expires: now + 100)
        #expect(try db.sweepExpiredItems() == 0)
        let definition = try db.catalog.table("sessions")
        #expect(try TimeToLiveTests.indexEntries(db, definition).count == 1)
        #expect(try Self.marker(db) != nil)

        try db.updateTimeToLive(TimeToLiveTests.spec(false))
        #expect(try TimeToLiveTests.indexEntries(db, definition).isEmpty)
        #expect(try Self.marker(db) == nil)
        try Self.put(db, "b", expires: now - 1)  // written while TTL is off: not indexed
        #expect(try TimeToLiveTests.indexEntries(db, definition).isEmpty)

        try db.updateTimeToLive(TimeToLiveTests.spec(true))
        #expect(try db.sweepExpiredItems() == 1)  // "b", found by the new backfill
        #expect(try db.sweepExpiredItems(now: Double(now + 101)) == 1)  // "a"
        #expect(try db.scan(ScanInput(tableName: "sessions")).count == 0)
    }

    @Test func aDefinitionChangeDuringTheBackfillLeavesNoMarker() throws {
        let db = try TimeToLiveTests.database(clock: Clock())
        try db.createTable(tableRequest("sessions", ("id", .s)))
        try db.updateTimeToLive(TimeToLiveTests.spec(true))
        let definition = try db.catalog.table("sessions")
        let generation = db.catalog.generation
        #expect(try db.catalog.ifUnchanged(since: generation, definition) { _ in true } == true)
        try db.updateTable(UpdateTableInput(tableName: "sessions", billingMode: .payPerRequest))
        #expect(try db.catalog.ifUnchanged(since: generation, definition) { _ in true } == nil)
        // And a whole backfill still completes when nothing changes under it.
        #expect(try db.backfillExpiryIndex(definition))
        #expect(try Self.marker(db) == ExpiryIndex.markerValue("expires"))
    }

    @Test func aMalformedEntryIsDroppedNotReadForever() throws {
        let clock = Clock()
        let db = try TimeToLiveTests.database(clock: clock)
        try db.createTable(tableRequest("sessions", ("id", .s)))
        try db.updateTimeToLive(TimeToLiveTests.spec(true))
        let definition = try db.catalog.table("sessions")
        let bad = ExpiryIndex.boundary(definition.number, seconds: 5)  // no order, no item key
        _ = try db.storage.put(bad, [])
        #expect(try db.sweepExpiredItems() == 0)
        #expect(try db.storage.get(bad) == nil)
    }

    @Test func deletingTheTableDropsItsIndex() throws {
        let clock = Clock()
        let db = try TimeToLiveTests.database(clock: clock)
        try db.createTable(tableRequest("sessions", ("id", .s)))
        try db.updateTimeToLive(TimeToLiveTests.spec(true))
        try Self.put(db, "a", expires: Int(clock.read()) + 100)
        #expect(try db.sweepExpiredItems() == 0)
        let definition = try db.catalog.table("sessions")
        try db.deleteTable(DeleteTableInput(tableName: "sessions"))
        #expect(try TimeToLiveTests.indexEntries(db, definition).isEmpty)
        #expect(try db.storage.get(ExpiryIndex.markerKey(definition.number)) == nil)
    }

    @Test func expiriesEncodeInTimeOrder() throws {
        let times: [Int64] = [-9_000_000_000, -1, 0, 1, 1_800_000_000, 1_800_000_001, 9_000_000_000_000]
        let keys = times.map { ExpiryIndex.boundary(7, seconds: $0) }
        #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(ExpiryIndex.expirySeconds(of: ["t": .n(try Number(parsing: "-1.5"))], attribute: "t") == -2)
        #expect(ExpiryIndex.expirySeconds(of: ["t": .n(try Number(parsing: "1E+30"))], attribute: "t") == nil)
        #expect(ExpiryIndex.expirySeconds(of: ["t": .s("5")], attribute: "t") == nil)
        let entry = ExpiryIndex.entry(table: 7, seconds: -5, order: 9, itemKey: [1, 2, 3])
        #expect(ExpiryIndex.parse(entry, table: 7)?.seconds == -5)
        #expect(ExpiryIndex.parse(entry, table: 7)?.itemKey == [1, 2, 3])
        #expect(ExpiryIndex.parse(entry, table: 8) == nil)
        #expect(ExpiryIndex.parse(Array(entry.prefix(21)), table: 7) == nil)  // no item key
        // Within a second, entries follow their order numbers.
        let later = ExpiryIndex.entry(table: 7, seconds: -5, order: 10, itemKey: [0])
        #expect(entry.lexicographicallyPrecedes(later))
    }

    /// Writers keep expiring and renewing their items while sweeps (and the backfill, since TTL
    /// is enabled on a full table) run on another thread. At the end, every item whose last
    /// write renewed it must exist, every other one must be gone, and every survivor must have
    /// its index entry.
    @Test func sweepsRacingRenewalsNeverDeleteARenewedItem() async throws {
        let clock = Clock()
        let db = try TimeToLiveTests.database(clock: clock)
        try db.createTable(tableRequest("sessions", ("id", .s)))
        let now = Int(clock.read())
        let writers = 3, perWriter = 60
        for i in 0..<writers * perWriter { try Self.put(db, "s\(i)", expires: now - 10) }
        try db.updateTimeToLive(TimeToLiveTests.spec(true))
        #expect(try Self.marker(db) == nil)  // not empty: the sweeper backfills

        final class Progress: Sendable {
            let writersLeft = Atomic<Int>(3)
            let passes = Atomic<Int>(0)
        }
        let progress = Progress()
        // Item number -> whether its last write renewed it. Each writer owns its own items.
        let lastRenewed = try await withThrowingTaskGroup(of: [Int: Bool].self) { group in
            group.addTask {
                while progress.writersLeft.load(ordering: .acquiring) > 0 || progress.passes.load(ordering: .relaxed) < 5 {
                    try db.sweepExpiredItems()
                    progress.passes.add(1, ordering: .relaxed)
                }
                return [:]
            }
            for worker in 0..<writers {
                group.addTask {
                    var rng = Rng(state: UInt64(worker + 11))
                    var last: [Int: Bool] = [:]
                    for _ in 0..<600 {
                        let i = worker * perWriter + rng.below(perWriter)
                        let renew = rng.below(2) == 0
                        try db.updateItem(UpdateItemInput(
                            tableName: "sessions", key: ["id": .s("s\(i)")], updateExpression: "SET expires = :e",
                            expressionAttributeValues: [":e": .n(Number(exactly: renew ? now + 1_000 : now - 10))]))
                        last[i] = renew
                    }
                    progress.writersLeft.subtract(1, ordering: .releasing)
                    return last
                }
            }
            var all: [Int: Bool] = [:]
            for try await part in group { all.merge(part) { a, _ in a } }
            return all
        }
        #expect(progress.passes.load(ordering: .relaxed) >= 5)
        #expect(db.timeToLiveDeletions > 0)
        try db.sweepExpiredItems()
        let definition = try db.catalog.table("sessions")
        let indexed = Set(try TimeToLiveTests.indexEntries(db, definition).compactMap {
            ExpiryIndex.parse($0, table: definition.number)?.itemKey
        })
        var survivors = 0
        for i in 0..<writers * perWriter {
            let item = try db.getItem(GetItemInput(tableName: "sessions", key: ["id": .s("s\(i)")])).item
            if lastRenewed[i] == true {
                #expect(item?["expires"] == .n(Number(exactly: now + 1_000)), "renewed s\(i) was lost")
                let key = try definition.itemKey(try definition.keyValues(of: ["id": .s("s\(i)")], isKey: true))
                #expect(indexed.contains(key), "s\(i) has no index entry")
                survivors += 1
            } else {
                #expect(item == nil, "s\(i) had expired when the last sweep ran")
            }
        }
        #expect(survivors > 50)
    }
}
