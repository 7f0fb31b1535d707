import CairnLSM

extension ItemDatabase {
    /// Whether a write to `table` must read the item first: for its change stream (to know
    /// whether the item existed and, for images, what it was) and for its secondary indexes
    /// (to remove the item's old entries). A table with neither keeps its blind writes.
    func needsOldItem(_ table: TableDefinition) -> Bool {
        table.activeStream != nil || table.settings.indexes?.isEmpty == false
    }

    /// Adds `effect` on the item stored under `key` to `batch`, and with it everything that
    /// must commit with the change: when `table` (the live definition) has TTL enabled and
    /// the effect stores `new`, the item's expiry entry; the entries of the indexes kept in
    /// the item's batch and the index-log record of the others (`IndexUpkeep`); and the
    /// change's stream record. `old` must be the item before the write, read under its lock,
    /// whenever `needsOldItem(table)`. Every item write goes through here.
    ///
    /// - Throws: `ValidationException` when `new` has an index key of the wrong type or an
    ///   empty one (nothing is added to the batch then).
    func add(
        _ effect: ItemWrite.Effect, old: Item?, new: Item?, key: [UInt8], table: TableDefinition,
        cause: ChangeCause = .request, to batch: inout WriteBatch
    ) throws {
        if table.settings.indexes?.isEmpty == false {
            try addIndexUpkeep(effect, old: old, new: new, key: key, table: table, to: &batch)
        }
        batch.add(effect, key: key)
        if case .put = effect, let new, let entry = expiryEntry(table, itemKey: key, item: new) {
            batch.put(entry, [])
        }
        addStreamRecord(effect, old: old, new: new, key: key, table: table, cause: cause, to: &batch)
    }
}
