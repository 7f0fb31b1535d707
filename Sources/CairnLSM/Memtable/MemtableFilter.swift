import Atomics

/// A Bloom filter over the user keys of one memtable, so a point lookup of a key the memtable
/// does not hold costs one cache line instead of a skiplist search (RocksDB's
/// `memtable_whole_key_filtering`).
///
/// **Layout.** `lineCount` cache lines of 512 bits. A key's 64-bit hash (`BloomFilter.hash`,
/// the tables' filter hash, so a lookup hashes once) picks one line with its high 32 bits, and
/// `probes` bits inside that line with its low 32 bits (double hashing), so adding and testing
/// touch one line.
///
/// **Concurrency.** One writer (the memtable's) sets bits with relaxed atomic stores; readers
/// test them with relaxed loads. A key's bits are set before its skiplist node is published
/// with a releasing store, and a reader only looks for writes that happened before its read
/// began (it took the sequence number with acquire ordering), so a reader never misses a bit
/// of a write it must see.
///
/// **Ownership.** The filter owns its memory, allocated zeroed at init and freed in deinit.
final class MemtableFilter: @unchecked Sendable {
    // @unchecked Sendable: the words are only touched through atomic loads and stores.

    /// Bits per line (one 64-byte cache line).
    static let lineBits = 512
    /// Bits set per key.
    static let probes = 6

    private let words: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    /// Number of 512-bit lines.
    let lineCount: Int

    /// A filter of at least `bits` bits (rounded up to whole lines, at least one).
    init(bits: Int) {
        lineCount = max(1, (bits + Self.lineBits - 1) / Self.lineBits)
        let wordCount = lineCount * Self.lineBits / 64
        let raw = UnsafeMutableRawPointer.allocate(byteCount: wordCount * 8, alignment: 64)
        words = raw.bindMemory(to: UnsafeAtomic<UInt64>.Storage.self, capacity: wordCount)
        words.initialize(repeating: UnsafeAtomic<UInt64>.Storage(0), count: wordCount)
    }

    deinit {
        words.deinitialize(count: lineCount * Self.lineBits / 64)
        words.deallocate()
    }

    /// Bytes of filter memory.
    var byteCount: Int { lineCount * Self.lineBits / 8 }

    /// Calls `body` with the word and bit mask of each of `hash`'s probes, in order, until it
    /// returns false; returns whether every call returned true.
    @inline(__always)
    private func probes(_ hash: UInt64, _ body: (UnsafeAtomic<UInt64>, UInt64) -> Bool) -> Bool {
        let start = Int(truncatingIfNeeded: ((hash >> 32) &* UInt64(lineCount)) >> 32) &* (Self.lineBits / 64)
        var h = UInt32(truncatingIfNeeded: hash)
        let delta = h >> 17 | h << 15
        for _ in 0..<Self.probes {
            let bit = Int(h & UInt32(Self.lineBits - 1))
            let word = UnsafeAtomic<UInt64>(at: words + start + (bit >> 6))
            if !body(word, UInt64(1) << UInt64(bit & 63)) { return false }
            h &+= delta
        }
        return true
    }

    /// Records a key by its hash. Single writer only.
    @inline(__always)
    func add(hash: UInt64) {
        _ = probes(hash) { word, mask in
            let old = word.load(ordering: .relaxed)
            if old & mask == 0 { word.store(old | mask, ordering: .relaxed) }
            return true
        }
    }

    /// False only if no key with this hash was added.
    @inline(__always)
    func mayContain(hash: UInt64) -> Bool {
        probes(hash) { word, mask in word.load(ordering: .relaxed) & mask != 0 }
    }
}
