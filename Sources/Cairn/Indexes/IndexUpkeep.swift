import CairnLSM

/// One record of a table's index log (Docs/index_format.md): which item changed, and which of
/// the indexes not kept in the item's batch it changed for.
///
/// ```
/// version: u8 = 1 | item key: varint length + bytes | index count: u8 | ordinals: u16 BE each
/// ```
/// The indexes listed are those the table had, outside the batch, when the write committed;
/// the updater applies the record to those only. The write neither reads the item before it
/// nor computes any entry: the updater reads the item (at a snapshot at or after the record)
/// and finds the entry it had through the index's reverse map (`IndexKeys.reverseKey`).
struct IndexLogRecord: Equatable {
    static let version: UInt8 = 1

    var itemKey: [UInt8]
    /// The ordinals of the indexes the change is for.
    var ordinals: [UInt16]

    /// Bytes `write(to:)` appends.
    var encodedCount: Int {
        1 + Coding.varintLength(UInt64(itemKey.count)) + itemKey.count + 1 + 2 * ordinals.count
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    /// Appends the record's bytes to `out`.
    func write(to out: inout [UInt8]) {
        out.append(Self.version)
        Coding.appendLengthPrefixed(&out, itemKey)
        out.append(UInt8(ordinals.count))
        for ordinal in ordinals { KeySpace.appendBigEndian(ordinal, to: &out) }
    }

    /// Decodes a record; damage is `CairnError.corruption` ("index log").
    static func decode(_ bytes: [UInt8]) throws -> IndexLogRecord {
        func bad(_ reason: String) -> CairnError {
            .corruption(file: "index log", offset: 0, reason: "index log record: \(reason)")
        }
        return try bytes.withUnsafeBytes { p in
            guard p.count >= 1, p[0] == version else { throw bad("unknown version or empty") }
            var cursor = 1
            guard let range = Coding.readLengthPrefixed(p, &cursor) else { throw bad("truncated item key") }
            let itemKey = Array(p[range])
            guard cursor < p.count else { throw bad("truncated index count") }
            let count = Int(p[cursor])
            cursor += 1
            guard p.count - cursor == 2 * count else { throw bad("\(p.count - cursor) bytes for \(count) ordinals") }
            let ordinals = (0..<count).map { i in UInt16(p[cursor + 2 * i]) << 8 | UInt16(p[cursor + 2 * i + 1]) }
            return IndexLogRecord(itemKey: itemKey, ordinals: ordinals)
        }
    }
}

extension ItemDatabase {
    /// The index part of `add`: checks the new item's index keys (for every index, so a bad
    /// key fails the write whether the index is kept in the batch or not), writes the entries
    /// of the indexes kept in the item's batch (removing the old entry when the index key
    /// changed or the item left the index), and adds one index-log record for the others.
    /// `old` is needed only for the indexes kept in the batch (`needsOldItem`).
    func addIndexUpkeep(
        _ effect: ItemWrite.Effect, old: Item?, new: Item?, key: [UInt8], table: TableDefinition,
        to batch: inout WriteBatch
    ) throws {
        let stored: Item?
        let storedBytes: [UInt8]?
        switch effect {
        case .none: return
        case .put(let bytes): stored = new; storedBytes = bytes
        case .delete: stored = nil; storedBytes = nil
        }
        let indexes = table.indexes
        var newValues: [(partition: AttributeValue, sort: AttributeValue?)?] = []
        newValues.reserveCapacity(indexes.count)
        for index in indexes { newValues.append(try stored.flatMap { try index.keyValues(of: $0) }) }
        if indexes.contains(where: { $0.kind == .local }) {
            try changeItemCollection(old: old, new: stored, table: table)
        }
        var logged: [UInt16] = []
        for (index, values) in zip(indexes, newValues) {
            guard index.isKeptInBatch else {
                logged.append(index.ordinal)
                continue
            }
            // An old item whose index key is malformed (stored before the index was created)
            // has no entry.
            let oldValues = old.flatMap { (try? index.keyValues(of: $0)) ?? nil }
            let oldKey = try oldValues.map {
                try IndexKeys.entryKey(table: table.number, ordinal: index.ordinal, values: $0, itemKey: key)
            }
            let newKey = try values.map {
                try IndexKeys.entryKey(table: table.number, ordinal: index.ordinal, values: $0, itemKey: key)
            }
            if let oldKey, oldKey != newKey { batch.delete(oldKey) }
            if let newKey, let stored {
                batch.put(newKey, index.entryValue(of: stored, encoded: storedBytes, table: table))
            }
        }
        if !logged.isEmpty {
            let record = IndexLogRecord(itemKey: key, ordinals: logged)
            let prefix = IndexKeys.logPrefix(table.number)
            prefix.withUnsafeBytes { prefix in
                batch.putStamped(prefix, valueCount: record.encodedCount) { record.write(to: &$0) }
            }
        }
    }
}
