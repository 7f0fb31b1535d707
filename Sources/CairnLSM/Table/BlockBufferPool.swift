import Synchronization

/// Recycles the memory of blocks the block cache evicted for the blocks it reads next.
///
/// Every block-cache miss allocates a buffer of about one block and, once the cache is full,
/// evicts a block of about the same size; `malloc` and `free` of such buffers (too large for
/// the allocator's per-thread caches) cost more than the lookup itself. The pool keeps freed
/// buffers in size classes of `granule` bytes and hands them out again.
///
/// A buffer requested for `n` bytes has capacity `capacity(for: n)`; it is returned with
/// `recycle(_:count:)` where `count <= ` the requested size, so the class computed from
/// `count` never exceeds the real capacity. The pool holds at most `byteLimit` bytes per
/// shard; beyond that, and for buffers over `maxPooledSize`, it frees.
final class BlockBufferPool: Sendable {
    /// Size classes are multiples of this many bytes.
    static let granule = 512
    /// Buffers larger than this are never pooled.
    static let maxPooledSize = 64 << 10
    /// Shards (independent locks).
    static let shardCount = 8

    /// Free buffers of one shard, by size class.
    private struct FreeLists {
        /// Buffer addresses (as integers, so the lists are plainly Sendable).
        var lists: [[UInt]] = Array(repeating: [], count: BlockBufferPool.maxPooledSize / BlockBufferPool.granule + 1)
        var bytes = 0
    }

    /// One independently locked set of free lists.
    private final class Shard: Sendable {
        let free = CairnMutex(FreeLists())
    }

    private let shards: [Shard]
    /// Most bytes one shard keeps.
    let byteLimit: Int

    /// A pool keeping at most `totalBytes` (split over the shards).
    init(totalBytes: Int) {
        byteLimit = max(totalBytes / BlockBufferPool.shardCount, 2 * BlockBufferPool.maxPooledSize)
        shards = (0..<BlockBufferPool.shardCount).map { _ in Shard() }
    }

    /// The capacity of a buffer requested for `byteCount` bytes.
    @inline(__always)
    static func capacity(for byteCount: Int) -> Int {
        (max(byteCount, 1) + granule - 1) / granule * granule
    }

    /// The shard for a buffer address or a request key.
    @inline(__always)
    private func shard(_ value: UInt64) -> Shard {
        shards[Int(truncatingIfNeeded: mixBits(value) & UInt64(BlockBufferPool.shardCount - 1))]
    }

    /// A buffer of at least `byteCount` bytes (`count == byteCount`), 16-byte aligned.
    /// `hint` spreads requests over the shards (any value; the block's offset).
    func allocate(byteCount: Int, hint: UInt64) -> UnsafeMutableRawBufferPointer {
        let capacity = BlockBufferPool.capacity(for: byteCount)
        if capacity <= BlockBufferPool.maxPooledSize {
            let reused = shard(hint).free.withLock { free -> UInt? in
                guard let p = free.lists[capacity / BlockBufferPool.granule].popLast() else { return nil }
                free.bytes -= capacity
                return p
            }
            if let reused, let start = UnsafeMutableRawPointer(bitPattern: reused) {
                return UnsafeMutableRawBufferPointer(start: start, count: byteCount)
            }
        }
        let fresh = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        return UnsafeMutableRawBufferPointer(start: fresh.baseAddress, count: byteCount)
    }

    /// Takes back a buffer from `allocate` that was requested for at least `count` bytes.
    func recycle(_ base: UnsafeMutableRawPointer, count: Int, hint: UInt64) {
        let capacity = BlockBufferPool.capacity(for: count)
        if capacity <= BlockBufferPool.maxPooledSize {
            let address = UInt(bitPattern: base)
            let kept = shard(hint).free.withLock { free -> Bool in
                guard free.bytes + capacity <= byteLimit else { return false }
                free.lists[capacity / BlockBufferPool.granule].append(address)
                free.bytes += capacity
                return true
            }
            if kept { return }
        }
        base.deallocate()
    }

    /// Bytes held for reuse (tests).
    var pooledBytes: Int { shards.reduce(0) { $0 + $1.free.withLock { $0.bytes } } }

    deinit {
        for shard in shards {
            shard.free.withLock { free in
                for list in free.lists {
                    for address in list { UnsafeMutableRawPointer(bitPattern: address)?.deallocate() }
                }
            }
        }
    }
}
