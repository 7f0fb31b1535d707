import CairnLSM

/// What `ItemDatabase.verifyIndexes()` found: per index, entries checked and differences
/// from the entries its table's items call for.
public struct IndexVerifyReport: Sendable, Equatable {
    /// One index's result.
    public struct IndexResult: Sendable, Equatable {
        /// The table.
        public var tableName: String
        /// The index.
        public var indexName: String
        /// Entries the table's items call for.
        public var expectedEntries: Int
        /// Entries the index holds.
        public var storedEntries: Int
        /// Entries that should exist and do not.
        public var missing: Int
        /// Entries that exist and should not.
        public var extra: Int
        /// Entries whose projected item differs.
        public var wrongValue: Int
        /// True while the index is CREATING (its backfill is not finished, so it is not
        /// compared; the counts are 0).
        public var backfilling: Bool

        /// True when the index equals what its table calls for.
        public var isConsistent: Bool { missing == 0 && extra == 0 && wrongValue == 0 }
    }

    /// Every index of every table, in table then index order.
    public var indexes: [IndexResult]

    /// True when every index equals what its table calls for.
    public var isConsistent: Bool { indexes.allSatisfy(\.isConsistent) }
}

extension ItemDatabase {
    /// Recomputes every ACTIVE secondary index from its table's items and compares it with
    /// the stored entries (`cairn verify`).
    ///
    /// Eventually consistent indexes are first brought up to date: the check holds the index
    /// updater's lock and every item lock, applies the index logs to their end and compares at
    /// one snapshot, so writes wait while it runs. The expected entries of one index are held
    /// in memory.
    public func verifyIndexes() throws -> IndexVerifyReport {
        try indexUpkeep.withLock { state in
            try locks.withAllLocks {
                var results: [IndexVerifyReport.IndexResult] = []
                let tables = catalog.allTables().sorted { $0.number < $1.number }
                for table in tables where table.hasLogKeptIndexes {
                    try applyIndexLog(table, at: lsm.snapshot(), state: &state)
                }
                let snapshot = lsm.snapshot()
                for table in tables {
                    for index in table.indexes {
                        results.append(try verify(index, of: table, at: snapshot))
                    }
                }
                return IndexVerifyReport(indexes: results)
            }
        }
    }

    /// Compares one index with the entries `table`'s items call for at `snapshot`.
    private func verify(
        _ index: IndexDefinition, of table: TableDefinition, at snapshot: Snapshot
    ) throws -> IndexVerifyReport.IndexResult {
        var result = IndexVerifyReport.IndexResult(
            tableName: table.name, indexName: index.name, expectedEntries: 0, storedEntries: 0, missing: 0, extra: 0,
            wrongValue: 0, backfilling: index.status == .creating)
        guard index.status == .active else { return result }
        var expected: [[UInt8]: [UInt8]] = [:]
        try lsm.forEachEntry(from: KeySpace.tablePrefix(table.number), to: KeySpace.tableEnd(table.number), at: snapshot) { items in
            let bytes = items.value
            let item = try ItemCodec.decode(bytes)
            if let values = (try? index.keyValues(of: item)) ?? nil {
                let key = try IndexKeys.entryKey(table: table.number, ordinal: index.ordinal, values: values, itemKey: items.key)
                expected[key] = index.entryValue(of: item, encoded: bytes, table: table)
            }
        }
        result.expectedEntries = expected.count
        try lsm.forEachEntry(
            from: IndexKeys.indexPrefix(table: table.number, ordinal: index.ordinal),
            to: IndexKeys.indexEnd(table: table.number, ordinal: index.ordinal), at: snapshot
        ) { entries in
            result.storedEntries += 1
            if let value = expected.removeValue(forKey: entries.key) {
                if value != entries.value, try ItemCodec.decode(value) != ItemCodec.decode(entries.value) {
                    result.wrongValue += 1
                }
            } else {
                result.extra += 1
            }
        }
        result.missing = expected.count
        return result
    }
}
