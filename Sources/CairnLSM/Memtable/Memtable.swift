import Atomics
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a memtable knows about a user key at a snapshot.
enum MemtableLookup: Equatable, Sendable {
    /// No point entry for the key is visible at the snapshot (older tables must be consulted).
    case notFound
    /// The newest visible entry sets the key; carries its sequence number and a copy of the value.
    case value(SequenceNumber, [UInt8])
    /// The newest visible entry deletes the key; carries its sequence number.
    case deleted(SequenceNumber)
}

/// The in-memory write buffer: point entries in an arena-backed concurrent skiplist, plus the
/// range tombstones written since it was created.
///
/// Entries are encoded as described in `MemtableEntry` and stored inline in skiplist nodes, so
/// an insert costs one bump allocation in the arena and no heap allocation.
///
/// **Thread-safety.** `add` must be called by one thread at a time (the database's write
/// leader); it is not internally locked. `addSide` (side writes, `Database.writeSide`) goes
/// to a second skiplist with its own writer lock, so it runs concurrently with `add`. Every
/// other member — `get`, `makeIterator`, iterators themselves (each used by one thread),
/// `rangeTombstones` and the statistics — may be used from any number of threads
/// concurrently with the writers and with each other.
///
/// **Ownership.** The memtable owns its arena; entry bytes and iterator views point into it.
/// Iterators hold a strong reference to the memtable, so the arena outlives them.
final class Memtable: @unchecked Sendable {
    // @unchecked Sendable: the only non-atomic mutable state is (a) the arena's bump pointer
    // and the skiplist's writer scratch, used only inside `add`, which callers serialize
    // (single-writer contract), and (b) `tombstoneList`, which is only accessed under
    // `tombstoneGuard`. Skiplist nodes are published with release stores and read with acquire
    // loads; counters are atomics.

    /// Memory for the skiplist nodes (and so every point entry).
    let arena: Arena
    /// The point entries, in internal-key order.
    private let list: SkipList<MemtableEntry>

    /// Whether the skiplist's levels are ordered and nested (tests).
    func skipListIsConsistent() -> Bool { list.levelsAreConsistent() }
    /// Guards `tombstoneList`.
    private let tombstoneGuard = SpinGuard()
    /// Range tombstones in insertion order. Guarded by `tombstoneGuard`.
    private var tombstoneList: [RangeTombstone] = []
    /// Approximate heap bytes held by `tombstoneList`.
    private let tombstoneBytes = Atomic<Int>(0)
    /// Number of range tombstones added.
    private let tombstoneCount = Atomic<Int>(0)
    /// Smallest sequence number added (UInt64.max while empty).
    private let smallestSeen = Atomic<UInt64>(UInt64.max)
    /// Largest sequence number added (0 while empty).
    private let largestSeen = Atomic<UInt64>(0)

    /// A Bloom filter of the point entries' user keys (nil: none).
    private let filter: MemtableFilter?
    /// The side lane's bits of the key filter (0: no filter).
    private let filterBits: Int
    /// Size of the side lane's arena blocks.
    private let arenaBlockSize: Int

    /// The entries of side writes (`addSide`), created by the first one. A second skiplist
    /// with its own arena, filter and writer, so a side write inserts while the write
    /// leader inserts into the main list (see `Database.writeSide`).
    private let sideLane = ManagedAtomicLazyReference<SideLane>()
    /// Side writes whose sequence numbers are assigned but whose entries are not all in the
    /// side lane yet; a flush waits for none (`waitForSideWrites`).
    private let sideWritesInFlight = Atomic<Int>(0)

    /// A skiplist of side-write entries and what goes with it.
    final class SideLane: @unchecked Sendable {
        // @unchecked Sendable: `list`'s writer state and the arena's bump state are used only
        // under `writer`; readers use the list's lock-free read side and the atomics.
        let arena: Arena
        let list: SkipList<MemtableEntry>
        let filter: MemtableFilter?
        /// Serializes side writers (the skiplist takes one writer at a time).
        // Guards no value of its own; a Bool, not Void: ThreadSanitizer reports an inout access
        // to a zero-sized value as a race with the object (Docs/reliability.md, "Sanitizers").
        let writer = CairnMutex<Bool>(false)
        let smallestSeen = Atomic<UInt64>(UInt64.max)
        let largestSeen = Atomic<UInt64>(0)

