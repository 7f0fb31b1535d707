import Synchronization

/// A bounded cache of decoded SSTable blocks shared by all readers of a database.
///
/// Keyed by `(fileNumber, blockOffset)` — file numbers are never reused, so a key always
/// names the same bytes. Bounded by bytes: each block is charged its decoded size plus
/// `entryOverhead`. The cache is split into shards (16 for capacities of 4 MiB and more, fewer
/// for small caches so that a shard still holds many blocks), each an `LRUMap` behind its own
/// mutex. Capacity 0 disables the cache: lookups miss without counting and inserts are dropped.
public final class BlockCache: Sendable {
    /// Bytes charged per entry on top of the block size (node, dictionary slot, object header).
    public static let entryOverhead = 96
    /// Shard count for large caches.
    static let maxShards = 16
    /// Smallest per-shard capacity before the shard count is reduced.
    static let minShardCapacity = 256 << 10

    /// A cache key.
    struct Key: LRUMapKey {
        /// The table's file number.
        var fileNumber: UInt64
        /// The block's offset in the table.
        var offset: UInt64

        /// Both fields mixed; the low bits pick the shard, the high bits the slot in it.
        @inline(__always)
        var mixedHash: UInt64 { mixBits(fileNumber &* 0x9E37_79B9_7F4A_7C15 ^ offset) }
    }

    /// One independently locked LRU.
    private final class Shard: Sendable {
        /// The shard's entries, behind its mutex.
        let map: CairnMutex<LRUMap<Key, Block>>
        /// An empty shard of `capacity` bytes.
        init(capacity: Int) { map = CairnMutex(LRUMap(capacity: capacity)) }
    }

    /// Total capacity in bytes.
    public let capacity: Int
    /// Recycles the memory of evicted blocks for the blocks read next (holds at most 1/64
    /// of the capacity).
    let bufferPool: BlockBufferPool
    private let shards: [Shard]
    private let shardMask: UInt64
    private let hitCounter = Atomic<Int>(0)
    private let missCounter = Atomic<Int>(0)

    /// Creates a cache holding at most `capacity` bytes (0 disables it).
    public init(capacity: Int) {
        self.capacity = max(0, capacity)
        bufferPool = BlockBufferPool(totalBytes: self.capacity / 64)
        var count = BlockCache.maxShards
        while count > 1 && self.capacity / count < BlockCache.minShardCapacity { count /= 2 }
        let perShard = (self.capacity + count - 1) / count
        shards = (0..<count).map { _ in Shard(capacity: perShard) }
        shardMask = UInt64(count - 1)
    }

    /// True when the cache stores blocks (capacity > 0).
    public var isEnabled: Bool { capacity > 0 }

    /// The shard that owns `key` (a mixed hash of file number and offset).
    @inline(__always)
    private func shard(_ key: Key) -> Shard {
        shards[Int(key.mixedHash & shardMask)]
    }

    /// The cached block, marked most recently used; nil on a miss.
    func lookup(fileNumber: UInt64, offset: UInt64) -> Block? {
        guard isEnabled else { return nil }
        let key = Key(fileNumber: fileNumber, offset: offset)
        let block = shard(key).map.withLock { $0.get(key) }
        if block == nil {
            missCounter.add(1, ordering: .relaxed)
        } else {
            hitCounter.add(1, ordering: .relaxed)
        }
        return block
    }

    /// Caches `block`, evicting least recently used blocks of the same shard as needed.
    /// Callers insert only checksum-verified blocks.
    func insert(fileNumber: UInt64, offset: UInt64, block: Block) {
        guard isEnabled else { return }
        let key = Key(fileNumber: fileNumber, offset: offset)
        let charge = block.size + BlockCache.entryOverhead
        _ = shard(key).map.withLock { $0.insert(key, block, charge: charge) }
    }

    /// Drops every cached block of `fileNumber` (called when the file is deleted).
    public func erase(fileNumber: UInt64) {
        for s in shards {
            _ = s.map.withLock { $0.removeAll { $0.fileNumber == fileNumber } }
        }
    }

    /// Lookups that found a block.
    public var hits: Int { hitCounter.load(ordering: .relaxed) }
    /// Lookups that did not.
    public var misses: Int { missCounter.load(ordering: .relaxed) }
    /// Bytes charged by the cached blocks.
    public var usage: Int { shards.reduce(0) { sum, s in sum + s.map.withLock { $0.usage } } }
    /// Number of cached blocks.
    public var entryCount: Int { shards.reduce(0) { sum, s in sum + s.map.withLock { $0.count } } }
    /// Number of shards.
    public var shardCount: Int { shards.count }
}
