import CairnLSM

/// Where everything Cairn stores lives in CairnLSM's one ordered key space (layout and
/// invariants: Docs/item_keyspace.md).
///
/// ```
/// 0x00 'F'                       format marker: "CAIRNITM" + version
/// 0x00 'N'                       next table number (8 bytes, big-endian)
/// 0x00 'T' <table name>          table definition (TableDefinition record)
/// 0x00 'X' <token>               idempotency record (IdempotencyToken)
/// 0x00 'E' <table number>        expiry-index marker (ExpiryIndex)
/// 0x01 <table number: 4 bytes>   a table's items:
///      <partition hash: 4 bytes> <partition key> [<sort key>]  ->  ItemCodec bytes
/// 0x02 <table number: 4 bytes>   a TTL table's expiry index (ExpiryIndex)
/// ```
/// Table numbers are never reused, so deleting a table is one range deletion of its prefix and
/// a new table of the same name starts empty. Items are ordered by a 32-bit hash of the encoded
/// partition key first, as DynamoDB orders a Scan: partitions spread evenly over Scan segments,
/// and within a partition items are in sort-key order (KeyEncoding).
enum KeySpace {
    static let catalogTag: UInt8 = 0x00
    static let tableTag: UInt8 = 0x01

    /// The format marker's key and value.
    static let formatMarkerKey: [UInt8] = [catalogTag, UInt8(ascii: "F")]
    static let formatMagic: [UInt8] = Array("CAIRNITM".utf8)
    static let formatVersion: UInt8 = 1

    static let nextTableNumberKey: [UInt8] = [catalogTag, UInt8(ascii: "N")]
    static let tableDefinitionPrefix: [UInt8] = [catalogTag, UInt8(ascii: "T")]

    /// The key of table `name`'s definition.
    static func tableDefinitionKey(_ name: String) -> [UInt8] {
        tableDefinitionPrefix + Array(name.utf8)
    }

    /// The first key of table `number`'s items.
    static func tablePrefix(_ number: UInt32) -> [UInt8] {
        var key: [UInt8] = [tableTag]
        appendBigEndian(number, to: &key)
        return key
    }

    /// The first key after table `number`'s items.
    static func tableEnd(_ number: UInt32) -> [UInt8] {
        number == .max ? [tableTag + 1] : tablePrefix(number + 1)
    }

    /// The key prefix of one partition: table prefix, partition hash, encoded partition key.
    static func partitionPrefix(table number: UInt32, partitionKey: AttributeValue) throws -> [UInt8] {
        try itemKey(table: number, partitionKey: partitionKey, sortKey: nil)
    }

    /// Bytes of an item key before its encoded key values: tag, table number, partition hash.
    static let itemKeyPrefixSize = 9

    /// The full key of an item, built in one buffer: the hash is patched in after the
    /// partition key is encoded behind it.
    static func itemKey(table number: UInt32, partitionKey: AttributeValue, sortKey: AttributeValue?) throws -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(5 + 40)
        key.append(tableTag)
        appendBigEndian(number, to: &key)
        try appendHashedKey(partitionKey: partitionKey, sortKey: sortKey, to: &key)
        return key
    }

    /// `prefix`, the 32-bit hash of the encoded partition key, the encoded partition key and
    /// the encoded sort key: the layout of item keys and of index entry keys.
    static func hashedKey(
        prefix: [UInt8], partitionKey: AttributeValue, sortKey: AttributeValue?, extraCapacity: Int = 0
    ) throws -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(prefix.count + 40 + extraCapacity)
        key.append(contentsOf: prefix)
        try appendHashedKey(partitionKey: partitionKey, sortKey: sortKey, to: &key)
        return key
    }

    /// Appends what follows the prefix in `hashedKey` to `key`: the partition hash (patched
    /// in after the partition key is encoded behind it), the partition key and the sort key.
    static func appendHashedKey(partitionKey: AttributeValue, sortKey: AttributeValue?, to key: inout [UInt8]) throws {
        let hashAt = key.count
        appendBigEndian(UInt32(0), to: &key)
        let partitionStart = key.count
        try KeyEncoding.append(partitionKey, to: &key)
        let hash = key.withUnsafeBytes { bytes in
            UInt32(truncatingIfNeeded: XXHash64.hash(UnsafeRawBufferPointer(rebasing: bytes[partitionStart...])) >> 32)
        }
        key[hashAt] = UInt8(truncatingIfNeeded: hash >> 24)
        key[hashAt + 1] = UInt8(truncatingIfNeeded: hash >> 16)
        key[hashAt + 2] = UInt8(truncatingIfNeeded: hash >> 8)
        key[hashAt + 3] = UInt8(truncatingIfNeeded: hash)
        if let sortKey { try KeyEncoding.append(sortKey, to: &key) }
    }

    /// The first key of the partitions whose hash is at least `hash` (`hash` = 2^32: the
    /// table's end).
    static func hashBoundary(table number: UInt32, hash: UInt64) -> [UInt8] {
        guard hash <= UInt64(UInt32.max) else { return tableEnd(number) }
        var key = tablePrefix(number)
        appendBigEndian(UInt32(hash), to: &key)
        return key
    }

    /// The big-endian number in `bytes` (at most 8 of them): `appendBigEndian` read back.
    static func bigEndianValue(_ bytes: some Collection<UInt8>) -> UInt64 {
        bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// Appends `value` big-endian (4 bytes for UInt32, 8 for UInt64).
    @inline(__always)
    static func appendBigEndian<T: FixedWidthInteger & UnsignedInteger>(_ value: T, to out: inout [UInt8]) {
        // One copy of the value's bytes rather than a capacity check per byte.
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }
}

extension Array where Element == UInt8 {
    /// The smallest key greater than every key starting with `self` (nil if there is none).
    var prefixSuccessor: [UInt8]? {
        var key = self
        while let last = key.last {
            if last < 0xFF {
                key[key.count - 1] = last + 1
                return key
            }
            key.removeLast()
        }
        return nil
    }
}
