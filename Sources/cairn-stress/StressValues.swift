/// The keys and values a stress run writes: both follow from numbers, so the verifier can
/// tell a right value from a wrong one by its bytes alone.
///
/// Key `i` is `key` and `i` in eight decimal digits (so key order is number order and a range
/// of numbers is a range of keys). The value of key `i` with base `b` is 8 bytes of header
/// (`i` and `b`, big-endian) and then 0 to `maxFiller` bytes that a generator seeded with
/// (`i`, `b`) makes: a value with a flipped byte, or another key's value, or a torn one, does
/// not decode.
struct StressValues: Sendable {
    let maxFiller: Int

    static func key(_ i: Int) -> [UInt8] {
        var out = Array("key".utf8)
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: 8)
        var n = i
        for position in stride(from: 7, through: 0, by: -1) {
            digits[position] = UInt8(ascii: "0") + UInt8(n % 10)
            n /= 10
        }
        out += digits
        return out
    }

    /// The number of a key made by `key(_:)`, or nil.
    static func number(ofKey bytes: [UInt8]) -> Int? {
        guard bytes.count == 11, bytes.starts(with: Array("key".utf8)) else { return nil }
        var n = 0
        for byte in bytes[3...] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            n = n * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return n
    }

    func value(key: Int, base: UInt16) -> [UInt8] {
        var generator = SplitMix64(seed: UInt64(key) << 16 | UInt64(base))
        let filler = maxFiller == 0 ? 0 : Int(generator.next() % UInt64(maxFiller + 1))
        var out: [UInt8] = []
        out.reserveCapacity(8 + filler)
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: UInt32(key) >> UInt32(shift))) }
        out += [0, 0, UInt8(base >> 8), UInt8(truncatingIfNeeded: base)]
        var word: UInt64 = 0
        for i in 0..<filler {
            if i % 8 == 0 { word = generator.next() }
            out.append(UInt8(truncatingIfNeeded: word >> UInt64(8 * (i % 8))))
        }
        return out
    }

    /// The base of `bytes` when they are exactly the value of `key` with that base; nil for
    /// any other bytes.
    func base(of bytes: [UInt8], key: Int) -> UInt16? {
        guard bytes.count >= 8 else { return nil }
        let storedKey = bytes[0..<4].reduce(0) { $0 << 8 | Int($1) }
        guard storedKey == key, bytes[4] == 0, bytes[5] == 0 else { return nil }
        let base = UInt16(bytes[6]) << 8 | UInt16(bytes[7])
        return value(key: key, base: base) == bytes ? base : nil
    }
}

/// A small, fast, seedable generator (SplitMix64): every random choice of a run follows
/// from its seed.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
