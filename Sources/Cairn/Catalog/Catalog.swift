import CairnLSM
import Foundation
import Synchronization

/// The durable list of tables: loaded from the catalog key space at open, kept in memory, and
/// changed only by writing the catalog records synchronously first.
final class Catalog: Sendable {
    private struct State {
        var tables: [String: TableDefinition] = [:]
        var nextNumber: UInt32 = 1
        /// Counts changes of table definitions since open (see `generation`).
        var changes: UInt64 = 0
        /// Every change stream, current or ended, by its descriptor key (table number, then
        /// ordinal: ListStreams' order).
        var streams: [[UInt8]: StreamDescriptor] = [:]
    }

    private let lsm: Database
    private let state: CairnMutex<State>
    /// True while some table has an index kept from its index log (eventual, or CREATING):
    /// item writes then wake the index updater after they commit.
    private let logMaintainedIndexes = Atomic<Bool>(false)

    /// Whether some table has an index kept from its index log.
    var hasLogMaintainedIndexes: Bool { logMaintainedIndexes.load(ordering: .relaxed) }

    /// Recomputes `hasLogMaintainedIndexes` from `tables` (under the state lock).
    private func noteIndexes(_ tables: [String: TableDefinition]) {
        let any = tables.values.contains { table in table.indexes.contains { !$0.isKeptInBatch } }
        logMaintainedIndexes.store(any, ordering: .relaxed)
    }

    /// Every table's definition.
    func allTables() -> [TableDefinition] {
        state.withLock { Array($0.tables.values) }
    }

    /// Loads the catalog of `lsm`, writing the format marker into an empty database.
    init(lsm: Database) throws {
        self.lsm = lsm
        var loaded = State()
        if let marker = try lsm.get(KeySpace.formatMarkerKey) {
            guard marker.count == KeySpace.formatMagic.count + 1,
                  Array(marker.prefix(KeySpace.formatMagic.count)) == KeySpace.formatMagic else {
                throw CairnError.corruption(file: "format marker", offset: 0, reason: "bad magic in Cairn's format marker")
            }
            guard marker.last == KeySpace.formatVersion else {
                throw CairnError.notSupported(
                    "item format version \(marker.last ?? 0) (this build reads \(KeySpace.formatVersion))")
            }
        } else {
            let iterator = try lsm.makeIterator()
            try iterator.seekToFirst()
            guard !iterator.isValid else {
                throw CairnError.invalidArgument(
                    "\(lsm.path) holds keys but no Cairn format marker: it is a plain key-value database, not a Cairn item database")
            }
            // An empty database opened read-only stays as it is (it has no tables to read).
            if !lsm.isReadOnly { _ = try lsm.put(KeySpace.formatMarkerKey, KeySpace.formatMagic + [KeySpace.formatVersion], sync: true) }
        }
        if let value = try lsm.storedUInt64(KeySpace.nextTableNumberKey, file: "table catalog", what: "next table number") {
            guard value <= UInt64(UInt32.max) else {
                throw CairnError.corruption(file: "table catalog", offset: 0, reason: "next table number \(value) out of range")
            }
            loaded.nextNumber = UInt32(value)
        }
        let prefix = KeySpace.tableDefinitionPrefix
        try lsm.forEachEntry(from: prefix, to: prefix.prefixSuccessor) { entry in
            let definition = try TableDefinition.decode(record: entry.value, key: entry.key)
            loaded.tables[definition.name] = definition
            loaded.nextNumber = max(loaded.nextNumber, definition.number &+ 1)
        }
        try lsm.forEachEntry(from: StreamKeys.descriptorPrefix, to: StreamKeys.descriptorPrefix.prefixSuccessor) { entry in
            loaded.streams[entry.key] = try StreamDescriptor.decode(entry.value)
        }
        state = CairnMutex(loaded)
        noteIndexes(loaded.tables)
    }

    /// The definition of table `name`, or ResourceNotFoundException.
    func table(_ name: String) throws -> TableDefinition {
        guard let definition = state.withLock({ $0.tables[name] }) else {
            throw DynamoDBError.resourceNotFound()
        }
        return definition
    }

    /// The definition of table `name`, or ResourceNotFoundException naming the table (the
    /// message of DynamoDB's table-level and Streams operations).
    func table(named name: String) throws -> TableDefinition {
        guard let definition = lookup(name) else {
            throw DynamoDBError.resourceNotFound("Requested resource not found: Table: \(name) not found")
        }
        return definition
    }

