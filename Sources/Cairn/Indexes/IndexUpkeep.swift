import CairnLSM

/// One record of a table's index log (Docs/index_format.md): which item changed and, for each
/// index kept from the log, the entry it had before the write and the entry it has after.
///
/// ```
/// version: u8 = 2 | item key: varint length + bytes
/// item bytes: u8 present + [varint length + bytes]     (the item as stored by the write)
/// change count: u8, then per change:
///   ordinal: u16 BE | old entry key: u8 present + [varint length + bytes]
///   new entry: u8 kind (0 none, 1 key; value = item bytes, 2 key + own value)
///              [+ varint length + key] [+ varint length + value when kind 2]
/// ```
/// The writer computes both entries from the items it holds under the item's lock, so the
/// updater applies a record without reading or decoding the item: it deletes the old entry
/// and puts the new one. An index whose entry the write did not move (old key equal to the
/// new one) names no old key, and one the item is in neither before nor after is left out;
/// a record with no change is not written. Records of one item are applied in commit order,
/// each replacing the entry the previous one left, so an index ends at its items' latest
/// state. An ALL-projection entry's value is the item's stored bytes, carried once however
/// many ALL indexes the record lists.
///
/// Version 1 records (written before) name the old entries only, and the updater reads the
/// item for the new ones (`readsItem`).
struct IndexLogRecord: Equatable {
    static let version: UInt8 = 2

    /// One index's change.
    struct Change: Equatable {
        var ordinal: UInt16
        /// The entry to remove (nil: none, or the new entry overwrites it).
        var oldKey: [UInt8]?
        /// The entry to write (nil: none).
        var newKey: [UInt8]?
        /// The new entry's value, or nil for the record's `itemBytes` (projection ALL).
        var newValue: [UInt8]?
    }

    var itemKey: [UInt8]
    /// The item's stored bytes after the write, present when an ALL entry holds them.
    var itemBytes: [UInt8]?
    var changes: [Change]
    /// A version 1 record: its changes name old keys only, and the updater computes the new
    /// entries from the item as it reads it.
    var readsItem = false

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    /// Appends the record's bytes (version 2) to `out`.
    func write(to out: inout [UInt8]) {
        Self.appendHeader(itemKey: itemKey, itemBytes: itemBytes, to: &out)
        out.append(UInt8(changes.count))
        for change in changes {
            Self.appendChange(change.ordinal, oldKey: change.oldKey, newKey: change.newKey, newValue: change.newValue, to: &out)
        }
    }

    /// Appends a record's version, item key and item bytes to `out`; the change count and
    /// the changes (`appendChange`) follow.
    static func appendHeader(itemKey: [UInt8], itemBytes: [UInt8]?, to out: inout [UInt8]) {
        out.append(version)
        Coding.appendLengthPrefixed(&out, itemKey)
        if let itemBytes {
            out.append(1)
            Coding.appendLengthPrefixed(&out, itemBytes)
        } else {
            out.append(0)
        }
    }

    /// Appends one change to `out` (`newValue` nil with a new key: the item's bytes).
    static func appendChange(_ ordinal: UInt16, oldKey: [UInt8]?, newKey: [UInt8]?, newValue: [UInt8]?, to out: inout [UInt8]) {
        KeySpace.appendBigEndian(ordinal, to: &out)
        if let oldKey {
            out.append(1)
            Coding.appendLengthPrefixed(&out, oldKey)
        } else {
            out.append(0)
        }
        guard let newKey else {
            out.append(0)
            return
        }
        out.append(newValue == nil ? 1 : 2)
        Coding.appendLengthPrefixed(&out, newKey)
        if let newValue { Coding.appendLengthPrefixed(&out, newValue) }
    }

    /// Decodes a record; damage is `CairnError.corruption` ("index log").
    static func decode(_ bytes: [UInt8]) throws -> IndexLogRecord {
        try bytes.withUnsafeBytes { p in
            var record = IndexLogRecord(itemKey: [], itemBytes: nil, changes: [])
            try visit(p) { view in
                record.itemKey = Array(view.itemKey)
                record.itemBytes = view.itemBytes.map { Array($0) }
                record.readsItem = view.readsItem
            } change: { ordinal, oldKey, newKey, newValue, valueIsItem in
                record.changes.append(Change(
                    ordinal: ordinal, oldKey: oldKey.map { Array($0) }, newKey: newKey.map { Array($0) },
                    newValue: valueIsItem ? nil : newValue.map { Array($0) }))
            }
            return record
        }
    }

    /// The parts of a record every change shares, as views into its bytes.
    struct Header {
        var itemKey: UnsafeRawBufferPointer
        var itemBytes: UnsafeRawBufferPointer?
        var readsItem: Bool
    }

