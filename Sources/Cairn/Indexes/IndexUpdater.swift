import CairnLSM
import Foundation

/// What the index updater remembers between passes (held in `ItemDatabase.indexUpkeep`).
struct IndexUpkeepState {
    /// Per table: records applied since its log was last trimmed, and when that was.
    var untrimmed: [UInt32: (records: Int, since: Double)] = [:]
}

extension ItemDatabase {
    /// Records applied per write batch of the updater.
    static var indexLogBatchRecords: Int { 256 }
    /// Items indexed per backfill step.
    static var backfillStepItems: Int { 1000 }
    /// The log is trimmed (one range deletion of applied records) after this many records, or
    /// `indexLogTrimSeconds` after the last trim.
    static var indexLogTrimRecords: Int { 50_000 }
    static var indexLogTrimSeconds: Double { 5 }

    /// Runs one pass of the index updater now, as its background thread does after writes:
    /// applies every pending index-log record of every table, then one backfill step (up to
    /// `backfillStepItems` items) of each CREATING index, activating an index whose backfill
    /// ended. Returns true when a backfill has more to do.
    ///
    /// Passes are serial (the updater's lock), so the backfill of an index and the log
    /// records of the same index apply in one order: each step indexes the items as of the
    /// snapshot up to which the log was just applied, and later records change those entries
    /// as they changed the items.
    @discardableResult
    public func runIndexUpkeep() throws -> Bool {
        try indexUpkeep.withLock { state in
            var more = false
            for table in catalog.allTables() where table.hasLogKeptIndexes {
                let snapshot = lsm.snapshot()
                try applyIndexLog(table, at: snapshot, state: &state)
                if let creating = table.indexes.first(where: { $0.status == .creating }) {
                    more = try backfillStep(table, creating, at: snapshot, state: &state) || more
                }
            }
            return more
        }
    }

    /// Runs updater passes until every index log is applied and every backfill has ended, so
    /// that every eventually consistent index reflects all writes acknowledged before the
    /// call (tests, `verifyIndexes`, benchmarks).
    public func catchUpIndexes() throws {
        while try runIndexUpkeep() {}
    }

    /// The sequence number of the last applied record of a table's index log (0: none).
    private func indexLogPosition(_ table: UInt32, at snapshot: Snapshot?) throws -> UInt64 {
        try lsm.storedUInt64(
            IndexKeys.logPositionKey(table), at: snapshot, file: "index log", what: "log position of table \(table)") ?? 0
    }

    /// Applies the records of `table`'s index log visible at `snapshot` after its position,
    /// to the indexes kept from the log, a batch at a time (entries and the new position in
    /// one write, so a crash repeats no record and skips none).
    func applyIndexLog(_ table: TableDefinition, at snapshot: Snapshot, state: inout IndexUpkeepState) throws {
        var position = try indexLogPosition(table.number, at: snapshot)
        let targets = Dictionary(
            table.indexes.filter { !$0.isKeptInBatch }.map { ($0.ordinal, IndexEntryBuilder($0, table: table)) },
            uniquingKeysWith: { a, _ in a })
        let iterator = try lsm.makeIterator(ReadOptions(
            snapshot: snapshot, lowerBound: IndexKeys.logKey(table.number, sequence: position &+ 1),
            upperBound: IndexKeys.logEnd(table.number)))
        try iterator.seekToFirst()
        var applied = 0
        while iterator.isValid {
            var batch = WriteBatch()
            var count = 0
            while iterator.isValid && count < Self.indexLogBatchRecords {
                let key = iterator.key
                guard key.count == IndexKeys.logPrefix(table.number).count + 8 else {
                    throw CairnError.corruption(file: "index log", offset: 0, reason: "log key of \(key.count) bytes")
                }
                position = KeySpace.bigEndianValue(key.suffix(8))
                try apply(iterator.value, table: table, targets: targets, at: snapshot, to: &batch)
                count += 1
                try iterator.next()
            }
            var value: [UInt8] = []
            KeySpace.appendBigEndian(position, to: &value)
            batch.put(IndexKeys.logPositionKey(table.number), value)
            // A side write: item writes go on while its entries go into the memtable.
            _ = try lsm.writeSide(batch, sync: false)
            applied += count
        }
        guard applied > 0 else { return }
        let now = Date().timeIntervalSince1970
        var untrimmed = state.untrimmed[table.number] ?? (0, now)
        untrimmed.records += applied
        if untrimmed.records >= Self.indexLogTrimRecords || now - untrimmed.since >= Self.indexLogTrimSeconds {
            // Applied records are dropped with one range deletion; compaction reclaims them.
            _ = try lsm.deleteRange(IndexKeys.logPrefix(table.number), IndexKeys.logKey(table.number, sequence: position &+ 1))
            untrimmed = (0, now)
        }
        state.untrimmed[table.number] = untrimmed
    }

