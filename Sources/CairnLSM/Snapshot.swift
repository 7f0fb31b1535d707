/// A consistent read view: reads through a snapshot see the database exactly as it was when
/// the snapshot was taken, whatever is written later.
///
/// A snapshot stays registered with its database (so compaction keeps the versions it can
/// see) until its last reference is dropped.
public final class Snapshot: Sendable {
    /// Every write with a sequence number up to this one is visible through the snapshot.
    public let sequence: SequenceNumber
    private let registry: SnapshotRegistry

    init(sequence: SequenceNumber, registry: SnapshotRegistry) {
        self.sequence = sequence
        self.registry = registry
        registry.add(sequence)
    }

    deinit { registry.remove(sequence) }
}

/// The live snapshots of one database, as a multiset of sequence numbers.
final class SnapshotRegistry: Sendable {
    private let counts = SpinGuardedDictionary()

    func add(_ sequence: SequenceNumber) { counts.increment(sequence) }
    func remove(_ sequence: SequenceNumber) { counts.decrement(sequence) }

    /// The oldest live snapshot's sequence number, if any.
    var oldest: SequenceNumber? { counts.minKey }
    /// Number of live snapshots.
    var count: Int { counts.total }
}

/// A locked multiset of sequence numbers.
final class SpinGuardedDictionary: @unchecked Sendable {
    // All access to `storage` happens under `lock`.
    private let lock = SpinGuard()
    private var storage: [SequenceNumber: Int] = [:]

    func increment(_ key: SequenceNumber) { lock.withLock { storage[key, default: 0] += 1 } }
    func decrement(_ key: SequenceNumber) {
        lock.withLock {
            if let n = storage[key] {
                if n <= 1 { storage[key] = nil } else { storage[key] = n - 1 }
            }
        }
    }
    var minKey: SequenceNumber? { lock.withLock { storage.keys.min() } }
    var total: Int { lock.withLock { storage.values.reduce(0, +) } }
}
