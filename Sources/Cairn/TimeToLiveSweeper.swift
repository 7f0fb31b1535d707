import CairnLSM
import Foundation
import Synchronization

/// Why an item changed: a request, or Time to Live. Every deletion by TTL goes through
/// `ItemDatabase.applyDelete` with `.timeToLive`, so its change-stream record is marked as
/// DynamoDB's streams mark them (`userIdentity` `dynamodb.amazonaws.com`).
enum ChangeCause: Sendable, Equatable {
    /// An API request (PutItem, TransactWriteItems, ...).
    case request
    /// The TTL sweeper deleting an expired item.
    case timeToLive
}

extension ItemDatabase {
    /// Runs one Time to Live pass now, as the background sweeper does every
    /// `Options.timeToLiveSweepInterval`: deletes the items of every TTL-enabled table that
    /// have expired at `now` (default: the clock of `Options`), and the idempotency records
    /// past their 10 minutes. Returns how many items it deleted. Useful with a sweep interval
    /// of 0 (no background thread) or a test clock; safe beside the sweeper and any writes.
    ///
    /// A pass reads only the due part of each table's expiry index (`ExpiryIndex`), through
    /// one snapshot iterator and without locks; each due entry is then resolved under its
    /// item's lock (`resolveExpiryEntry`), so a write that renewed the item in the meantime
    /// wins and foreground writes wait at most for one item's delete. A table whose index is
    /// not complete yet (TTL just enabled, or a crash during the backfill) is backfilled first.
    @discardableResult
    public func sweepExpiredItems(now: Double? = nil) throws -> Int {
        let now = now ?? currentTime()
        var deleted = 0
        for name in catalog.names() {
            guard let definition = catalog.lookup(name), let attribute = definition.settings.timeToLiveAttribute else {
                continue
            }
            if try lsm.get(ExpiryIndex.markerKey(definition.number)) != ExpiryIndex.markerValue(attribute) {
                // Not complete yet; a definition change during the backfill makes it retry.
                guard try backfillExpiryIndex(definition) else { continue }
            }
            deleted += try sweepExpiryIndex(definition, attribute: attribute, now: now)
        }
        try expireIdempotencyRecords(now: now)
        return deleted
    }

    /// Resolves the entries of `definition`'s expiry index that are due at `now`; returns how
    /// many items it deleted.
    private func sweepExpiryIndex(_ definition: TableDefinition, attribute: String, now: Double) throws -> Int {
        let upper = now.rounded(.up)
        guard upper.isFinite else { return 0 }
        let seconds = Int64(min(max(upper, -ExpiryIndex.secondsLimit), ExpiryIndex.secondsLimit))
        let start = ExpiryIndex.prefix(definition.number)
        let iterator = try lsm.makeIterator(ReadOptions(
            lowerBound: start, upperBound: ExpiryIndex.boundary(definition.number, seconds: seconds)))
        try iterator.seek(start)
        var deleted = 0
        var due: [[UInt8]] = []
        while iterator.isValid {
            due.append(iterator.key)
            try iterator.next()
            if due.count >= 1_000 || !iterator.isValid {
                for entry in due where try resolveExpiryEntry(definition, entry, attribute: attribute, now: now) {
                    deleted += 1
                }
                due.removeAll(keepingCapacity: true)
            }
        }
        return deleted
    }