    /// Adds the effect of the log record stored as `bytes` on the indexes in `targets` (by
    /// ordinal; an index deleted since, or kept in the item's batch now, is skipped) to
    /// `batch`: the old entry goes and the new one comes, both as the record names them.
    private func apply(
        _ bytes: [UInt8], table: TableDefinition, targets: [UInt16: IndexEntryBuilder], at snapshot: Snapshot,
        to batch: inout WriteBatch
    ) throws {
        var readsItem = false
        try bytes.withUnsafeBytes { p in
            try IndexLogRecord.visit(p) { header in
                readsItem = header.readsItem
            } change: { ordinal, oldKey, newKey, newValue, _ in
                guard !readsItem, targets[ordinal] != nil else { return }
                if let oldKey { batch.delete(oldKey) }
                if let newKey, let newValue { batch.put(newKey, newValue) }
            }
        }
        if readsItem { try applyVersion1(try IndexLogRecord.decode(bytes), table: table, targets: targets, at: snapshot, to: &batch) }
    }

    /// `apply` for a version 1 record, which names the old entries only: the new entry comes
    /// from the item as `snapshot` holds it (a state at or after the record's).
    private func applyVersion1(
        _ record: IndexLogRecord, table: TableDefinition, targets: [UInt16: IndexEntryBuilder], at snapshot: Snapshot,
        to batch: inout WriteBatch
    ) throws {
        guard record.changes.contains(where: { targets[$0.ordinal] != nil }) else { return }
        let bytes = try lsm.get(record.itemKey, snapshot: snapshot)
        for change in record.changes {
            guard let builder = targets[change.ordinal] else { continue }
            let entry = try bytes.flatMap { try builder.entry(ofStored: $0) }
            let newKey = try entry.map {
                try IndexKeys.entryKey(table: table.number, ordinal: change.ordinal, values: $0.values, itemKey: record.itemKey)
            }
            if let oldKey = change.oldKey, oldKey != newKey { batch.delete(oldKey) }
            if let newKey, let entry { batch.put(newKey, entry.value) }
        }
    }

    /// Indexes the next items of a CREATING index's backfill, as of `snapshot` (to which the
    /// log was just applied); when the table's end is reached, makes the index ACTIVE.
    /// Returns true while items remain.
    private func backfillStep(
        _ table: TableDefinition, _ index: IndexDefinition, at snapshot: Snapshot, state: inout IndexUpkeepState
    ) throws -> Bool {
        let cursorKey = IndexKeys.backfillPositionKey(table: table.number, ordinal: index.ordinal)
        let cursor = try lsm.get(cursorKey, snapshot: snapshot)
        let iterator = try lsm.makeIterator(ReadOptions(
            snapshot: snapshot, lowerBound: KeySpace.tablePrefix(table.number), upperBound: KeySpace.tableEnd(table.number)))
        if let cursor {
            try iterator.seek(cursor)
            if iterator.isValid, iterator.key == cursor { try iterator.next() }
        } else {
            try iterator.seekToFirst()
        }
        var batch = WriteBatch()
        var count = 0
        var last: [UInt8]?
        let builder = IndexEntryBuilder(index, table: table)
        while iterator.isValid && count < Self.backfillStepItems {
            let itemKey = iterator.key
            // An item whose index key has the wrong type is left out of the index (DynamoDB
            // counts it as an index key violation).
            if let entry = try builder.entry(ofStored: iterator.value) {
                let key = try IndexKeys.entryKey(table: table.number, ordinal: index.ordinal, values: entry.values, itemKey: itemKey)
                batch.put(key, entry.value)
            }
            last = itemKey
            count += 1
            try iterator.next()
        }
        if iterator.isValid, let last {
            batch.put(cursorKey, last)
            _ = try lsm.write(batch, sync: false)
            return true
        }
        if !batch.isEmpty { _ = try lsm.write(batch, sync: false) }
        try activate(table, index, cursorKey: cursorKey, state: &state)
        return false
    }

    /// Makes a backfilled index ACTIVE. A strong index is from then on written in each item's
    /// batch, so the switch happens with every item lock held and the log applied to its
    /// end: no write is in flight, and none is left in the log for it.
    private func activate(
        _ table: TableDefinition, _ index: IndexDefinition, cursorKey: [UInt8], state: inout IndexUpkeepState
    ) throws {
        func change() throws {
            _ = try catalog.change(table.name, now: currentTime()) { current in
                guard current.number == table.number else { return current }
                return current.changing { settings in
                    for i in settings.indexes?.indices ?? 0..<0
                    where settings.indexes?[i].ordinal == index.ordinal && settings.indexes?[i].status == .creating {
                        settings.indexes?[i].status = .active
                    }
                }
            } also: { _, new, batch in
                batch.delete(cursorKey)
                // The log was applied to its end (a strong index activates under every item
                // lock): with no index left that reads it, it goes.
                if !new.hasLogKeptIndexes { IndexKeys.deleteLog(of: new.number, in: &batch) }
            }
        }
        if index.consistency == .strong {
            try locks.withAllLocks {
                try applyIndexLog(table, at: lsm.snapshot(), state: &state)
                try change()
            }
        } else {
            try change()
        }
    }
}
