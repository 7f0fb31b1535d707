/// The index of a column chunk's dictionary: from a value to its entry number, by open
/// addressing with linear probing.
///
/// The table holds entry numbers and hash bits only; the values stay in the chunk's
/// dictionary, which the caller's `isEntry` compares against (so a byte array is hashed in one
/// pass over its bytes and never copied into a key, unlike a `[[UInt8]: UInt32]`, whose
/// `Hashable` feeds the hasher a byte at a time). Hashes come from `DictionaryHashing` with a
/// random seed per row group: the entries' order, and so the file, does not depend on them.
struct DictionaryHashTable {
    /// Per slot: 0 when empty, else the hash's high 32 bits above the entry number + 1.
    private var slots: [UInt64]
    /// 64 - log2(slots.count): a hash's home slot is its top bits.
    private var shift: UInt64
    private(set) var count = 0

    /// Entries a table takes at most (the chunk falls back to PLAIN beyond): slots are found
    /// from 32 bits of hash, and a table this full has 2^31 of them.
    static let maxEntries = 1 << 30

    init() {
        slots = [UInt64](repeating: 0, count: 64)
        shift = 64 - 6
    }

    /// Where a lookup ended.
    enum Lookup {
        case found(UInt32)
        /// The empty slot the value would take.
        case absent(slot: Int)
    }

    /// Finds the entry with `hash` that `isEntry` accepts (given an entry number).
    @inline(__always)
    func lookup(hash: UInt64, isEntry: (Int) -> Bool) -> Lookup {
        let tag = hash >> 32
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash >> shift)
        while true {
            let stored = slots[slot]
            if stored == 0 { return .absent(slot: slot) }
            let entry = UInt32(truncatingIfNeeded: stored) &- 1
            if stored >> 32 == tag && isEntry(Int(entry)) { return .found(entry) }
            slot = (slot + 1) & mask
        }
    }

    /// Adds entry `entry` with `hash` at `slot`, which `lookup` returned for it.
    @inline(__always)
    mutating func insert(_ entry: Int, hash: UInt64, at slot: Int) {
        slots[slot] = (hash >> 32) << 32 | UInt64(entry + 1)
        count += 1
        if count * 2 > slots.count { grow() }
    }

    /// Doubles the slots (at half full), moving each entry to its home slot in the new table,
    /// which the stored top 32 bits of its hash give.
    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        shift -= 1
        let mask = slots.count - 1
        let tagShift = shift - 32
        for stored in old where stored != 0 {
            var slot = Int(truncatingIfNeeded: (stored >> 32) >> tagShift)
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = stored
        }
    }
}

/// The hashes of dictionary values (`DictionaryHashTable`): fast, seeded, and for byte arrays
/// one pass over 8 bytes at a time.
enum DictionaryHashing {
    /// A random seed (per row group), so that no input is slow by choice of its hashes.
    static func randomSeed() -> UInt64 { UInt64.random(in: .min ... .max) }

    /// MurmurHash3's 64-bit finalizer: every input bit reaches every output bit.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        x &*= 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return x
    }

    /// The two halves of a 128-bit product, folded.
    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    /// A hash of `bytes`: 8 bytes at a time, the last 1...7 read as one word (from loads that
    /// may overlap bytes already read: the length is hashed too).
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let n = bytes.count
        var h = seed ^ (UInt64(truncatingIfNeeded: n) &* 0x9e37_79b9_7f4a_7c15)
        var i = 0
        while i + 8 <= n {
            h = fold(h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self), 0xa076_1d64_78bd_642f)
            i += 8
        }
        if i < n {
            let tail: UInt64
            if n >= 8 {
                tail = bytes.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            } else if n >= 4 {
                tail = UInt64(bytes.loadUnaligned(as: UInt32.self)) << 32 | UInt64(bytes.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
            } else {
                tail = UInt64(bytes[0]) << 16 | UInt64(bytes[n / 2]) << 8 | UInt64(bytes[n - 1])
            }
            h = fold(h ^ tail, 0xe703_7ed1_a0b4_28db)
        }
        return mix(h)
    }
}