    /// Reads the record stored as `p` without copying it: `header` gets the item key and
    /// bytes, then `change` gets each change with views into `p` (the new value is the item
    /// bytes for an ALL entry, and `valueIsItem` says so). Damage is `CairnError.corruption`
    /// ("index log").
    static func visit(
        _ p: UnsafeRawBufferPointer, header: (Header) throws -> Void,
        change: (_ ordinal: UInt16, _ oldKey: UnsafeRawBufferPointer?, _ newKey: UnsafeRawBufferPointer?,
                 _ newValue: UnsafeRawBufferPointer?, _ valueIsItem: Bool) throws -> Void
    ) throws {
        func bad(_ reason: String) -> CairnError {
            .corruption(file: "index log", offset: 0, reason: "index log record: \(reason)")
        }
        guard p.count >= 1, p[0] == 1 || p[0] == version else { throw bad("unknown version or empty") }
        let v1 = p[0] == 1
        var cursor = 1
        func byte() throws -> UInt8 {
            guard cursor < p.count else { throw bad("truncated") }
            defer { cursor += 1 }
            return p[cursor]
        }
        func prefixed() throws -> UnsafeRawBufferPointer {
            guard let range = Coding.readLengthPrefixed(p, &cursor) else { throw bad("truncated field") }
            return UnsafeRawBufferPointer(rebasing: p[range])
        }
        func optional() throws -> UnsafeRawBufferPointer? {
            switch try byte() {
            case 0: return nil
            case 1: return try prefixed()
            case let flag: throw bad("presence flag \(flag)")
            }
        }
        let itemKey = try prefixed()
        let itemBytes = v1 ? nil : try optional()
        try header(Header(itemKey: itemKey, itemBytes: itemBytes, readsItem: v1))
        let count = Int(try byte())
        for _ in 0..<count {
            let ordinal = UInt16(try byte()) << 8 | UInt16(try byte())
            let oldKey = try optional()
            if v1 {
                try change(ordinal, oldKey, nil, nil, false)
                continue
            }
            switch try byte() {
            case 0:
                try change(ordinal, oldKey, nil, nil, false)
            case 1:
                guard let itemBytes else { throw bad("an entry of the item's bytes without them") }
                try change(ordinal, oldKey, try prefixed(), itemBytes, true)
            case 2:
                let key = try prefixed()
                try change(ordinal, oldKey, key, try prefixed(), false)
            case let kind:
                throw bad("new entry kind \(kind)")
            }
        }
        guard cursor == p.count else { throw bad("trailing bytes") }
    }
}

extension ItemDatabase {
    /// The index part of `add`: checks the new item's index keys (for every index, so a bad
    /// key fails the write whether the index is kept in the batch or not), writes the entries
    /// of the indexes kept in the item's batch (removing the old entry when the index key
    /// changed or the item left the index), and adds one index-log record with the old and
    /// new entries of the others (none when the item is in none of them, before or after).
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
        // reference-counted fields, and this runs on every write. One pass checks every
        // index's new key and notes what the next pass needs.
        var newValues: [(partition: AttributeValue, sort: AttributeValue?)?] = []
        newValues.reserveCapacity(indexes.count)
        var hasLocal = false
        var logsItemBytes = false
        for i in indexes.indices {
            let values = try stored.flatMap { try indexes[i].keyValues(of: $0) }
            if indexes[i].kind == .local { hasLocal = true }
            // The record carries the item's bytes when an ALL index kept from the log gets an
            // entry (the entry's value).
            if values != nil && !indexes[i].isKeptInBatch && indexes[i].projectionType == .all { logsItemBytes = true }
            newValues.append(values)
        }
        if hasLocal { try changeItemCollection(old: old, new: stored, table: table) }
        logsItemBytes = logsItemBytes && storedBytes != nil
        // The record of the log-kept indexes is written as their changes are worked out
        // (`IndexLogRecord`'s layout), its change count patched in at the end.
        var record: [UInt8] = []
        var changeCount = 0
        var countAt = 0
        for i in indexes.indices {
            let ordinal = indexes[i].ordinal
            // An old item whose index key is malformed (stored before the index was created)
            // has no entry.
            let oldValues = old.flatMap { (try? indexes[i].keyValues(of: $0)) ?? nil }
            let oldKey = try oldValues.map {
                try IndexKeys.entryKey(table: table.number, ordinal: ordinal, values: $0, itemKey: key)
            }
            let newKey = try newValues[i].map {
                try IndexKeys.entryKey(table: table.number, ordinal: ordinal, values: $0, itemKey: key)
            }
            guard indexes[i].isKeptInBatch else {
                // The updater removes the old entry unless the new one overwrites it, and
                // writes the new one; an item in neither needs nothing.
                guard oldKey != nil || newKey != nil else { continue }
                if changeCount == 0 {
                    record.reserveCapacity(64 + 2 * key.count + (logsItemBytes ? storedBytes?.count ?? 0 : 0))
                    IndexLogRecord.appendHeader(itemKey: key, itemBytes: logsItemBytes ? storedBytes : nil, to: &record)
                    countAt = record.count
                    record.append(0)
                }
                changeCount += 1
                var newValue: [UInt8]?
                if newKey != nil, let stored, !(logsItemBytes && indexes[i].projectionType == .all) {
                    newValue = indexes[i].entryValue(of: stored, encoded: storedBytes, table: table)
                }
                IndexLogRecord.appendChange(
                    ordinal, oldKey: oldKey == newKey ? nil : oldKey, newKey: newKey, newValue: newValue, to: &record)
                continue
            }
            if let oldKey, oldKey != newKey { batch.delete(oldKey) }
            if let newKey, let stored {
                batch.put(newKey, indexes[i].entryValue(of: stored, encoded: storedBytes, table: table))
            }
        }
        if changeCount > 0 {
            record[countAt] = UInt8(changeCount)
            batch.putStamped(IndexKeys.logPrefix(table.number), record)
        }
    }
}