        init(arenaBlockSize: Int, filterBits: Int) {
            arena = Arena(blockSize: arenaBlockSize)
            list = SkipList<MemtableEntry>(arena: arena, seed: 0x2545_F491_4F6C_DD1D)
            filter = filterBits > 0 ? MemtableFilter(bits: filterBits) : nil
        }
    }

    /// Creates an empty memtable. `arenaBlockSize` sizes the arena's blocks; `filterBits`
    /// sizes the key filter (0: no filter).
    init(arenaBlockSize: Int = Arena.defaultBlockSize, filterBits: Int = 1 << 16) {
        arena = Arena(blockSize: arenaBlockSize)
        list = SkipList<MemtableEntry>(arena: arena)
        filter = filterBits > 0 ? MemtableFilter(bits: filterBits) : nil
        self.filterBits = filterBits
        self.arenaBlockSize = arenaBlockSize
    }

    // MARK: Writing (single writer)

    /// Records one write.
    ///
    /// For `.value` and `.deletion`, inserts the point entry `key@sequence` (the value is
    /// ignored for deletions, by convention empty). For `.rangeDeletion`, `key` is the first
    /// deleted user key and `value` the exclusive end; the tombstone goes to the range-tombstone
    /// list, not the skiplist.
    ///
    /// `(key, sequence, type)` must be new to this memtable (sequence numbers are unique per
    /// write). `sequence` must be at most `maxSequenceNumber`. The bytes are copied; the
    /// buffers may be reused as soon as this returns. Single writer only.
    ///
    /// `stamped` says the key is a `putStamped` key (a prefix, then 8 bytes of sequence): such
    /// keys ascend under their prefix, so the insert starts from the splice the prefix's
    /// previous key left (a skiplist hint chosen by hashing the prefix).
    func add(
        sequence: SequenceNumber, type: ValueType, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
        stamped: Bool = false
    ) {
        let sequence = min(sequence, maxSequenceNumber)
        if type == .rangeDeletion {
            addRangeTombstone(sequence: sequence, start: key, end: value)
        } else {
            Self.insert(into: list, filter: filter, sequence: sequence, type: type, key: key, value: value, stamped: stamped)
        }
        if sequence < smallestSeen.load(ordering: .relaxed) { smallestSeen.store(sequence, ordering: .relaxed) }
        if sequence > largestSeen.load(ordering: .relaxed) { largestSeen.store(sequence, ordering: .relaxed) }
    }

    /// Inserts the point entry `key@sequence` into `list` (its writer's job).
    @inline(__always)
    private static func insert(
        into list: SkipList<MemtableEntry>, filter: MemtableFilter?, sequence: SequenceNumber, type: ValueType,
        key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, stamped: Bool
    ) {
        let entryLength = MemtableEntry.encodedLength(
            internalKeyLength: key.count + InternalKey.trailerSize,
            valueLength: type == .value ? value.count : 0)
        let node = list.allocateNode(entryLength: entryLength)
        MemtableEntry.write(
            to: node.entry, userKey: key,
            trailer: InternalKey.trailer(sequence, type.rawValue),
            value: type == .value ? value : UnsafeRawBufferPointer(start: nil, count: 0))
        filter?.add(hash: BloomFilter.hash(key))  // before the node is published
        if stamped && key.count > 8 {
            list.insert(node, hint: Self.hintSlot(ofPrefix: UnsafeRawBufferPointer(rebasing: key.dropLast(8))))
        } else {
            list.insert(node)
        }
    }

    /// Adds a range tombstone (any thread: the list is guarded).
    private func addRangeTombstone(sequence: SequenceNumber, start: UnsafeRawBufferPointer, end: UnsafeRawBufferPointer) {
        let tombstone = RangeTombstone(start: Array(start), end: Array(end), sequence: sequence)
        tombstoneGuard.withLock { tombstoneList.append(tombstone) }
        tombstoneBytes.wrappingAdd(start.count + end.count + MemoryLayout<RangeTombstone>.stride + 64, ordering: .relaxed)
        tombstoneCount.wrappingAdd(1, ordering: .relaxed)
    }

    // MARK: Side writes

    /// Announces a side write whose sequence numbers were just assigned: until the matching
    /// `endSideWrite`, `waitForSideWrites` waits. Called by the write leader, under the
    /// database's mutex, before the memtable can be rotated away.
    func beginSideWrite() {
        sideWritesInFlight.wrappingAdd(1, ordering: .sequentiallyConsistent)
    }

