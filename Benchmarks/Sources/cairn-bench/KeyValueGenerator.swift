/// SplitMix64: a small seeded generator, so every engine sees the same key sequence.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Keys are decimal numbers zero-padded to `keySize` bytes ("0000000000000042" for 16), so
/// byte order equals numeric order, as in db_bench.
struct KeyFormatter: Sendable {
    let keySize: Int

    /// Writes key `n` into `buffer` (which has room for keySize + 1 bytes).
    func write(_ n: UInt64, into buffer: UnsafeMutableRawBufferPointer) {
        var x = n
        var i = keySize - 1
        while i >= 0 {
            buffer[i] = UInt8(ascii: "0") + UInt8(x % 10)
            x /= 10
            i -= 1
        }
    }

    /// Largest key number that fits in `keySize` digits.
    var capacity: UInt64 {
        keySize >= 19 ? UInt64.max : (0..<keySize).reduce(UInt64(1)) { acc, _ in acc * 10 } - 1
    }
}

/// Values: slices of a 1 MiB buffer in which every run of bytes is a random half followed by
/// a copy of it, so each value compresses to about half its size (db_bench's
/// compression_ratio = 0.5).
final class ValueGenerator: Sendable {
    private let data: [UInt8]
    let valueSize: Int

    init(valueSize: Int, seed: UInt64) {
        self.valueSize = valueSize
        var rng = SeededGenerator(seed: seed ^ 0xA5A5)
        var data: [UInt8] = []
        let total = max(1 << 20, valueSize * 4)
        data.reserveCapacity(total + 100)
        while data.count < total {
            let piece = 100
            let random = (0..<(piece / 2)).map { _ in UInt8(ascii: " ") + UInt8(rng.next() % 95) }
            data.append(contentsOf: random)
            data.append(contentsOf: random)
        }
        self.data = data
    }

    /// Calls `body` with the `i`-th value (a different offset each time).
    func withValue<R>(_ i: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let span = data.count - valueSize
        let offset = span > 0 ? Int(i &* 7919 % UInt64(span)) : 0
        return try data.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + valueSize)])) }
    }
}

/// The key sequences of the workloads, derived from one seed.
struct KeySequences: Sendable {
    let num: Int
    let seed: UInt64

    /// A random permutation of 0..<num: each key exactly once, in random order.
    func permutation(salt: UInt64) -> [UInt64] {
        var keys = (0..<UInt64(num)).map { $0 }
        var rng = SeededGenerator(seed: seed ^ salt)
        keys.shuffle(using: &rng)
        return keys
    }

    /// `count` keys drawn uniformly, with replacement, from 0..<num.
    func uniform(count: Int, salt: UInt64) -> [UInt64] {
        var rng = SeededGenerator(seed: seed ^ salt)
        return (0..<count).map { _ in rng.next() % UInt64(num) }
    }
}
