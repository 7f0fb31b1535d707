import CairnLSM
import Foundation
import Synchronization
import Testing
@testable import Cairn

@Suite("TimeToLiveTests")
struct TimeToLiveTests {
    /// A clock tests move by hand.
    final class TestClock: Sendable {
        let now = CairnMutex<Double>(1_800_000_000)
        func read() -> Double { now.withLock { $0 } }
        func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
    }

    static func database(_ fs: MemoryFileSystem = MemoryFileSystem(), clock: TestClock, interval: Double = 0) throws -> ItemDatabase {
        var options = ItemDatabase.Options()
        options.storage.fileSystem = fs
        options.timeToLiveSweepInterval = interval
        options.clock = { clock.read() }
        return try ItemDatabase.open("/db", options: options)
    }

    static func spec(_ enabled: Bool, _ name: String = "expires") -> UpdateTimeToLiveInput {
        UpdateTimeToLiveInput(tableName: "sessions", timeToLiveSpecification: .init(enabled: enabled, attributeName: name))
    }

    @Test func enableDescribeDisableAndTheirErrors() throws {
        let fs = MemoryFileSystem()
        let db = try Self.database(fs, clock: TestClock())
        try db.createTable(tableRequest("sessions", ("id", .s)))
        let off = DescribeTimeToLiveOutput.Description(timeToLiveStatus: "DISABLED", attributeName: nil)
        #expect(try db.describeTimeToLive(DescribeTimeToLiveInput(tableName: "sessions")).timeToLiveDescription == off)
        #expect(dynamoError { try db.updateTimeToLive(Self.spec(false)) } == "TimeToLive is already disabled")

        let output = try db.updateTimeToLive(Self.spec(true))
        #expect(output.timeToLiveSpecification == .init(enabled: true, attributeName: "expires"))
        let on = DescribeTimeToLiveOutput.Description(timeToLiveStatus: "ENABLED", attributeName: "expires")
        #expect(try db.describeTimeToLive(DescribeTimeToLiveInput(tableName: "sessions")).timeToLiveDescription == on)
        #expect(dynamoError { try db.updateTimeToLive(Self.spec(true)) } == "TimeToLive is already enabled")
        #expect(dynamoError { try db.updateTimeToLive(Self.spec(true, "other")) }
            == "TimeToLive is active on a different AttributeName: current AttributeName is expires")
        #expect(dynamoError { try db.updateTimeToLive(Self.spec(false, "other")) }
            == "TimeToLive is active on a different AttributeName: current AttributeName is expires")
        #expect(dynamoError { try db.updateTimeToLive(Self.spec(true, "")) }
            == "1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1")
        #expect(dynamoError { try db.updateTimeToLive(Self.spec(true, String(repeating: "a", count: 256))) }?
            .hasSuffix("Member must have length less than or equal to 255") == true)
        dynamoError("ResourceNotFoundException") {
            try db.updateTimeToLive(UpdateTimeToLiveInput(tableName: "nope", timeToLiveSpecification: .init(enabled: true, attributeName: "x")))
        }
        dynamoError("ResourceNotFoundException") { _ = try db.describeTimeToLive(DescribeTimeToLiveInput(tableName: "nope")) }
        // DescribeTable still works on a table with TTL.
        #expect(try db.describeTable(DescribeTableInput(tableName: "sessions")).table.tableName == "sessions")

        // The setting is durable.
        let reopened = try Self.database(fs.crashClone(), clock: TestClock())
        #expect(try reopened.describeTimeToLive(DescribeTimeToLiveInput(tableName: "sessions")).timeToLiveDescription == on)
        try reopened.updateTimeToLive(UpdateTimeToLiveInput(
            tableName: "sessions", timeToLiveSpecification: .init(enabled: false, attributeName: "expires")))
        #expect(try reopened.describeTimeToLive(DescribeTimeToLiveInput(tableName: "sessions")).timeToLiveDescription == off)
    }

    @Test func aSweepDeletesExactlyTheExpiredItemsOfTablesWithTTL() throws {
        let clock = TestClock()
        let db = try Self.database(clock: clock)
        try db.createTable(tableRequest("sessions", ("id", .s)))
        try db.createTable(tableRequest("events", ("user", .s), ("at", .n)))
        try db.createTable(tableRequest("plain", ("id", .s)))
        try db.updateTimeToLive(Self.spec(true))
        try db.updateTimeToLive(UpdateTimeToLiveInput(tableName: "events", timeToLiveSpecification: .init(enabled: true, attributeName: "ttl")))
        let now = clock.read()
        let sixYears = 6 * 365 * 86_400.0
        let cases: [(String, AttributeValue?, Bool)] = [
            ("past", .n(Number(exactly: Int(now) - 10)), true),
            ("fraction", try .n(Number(parsing: "\(Int(now) - 1).5")), true),
            ("four-years", .n(Number(exactly: Int(now - 4 * 365 * 86_400))), true),
            ("now", .n(Number(exactly: Int(now))), false),
            ("future", .n(Number(exactly: Int(now) + 100)), false),
            ("missing", nil, false),
            ("string", .s("\(Int(now) - 10)"), false),
            ("too-old", .n(Number(exactly: Int(now - sixYears))), false),
            ("nested", .m(["expires": .n(Number(exactly: Int(now) - 10))]), false),
        ]
        for (id, expires, _) in cases {
            var item: Item = ["id": .s(id)]
            if let expires { item["expires"] = expires }
            try db.putItem(PutItemInput(tableName: "sessions", item: item))
            var plain = item
            plain["id"] = .s(id)
            try db.putItem(PutItemInput(tableName: "plain", item: plain))  // no TTL on this table
        }
        for at in 0..<5 {
            try db.putItem(PutItemInput(tableName: "events", item: [
                "user": .s("u"), "at": .n(Number(exactly: at)), "ttl": .n(Number(exactly: Int(now) + (at < 3 ? -1 : 1))),
            ]))
        }
        // Expired but not yet swept: still returned, as in DynamoDB.
        #expect(try db.getItem(GetItemInput(tableName: "sessions", key: ["id": .s("past")])).item != nil)
        #expect(try db.scan(ScanInput(tableName: "sessions")).count == cases.count)

        let deleted = try db.sweepExpiredItems()
        let expected = cases.filter(\.2).map(\.0)
        #expect(deleted == expected.count + 3)
        #expect(db.timeToLiveDeletions == deleted)
        for (id, _, expires) in cases {
            #expect((try db.getItem(GetItemInput(tableName: "sessions", key: ["id": .s(id)])).item == nil) == expires, "\(id)")
            #expect(try db.getItem(GetItemInput(tableName: "plain", key: ["id": .s(id)])).item != nil)
        }
        let left = try db.query(QueryInput(
            tableName: "events", keyConditionExpression: "#u = :u", expressionAttributeNames: ["#u": "user"],
            expressionAttributeValues: [":u": .s("u")]))
        #expect(left.items?.map { $0["at"] } == [.n(3), .n(4)])
        #expect(try db.sweepExpiredItems() == 0)  // nothing left to do

        // Later, the future items expire too; disabling TTL stops deletions.
        clock.advance(200)
        try db.updateTimeToLive(UpdateTimeToLiveInput(tableName: "events", timeToLiveSpecification: .init(enabled: false, attributeName: "ttl")))
        #expect(try db.sweepExpiredItems() == 2)  // "now" and "future" in sessions; events is off
        #expect(try db.query(QueryInput(
            tableName: "events", keyConditionExpression: "#u = :u", expressionAttributeNames: ["#u": "user"],
            expressionAttributeValues: [":u": .s("u")])).count == 2)
    }

    @Test func anItemRenewedAfterTheScanIsNotDeleted() throws {
        let clock = TestClock()
        let db = try Self.database(clock: clock)
        let table = try db.createTable(tableRequest("sessions", ("id", .s)))
        _ = table
        try db.updateTimeToLive(Self.spec(true))
        let now = clock.read()
        try db.putItem(PutItemInput(tableName: "sessions", item: ["id": .s("s"), "expires": .n(Number(exactly: Int(now) - 5))]))
        let definition = try db.catalog.table("sessions")
        let key = try definition.itemKey(try definition.keyValues(of: ["id": .s("s")], isKey: true))
        let entries = try Self.indexEntries(db, definition)
        #expect(entries.count == 1)  // the put indexed it
        let oldEntry = try #require(entries.first)
        #expect(ExpiryIndex.parse(oldEntry, table: definition.number)?.seconds == Int64(now) - 5)
        #expect(ExpiryIndex.parse(oldEntry, table: definition.number)?.itemKey == key)
        // The sweep found the entry due; then a write renewed the item before the sweep took
        // the item's lock.
        try db.updateItem(UpdateItemInput(tableName: "sessions", key: ["id": .s("s")], updateExpression: "SET expires = :e",
                                          expressionAttributeValues: [":e": .n(Number(exactly: Int(now) + 3_600))]))
        #expect(try !db.resolveExpiryEntry(definition, oldEntry, attribute: "expires", now: now))
        #expect(try db.getItem(GetItemInput(tableName: "sessions", key: ["id": .s("s")])).item != nil)
        #expect(db.timeToLiveDeletions == 0)
        #expect(try db.storage.get(oldEntry) == nil)  // the stale entry is gone
        // The renewal's own entry makes the item expire at its new time.
        #expect(try db.sweepExpiredItems(now: now + 3_601) == 1)
        #expect(try db.getItem(GetItemInput(tableName: "sessions", key: ["id": .s("s")])).item == nil)

        // Put with a TTL value, then replaced without one: its entry comes due and is dropped.
        try db.putItem(PutItemInput(tableName: "sessions", item: ["id": .s("s"), "expires": .n(Number(exactly: Int(now) + 7_000))]))
        try db.putItem(PutItemInput(tableName: "sessions", item: ["id": .s("s")]))
        #expect(try db.sweepExpiredItems(now: now + 7_200) == 0)
        #expect(try db.getItem(GetItemInput(tableName: "sessions", key: ["id": .s("s")])).item != nil)
        #expect(try Self.indexEntries(db, definition).isEmpty)
    }

    /// The keys of `definition`'s expiry index.
    static func indexEntries(_ db: ItemDatabase, _ definition: TableDefinition) throws -> [[UInt8]] {
        let iterator = try db.storage.makeIterator(ReadOptions(
            lowerBound: ExpiryIndex.prefix(definition.number), upperBound: ExpiryIndex.end(definition.number)))
        try iterator.seekToFirst()
        var keys: [[UInt8]] = []
        while iterator.isValid {
            keys.append(iterator.key)
            try iterator.next()
        }
        return keys
    }

    @Test func theBackgroundSweeperRunsAndStopsOnClose() throws {
        let clock = TestClock()
        let db = try Self.database(clock: clock, interval: 0.02)
        try db.createTable(tableRequest("sessions", ("id", .s)))
        let now = clock.read()
        for i in 0..<20 {
            try db.putItem(PutItemInput(tableName: "sessions", item: ["id": .s("s\(i)"), "expires": .n(Number(exactly: Int(now) - 1))]))
        }
        try db.updateTimeToLive(Self.spec(true))  // also wakes the sweeper
        let deadline = Date().addingTimeInterval(5)
        while db.timeToLiveDeletions < 20 && Date() < deadline { usleep(5_000) }
        #expect(db.timeToLiveDeletions == 20)
        #expect(try db.scan(ScanInput(tableName: "sessions")).count == 0)
        let started = Date()
        try db.close()
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test func sweepsAlsoRetireOldClientRequestTokens() throws {
        let clock = TestClock()
        let db = try Self.database(clock: clock)
        try db.createTable(tableRequest("counters", ("id", .s)))
        let bump = TransactWriteItemsInput(transactItems: [
            .update(.init(tableName: "counters", key: ["id": .s("c")], updateExpression: "ADD n :one",
                          expressionAttributeValues: [":one": .n(1)])),
        ], clientRequestToken: "tok")
        try db.transactWriteItems(bump)
        clock.advance(ItemDatabase.idempotencyWindow - 1)
        try db.sweepExpiredItems()
        try db.transactWriteItems(bump)  // still inside the window: a no-op
        #expect(try db.getItem(GetItemInput(tableName: "counters", key: ["id": .s("c")])).item?["n"] == .n(1))
        clock.advance(2)
        try db.sweepExpiredItems()
        let prefix = IdempotencyToken.keyPrefix
        #expect(try db.storage.get(prefix + Array("tok".utf8)) == nil)  // the record is gone
        try db.transactWriteItems(bump)  // a new request now
        #expect(try db.getItem(GetItemInput(tableName: "counters", key: ["id": .s("c")])).item?["n"] == .n(2))
    }
}