    /// Records the updates of a side write (`Database.writeSide`): point entries go to the
    /// side lane's skiplist, range tombstones to the shared list. Any thread, concurrently
    /// with `add` (side writers take turns on the lane's own lock). `endSideWrite` follows.
    func addSide(_ batch: WriteBatch, firstSequence: SequenceNumber) throws {
        let lane = sideLane.load() ?? sideLane.storeIfNilThenLoad(
            SideLane(arenaBlockSize: arenaBlockSize, filterBits: filterBits))
        var batch = batch
        batch.sequence = firstSequence  // stamped keys end in it
        try lane.writer.withLock { _ in
            var sequence = firstSequence
            var smallest = UInt64.max, largest: UInt64 = 0
            try batch.forEachUpdate { type, key, value, _ in
                let s = min(sequence, maxSequenceNumber)
                if type == .rangeDeletion {
                    addRangeTombstone(sequence: s, start: key, end: value)
                } else {
                    Self.insert(into: lane.list, filter: lane.filter, sequence: s, type: type, key: key, value: value, stamped: false)
                }
                smallest = min(smallest, s)
                largest = max(largest, s)
                sequence += 1
            }
            if smallest < lane.smallestSeen.load(ordering: .relaxed) { lane.smallestSeen.store(smallest, ordering: .relaxed) }
            if largest > lane.largestSeen.load(ordering: .relaxed) { lane.largestSeen.store(largest, ordering: .relaxed) }
        }
    }

    /// Ends a side write `beginSideWrite` announced (its entries are in, or it failed).
    func endSideWrite() {
        sideWritesInFlight.wrappingSubtract(1, ordering: .sequentiallyConsistent)
    }

    /// Waits until every side write announced on this memtable has added its entries (a
    /// flush calls it first, so a table never misses part of one). Side writes insert a few
    /// hundred entries; the wait polls.
    func waitForSideWrites() {
        while sideWritesInFlight.load(ordering: .sequentiallyConsistent) > 0 { usleep(50) }
    }

