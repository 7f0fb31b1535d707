import Synchronization

/// A bump allocator over large blocks, the memory behind one memtable (LevelDB's `Arena`).
///
/// Allocation carves aligned pieces off the current block (1 MiB by default); when the block
/// cannot fit a request, a new block is started. A request larger than a quarter of the block
/// size gets a block of its own so the tail of the current block is not wasted.
///
/// **Ownership.** The arena owns every block it allocates. Memory is never freed or moved
/// before the arena is deinitialized, so a pointer returned by `allocate` stays valid for the
/// arena's whole lifetime; whoever holds such a pointer must keep the arena alive (the
/// memtable holds the arena, and iterators hold the memtable).
///
/// **Thread-safety.** `allocate` must be called by one thread at a time (the memtable's single
/// writer). Bytes handed out may be read by other threads once the writer has published them
/// with a releasing store (the skiplist does this). `memoryUsage` is an atomic and may be read
/// from any thread at any time.
final class Arena: @unchecked Sendable {
    // @unchecked Sendable: the mutable bump state (`cursor`, `remaining`, `blocks`) is touched
    // only by `allocate` and `deinit`; callers serialize `allocate` (single-writer contract)
    // and `deinit` runs when no other reference exists. The only state read concurrently,
    // `usage`, is an atomic.

    /// Default size of a regular block.
    static let defaultBlockSize = 1 << 20

    /// Alignment of every block; allocations with this or a smaller alignment never need a
    /// block of their own.
    static let blockAlignment = 16

    /// Size of regular blocks.
    let blockSize: Int

    /// Next free byte of the current block (nil before the first block).
    private var cursor: UnsafeMutableRawPointer?
    /// Bytes left in the current block after `cursor`.
    private var remaining: Int = 0
    /// Every block allocated, for `deinit`.
    private var blocks: [UnsafeMutableRawPointer] = []
    /// Bytes of all blocks plus bookkeeping; see `memoryUsage`.
    private let usage = Atomic<Int>(0)

    /// Creates an empty arena. `blockSize` is clamped to at least 4 KiB.
    init(blockSize: Int = Arena.defaultBlockSize) {
        self.blockSize = max(blockSize, 4096)
    }

    deinit {
        for block in blocks { block.deallocate() }
    }

    /// Total bytes the arena has taken from the system (all blocks, including unused tails,
    /// plus the block list). Safe to read from any thread; the value may lag a concurrent
    /// `allocate` by one block.
    var memoryUsage: Int { usage.load(ordering: .relaxed) }

    /// Number of blocks allocated so far (for tests and statistics). Writer thread only.
    var blockCount: Int { blocks.count }

    /// Returns `byteCount` bytes aligned to `alignment` (a power of two), uninitialized.
    ///
    /// The memory stays valid until the arena is deinitialized. Single writer only.
    /// A `byteCount` of 0 returns a valid, aligned pointer that must not be dereferenced.
    @inline(__always)
    func allocate(byteCount: Int, alignment: Int = 8) -> UnsafeMutableRawPointer {
        let align = max(alignment, 1)
        let size = max(byteCount, 0)
        if let p = cursor {
            let padding = (align - (Int(bitPattern: p) & (align - 1))) & (align - 1)
            let needed = padding + size
            if needed <= remaining {
                cursor = p + needed
                remaining -= needed
                return p + padding
            }
        }
        return allocateSlow(size, alignment: align)
    }

    /// The cases `allocate` does not handle inline: the first block, a full block and
    /// oversized requests.
    private func allocateSlow(_ size: Int, alignment: Int) -> UnsafeMutableRawPointer {
        if size > blockSize / 4 || alignment > Arena.blockAlignment {
            // A block of its own; the current block keeps serving small requests.
            return newBlock(byteCount: size, alignment: max(alignment, Arena.blockAlignment))
        }
        let block = newBlock(byteCount: blockSize, alignment: Arena.blockAlignment)
        // Blocks are 16-aligned and alignment <= 16 here, so no padding is needed.
        cursor = block + size
        remaining = blockSize - size
        return block
    }

    /// Allocates and records one block, updating the usage counter.
    private func newBlock(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        let block = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: alignment)
        blocks.append(block)
        usage.add(byteCount + MemoryLayout<UnsafeMutableRawPointer>.stride, ordering: .relaxed)
        return block
    }
}