    /// Resolves one due expiry-index entry under its item's lock, reading the item again:
    /// - the item's TTL value is still the entry's and the item has expired: deletes both in
    ///   one batch (cause `.timeToLive`) and returns true;
    /// - the value is the entry's but the item cannot expire yet (its TTL value lies later in
    ///   the same second): keeps the entry for the next pass;
    /// - otherwise (the item was deleted, rewritten with another or no TTL value, or its value
    ///   is older than DynamoDB's five-year horizon, so it never expires): deletes the entry.
    /// An item written twice with the same TTL value has two entries; the first one due
    /// deletes the item, the second then finds none.
    func resolveExpiryEntry(_ definition: TableDefinition, _ entry: [UInt8], attribute: String, now: Double) throws -> Bool {
        guard let (seconds, key) = ExpiryIndex.parse(entry, table: definition.number) else {
            // Too short to hold an item key: never written by Cairn; drop it rather than
            // read it again every pass.
            _ = try lsm.delete(entry, sync: false)
            return false
        }
        expiryEntriesResolvedCounter.add(1, ordering: .relaxed)
        return try locks.withLock(key) {
            guard let live = catalog.live(definition), live.settings.timeToLiveAttribute == attribute else { return false }
            if let item = try readItem(key), ExpiryIndex.expirySeconds(of: item, attribute: attribute) == seconds {
                if Self.hasExpired(item, attribute: attribute, now: now) {
                    try applyDelete(key, item: item, table: live, expiryEntry: entry, cause: .timeToLive)
                    return true
                }
                if let expiry = Self.timeToLiveValue(item, attribute: attribute), expiry >= now - Self.timeToLiveHorizon {
                    return false  // due later in this second
                }
            }
            _ = try lsm.delete(entry, sync: false)
            return false
        }
    }

    /// Deletes `item`, stored under `key` in `table` (its live definition), and its expiry
    /// entry in one batch, with the change-stream record marked with `cause`, and counts TTL
    /// deletions. Not synced: an expired item deleted again after a crash is harmless (the
    /// lost deletion never committed, so neither did its stream record).
    private func applyDelete(
        _ key: [UInt8], item: Item, table: TableDefinition, expiryEntry entry: [UInt8], cause: ChangeCause
    ) throws {
        var batch = WriteBatch()
        try add(.delete, old: item, new: nil, key: key, table: table, cause: cause, to: &batch)
        batch.delete(entry)
        try commit(batch, sync: false)
        if cause == .timeToLive { timeToLiveDeletionCounter.add(1, ordering: .relaxed) }
    }

    /// Indexes every item of `definition`'s table that has a TTL value, then writes the
    /// table's marker; returns false, writing no marker, when a table definition changed
    /// meanwhile (the next pass starts again), or when `onlyIfEmpty` and the table has items.
    ///
    /// Writes add their own entries from the moment they see TTL enabled. Taking every item
    /// lock once before the scan waits out the writes that looked at the table definition
    /// before TTL was enabled, so the scan's snapshot holds them all. Entries from a scan
    /// that is stale by the time they are written are harmless, and an item written after
    /// TTL was enabled may be indexed twice (see `ExpiryIndex`).
    func backfillExpiryIndex(_ definition: TableDefinition, onlyIfEmpty: Bool = false) throws -> Bool {
        let generation = catalog.generation
        guard let live = catalog.live(definition), let attribute = live.settings.timeToLiveAttribute else { return false }
        locks.withAllLocks {}
        let iterator = try lsm.makeIterator(ReadOptions(
            lowerBound: KeySpace.tablePrefix(live.number), upperBound: KeySpace.tableEnd(live.number)))
        try iterator.seek(KeySpace.tablePrefix(live.number))
        if onlyIfEmpty && iterator.isValid { return false }
        var batch = WriteBatch()
        var entries = 0
        while iterator.isValid {
            let item = try iterator.withValue { try ItemCodec.decode($0) }
            if let entry = expiryEntry(live, itemKey: iterator.key, item: item) {
                batch.put(entry, [])
                entries += 1
            }
            try iterator.next()
            if entries >= 1_000 || (!iterator.isValid && entries > 0) {
                _ = try lsm.write(batch, sync: false)
                batch = WriteBatch()
                entries = 0
            }
        }
        let marked = try catalog.ifUnchanged(since: generation, live) { current -> Bool in
            guard current.settings.timeToLiveAttribute == attribute else { return false }
            // Synced, and after the entries in the log, so a marker never outlives them.
            _ = try lsm.put(ExpiryIndex.markerKey(live.number), ExpiryIndex.markerValue(attribute), sync: true)
            return true
        }
        return marked ?? false
    }

    /// Items the TTL sweeper has deleted since the database was opened.
    public var timeToLiveDeletions: Int { timeToLiveDeletionCounter.load(ordering: .relaxed) }
}
