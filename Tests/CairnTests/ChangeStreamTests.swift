import CairnLSM
import Foundation
import Synchronization
import Testing
@testable import Cairn

/// The change stream (issue 15): settings, one record per committed change in the change's
/// own batch, and the Streams API that reads them.
@Suite struct ChangeStreamTests {
    static func streamTable(_ name: String = "songs", _ viewType: StreamViewType = .newAndOldImages) -> CreateTableInput {
        var input = tableRequest(name, ("pk", .s), ("sk", .n))
        input.streamSpecification = StreamSpecification(streamEnabled: true, streamViewType: viewType)
        return input
    }

    static func item(_ pk: String, _ sk: Int, _ extra: Item = [:]) -> Item {
        var item: Item = ["pk": .s(pk), "sk": .n(Number(exactly: sk))]
        for (k, v) in extra { item[k] = v }
        return item
    }

    static func key(_ pk: String, _ sk: Int) -> Item { ["pk": .s(pk), "sk": .n(Number(exactly: sk))] }

    /// Every record of a table's latest stream, all shards read from TRIM_HORIZON, merged in
    /// sequence order.
    static func allRecords(_ db: ItemDatabase, table: String) throws -> [StreamRecord] {
        let arn = try #require(try db.describeTable(DescribeTableInput(tableName: table)).table.latestStreamArn)
        return try records(db, arn: arn)
    }

    static func records(_ db: ItemDatabase, arn: String) throws -> [StreamRecord] {
        var all: [StreamRecord] = []
        for shard in try db.describeStream(DescribeStreamInput(streamArn: arn)).streamDescription.shards {
            var iterator = try db.getShardIterator(GetShardIteratorInput(
                streamArn: arn, shardId: shard.shardId, shardIteratorType: .trimHorizon)).shardIterator
            var lastSequence = ""
            while let current = iterator {
                let page = try db.getRecords(GetRecordsInput(shardIterator: current, limit: 7))
                for record in page.records {
                    #expect(record.dynamodb.sequenceNumber > lastSequence, "increasing within a shard")
                    lastSequence = record.dynamodb.sequenceNumber
                }
                all += page.records
                if page.records.isEmpty { break }
                iterator = page.nextShardIterator
            }
        }
        return all.sorted { $0.dynamodb.sequenceNumber < $1.dynamodb.sequenceNumber }
    }

    // MARK: - Settings

