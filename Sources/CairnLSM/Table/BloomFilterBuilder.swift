/// Collects user-key hashes for one SSTable and serializes a `BloomFilter`.
///
/// Consecutive adds of the same user key (several versions of one key) are recorded once.
/// Memory is one `UInt64` per distinct key until `finish`. Single owner, not thread-safe.
final class BloomFilterBuilder {
    /// Bits of filter per distinct key.
    let bitsPerKey: Int
    private var hashes: [UInt64] = []
    private var lastHash: UInt64 = 0

    /// Creates a builder spending `bitsPerKey` bits per key (at least 1).
    init(bitsPerKey: Int) {
        self.bitsPerKey = max(1, bitsPerKey)
        hashes.reserveCapacity(1024)
    }

    /// Number of distinct keys recorded.
    var keyCount: Int { hashes.count }

    /// Records a user key.
    func add(userKey: UnsafeRawBufferPointer) {
        addHash(BloomFilter.hash(userKey))
    }

    /// Records a key by its `BloomFilter.hash`. A hash equal to the previous one is skipped:
    /// the bits it would set are already set.
    func addHash(_ hash: UInt64) {
        if let _ = hashes.last, hash == lastHash { return }
        hashes.append(hash)
        lastHash = hash
    }

    /// Appends the serialized filter to `out` and forgets the keys.
    func finish(into out: ByteBuffer) {
        let wantedBits = max(hashes.count, 1) * bitsPerKey
        let numLines = UInt32(clamping: max(1, (wantedBits + 511) / 512))
        let numProbes = BloomFilter.probes(bitsPerKey: bitsPerKey)
        let size = Int(numLines) * BloomFilter.lineSize
        let bits = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        defer { bits.deallocate() }
        bits.initializeMemory(as: UInt8.self, repeating: 0)
        if let base = bits.baseAddress {
            for hash in hashes {
                let line = base + BloomFilter.line(hash, numLines: numLines) * BloomFilter.lineSize
                var h = UInt32(truncatingIfNeeded: hash >> 32)
                for _ in 0..<numProbes {
                    let bit = Int(h >> 23)
                    let byte = line.load(fromByteOffset: bit >> 3, as: UInt8.self)
                    line.storeBytes(of: byte | (1 << UInt8(bit & 7)), toByteOffset: bit >> 3, as: UInt8.self)
                    h = h &* 0x9e37_79b9
                }
            }
        }
        out.append(UnsafeRawBufferPointer(bits))
        out.append(byte: UInt8(numProbes))
        out.appendFixed32(numLines)
        out.append(byte: BloomFilter.version)
        hashes.removeAll(keepingCapacity: true)
    }
}
