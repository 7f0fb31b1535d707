import Cairn
import CairnExport
import CairnLSM

/// Cairn's item layer (`ItemDatabase`) with one table `items` (pk S, sk N), called exactly as
/// an application would: one PutItem, GetItem or Query request per operation, with its key
/// condition parsed per request as DynamoDB does.
final class CairnItemEngine: ItemBenchEngine, @unchecked Sendable {
    static let name = "cairn"

    let settings: [String]
    private let db: ItemDatabase
    /// The table's secondary indexes (index workloads), whose attributes every put writes.
    private let indexes: BenchIndexLayout?

    static let hasEventualIndexes = true

    init(directory: String, options: EngineOptions, indexes: BenchIndexLayout?) throws {
        var itemOptions = ItemDatabase.Options()
        itemOptions.storage.writeBufferSize = options.writeBufferBytes
        itemOptions.storage.blockCacheCapacity = options.blockCacheBytes
        itemOptions.storage.bloomBitsPerKey = options.bloomBitsPerKey
        itemOptions.storage.compression = options.lz4 ? .lz4 : .none
        itemOptions.syncWrites = options.syncWrites
        db = try ItemDatabase.open(directory, options: itemOptions)
        self.indexes = indexes
        if let indexes {
            try db.createTable(Self.indexedTable(indexes))
        } else {
            try db.createTable("items", partitionKey: ("pk", .s), sortKey: ("sk", .n))
        }
        settings = [
            "ItemDatabase, table items (pk S HASH, sk N RANGE); one PutItem/GetItem/Query request per operation",
            "writeBufferSize \(formatBytes(options.writeBufferBytes)), block cache \(formatBytes(options.blockCacheBytes)), bloom \(options.bloomBitsPerKey) bits/key, compression \(options.lz4 ? "lz4" : "none")",
            "syncWrites \(options.syncWrites) (\(options.syncWrites ? "fdatasync per write, shared by concurrent writers" : "WAL written, not synced"))",
            "ttl: UpdateTimeToLive on attribute expires (an expiry-index entry per write); expire: one sweepExpiredItems(now:) pass",
            "stream workloads: UpdateTable enabling StreamSpecification (KEYS_ONLY or NEW_AND_OLD_IMAGES, \(ItemDatabase.Options().streamLanes) lanes) on the empty table before the first write; each put reads the old item and adds its stream record to its own batch",
            "streamlatency: one consumer Task iterating changes(of: items, from: .latest) beside the writer thread",
            "index workloads: CreateTable with the indexes (GSI i: HASH g_i S, RANGE sk, named gsi<i>; LSI lsi1: HASH pk, RANGE g1; putitemgsi0: none, only pk and sk defined); items carry g1...g<n> (12-byte strings); EVENTUAL indexes are kept by the background updater (woken by each write; indexUpdateInterval \(ItemDatabase.Options().indexUpdateInterval) s fallback), STRONG ones and the LSI in the item's batch; eventual puts end with catchUpIndexes() inside the timed run",
            "queryindex: Query IndexName gsi1, g1 = :g (projection ALL); gsilag: Query IndexName gsi1 (KEYS_ONLY, g1 unique per item) until the item shows",
            "exportparquet: Scan requests (no Limit: 1 MB pages) following LastEvaluatedKey, then CairnExport's TableExport.export (Parquet, \(ParquetWriterOptions().compression.rawValue) level \(ParquetWriterOptions().zstdLevel), \(TableExport.Options().itemsPerFile) items per file, \(TableExport.Options().threads) threads (one per core), then again on one thread (in the note)); parquetwrite: CairnExport's ParquetFileWriter with its default options (ZSTD level \(ParquetWriterOptions().zstdLevel), row groups of \(ParquetWriterOptions().rowGroupRows) rows) through PosixFileSystem; replicatelag: KEYS_ONLY stream, CairnExport's TableReplicator with its default options (files of \(TableReplicator.Options().targetFileRows) items, merges of \(TableReplicator.Options().smallFilesToMerge) files under \(TableReplicator.Options().smallFileRows), checkpoints every \(TableReplicator.Options().checkpointInterval) versions), one step a second on its own thread",
        ]
    }

