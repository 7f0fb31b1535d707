import CairnLSM

/// Where secondary indexes live in the key space (Docs/index_format.md).
///
/// ```
/// 0x04 <table: 4> <index ordinal: 2> <partition hash: 4> <index partition key> [<index sort key>]
///      <table partition key> [<table sort key>]                     -> the item's projection
/// 0x05 <table: 4> <commit sequence: 8>                              -> index log record
/// 0x00 'I' <table: 4>                                               -> index log position
/// 0x00 'B' <table: 4> <index ordinal: 2>                            -> backfill position
/// ```
/// An entry's key is the index key the way an item key is a table key (the partition hash,
/// then each key value in KeyEncoding's order-preserving form), followed by the item's own
/// key values, so entries sort by the index keys, then by the table keys, and two items with
/// equal index keys have distinct entries.
enum IndexKeys {
    static let entryTag: UInt8 = 0x04
    static let logTag: UInt8 = 0x05
    static let logPositionTag = UInt8(ascii: "I")
    static let backfillPositionTag = UInt8(ascii: "B")

    /// The first key of every index entry of table `table`.
    static func tablePrefix(_ table: UInt32) -> [UInt8] {
        var key: [UInt8] = [entryTag]
        KeySpace.appendBigEndian(table, to: &key)
        return key
    }

    /// The first key after every index entry of table `table`.
    static func tableEnd(_ table: UInt32) -> [UInt8] {
        table == .max ? [entryTag + 1] : tablePrefix(table + 1)
    }

    /// The first key of index `ordinal`'s entries.
    static func indexPrefix(table: UInt32, ordinal: UInt16) -> [UInt8] {
        var key = tablePrefix(table)
        KeySpace.appendBigEndian(ordinal, to: &key)
        return key
    }

    /// The first key after index `ordinal`'s entries.
    static func indexEnd(table: UInt32, ordinal: UInt16) -> [UInt8] {
        ordinal == .max ? tableEnd(table) : indexPrefix(table: table, ordinal: ordinal + 1)
    }

    /// The key of the entry of the item stored under `itemKey` whose index key values are
    /// `values`.
    static func entryKey(
        table: UInt32, ordinal: UInt16, values: (partition: AttributeValue, sort: AttributeValue?), itemKey: [UInt8]
    ) throws -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(7 + 40 + itemKey.count)
        key.append(entryTag)
        KeySpace.appendBigEndian(table, to: &key)
        KeySpace.appendBigEndian(ordinal, to: &key)
        try KeySpace.appendHashedKey(partitionKey: values.partition, sortKey: values.sort, to: &key)
        key.append(contentsOf: itemKey.dropFirst(KeySpace.itemKeyPrefixSize))
        return key
    }

    /// The first key of the log of table `table`, where the records of eventually
    /// consistent indexes' changes wait for the updater.
    static func logPrefix(_ table: UInt32) -> [UInt8] {
        var key: [UInt8] = [logTag]
        KeySpace.appendBigEndian(table, to: &key)
        return key
    }

    /// The first key after table `table`'s log.
    static func logEnd(_ table: UInt32) -> [UInt8] {
        table == .max ? [logTag + 1] : logPrefix(table + 1)
    }

    /// The log key of the record committed at `sequence`.
    static func logKey(_ table: UInt32, sequence: UInt64) -> [UInt8] {
        var key = logPrefix(table)
        KeySpace.appendBigEndian(sequence, to: &key)
        return key
    }

    /// The key of table `table`'s log position: the sequence of the last record applied.
    static func logPositionKey(_ table: UInt32) -> [UInt8] {
        var key: [UInt8] = [KeySpace.catalogTag, logPositionTag]
        KeySpace.appendBigEndian(table, to: &key)
        return key
    }

    /// The key of a CREATING index's backfill position: the last item key indexed.
    static func backfillPositionKey(table: UInt32, ordinal: UInt16) -> [UInt8] {
        var key: [UInt8] = [KeySpace.catalogTag, backfillPositionTag]
        KeySpace.appendBigEndian(table, to: &key)
        KeySpace.appendBigEndian(ordinal, to: &key)
        return key
    }

    /// Adds to `batch` the deletion of table `table`'s index log and its position (when no
    /// index of the table is kept from the log any more).
    static func deleteLog(of table: UInt32, in batch: inout WriteBatch) {
        batch.deleteRange(logPrefix(table), logEnd(table))
        batch.delete(logPositionKey(table))
    }

    /// Adds to `batch` the deletion of everything table `table`'s indexes stored: entries,
    /// log, log position and backfill positions (DeleteTable).
    static func deleteAll(of table: UInt32, in batch: inout WriteBatch) {
        batch.deleteRange(tablePrefix(table), tableEnd(table))
        deleteLog(of: table, in: &batch)
        let backfills = backfillPositionKey(table: table, ordinal: 0).dropLast(2)
        batch.deleteRange(Array(backfills), Array(backfills).prefixSuccessor ?? [KeySpace.catalogTag + 1])
    }
}
