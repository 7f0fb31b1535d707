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

    init(table: TableDefinition, snapshot: Snapshot, lsm: Database) {
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
}

extension ItemDatabase {
    /// A snapshot of table `name` (ResourceNotFoundException if there is none); it holds the
    /// versions it reads until released, so a long export keeps compaction from dropping them.
    public func snapshot(ofTable name: String) throws -> TableSnapshot {
        let table = try catalog.table(named: name)
        return TableSnapshot(table: table, snapshot: lsm.snapshot(), lsm: lsm)
    }
}