    /// CreateTable for `items` (pk S HASH, sk N RANGE) with the layout's indexes (none for
    /// `.unindexed`: only pk and sk are defined, as an AttributeDefinition no key uses is an error).
    private static func indexedTable(_ layout: BenchIndexLayout) -> CreateTableInput {
        let projection = IndexProjection(projectionType: layout.keysOnly ? .keysOnly : .all)
        var definitions = [
            AttributeDefinition(attributeName: "pk", attributeType: .s), AttributeDefinition(attributeName: "sk", attributeType: .n),
        ]
        var globals: [GlobalSecondaryIndex]?
        var locals: [LocalSecondaryIndex]?
        switch layout.kind {
        case .local:
            definitions.append(AttributeDefinition(attributeName: "g1", attributeType: .s))
            locals = [LocalSecondaryIndex(
                indexName: "lsi1",
                keySchema: [KeySchemaElement(attributeName: "pk", keyType: .hash), KeySchemaElement(attributeName: "g1", keyType: .range)],
                projection: projection)]
        case .global(let consistency):
            globals = (1...layout.count).map { i in
                definitions.append(AttributeDefinition(attributeName: "g\(i)", attributeType: .s))
                return GlobalSecondaryIndex(
                    indexName: "gsi\(i)",
                    keySchema: [KeySchemaElement(attributeName: "g\(i)", keyType: .hash), KeySchemaElement(attributeName: "sk", keyType: .range)],
                    projection: projection, consistency: consistency == .strong ? .strong : .eventual)
            }
        case .unindexed:
            break
        }
        return CreateTableInput(
            tableName: "items",
            keySchema: [KeySchemaElement(attributeName: "pk", keyType: .hash), KeySchemaElement(attributeName: "sk", keyType: .range)],
            attributeDefinitions: definitions, localSecondaryIndexes: locals, globalSecondaryIndexes: globals)
    }

    deinit { try? db.close() }

    func putItem(_ item: BenchItem, payload: UnsafeRawBufferPointer) throws {
        var attributes: Item = [
            "pk": .s(item.partitionKey), "sk": .n(Number(exactly: Int(item.sort))),
            "name": .s(item.name), "count": .n(Number(exactly: Int(item.index))), "payload": .b(Array(payload)),
        ]
        if let indexes {
            for n in 1...indexes.count { attributes["g\(n)"] = .s(indexes.value(n, of: item)) }
        }
        try db.putItem(PutItemInput(tableName: "items", item: attributes))
    }

    func catchUpIndexes() throws { try db.catchUpIndexes() }

    func queryIndex(partition: UInt64) throws -> Int {
        try queryIndex(BenchItem.indexValue(1, partition: partition))
    }

    func indexShows(_ item: BenchItem) throws -> Bool {
        guard let indexes else { throw BenchError("cairn: indexShows on a table without indexes") }
        return try queryIndex(indexes.value(1, of: item)) > 0
    }

    /// Query of gsi1 (the first index) for g1 = `value`; returns the items' count.
    private func queryIndex(_ value: String) throws -> Int {
        let output = try db.query(QueryInput(
            tableName: "items", keyConditionExpression: "g1 = :g", expressionAttributeValues: [":g": .s(value)],
            indexName: "gsi1"))
        return output.items?.count ?? 0
    }

    func enableTimeToLive() throws {
        try db.updateTimeToLive(UpdateTimeToLiveInput(
            tableName: "items", timeToLiveSpecification: .init(enabled: true, attributeName: "expires")))
    }

    func putItem(_ item: BenchItem, payload: UnsafeRawBufferPointer, expires: Int64) throws {
        let attributes: Item = [
            "pk": .s(item.partitionKey), "sk": .n(Number(exactly: Int(item.sort))),
            "name": .s(item.name), "count": .n(Number(exactly: Int(item.index))), "payload": .b(Array(payload)),
            "expires": .n(Number(exactly: Int(expires))),
        ]
        try db.putItem(PutItemInput(tableName: "items", item: attributes))
    }

    func enableStream(_ view: BenchStreamView) throws {
        let viewType: StreamViewType = view == .keysOnly ? .keysOnly : .newAndOldImages
        try db.updateTable(UpdateTableInput(
            tableName: "items", streamSpecification: StreamSpecification(streamEnabled: true, streamViewType: viewType)))
    }

    func followChanges(records: Int, delivered: @escaping @Sendable (UInt64) -> Void) throws -> ChangeFollower? {
        let stream = try db.changes(of: "items", from: .latest)
        return ChangeFollower {
            var received = 0
            guard records > 0 else { return 0 }
            for try await record in stream {
                guard let index = Self.index(of: record.keys) else {
                    throw BenchError("cairn: change record with unexpected keys \(record.keys)")
                }
                delivered(index)
                received += 1
                if received == records { break }
            }
            return received
        }
    }