    @Test func specificationValidationAndDescribeTable() throws {
        let db = try memoryDatabase()
        var bad = tableRequest("songs", ("pk", .s))
        bad.streamSpecification = StreamSpecification(streamEnabled: true)
        #expect(dynamoError { try db.createTable(bad) }
            == "One or more parameter values were invalid: Table is being created with a stream enabled, UpdateViewType is required")
        bad.streamSpecification = StreamSpecification(streamEnabled: false, streamViewType: .keysOnly)
        #expect(dynamoError { try db.createTable(bad) }
            == "One or more parameter values were invalid: Table is being created with a stream disabled, UpdateViewType should not be specified")

        try db.createTable(tableRequest("plain", ("pk", .s)))
        let plain = try db.describeTable(DescribeTableInput(tableName: "plain")).table
        #expect(plain.streamSpecification == nil && plain.latestStreamArn == nil && plain.latestStreamLabel == nil)
        #expect(dynamoError { try db.updateTable(UpdateTableInput(tableName: "plain", streamSpecification: .init(streamEnabled: false))) }
            == "Table has no stream to disable: TableName: plain")
        #expect(dynamoError { try db.updateTable(UpdateTableInput(tableName: "plain", streamSpecification: .init(streamEnabled: true))) }
            == "One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required")
        #expect(dynamoError {
            try db.updateTable(UpdateTableInput(tableName: "plain", streamSpecification: .init(streamEnabled: false, streamViewType: .newImage)))
        } == "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified")

        let enabled = try db.updateTable(UpdateTableInput(
            tableName: "plain", streamSpecification: .init(streamEnabled: true, streamViewType: .keysOnly))).tableDescription
        #expect(enabled.streamSpecification == StreamSpecification(streamEnabled: true, streamViewType: .keysOnly))
        let firstArn = try #require(enabled.latestStreamArn)
        let label = try #require(enabled.latestStreamLabel)
        #expect(firstArn == "arn:aws:dynamodb:local:000000000000:table/plain/stream/\(label)")
        #expect(dynamoError {
            try db.updateTable(UpdateTableInput(tableName: "plain", streamSpecification: .init(streamEnabled: true, streamViewType: .newImage)))
        } == "Table already has an enabled stream: TableName: plain")

        let disabled = try db.updateTable(UpdateTableInput(tableName: "plain", streamSpecification: .init(streamEnabled: false))).tableDescription
        #expect(disabled.streamSpecification == StreamSpecification(streamEnabled: false))
        #expect(disabled.latestStreamArn == firstArn)
        let again = try db.updateTable(UpdateTableInput(
            tableName: "plain", streamSpecification: .init(streamEnabled: true, streamViewType: .newImage))).tableDescription
        #expect(again.latestStreamArn != firstArn)

        let streams = try db.listStreams(ListStreamsInput(tableName: "plain")).streams
        #expect(streams.map(\.streamArn) == [firstArn, again.latestStreamArn])
        let first = try db.describeStream(DescribeStreamInput(streamArn: firstArn)).streamDescription
        #expect(first.streamStatus == "DISABLED" && first.streamViewType == .keysOnly && first.tableName == "plain")
        #expect(first.shards.count == 4)
        #expect(first.shards.map(\.shardId) == first.shards.map(\.shardId).sorted())
        #expect(first.shards.allSatisfy { $0.shardId.count <= 65 && $0.sequenceNumberRange.endingSequenceNumber != nil })
        let second = try db.describeStream(DescribeStreamInput(streamArn: try #require(again.latestStreamArn))).streamDescription
        #expect(second.streamStatus == "ENABLED" && second.shards.allSatisfy { $0.sequenceNumberRange.endingSequenceNumber == nil })
        try db.close()
    }

    // MARK: - Records

    @Test func oneRecordPerChangeWithTheViewTypesImages() throws {
        let db = try memoryDatabase()
        try db.createTable(Self.streamTable())
        try db.putItem(PutItemInput(tableName: "songs", item: Self.item("a", 1, ["title": .s("one")])))
        try db.putItem(PutItemInput(tableName: "songs", item: Self.item("a", 1, ["title": .s("one")])))  // equal: no record
        try db.updateItem(UpdateItemInput(
            tableName: "songs", key: Self.key("a", 1), updateExpression: "SET title = :t",
            expressionAttributeValues: [":t": .s("uno")]))
        _ = dynamoError("ConditionalCheckFailedException") {
            try db.putItem(PutItemInput(tableName: "songs", item: Self.item("a", 1), conditionExpression: "attribute_not_exists(pk)"))
        }
        try db.deleteItem(DeleteItemInput(tableName: "songs", key: Self.key("missing", 9)))  // nothing to delete: no record
        try db.deleteItem(DeleteItemInput(tableName: "songs", key: Self.key("a", 1)))
        let records = try Self.allRecords(db, table: "songs")
        #expect(records.map(\.eventName) == [.insert, .modify, .remove])
        #expect(records.allSatisfy { $0.dynamodb.keys == Self.key("a", 1) && $0.eventSource == "aws:dynamodb" })
        #expect(records[0].dynamodb.newImage == Self.item("a", 1, ["title": .s("one")]) && records[0].dynamodb.oldImage == nil)
        #expect(records[1].dynamodb.oldImage == Self.item("a", 1, ["title": .s("one")]))
        #expect(records[1].dynamodb.newImage == Self.item("a", 1, ["title": .s("uno")]))
        #expect(records[2].dynamodb.newImage == nil && records[2].dynamodb.oldImage == Self.item("a", 1, ["title": .s("uno")]))
        #expect(records.allSatisfy { $0.dynamodb.sequenceNumber.count == 21 && $0.userIdentity == nil })
        #expect(Set(records.map(\.eventID)).count == 3)

        for (viewType, new, old) in [
            (StreamViewType.keysOnly, false, false), (.newImage, true, false), (.oldImage, false, true),
        ] {
            let name = "t-\(viewType.rawValue)"
            try db.createTable(Self.streamTable(name, viewType))
            try db.putItem(PutItemInput(tableName: name, item: Self.item("a", 1, ["v": .n(Number(exactly: 1))])))
            try db.putItem(PutItemInput(tableName: name, item: Self.item("a", 1, ["v": .n(Number(exactly: 2))])))
            let got = try Self.allRecords(db, table: name)
            #expect(got.map(\.eventName) == [.insert, .modify])
            #expect((got[1].dynamodb.newImage != nil) == new)
            #expect((got[1].dynamodb.oldImage != nil) == old)
            #expect(got.allSatisfy { $0.dynamodb.streamViewType == viewType })
        }
        try db.close()
    }

    @Test func batchesTransactionsAndTimeToLiveWriteRecords() throws {
        let clock = TimeToLiveTests.TestClock()
        let db = try TimeToLiveTests.database(clock: clock)
        try db.createTable(Self.streamTable())
        try db.batchWriteItem(BatchWriteItemInput(requestItems: ["songs": (0..<5).map {
            WriteRequest(putRequest: .init(item: Self.item("b", $0)))
        }]))
        try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
            TransactWriteItem(put: .init(tableName: "songs", item: Self.item("t", 1))),
            TransactWriteItem(delete: .init(tableName: "songs", key: Self.key("b", 0))),
            TransactWriteItem(update: .init(tableName: "songs", key: Self.key("b", 1), updateExpression: "SET x = :x",
                                            expressionAttributeValues: [":x": .s("y")])),
        ]))
        _ = dynamoError("TransactionCanceledException") {
            try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
                TransactWriteItem(put: .init(tableName: "songs", item: Self.item("never", 1))),
                TransactWriteItem(conditionCheck: .init(tableName: "songs", key: Self.key("b", 2), conditionExpression: "attribute_not_exists(pk)")),
            ]))
        }
        try db.updateTimeToLive(UpdateTimeToLiveInput(
            tableName: "songs", timeToLiveSpecification: .init(enabled: true, attributeName: "expires")))
        try db.putItem(PutItemInput(tableName: "songs", item: Self.item("ttl", 1, ["expires": .n(Number(exactly: Int(clock.read()) + 5))])))
        clock.advance(60)
        #expect(try db.sweepExpiredItems() == 1)

        let records = try Self.allRecords(db, table: "songs")
        #expect(records.count == 5 + 3 + 1 + 1)
        #expect(records.filter { $0.eventName == .insert }.count == 5 + 1 + 1)
        #expect(!records.contains { $0.dynamodb.keys["pk"] == .s("never") })
        let ttl = try #require(records.last)
        #expect(ttl.eventName == .remove && ttl.dynamodb.keys == Self.key("ttl", 1))
        #expect(ttl.userIdentity == StreamIdentity(principalId: "dynamodb.amazonaws.com", type: "Service"))
        #expect(records.dropLast().allSatisfy { $0.userIdentity == nil })
        try db.close()
    }

    // MARK: - Reading

    @Test func iteratorsLatestAtAfterClosedShardsAndErrors() throws {
        let db = try memoryDatabase()
        try db.createTable(Self.streamTable())
        for i in 0..<20 { try db.putItem(PutItemInput(tableName: "songs", item: Self.item("p\(i)", i))) }
        let arn = try #require(try db.describeTable(DescribeTableInput(tableName: "songs")).table.latestStreamArn)
        let shards = try db.describeStream(DescribeStreamInput(streamArn: arn)).streamDescription.shards
        let all = try Self.allRecords(db, table: "songs")
        #expect(all.count == 20)

        // LATEST sees only what comes after it.
        let latest = try shards.map {
            try #require(try db.getShardIterator(GetShardIteratorInput(streamArn: arn, shardId: $0.shardId, shardIteratorType: .latest)).shardIterator)
        }
        try db.putItem(PutItemInput(tableName: "songs", item: Self.item("late", 1)))
        let late = try latest.flatMap { try db.getRecords(GetRecordsInput(shardIterator: $0)).records }
        #expect(late.map(\.dynamodb.keys) == [Self.key("late", 1)])

        // AT and AFTER a sequence number.
        let shard = try #require(shards.first { shard in all.contains { try! Self.shardOf($0, db: db, arn: arn) == shard.shardId } })
        let inShard = try all.filter { try Self.shardOf($0, db: db, arn: arn) == shard.shardId }
        let second = inShard[1].dynamodb.sequenceNumber
        let at = try db.getShardIterator(GetShardIteratorInput(
            streamArn: arn, shardId: shard.shardId, shardIteratorType: .atSequenceNumber, sequenceNumber: second)).shardIterator!
        #expect(try db.getRecords(GetRecordsInput(shardIterator: at)).records.first?.dynamodb.sequenceNumber == second)
        let after = try db.getShardIterator(GetShardIteratorInput(
            streamArn: arn, shardId: shard.shardId, shardIteratorType: .afterSequenceNumber, sequenceNumber: second)).shardIterator!
        #expect(try db.getRecords(GetRecordsInput(shardIterator: after)).records.first?.dynamodb.sequenceNumber
            == (inShard.count > 2 ? inShard[2].dynamodb.sequenceNumber : nil))

        // Errors.
        #expect(dynamoError { _ = try db.getShardIterator(GetShardIteratorInput(
            streamArn: arn, shardId: shard.shardId, shardIteratorType: .atSequenceNumber)) } != nil)
        #expect(dynamoError { _ = try db.getShardIterator(GetShardIteratorInput(
            streamArn: arn, shardId: shard.shardId, shardIteratorType: .latest, sequenceNumber: second)) } != nil)
        #expect(dynamoError { _ = try db.getShardIterator(GetShardIteratorInput(
            streamArn: arn, shardId: shard.shardId, shardIteratorType: .atSequenceNumber, sequenceNumber: "12ab")) } != nil)
        dynamoError("ResourceNotFoundException") { _ = try db.getShardIterator(GetShardIteratorInput(
            streamArn: arn, shardId: "shardId-00000000000000000000-ffffffff", shardIteratorType: .latest)) }
        dynamoError("ResourceNotFoundException") { _ = try db.describeStream(DescribeStreamInput(
            streamArn: arn.replacingOccurrences(of: "/songs/", with: "/other/"))) }
        dynamoError { _ = try db.describeStream(DescribeStreamInput(streamArn: "sdfadfsdfnlfkajakfgjalksfgklasjklasdjfklasdfasdfgasf")) }
        dynamoError { _ = try db.getRecords(GetRecordsInput(shardIterator: "sdfsdfsgagaddafgagasgasgasdfasdfasdfasdfasdgasdasdgasdg")) }
        dynamoError { _ = try db.getRecords(GetRecordsInput(shardIterator: at, limit: 1001)) }
        dynamoError { _ = try db.listStreams(ListStreamsInput(limit: 0)) }

        // Disabled: its shards close; read to the end, no NextShardIterator.
        let shardNow = try Self.allRecords(db, table: "songs").filter { try Self.shardOf($0, db: db, arn: arn) == shard.shardId }
        try db.updateTable(UpdateTableInput(tableName: "songs", streamSpecification: .init(streamEnabled: false)))
        try db.putItem(PutItemInput(tableName: "songs", item: Self.item("after-disable", 1)))
        var iterator = try db.getShardIterator(GetShardIteratorInput(
            streamArn: arn, shardId: shard.shardId, shardIteratorType: .trimHorizon)).shardIterator
        var read = 0
        while let current = iterator {
            let page = try db.getRecords(GetRecordsInput(shardIterator: current, limit: 2))
            read += page.records.count
            iterator = page.nextShardIterator
        }
        #expect(read == shardNow.count)
        #expect(try Self.allRecords(db, table: "songs").count == 21, "nothing recorded after disabling")
        try db.close()
    }

    /// The shard that holds `record`.
    static func shardOf(_ record: StreamRecord, db: ItemDatabase, arn: String) throws -> String {
        for shard in try db.describeStream(DescribeStreamInput(streamArn: arn)).streamDescription.shards {
            let it = try db.getShardIterator(GetShardIteratorInput(
                streamArn: arn, shardId: shard.shardId, shardIteratorType: .atSequenceNumber,
                sequenceNumber: record.dynamodb.sequenceNumber)).shardIterator!
            if try db.getRecords(GetRecordsInput(shardIterator: it, limit: 1)).records.first?.eventID == record.eventID {
                return shard.shardId
            }
        }
        return ""
    }

    @Test func listStreamsPagesDeletedTablesKeepTheirStreamAndIteratorsExpire() throws {
        let clock = TimeToLiveTests.TestClock()
        let db = try TimeToLiveTests.database(clock: clock)
        for name in ["aaa", "bbb", "ccc"] { try db.createTable(Self.streamTable(name, .keysOnly)) }
        let first = try db.listStreams(ListStreamsInput(limit: 2))
        #expect(first.streams.map(\.tableName) == ["aaa", "bbb"])
        let rest = try db.listStreams(ListStreamsInput(limit: 2, exclusiveStartStreamArn: first.lastEvaluatedStreamArn))
        #expect(rest.streams.map(\.tableName) == ["ccc"] && rest.lastEvaluatedStreamArn == nil)
        dynamoError { _ = try db.listStreams(ListStreamsInput(limit: 101)) }

        try db.putItem(PutItemInput(tableName: "bbb", item: Self.item("x", 1)))
        let arn = try #require(first.streams.last?.streamArn)
        try db.deleteTable(DeleteTableInput(tableName: "bbb"))
        #expect(try db.listStreams().streams.map(\.tableName) == ["aaa", "bbb", "ccc"])
        let described = try db.describeStream(DescribeStreamInput(streamArn: arn)).streamDescription
        #expect(described.streamStatus == "DISABLED")
        #expect(try Self.records(db, arn: arn).map(\.eventName) == [.insert])

        let shard = try #require(described.shards.first)
        let iterator = try #require(try db.getShardIterator(GetShardIteratorInput(
            streamArn: arn, shardId: shard.shardId, shardIteratorType: .trimHorizon)).shardIterator)
        clock.advance(15 * 60 + 1)
        dynamoError("ExpiredIteratorException") { _ = try db.getRecords(GetRecordsInput(shardIterator: iterator)) }
        try db.close()
    }

    // MARK: - Shards over time

    @Test func shardsRollOverByAgeAndSizeAndRetentionTrimsThem() throws {
        let clock = TimeToLiveTests.TestClock()
        var options = ItemDatabase.Options()
        options.storage.fileSystem = MemoryFileSystem()
        options.timeToLiveSweepInterval = 0
        options.clock = { clock.read() }
        options.streamLanes = 2
        options.streamShardMaxBytes = 4096
        let db = try ItemDatabase.open("/db", options: options)
        try db.createTable(Self.streamTable())
        let arn = try #require(try db.describeTable(DescribeTableInput(tableName: "songs")).table.latestStreamArn)
        func put(_ range: Range<Int>) throws {
            for i in range { try db.putItem(PutItemInput(tableName: "songs", item: Self.item("p\(i % 8)", i, ["pad": .s(String(repeating: "x", count: 100))]))) }
        }
        try put(0..<10)
        try db.maintainStreams()  // young and small: nothing rolls over
        #expect(try db.describeStream(DescribeStreamInput(streamArn: arn)).streamDescription.shards.count == 2)

        try put(10..<100)  // well over 4 KB per lane
        try db.maintainStreams()
        var shards = try db.describeStream(DescribeStreamInput(streamArn: arn)).streamDescription.shards
        #expect(shards.count == 4)
        let parents = shards.filter { $0.sequenceNumberRange.endingSequenceNumber != nil }
        let children = shards.filter { $0.parentShardId != nil }
        #expect(parents.count == 2 && children.count == 2)
        #expect(Set(children.compactMap(\.parentShardId)) == Set(parents.map(\.shardId)))

        try put(100..<110)
        clock.advance(5 * 3600)  // older than four hours: the children roll over too
        try db.maintainStreams()
        shards = try db.describeStream(DescribeStreamInput(streamArn: arn)).streamDescription.shards
        #expect(shards.count == 6)

        // Every record is read exactly once, in commit order within each lane, across parents
        // and children.
        let records = try Self.records(db, arn: arn)
        #expect(records.count == 110)
        #expect(Set(records.map(\.eventID)).count == 110)
        #expect(try Self.checkChains(db, table: "songs") == nil)

        // Retention: shards closed more than 24 hours ago are trimmed; an iterator into one
        // is TrimmedDataAccessException.
        let oldest = try #require(parents.first)
        clock.advance(20 * 3600)  // the first parents closed 25 hours ago, the next ones 20
        let stale = try #require(try db.getShardIterator(GetShardIteratorInput(
            streamArn: arn, shardId: oldest.shardId, shardIteratorType: .trimHorizon)).shardIterator)
        try db.maintainStreams()
        shards = try db.describeStream(DescribeStreamInput(streamArn: arn)).streamDescription.shards
        // The first two parents trimmed; the two shards opened at hour 5 rolled over (by age)
        // into two more.
        #expect(shards.count == 6)
        #expect(!shards.contains { $0.shardId == oldest.shardId })
        dynamoError("TrimmedDataAccessException") { _ = try db.getRecords(GetRecordsInput(shardIterator: stale)) }
        #expect(try Self.records(db, arn: arn).count == 10, "the 100 records of the trimmed shards are gone")

        // A disabled stream whose shards are all trimmed leaves ListStreams.
        try db.updateTable(UpdateTableInput(tableName: "songs", streamSpecification: .init(streamEnabled: false)))
        clock.advance(25 * 3600)
        try db.maintainStreams()
        #expect(try db.listStreams().streams.isEmpty)
        dynamoError("ResourceNotFoundException") { _ = try db.describeStream(DescribeStreamInput(streamArn: arn)) }
        try db.close()
    }

    // MARK: - Swift: AsyncSequence and durable consumers

    @Test func asyncSequenceFollowsWritesInCommitOrder() async throws {
        let db = try memoryDatabase()
        try db.createTable(Self.streamTable())
        try db.putItem(PutItemInput(tableName: "songs", item: Self.item("before", 0)))
        let fromLatest = try db.changes(of: "songs", from: .latest)
        let fromStart = try db.changes(of: "songs")
        let writer = Task.detached {
            for i in 0..<200 {
                try db.putItem(PutItemInput(tableName: "songs", item: Self.item("k\(i % 20)", i % 3, ["v": .n(Number(exactly: i))])))
                if i % 50 == 0 { try await Task.sleep(nanoseconds: 2_000_000) }
            }
        }
        var seen: [ChangeRecord] = []
        for try await record in fromLatest {
            seen.append(record)
            if seen.count == 200 { break }
        }
        try await writer.value
        #expect(seen.map(\.sequenceNumber) == seen.map(\.sequenceNumber).sorted())
        #expect(!seen.contains { $0.keys == Self.key("before", 0) })
        #expect(seen.last?.newImage?["v"] == .n(Number(exactly: 199)))
        var fromTheStart = 0
        for try await _ in fromStart {
            fromTheStart += 1
            if fromTheStart == 201 { break }
        }
        #expect(fromTheStart == 201)

        // Disabling ends the sequence once it is read to the end.
        let tail = try db.changes(of: "songs", from: .latest)
        try db.putItem(PutItemInput(tableName: "songs", item: Self.item("last", 1)))
        try db.updateTable(UpdateTableInput(tableName: "songs", streamSpecification: .init(streamEnabled: false)))
        var remaining: [ChangeRecord] = []
        for try await record in tail { remaining.append(record) }
        #expect(remaining.map(\.keys) == [Self.key("last", 1)])
        try db.close()
    }

    /// A consumer position that is not 8 bytes is typed corruption naming the consumer.
    @Test func damagedConsumerPositionIsCorruption() throws {
        let db = try memoryDatabase()
        try db.createTable(Self.streamTable())
        let consumer = try db.consumer(named: "copier", of: "songs")
        #expect(try consumer.position() == 0)
        try consumer.commit(7)
        #expect(try consumer.position() == 7)
        try db.storage.put(consumer.key, [1, 2, 3])
        #expect {
            _ = try consumer.position()
        } throws: { ($0 as? CairnError)?.isCorruption == true && "\($0)".contains("stream consumer copier") }
        try db.close()
    }

    /// A consumer that writes its output into Cairn commits its position in the same batch:
    /// after a crash at any file operation, output and position agree (exactly once).
    @Test func durableConsumerIsExactlyOnceAcrossCrashes() async throws {
        let fs = MemoryFileSystem()
        var options = ItemDatabase.Options()
        options.storage.fileSystem = fs
        options.timeToLiveSweepInterval = 0
        let db = try ItemDatabase.open("/db", options: options)
        try db.createTable(Self.streamTable())
        for i in 0..<60 { try db.putItem(PutItemInput(tableName: "songs", item: Self.item("k\(i)", i))) }
        let images = CairnMutex<[MemoryFileSystem]>([])
        fs.setOperationHook { _, _, _ in images.withLock { $0.append(fs.crashClone()) } }
        let consumer = try db.consumer(named: "copier", of: "songs")
        var processed = 0
        for try await record in try consumer.changes() {
            // The output: one raw key per record, with the position, in one batch.
            var batch = WriteBatch()
            batch.put(Array("out/\(record.sequenceNumber)".utf8), [1])
            consumer.commit(record.sequenceNumber, in: &batch)
            _ = try db.storage.write(batch, sync: true)
            processed += 1
            if processed == 60 { break }
        }
        fs.setOperationHook(nil)
        #expect(try consumer.position() > 0)
        try db.close()

        let all = images.withLock { $0 }
        #expect(all.count >= 60)
        for image in all {
            var reopen = options
            reopen.storage.fileSystem = image
            let recovered = try ItemDatabase.open("/db", options: reopen)
            let restarted = try recovered.consumer(named: "copier", of: "songs")
            let position = try restarted.position()
            let outputs = try Self.scanKeys(recovered.storage, prefix: "out/")
            let expected = try Self.allRecords(recovered, table: "songs").map(\.dynamodb.sequenceNumber)
                .compactMap { UInt64($0) }.filter { $0 <= position }.map { "out/\($0)" }
            #expect(outputs == expected.sorted(), "position \(position)")
            // Resuming reads exactly the records after the position.
            var next: UInt64?
            for try await record in try restarted.changes() {
                next = record.sequenceNumber
                break
            }
            if let next { #expect(next > position) }
            try recovered.close()
        }
    }

    static func scanKeys(_ db: Database, prefix: String) throws -> [String] {
        let start = Array(prefix.utf8)
        let it = try db.makeIterator(ReadOptions(lowerBound: start, upperBound: start.prefixSuccessorForTests))
        try it.seekToFirst()
        var keys: [String] = []
        while it.isValid {
            keys.append(String(decoding: it.key, as: UTF8.self))
            try it.next()
        }
        return keys
    }

    // MARK: - Exactly the committed changes

    /// Checks that, per item, the records form an unbroken chain in sequence order (each
    /// record's old image is the previous record's new image) ending in the item's current
    /// state, and that every item in the table has its chain: no record missing, extra or
    /// out of order.
    static func checkChains(_ db: ItemDatabase, table: String) throws -> String? {
        var latest: [Item: Item?] = [:]
        for record in try allRecords(db, table: table) {
            let key = record.dynamodb.keys
            let previous = latest[key] ?? nil
            if record.dynamodb.oldImage != previous {
                return "\(record.eventName) of \(key): old image \(String(describing: record.dynamodb.oldImage)), previous \(String(describing: previous))"
            }
            switch record.eventName {
            case .insert where previous != nil, .modify where previous == nil, .remove where previous == nil:
                return "\(record.eventName) of \(key) after \(String(describing: previous))"
            default: break
            }
            latest[key] = record.dynamodb.newImage
        }
        let items = try db.scan(ScanInput(tableName: table)).items ?? []
        for item in items where latest[Self.key(of: item)] ?? nil != item {
            return "item \(item) has no record chain ending in it"
        }
        let live = latest.values.compactMap { $0 }.count
        return live == items.count ? nil : "records leave \(live) items, the table holds \(items.count)"
    }

    static func key(of item: Item) -> Item { ["pk": item["pk"]!, "sk": item["sk"]!] }

    @Test func concurrentWritersStreamEqualsTheCommittedChanges() throws {
        let db = try memoryDatabase()
        try db.createTable(Self.streamTable())
        let writers = 4, operations = 300
        runThreads(writers) { worker in
            var rng = Rng(state: UInt64(worker) * 7919 + 1)
            for i in 0..<operations {
                let key = Self.key("k\(rng.below(12))", rng.below(3))
                do {
                    switch rng.below(6) {
                    case 0, 1:
                        try db.putItem(PutItemInput(tableName: "songs", item: key.merging(["w": .s("\(worker)-\(i)")]) { a, _ in a }))
                    case 2:
                        try db.updateItem(UpdateItemInput(
                            tableName: "songs", key: key, updateExpression: "ADD n :one",
                            expressionAttributeValues: [":one": .n(Number(exactly: 1))]))
                    case 3:
                        try db.deleteItem(DeleteItemInput(tableName: "songs", key: key))
                    case 4:
                        let other = Self.key("k\(rng.below(12))", rng.below(3))
                        guard other != key else { continue }
                        try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
                            TransactWriteItem(put: .init(tableName: "songs", item: key.merging(["tx": .s("\(worker)-\(i)")]) { a, _ in a })),
                            TransactWriteItem(delete: .init(tableName: "songs", key: other)),
                        ]))
                    default:
                        try db.putItem(PutItemInput(
                            tableName: "songs", item: key.merging(["c": .s("\(i)")]) { a, _ in a },
                            conditionExpression: "attribute_exists(pk)"))
                    }
                } catch let error as DynamoDBError where error.name == "ConditionalCheckFailedException"
                    || error.name == "TransactionCanceledException" {
                    continue
                } catch {
                    Issue.record("\(error)")
                }
            }
        }
        #expect(try Self.checkChains(db, table: "songs") == nil)
        try db.close()
    }

    @Test func crashAtEveryOperationLeavesExactlyTheCommittedChanges() throws {
        let fs = MemoryFileSystem()
        var options = ItemDatabase.Options()
        options.storage.fileSystem = fs
        options.storage.writeBufferSize = 16 << 10
        options.syncWrites = false
        options.timeToLiveSweepInterval = 0
        let db = try ItemDatabase.open("/db", options: options)
        try db.createTable(Self.streamTable())
        let images = CairnMutex<[MemoryFileSystem]>([])
        fs.setOperationHook { _, _, index in
            images.withLock { $0.append(fs.crashClone()) }
        }
        var rng = Rng(state: 42)
        for i in 0..<150 {
            let key = Self.key("k\(rng.below(10))", 0)
            switch rng.below(3) {
            case 0: try db.putItem(PutItemInput(tableName: "songs", item: key.merging(["v": .n(Number(exactly: i))]) { a, _ in a }))
            case 1: try db.deleteItem(DeleteItemInput(tableName: "songs", key: key))
            default:
                try db.updateItem(UpdateItemInput(
                    tableName: "songs", key: key, updateExpression: "ADD n :one", expressionAttributeValues: [":one": .n(Number(exactly: 1))]))
            }
        }
        fs.setOperationHook(nil)
        try db.close()
        let all = images.withLock { $0 }
        #expect(all.count > 20)
        let failures = checkEveryCrashImage(all, options: options) { recovered in
            try Self.checkChains(recovered, table: "songs")
        }
        #expect(failures == 0)
    }
}