    /// The definition of table `name`, if it exists.
    func lookup(_ name: String) -> TableDefinition? {
        state.withLock { $0.tables[name] }
    }

    /// The live definition of `definition`'s table, nil if the table was deleted (or deleted
    /// and created again) since `definition` was looked up. Its settings may be newer than
    /// `definition`'s (UpdateTable, UpdateTimeToLive): writes take TTL from here.
    func live(_ definition: TableDefinition) -> TableDefinition? {
        state.withLock { state in
            guard let live = state.tables[definition.name], live.number == definition.number else { return nil }
            return live
        }
    }

    /// A number that changes whenever a table definition changes (`change`, `delete`).
    var generation: UInt64 { state.withLock { $0.changes } }

    /// Runs `body` with `definition`'s live definition under the catalog's lock, if no table
    /// definition changed since `generation` was read; returns nil without running it
    /// otherwise. No `change` can run meanwhile.
    func ifUnchanged<R>(since generation: UInt64, _ definition: TableDefinition,
                        _ body: (TableDefinition) throws -> R) throws -> R? {
        try state.withLock { state in
            guard state.changes == generation, let live = state.tables[definition.name],
                  live.number == definition.number else { return nil }
            return try body(live)
        }
    }

    /// All table names, sorted by their UTF-8 bytes (ListTables' order).
    func names() -> [String] {
        state.withLock { Array($0.tables.keys) }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Creates a table: `make` receives the new table number and returns the definition.
    func create(
        _ name: String, now: Double = Date().timeIntervalSince1970, _ make: (UInt32) -> TableDefinition
    ) throws -> TableDefinition {
        try state.withLock { state in
            guard state.tables[name] == nil else {
                throw DynamoDBError.resourceInUse("Table already exists: \(name)")
            }
            guard state.nextNumber < UInt32.max else {
                throw DynamoDBError.validation("Too many tables have been created in this database")
            }
            let definition = make(state.nextNumber)
            var batch = WriteBatch()
            batch.put(KeySpace.tableDefinitionKey(name), try definition.record())
            let streams = try streamChanges(from: nil, to: definition, now: now, streams: state.streams, &batch)
            var next: [UInt8] = []
            let nextValue = UInt64(state.nextNumber) + 1
            for shift in stride(from: 56, through: 0, by: -8) { next.append(UInt8(truncatingIfNeeded: nextValue >> UInt64(shift))) }
            batch.put(KeySpace.nextTableNumberKey, next)
            _ = try lsm.write(batch, sync: true)
            state.tables[name] = definition
            state.nextNumber += 1
            noteIndexes(state.tables)
            for (key, descriptor) in streams { state.streams[key] = descriptor }
            return definition
        }
    }

    /// Changes table `name`'s definition with `change` and stores the result, all under the
    /// catalog's lock, so concurrent changes (UpdateTable, UpdateTimeToLive) never lose one
    /// another. `also` may add more writes (from the old and new definitions) to the batch
    /// that stores the new definition. Returns the new definition.
    func change(
        _ name: String, now: Double = Date().timeIntervalSince1970, _ change: (TableDefinition) throws -> TableDefinition,
        also: (TableDefinition, TableDefinition, inout WriteBatch) -> Void = { _, _, _ in }
    ) throws -> TableDefinition {
        try state.withLock { state in
            guard let current = state.tables[name] else { throw DynamoDBError.resourceNotFound() }
            let definition = try change(current)
            var batch = WriteBatch()
            batch.put(KeySpace.tableDefinitionKey(name), try definition.record())
            also(current, definition, &batch)
            let streams = try streamChanges(from: current, to: definition, now: now, streams: state.streams, &batch)
            _ = try lsm.write(batch, sync: true)
            state.tables[name] = definition
            state.changes &+= 1
            noteIndexes(state.tables)
            for (key, descriptor) in streams { state.streams[key] = descriptor }
            return definition
        }
    }

    /// Removes a table's definition and, in the same atomic write, all its items and its
    /// expiry index.
    func delete(_ definition: TableDefinition, now: Double = Date().timeIntervalSince1970) throws {
        try state.withLock { state in
            guard state.tables[definition.name]?.number == definition.number else {
                throw DynamoDBError.resourceNotFound()
            }
            var batch = WriteBatch()
            batch.delete(KeySpace.tableDefinitionKey(definition.name))
            batch.deleteRange(KeySpace.tablePrefix(definition.number), KeySpace.tableEnd(definition.number))
            batch.deleteRange(ExpiryIndex.prefix(definition.number), ExpiryIndex.end(definition.number))
            batch.delete(ExpiryIndex.markerKey(definition.number))
            IndexKeys.deleteAll(of: definition.number, in: &batch)
            // The table's stream ends with it; its records stay readable (DynamoDB keeps a
            // deleted table's stream for 24 hours).
            let streams = try streamChanges(from: definition, to: nil, now: now, streams: state.streams, &batch)
            _ = try lsm.write(batch, sync: true)
            state.tables[definition.name] = nil
            state.changes &+= 1
            noteIndexes(state.tables)
            for (key, descriptor) in streams { state.streams[key] = descriptor }
        }
    }

    // MARK: - Streams

    /// Every stream descriptor in ListStreams' order (table number, then ordinal).
    func streamDescriptors() -> [StreamDescriptor] {
        state.withLock { state in
            state.streams.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map(\.value)
        }
    }

    /// The descriptor stored under `key` (`StreamKeys.descriptorKey`), if there is one.
    func streamDescriptor(key: [UInt8]) -> StreamDescriptor? {
        state.withLock { $0.streams[key] }
    }

    /// The descriptor of the stream with ARN `arn`, if there is one.
    func streamDescriptor(arn: String) -> StreamDescriptor? {
        state.withLock { $0.streams.values.first { $0.arn == arn } }
    }

    /// The descriptor writes a definition change implies, added to `batch`; returns the new
    /// descriptors by key to install once the batch is durable. A new stream (a new ordinal)
    /// gets a descriptor with one open shard per lane; a stream that was enabled and is now
    /// disabled, replaced or has lost its table gets `disabledAt`, and its open shards close
    /// at the last committed sequence number (the caller holds every item lock, so no write
    /// is in flight).
    private func streamChanges(
        from old: TableDefinition?, to new: TableDefinition?, now: Double, streams: [[UInt8]: StreamDescriptor],
        _ batch: inout WriteBatch
    ) throws -> [([UInt8], StreamDescriptor)] {
        var changes: [([UInt8], StreamDescriptor)] = []
        let before = old?.activeStream
        let after = new?.settings.stream
        if let old, let before, !(after?.ordinal == before.ordinal && after?.enabled == true) {
            let key = StreamKeys.descriptorKey(table: old.number, ordinal: before.ordinal)
            if var ended = streams[key] {
                ended.stream.enabled = false
                ended.disabledAt = now
                let last = lsm.latestSequenceNumber
                for i in ended.shards.indices where ended.shards[i].end == nil {
                    ended.shards[i].end = max(last, ended.shards[i].start &- 1)
                    ended.shards[i].closedAt = now
                }
                batch.put(key, try ended.record())
                changes.append((key, ended))
            }
        }
        if let new, let after, after.enabled, before?.ordinal != after.ordinal {
            let start = after.startSequence ?? lsm.latestSequenceNumber + 1
            let value = StreamDescriptor(
                tableNumber: new.number, tableName: new.name, stream: after, keySchema: new.keySchema,
                keyAttributes: new.keyAttributes, disabledAt: nil,
                shards: (0..<after.lanes).map { ShardState(lane: $0, start: start, end: nil, createdAt: now, closedAt: nil, parent: nil) })
            batch.put(value.key, try value.record())
            changes.append((value.key, value))
        }
        return changes
    }

    /// Replaces a stream's descriptor with `change(descriptor, &batch)` (nil: removes it),
    /// writing whatever `change` added to the batch (trimming's range deletions) in the same
    /// synced batch; returns the new descriptor. Shard rollover and retention trimming go
    /// through here.
    @discardableResult
    func updateStream(
        _ key: [UInt8], _ change: (StreamDescriptor, inout WriteBatch) throws -> StreamDescriptor?
    ) throws -> StreamDescriptor? {
        try state.withLock { state in
            guard let current = state.streams[key] else { return nil }
            var batch = WriteBatch()
            let updated = try change(current, &batch)
            if let updated { batch.put(key, try updated.record()) } else { batch.delete(key) }
            _ = try lsm.write(batch, sync: true)
            state.streams[key] = updated
            return updated
        }
    }
}
