import CairnLSM

/// Every item of one table as of one moment: what a full Scan would return if no write came
/// in while it ran. For exports (CairnExport), which read a table whole, sometimes twice.
public final class TableSnapshot: Sendable {
    public let tableName: String
    /// The table's key attributes, partition key first.
    public let keyAttributes: [KeyAttribute]
    /// The commit sequence number the snapshot is at: a change-stream record with a higher
    /// SequenceNumber is a change made after it.
    public let sequence: UInt64
    private let snapshot: Snapshot
    private let lsm: Database
    private let number: UInt32
    private let definition: TableDefinition

    init(table: TableDefinition, snapshot: Snapshot, lsm: Database) {
        definition = table
        tableName = table.name
        keyAttributes = table.keyAttributes
        sequence = snapshot.sequence
        self.snapshot = snapshot
        self.lsm = lsm
        number = table.number
    }

    /// Calls `body` with each item, in storage order (the order of a Scan). A damaged item is
    /// `CairnError.corruption`.
    public func forEachItem(_ body: (Item) throws -> Void) throws {
        try lsm.forEachEntry(from: KeySpace.tablePrefix(number), to: KeySpace.tableEnd(number), at: snapshot) { iterator in
            try body(try iterator.withValue { try ItemCodec.decode($0) })
        }
    }

    /// Calls `body` with each item of share `share` of `shares` (0 ≤ share < shares ≤ 65,536):
    /// the table split into ranges of equal width of the partition hash that orders it. The
    /// shares hold every item once, and in share order they are `forEachItem`'s order, so
    /// threads may each read one share of a snapshot at the same time.
    public func forEachItem(share: Int, of shares: Int, _ body: (Item) throws -> Void) throws {
        guard shares >= 1, shares <= 65_536, (0..<shares).contains(share) else {
            throw CairnError.invalidArgument("share \(share) of \(shares)")
        }
        func bound(_ k: Int) -> [UInt8] {
            var key = KeySpace.tablePrefix(number)
            KeySpace.appendBigEndian(Self.shareStart(k, of: shares), to: &key)
            return key
        }
        let from = share == 0 ? KeySpace.tablePrefix(number) : bound(share)
        let to = share == shares - 1 ? KeySpace.tableEnd(number) : bound(share + 1)
        try lsm.forEachEntry(from: from, to: to, at: snapshot) { iterator in
            try body(try iterator.withValue { try ItemCodec.decode($0) })
        }
    }

    /// The first partition hash of share `k` of `shares`.
    private static func shareStart(_ k: Int, of shares: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: (UInt64(k) << 32) / UInt64(shares))
    }

    /// The share of `shares` (as `forEachItem(share:of:)` splits the table) that holds the
    /// item stored under `storageKey`.
    public func share(ofStorageKey storageKey: [UInt8], of shares: Int) -> Int {
        guard shares > 1, storageKey.count >= KeySpace.itemKeyPrefixSize else { return 0 }
        var hash: UInt32 = 0
        for byte in storageKey[5..<9] { hash = hash << 8 | UInt32(byte) }
        var share = Int((UInt64(hash) * UInt64(shares)) >> 32)
        while share + 1 < shares && hash >= Self.shareStart(share + 1, of: shares) { share += 1 }
        while share > 0 && hash < Self.shareStart(share, of: shares) { share -= 1 }
        return share
    }

    /// The key under which the table stores the item with `item`'s key attributes (other
    /// attributes are ignored): equal for equal keys, different for different ones. Throws
    /// `ValidationException` when a key attribute is missing or of the wrong type.
    public func storageKey(of item: Item) throws -> [UInt8] {
        try definition.itemKey(try definition.keyValues(of: item, isKey: false))
    }

    /// The item stored under `storageKey` at the snapshot, or nil.
    public func item(atStorageKey storageKey: [UInt8]) throws -> Item? {
        guard let bytes = try lsm.get(storageKey, snapshot: snapshot) else { return nil }
        return try ItemCodec.decode(bytes)
    }
}

extension ItemDatabase {
    /// A snapshot of table `name` (ResourceNotFoundException if there is none); it holds the
    /// versions it reads until released, so a long export keeps compaction from dropping them.
    public func snapshot(ofTable name: String) throws -> TableSnapshot {
        let table = try catalog.table(named: name)
        return TableSnapshot(table: table, snapshot: lsm.snapshot(), lsm: lsm)
    }
}