    /// The skiplist hint slot of a stamped key's prefix (FNV-1a of its bytes).
    @inline(__always)
    static func hintSlot(ofPrefix prefix: UnsafeRawBufferPointer) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in prefix { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: hash ^ hash >> 32)
    }

    /// Array convenience for `add` (tests, recovery tools).
    func add(sequence: SequenceNumber, type: ValueType, key: [UInt8], value: [UInt8]) {
        key.withUnsafeBytes { k in
            value.withUnsafeBytes { v in add(sequence: sequence, type: type, key: k, value: v) }
        }
    }

    // MARK: Reading (any thread)

    /// The newest point entry for `userKey` with a sequence number <= `sequence`.
    ///
    /// Range tombstones are not consulted; callers combine the result with
    /// `rangeTombstones` (see `FragmentedRangeTombstones`). Safe concurrently with `add`:
    /// the result reflects every entry whose `add` returned before this call started.
    ///
    /// `hash` is `BloomFilter.hash(userKey)` if the caller has it (nil: computed here when
    /// needed); with it, the key filter answers most lookups of absent keys.
    func get(_ userKey: UnsafeRawBufferPointer, sequence: SequenceNumber, hash: UInt64? = nil) -> MemtableLookup {
        let main = Self.lookup(userKey, in: list, filter: filter, sequence: sequence, hash: hash)
        guard let lane = sideLane.load() else { return main }
        // A key may be in both lists (side writes and ordinary writes share the key space):
        // the newer visible entry wins.
        let side = Self.lookup(userKey, in: lane.list, filter: lane.filter, sequence: sequence, hash: hash)
        switch (main, side) {
        case (_, .notFound): return main
        case (.notFound, _): return side
        default: return Self.sequence(of: side) > Self.sequence(of: main) ? side : main
        }
    }

    private static func sequence(of lookup: MemtableLookup) -> SequenceNumber {
        switch lookup {
        case .notFound: return 0
        case .value(let s, _), .deleted(let s): return s
        }
    }

    /// `get` in one skiplist.
    private static func lookup(
        _ userKey: UnsafeRawBufferPointer, in list: SkipList<MemtableEntry>, filter: MemtableFilter?,
        sequence: SequenceNumber, hash: UInt64?
    ) -> MemtableLookup {
        // An empty memtable answers without touching the filter's memory. (A node is counted
        // before its write returns, so a reader that must see a write sees a nonzero count.)
        if list.count == 0 { return .notFound }
        if let filter, !filter.mayContain(hash: hash ?? BloomFilter.hash(userKey)) { return .notFound }
        let seekLength = userKey.count + InternalKey.trailerSize
        let trailer = InternalKey.trailer(min(sequence, maxSequenceNumber), ValueType.seekMarker)
        // The seek key lives on the stack for ordinary key sizes (no heap allocation).
        return withUnsafeTemporaryAllocation(byteCount: seekLength, alignment: 8) { buffer in
            buffer.copyMemory(from: userKey)
            buffer.storeBytes(of: trailer.littleEndian, toByteOffset: userKey.count, as: UInt64.self)
            guard let node = list.findGreaterOrEqual(UnsafeRawBufferPointer(buffer)) else { return .notFound }
            let key = MemtableEntry.key(ofEntry: node)
            guard compareBytes(InternalKey.userKey(key), userKey) == 0 else { return .notFound }
            let found = InternalKey.trailerValue(key)
            let foundSequence = found >> 8
            switch UInt8(truncatingIfNeeded: found) {
            case ValueType.value.rawValue:
                return .value(foundSequence, Array(MemtableEntry.value(ofEntry: node)))
            case ValueType.deletion.rawValue:
                return .deleted(foundSequence)
            default:
                // Only values and deletions are ever inserted; anything else is not a point entry.
                return .notFound
            }
        }
    }

    /// Array convenience for `get`.
    func get(_ userKey: [UInt8], sequence: SequenceNumber) -> MemtableLookup {
        userKey.withUnsafeBytes { get($0, sequence: sequence) }
    }

    /// A new iterator over the point entries (internal keys, newest version of a user key
    /// first). It keeps this memtable alive and sees entries added after its creation when it
    /// reaches them. Use each iterator from one thread at a time.
    func makeIterator() -> InternalIterator {
        let main = MemtableIterator(memtable: self, list: list)
        guard let lane = sideLane.load(), lane.list.count > 0 else { return main }
        return MergingIterator([main, MemtableIterator(memtable: self, list: lane.list)])
    }

    /// A copy of the range tombstones added so far, in insertion order.
    var rangeTombstones: [RangeTombstone] {
        if tombstoneCount.load(ordering: .relaxed) == 0 { return [] }
        return tombstoneGuard.withLock { tombstoneList }
    }

    /// True if any range tombstone was added.
    var hasRangeTombstones: Bool { tombstoneCount.load(ordering: .relaxed) > 0 }

    // MARK: Statistics (any thread)

    /// Bytes used: the arena's blocks plus the range-tombstone list. Compared with
    /// `Options.writeBufferSize` to decide when to switch memtables. The key filter, fixed
    /// in size, is not counted.
    var approximateMemoryUsage: Int {
        arena.memoryUsage + (sideLane.load()?.arena.memoryUsage ?? 0) + tombstoneBytes.load(ordering: .relaxed)
    }

    /// Bytes of the key filter.
    var filterByteCount: Int { (filter?.byteCount ?? 0) + (sideLane.load()?.filter?.byteCount ?? 0) }

    /// Number of point entries.
    var pointEntryCount: Int { list.count + (sideLane.load()?.list.count ?? 0) }

    /// Number of range tombstones.
    var rangeTombstoneCount: Int { tombstoneCount.load(ordering: .relaxed) }

    /// Number of writes recorded: point entries plus range tombstones.
    var entryCount: Int { pointEntryCount + rangeTombstoneCount }

    /// True when nothing was added.
    var isEmpty: Bool { entryCount == 0 }

    /// Smallest sequence number added (point or range), nil while empty.
    var smallestSequence: SequenceNumber? {
        let s = min(smallestSeen.load(ordering: .relaxed), sideLane.load()?.smallestSeen.load(ordering: .relaxed) ?? .max)
        return s == UInt64.max ? nil : s
    }

    /// Largest sequence number added (point or range), nil while empty.
    var largestSequence: SequenceNumber? {
        isEmpty ? nil : max(largestSeen.load(ordering: .relaxed), sideLane.load()?.largestSeen.load(ordering: .relaxed) ?? 0)
    }
}
