import CairnLSM
import Synchronization

/// The sizes of item collections (a partition key's items and their local-index entries) in
/// tables with local secondary indexes, for DynamoDB's item-collection size limit and
/// `ReturnItemCollectionMetrics`.
///
/// A collection's size is computed by one scan of the partition (its items and its local
/// index entries) the first time a process writes it, then kept in memory and moved by each
/// write's difference, checked and recorded under the lock before the write commits. It is
/// therefore exact for one process's writes, and may be off by the writes in flight during the
/// first scan (at most one item each); a write that fails to commit after the check leaves its
/// difference counted until the next open.
final class ItemCollectionSizes: Sendable {
    /// DynamoDB's overhead per local-index entry, in bytes.
    static let indexEntryOverhead = 100
    /// Collections remembered before the map is cleared (each is recomputed on its next write).
    static let maxRemembered = 100_000

    /// A collection: its table's number and its partition key value.
    struct Key: Hashable {
        var table: UInt32
        var partition: AttributeValue
    }

    private let sizes = CairnMutex<[Key: Int64]>([:])

    /// The remembered size of a collection.
    func size(_ key: Key) -> Int64? {
        sizes.withLock { $0[key] }
    }

    /// Adds `delta` to a collection (computing it first with `scan` when not remembered),
    /// refusing a growth past `limit`; returns the new size.
    func change(_ key: Key, by delta: Int64, limit: Int64, scan: () throws -> Int64) throws -> Int64 {
        try sizes.withLock { sizes in
            if sizes[key] == nil {
                let scanned = try scan()
                if sizes.count >= Self.maxRemembered { sizes.removeAll(keepingCapacity: true) }
                sizes[key] = scanned
            }
            return try Self.apply(delta, limit: limit, to: &sizes[key, default: 0])
        }
    }

    private static func apply(_ delta: Int64, limit: Int64, to size: inout Int64) throws -> Int64 {
        let next = size + delta
        if delta > 0 && next > limit { throw DynamoDBError.itemCollectionSizeLimitExceeded() }
        size = max(0, next)
        return size
    }
}

extension ItemDatabase {
    /// The bytes `item` counts for in its collection: its size and, for each local index
    /// holding it, the entry's projected size plus DynamoDB's 100-byte overhead.
    func collectionBytes(of item: Item?, in table: TableDefinition) -> Int64 {
        guard let item else { return 0 }
        let size = Int64(ItemSize.of(item))
        var bytes = size
        for index in table.indexes where index.kind == .local {
            guard (try? index.keyValues(of: item)) ?? nil != nil else { continue }
            let projected = index.projectionType == .all ? size : Int64(ItemSize.of(index.projection(of: item, table: table)))
            bytes += projected + Int64(ItemCollectionSizes.indexEntryOverhead)
        }
        return bytes
    }

    /// Checks and records a write's change to its item collection (tables with local
    /// indexes): ItemCollectionSizeLimitExceededException when it would grow the collection
    /// past `Options.itemCollectionSizeLimit`.
    func changeItemCollection(old: Item?, new: Item?, table: TableDefinition) throws {
        guard let partitionValue = (new ?? old)?[table.partitionKey.name] else { return }
        let delta = collectionBytes(of: new, in: table) - collectionBytes(of: old, in: table)
        let key = ItemCollectionSizes.Key(table: table.number, partition: partitionValue)
        _ = try itemCollections.change(key, by: delta, limit: options.itemCollectionSizeLimit) {
            try scanItemCollection(table, partitionValue: partitionValue)
        }
    }

    /// The size of one item collection, read from the store.
    private func scanItemCollection(_ table: TableDefinition, partitionValue: AttributeValue) throws -> Int64 {
        let partition = try KeySpace.partitionPrefix(table: table.number, partitionKey: partitionValue)
        var total: Int64 = 0
        var ranges = [(partition, partition.prefixSuccessor ?? KeySpace.tableEnd(table.number))]
        for index in table.indexes where index.kind == .local {
            let prefix = try KeySpace.hashedKey(
                prefix: IndexKeys.indexPrefix(table: table.number, ordinal: index.ordinal), partitionKey: partitionValue,
                sortKey: nil)
            ranges.append((prefix, prefix.prefixSuccessor ?? IndexKeys.indexEnd(table: table.number, ordinal: index.ordinal)))
        }
        for (number, (lower, upper)) in ranges.enumerated() {
            try lsm.forEachEntry(from: lower, to: upper) { entry in
                total += Int64(ItemSize.of(try ItemCodec.decode(entry.value)))
                if number > 0 { total += Int64(ItemCollectionSizes.indexEntryOverhead) }
            }
        }
        return total
    }

    /// DynamoDB's `ItemCollectionMetrics` of the collection holding `item` in `table`, when
    /// `requested` is SIZE and the table has a local index.
    func itemCollectionMetrics(
        _ requested: ReturnItemCollectionMetrics?, item: Item?, table: TableDefinition
    ) -> ItemCollectionMetrics? {
        guard requested == .size, table.indexes.contains(where: { $0.kind == .local }),
              let value = item?[table.partitionKey.name]
        else { return nil }
        let size = itemCollections.size(ItemCollectionSizes.Key(table: table.number, partition: value)) ?? 0
        let gigabytes = Double(size) / Double(1 << 30)
        return ItemCollectionMetrics(
            itemCollectionKey: [table.partitionKey.name: value], sizeEstimateRangeGB: [gigabytes, gigabytes])
    }
}

extension ItemDatabase {
    /// BatchWriteItem's and TransactWriteItems' `ItemCollectionMetrics`: by table name, one
    /// entry per item collection the writes changed, when `requested` is SIZE; nil when none
    /// of the tables has a local index.
    func itemCollectionMetrics(
        _ requested: ReturnItemCollectionMetrics?, changed: [(table: TableDefinition, item: Item?)]
    ) -> [String: [ItemCollectionMetrics]]? {
        guard requested == .size else { return nil }
        var result: [String: [ItemCollectionMetrics]] = [:]
        for (table, item) in changed {
            guard let metrics = itemCollectionMetrics(requested, item: item, table: table),
                  result[table.name]?.contains(where: { $0.itemCollectionKey == metrics.itemCollectionKey }) != true
            else { continue }
            result[table.name, default: []].append(metrics)
        }
        return result.isEmpty ? nil : result
    }
}

/// Whether a write returns the size of the item collection it changed (tables with local
/// secondary indexes).
public enum ReturnItemCollectionMetrics: String, Codable, Sendable, DynamoDBEnum {
    static let memberPath = "returnItemCollectionMetrics"
    static let allowedValues = "SIZE, NONE"

    case size = "SIZE"
    case none = "NONE"
}

/// The size of the item collection a write changed.
public struct ItemCollectionMetrics: Codable, Sendable, Hashable {
    /// The collection's partition key.
    public var itemCollectionKey: Item
    /// The collection's size in GB, as [lower, upper]; Cairn's bounds are equal (its size is
    /// tracked, not estimated).
    public var sizeEstimateRangeGB: [Double]

    enum CodingKeys: String, CodingKey {
        case itemCollectionKey = "ItemCollectionKey", sizeEstimateRangeGB = "SizeEstimateRangeGB"
    }
}
