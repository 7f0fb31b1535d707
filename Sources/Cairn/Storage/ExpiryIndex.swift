import CairnLSM

/// Time to Live's expiry index: for every table with TTL enabled, one empty-valued entry per
/// stored item version that carries a TTL value, ordered by expiry time, so a sweep reads only
/// the entries that are due instead of the whole table (layout: Docs/item_keyspace.md).
///
/// ```
/// 0x02 <table number: 4 bytes> <expiry: 8 bytes> <order: 8 bytes> <item key>  ->  (empty)
/// 0x00 'E' <table number: 4 bytes>                 ->  version 1, TTL attribute name
/// ```
/// The expiry is the TTL value rounded down to whole seconds, as a signed 64-bit integer with
/// its sign bit flipped, big-endian, so byte order is time order. The order is a number that
/// grows with every entry the process writes (it starts from the clock in microseconds), so
/// with the usual TTL of "now plus a constant" every new entry is the largest key in the
/// memtable and the skiplist appends it without a search.
///
/// **Entries may be stale, never missing.** A write that stores an item adds the entry for
/// its new TTL value in the same write batch, and removes nothing: the entry of the item's
/// previous value stays until it is due. The sweeper therefore checks every due entry against
/// the item under the item's lock (`ItemDatabase.resolveExpiryEntry`) and deletes stale ones.
/// What must hold is the other direction: while the table's marker names the table's TTL
/// attribute, every stored item with a TTL value has an entry with its expiry. Writes keep it
/// so from the moment TTL is enabled; items stored before are indexed by a backfill
/// (`ItemDatabase.backfillExpiryIndex`), after which the marker is written. Disabling TTL
/// deletes the entries and the marker in the same batch as the new table definition.
enum ExpiryIndex {
    /// The first byte of every index entry.
    static let tag: UInt8 = 0x02
    /// Version of the marker's value.
    static let markerVersion: UInt8 = 1
    /// Size of the encoded expiry inside an entry.
    static let expirySize = 8
    /// The largest magnitude of seconds an entry or a sweep boundary holds (just under 2^63).
    static let secondsLimit = 9.2e18

    /// The first key of table `number`'s entries.
    static func prefix(_ number: UInt32) -> [UInt8] {
        var key: [UInt8] = [tag]
        KeySpace.appendBigEndian(number, to: &key)
        return key
    }

    /// The first key after table `number`'s entries.
    static func end(_ number: UInt32) -> [UInt8] {
        number == .max ? [tag + 1] : prefix(number + 1)
    }

    /// The first key of table `number`'s entries whose expiry is `seconds` or later.
    static func boundary(_ number: UInt32, seconds: Int64) -> [UInt8] {
        var key = prefix(number)
        KeySpace.appendBigEndian(UInt64(bitPattern: seconds) ^ (1 << 63), to: &key)
        return key
    }

    /// The key of the marker saying table `number`'s index is complete.
    static func markerKey(_ number: UInt32) -> [UInt8] {
        var key: [UInt8] = [KeySpace.catalogTag, UInt8(ascii: "E")]
        KeySpace.appendBigEndian(number, to: &key)
        return key
    }

    /// The marker's value for TTL attribute `attribute`.
    static func markerValue(_ attribute: String) -> [UInt8] {
        [markerVersion] + Array(attribute.utf8)
    }

    /// The TTL value of `item` under `attribute` in whole seconds (rounded down), or nil when
    /// the item has no such top-level Number or it lies beyond ±2^63 seconds (such an item can
    /// never expire: see `ItemDatabase.hasExpired`).
    static func expirySeconds(of item: Item, attribute: String) -> Int64? {
        guard case .n(let number)? = item[attribute] else { return nil }
        if let whole = number.wholeInt64 { return whole }
        guard let value = Double(number.description) else { return nil }
        let seconds = value.rounded(.down)
        guard seconds >= -secondsLimit, seconds <= secondsLimit else { return nil }
        return Int64(seconds)
    }

    /// The entry for an item stored under `itemKey` in table `number` whose TTL value is
    /// `seconds` (see `expirySeconds`); `order` places it among entries of the same second.
    static func entry(table number: UInt32, seconds: Int64, order: UInt64, itemKey: [UInt8]) -> [UInt8] {
        var key = boundary(number, seconds: seconds)
        key.reserveCapacity(key.count + 8 + itemKey.count)
        KeySpace.appendBigEndian(order, to: &key)
        key.append(contentsOf: itemKey)
        return key
    }

    /// The expiry (whole seconds) and item key of entry `entry` of table `number`, nil if
    /// `entry` is not one.
    static func parse(_ entry: [UInt8], table number: UInt32) -> (seconds: Int64, itemKey: [UInt8])? {
        let headerSize = 1 + 4 + expirySize + 8
        guard entry.count > headerSize, entry.starts(with: prefix(number)) else { return nil }
        let flipped = KeySpace.bigEndianValue(entry[5..<13])
        return (Int64(bitPattern: flipped ^ (1 << 63)), Array(entry[headerSize...]))
    }
}

extension ItemDatabase {
    /// The expiry-index entry for `item` stored under `itemKey` in `table` (its live
    /// definition), nil when the table has TTL disabled or the item has no TTL value.
    func expiryEntry(_ table: TableDefinition, itemKey: [UInt8], item: Item) -> [UInt8]? {
        guard let attribute = table.settings.timeToLiveAttribute,
              let seconds = ExpiryIndex.expirySeconds(of: item, attribute: attribute) else { return nil }
        let order = expiryOrder.wrappingAdd(1, ordering: .relaxed).newValue
        return ExpiryIndex.entry(table: table.number, seconds: seconds, order: order, itemKey: itemKey)
    }
}
