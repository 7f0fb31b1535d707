import CairnLSM

/// One record of a table's index log (Docs/index_format.md): which item changed, and the
/// entries it had before, in the indexes that are not kept in the item's batch.
///
/// ```
/// version: u8 = 1 | item key: varint length + bytes
/// index count: u8, then per index: ordinal: u16 BE | old entry key: u8 present + [varint length + bytes]
/// ```
/// The indexes listed are those the table had, outside the batch, when the write committed;
/// the updater applies the record to those only. The old entry key is the key of the entry
/// the item had in that index before the write (computed from the item read under its lock),
/// so the updater removes exactly that entry without reading the item's history. The new
/// entry comes from the item as the updater reads it (at a snapshot at or after the record):
/// records of one item are applied in commit order and each names the entry it replaces, so
/// an index always ends at its items' latest state, even when a record is applied with a
/// state newer than its own.
struct IndexLogRecord: Equatable {
    static let version: UInt8 = 1

    var itemKey: [UInt8]
    /// Per index ordinal, the entry the item had before the write (nil: none).
    var oldEntries: [(ordinal: UInt16, key: [UInt8]?)]

    static func == (a: IndexLogRecord, b: IndexLogRecord) -> Bool {
        a.itemKey == b.itemKey && a.oldEntries.count == b.oldEntries.count
            && zip(a.oldEntries, b.oldEntries).allSatisfy { $0.ordinal == $1.ordinal && $0.key == $1.key }
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
        out.append(UInt8(oldEntries.count))
        for entry in oldEntries {
            KeySpace.appendBigEndian(entry.ordinal, to: &out)
            if let key = entry.key {
                out.append(1)
                Coding.appendLengthPrefixed(&out, key)
            } else {
                out.append(0)
            }
        }
    }

    /// Decodes a record; damage is `CairnError.corruption` ("index log").
    static func decode(_ bytes: [UInt8]) throws -> IndexLogRecord {
        func bad(_ reason: String) -> CairnError {
            .corruption(file: "index log", offset: 0, reason: "index log record: \(reason)")
        }
        return try bytes.withUnsafeBytes { p in
            guard p.count >= 1, p[0] == version else { throw bad("unknown version or empty") }
            var cursor = 1
            func byte() throws -> UInt8 {
                guard cursor < p.count else { throw bad("truncated") }
                defer { cursor += 1 }
                return p[cursor]
            }
            func prefixed() throws -> [UInt8] {
                guard let range = Coding.readLengthPrefixed(p, &cursor) else { throw bad("truncated field") }
                return Array(p[range])
            }
            let itemKey = try prefixed()
            let count = Int(try byte())
            var entries: [(ordinal: UInt16, key: [UInt8]?)] = []
            for _ in 0..<count {
                let ordinal = UInt16(try byte()) << 8 | UInt16(try byte())
                switch try byte() {
                case 0: entries.append((ordinal, nil))
                case 1: entries.append((ordinal, try prefixed()))
                case let flag: throw bad("presence flag \(flag)")
                }
            }
            guard cursor == p.count else { throw bad("trailing bytes") }
            return IndexLogRecord(itemKey: itemKey, oldEntries: entries)
        }
    }
}

extension ItemDatabase {
    /// The index part of `add`: checks the new item's index keys (for every index, so a bad
    /// key fails the write whether the index is kept in the batch or not), writes the entries
    /// of the indexes kept in the item's batch (removing the old entry when the index key
    /// changed or the item left the index), and adds one index-log record for the others.
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
        guard let indexes = table.settings.indexes else { return }
        // Index positions, not copies of the definitions: each definition holds several
        // reference-counted fields, and this runs on every write.
        var newValues: [(partition: AttributeValue, sort: AttributeValue?)?] = []
        newValues.reserveCapacity(indexes.count)
        for i in indexes.indices { newValues.append(try stored.flatMap { try indexes[i].keyValues(of: $0) }) }
        if indexes.contains(where: { $0.kind == .local }) {
            try changeItemCollection(old: old, new: stored, table: table)
        }
        var logged: [(ordinal: UInt16, key: [UInt8]?)] = []
        for i in indexes.indices {
            let ordinal = indexes[i].ordinal
            // An old item whose index key is malformed (stored before the index was created)
            // has no entry.
            let oldValues = old.flatMap { (try? indexes[i].keyValues(of: $0)) ?? nil }
            let oldKey = try oldValues.map {
                try IndexKeys.entryKey(table: table.number, ordinal: ordinal, values: $0, itemKey: key)
            }
            guard indexes[i].isKeptInBatch else {
                logged.append((ordinal, oldKey))
                continue
            }
            let newKey = try newValues[i].map {
                try IndexKeys.entryKey(table: table.number, ordinal: ordinal, values: $0, itemKey: key)
            }
            if let oldKey, oldKey != newKey { batch.delete(oldKey) }
            if let newKey, let stored {
                batch.put(newKey, indexes[i].entryValue(of: stored, encoded: storedBytes, table: table))
            }
        }
        if !logged.isEmpty {
            let record = IndexLogRecord(itemKey: key, oldEntries: logged)
            let prefix = IndexKeys.logPrefix(table.number)
            prefix.withUnsafeBytes { prefix in
                batch.putStamped(prefix) { record.write(to: &$0) }
            }
        }
    }
}