    /// The `BenchItem` index of a record's keys: partition number × 10 + sort key.
    private static func index(of keys: Item) -> UInt64? {
        guard case .s(let pk)? = keys["pk"], pk.hasPrefix("user"), let partition = UInt64(pk.dropFirst(4)),
              case .n(let sk)? = keys["sk"], let sort = UInt64(sk.description)
        else { return nil }
        return partition * UInt64(BenchItem.itemsPerPartition) + sort
    }

    func expire(now: Int64) throws -> Int {
        try db.sweepExpiredItems(now: Double(now))
    }

    func putItems(_ items: [BenchItem], payload: (Int) -> [UInt8]) throws {
        let requests = items.enumerated().map { i, item in
            WriteRequest.put([
                "pk": .s(item.partitionKey), "sk": .n(Number(exactly: Int(item.sort))),
                "name": .s(item.name), "count": .n(Number(exactly: Int(item.index))), "payload": .b(payload(i)),
            ])
        }
        try db.batchWriteItem(BatchWriteItemInput(requestItems: ["items": requests]))
    }

    func transfer(_ items: [BenchItem]) throws -> Bool {
        let units = items.count - 1
        var actions: [TransactWriteItem] = [
            .update(.init(
                tableName: "items", key: Self.key(items[0]), updateExpression: "ADD #c :minus",
                conditionExpression: "#c >= :units", expressionAttributeNames: ["#c": "count"],
                expressionAttributeValues: [":minus": .n(Number(exactly: -units)), ":units": .n(Number(exactly: units))])),
        ]
        for item in items.dropFirst() {
            actions.append(.update(.init(
                tableName: "items", key: Self.key(item), updateExpression: "ADD #c :one",
                expressionAttributeNames: ["#c": "count"], expressionAttributeValues: [":one": .n(1)])))
        }
        do {
            try db.transactWriteItems(TransactWriteItemsInput(transactItems: actions))
            return true
        } catch let error as DynamoDBError where error.name == "TransactionCanceledException" {
            return false
        }
    }

    /// The key of `item`.
    private static func key(_ item: BenchItem) -> Item {
        ["pk": .s(item.partitionKey), "sk": .n(Number(exactly: Int(item.sort)))]
    }

    func getItem(partition: UInt64, sort: Int64) throws -> Bool {
        let key: Item = ["pk": .s(BenchItem.partitionKey(partition)), "sk": .n(Number(exactly: Int(sort)))]
        return try db.getItem(GetItemInput(tableName: "items", key: key)).item != nil
    }

    func query(partition: UInt64) throws -> Int {
        let output = try db.query(QueryInput(
            tableName: "items", keyConditionExpression: "pk = :p",
            expressionAttributeValues: [":p": .s(BenchItem.partitionKey(partition))]))
        return output.items?.count ?? 0
    }

    static let hasParquetExport = true

    func scanAll() throws -> (items: Int, pages: Int) {
        var items = 0
        var pages = 0
        var start: Item?
        repeat {
            let output = try db.scan(ScanInput(tableName: "items", exclusiveStartKey: start))
            items += output.items?.count ?? 0
            pages += 1
            start = output.lastEvaluatedKey
        } while start != nil
        return (items, pages)
    }

    func exportParquet(to directory: String, threads: Int?) throws -> BenchExportSummary {
        var options = TableExport.Options()
        if let threads { options.threads = threads }
        let summary = try TableExport.export(db, table: "items", to: directory, options: options)
        return BenchExportSummary(
            items: summary.itemCount, files: summary.files.count, bytes: summary.bytes,
            columns: summary.schema.parquetColumns.map { "\($0.name) \($0.kind.name)" }.joined(separator: ", "))
    }

    func makeReplicator(directory: String) throws -> BenchReplicator {
        let replicator = try TableReplicator(table: "items", directory: directory)
        let db = self.db
        return BenchReplicator(
            step: {
                guard let commit = try replicator.step(db) else { return nil }
                return BenchReplicationStep(
                    changes: commit.changes, rowsWritten: commit.rowsWritten, filesAdded: commit.filesAdded,
                    filesRemoved: commit.filesRemoved, filesMerged: commit.filesMerged, changeTimes: commit.changeTimes)
            },
            close: { replicator.close() })
    }

    func flushAndCompact() throws {
        try db.storage.flush()
        try db.storage.compactRange()
    }

    func close() throws { try db.close() }
}