/// Runs `body(i)` for i in 0..<count on separate threads and waits for all.
func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        Thread {
            body(i)
            group.leave()
        }.start()
    }
    group.wait()
}

extension Array where Element == UInt8 {
    /// The first key after every key starting with `self`.
    var prefixSuccessorForTests: [UInt8] {
        var key = self
        while let last = key.last {
            if last < 0xFF { key[key.count - 1] = last + 1; return key }
            key.removeLast()
        }
        return [0xFF]
    }
}

/// Damaged stream bytes are typed corruption, never a crash or a wrong record.
@Suite struct StreamRecordCodecTests {
    static let keys = [
        KeyAttribute(name: "pk", type: .s, isPartitionKey: true), KeyAttribute(name: "sk", type: .n, isPartitionKey: false),
    ]

    func corrupt(_ bytes: [UInt8]) -> Bool {
        do {
            _ = try StreamRecordCodec.decode(bytes, keys: Self.keys)
            return false
        } catch let error as CairnError {
            return error.isCorruption
        } catch {
            return false
        }
    }

    @Test func roundTripAndEveryDamage() throws {
        let itemKey = try KeySpace.itemKey(table: 1, partitionKey: .s("a"), sortKey: .n(Number(exactly: 7)))
        let newItem: Item = ["pk": .s("a"), "sk": .n(Number(exactly: 7)), "v": .s("x")]
        let good = StreamRecordCodec.encode(
            event: .modify, byTimeToLive: true, createdAtMillis: 1234, itemKey: itemKey,
            newImage: ItemCodec.encode(newItem), oldImage: nil)
        let decoded = try StreamRecordCodec.decode(good, keys: Self.keys)
        #expect(decoded == StoredStreamRecord(
            eventName: .modify, byTimeToLive: true, createdAtMillis: 1234, keys: ["pk": .s("a"), "sk": .n(Number(exactly: 7))],
            newImage: newItem, oldImage: nil))

        #expect(corrupt([]))
        var badVersion = good
        badVersion[0] = 9
        #expect(corrupt(badVersion))
        var badEvent = good
        badEvent[1] = 7
        #expect(corrupt(badEvent))
        #expect(corrupt(Array(good.dropLast())), "a cut image")
        #expect(corrupt(good + [0]), "trailing bytes")
        var claimsOld = good
        claimsOld[2] |= 4
        #expect(corrupt(claimsOld), "a flag for an image that is not there")
        // Key values that do not decode with the table's key types.
        let wrongKeys = [KeyAttribute(name: "pk", type: .n, isPartitionKey: true)]
        #expect(throws: CairnError.self) { _ = try StreamRecordCodec.decode(good, keys: wrongKeys) }
        // Every single-byte flip either decodes to some record or is corruption: never a trap.
        for i in good.indices {
            var flipped = good
            flipped[i] ^= 0x41
            _ = try? StreamRecordCodec.decode(flipped, keys: Self.keys)
        }
        #expect(throws: CairnError.self) { _ = try StreamDescriptor.decode([1] + Array("{not json".utf8)) }
        #expect(throws: CairnError.self) { _ = try StreamDescriptor.decode([2]) }
    }
}
