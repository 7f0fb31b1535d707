/// A key of an `LRUMap`: equality plus a well-mixed 64-bit hash (the map uses its bits
/// directly, so they must be spread over the whole word).
protocol LRUMapKey: Equatable {
    /// A hash of the key whose bits are all well mixed.
    var mixedHash: UInt64 { get }
}

/// Mixes the bits of `x` (the finalizer of SplitMix64): every output bit depends on every
/// input bit.
@inline(__always)
func mixBits(_ x: UInt64) -> UInt64 {
    var h = x
    h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
    h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
    return h ^ (h >> 31)
}

extension UInt64: LRUMapKey {
    /// The mixed bits of the value.
    var mixedHash: UInt64 { mixBits(self) }
}

/// A map with least-recently-used eviction by total charge: O(1) lookup, insert, removal and
/// eviction.
///
/// Entries live in a node array whose nodes form an intrusive doubly linked list (most recent
/// at the head; freed slots are reused). Keys are found through an open-addressing table of
/// node indexes with linear probing and backward-shift deletion, addressed by the key's
/// `mixedHash`, so a lookup costs one multiply-free hash and usually one probe — no SipHash,
/// no tombstones.
///
/// Not thread-safe: `BlockCache` and `TableCache` keep one inside a mutex.
struct LRUMap<Key: LRUMapKey, Value> {
    private struct Node {
        var key: Key
        var hash: UInt64
        var value: Value?
        var charge: Int
        var prev: Int32
        var next: Int32
    }

    private var nodes: [Node] = []
    private var freeSlots: [Int32] = []
    /// Open-addressing table of node indexes (-1: empty); its size is a power of two at least
    /// twice the entry count.
    private var table: [Int32] = Array(repeating: -1, count: 16)
    private var head: Int32 = -1
    private var tail: Int32 = -1
    /// Number of entries.
    private(set) var count = 0
    /// Sum of the charges of the entries.
    private(set) var usage = 0
    /// Usage above which entries are evicted, least recently used first.
    let capacity: Int

    /// An empty map that holds at most `capacity` total charge.
    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The table position where `key` is, or the empty position where it would go.
    @inline(__always)
    private func position(of key: Key, hash: UInt64) -> (position: Int, found: Bool) {
        let mask = table.count - 1
        var i = Int(truncatingIfNeeded: hash >> 20) & mask
        while true {
            let n = table[i]
            if n < 0 { return (i, false) }
            if nodes[Int(n)].hash == hash && nodes[Int(n)].key == key { return (i, true) }
            i = (i + 1) & mask
        }
    }

    /// Doubles the table and re-inserts every entry.
    private mutating func grow() {
        let size = table.count * 2
        var fresh = [Int32](repeating: -1, count: size)
        let mask = size - 1
        for n in table where n >= 0 {
            var i = Int(truncatingIfNeeded: nodes[Int(n)].hash >> 20) & mask
            while fresh[i] >= 0 { i = (i + 1) & mask }
            fresh[i] = n
        }
        table = fresh
    }

    /// Empties table position `hole` and shifts later members of its probe run back, so every
    /// key stays reachable from its home position without tombstones.
    private mutating func removePosition(_ hole: Int) {
        let mask = table.count - 1
        var hole = hole
        var i = (hole + 1) & mask
        while table[i] >= 0 {
            let home = Int(truncatingIfNeeded: nodes[Int(table[i])].hash >> 20) & mask
            // Move the entry at i into the hole unless its home lies cyclically in (hole, i].
            let distanceToI = (i - home) & mask
            let distanceToHole = (hole - home) & mask
            if distanceToHole < distanceToI {
                table[hole] = table[i]
                hole = i
            }
            i = (i + 1) & mask
        }
        table[hole] = -1
    }

    /// Detaches node `i` from the recency list.
    private mutating func unlink(_ i: Int32) {
        let p = nodes[Int(i)].prev, n = nodes[Int(i)].next
        if p >= 0 { nodes[Int(p)].next = n } else { head = n }
        if n >= 0 { nodes[Int(n)].prev = p } else { tail = p }
        nodes[Int(i)].prev = -1
        nodes[Int(i)].next = -1
    }

    /// Makes node `i` the most recently used.
    private mutating func pushFront(_ i: Int32) {
        nodes[Int(i)].prev = -1
        nodes[Int(i)].next = head
        if head >= 0 { nodes[Int(head)].prev = i }
        head = i
        if tail < 0 { tail = i }
    }

    /// The value for `key`, marking it most recently used.
    mutating func get(_ key: Key) -> Value? {
        let (p, found) = position(of: key, hash: key.mixedHash)
        guard found else { return nil }
        let i = table[p]
        if head != i {
            unlink(i)
            pushFront(i)
        }
        return nodes[Int(i)].value
    }

    /// Inserts or replaces `key`, then evicts least recently used entries until usage is
    /// within capacity. An entry whose charge alone exceeds the capacity is not stored.
    /// Returns the number of entries evicted.
    @discardableResult
    mutating func insert(_ key: Key, _ value: Value, charge: Int) -> Int {
        let hash = key.mixedHash
        var (p, found) = position(of: key, hash: hash)
        if found {
            detach(position: p)
            (p, _) = position(of: key, hash: hash)
        }
        guard charge <= capacity else { return 0 }
        if (count + 1) * 2 > table.count {
            grow()
            (p, _) = position(of: key, hash: hash)
        }
        let node = Node(key: key, hash: hash, value: value, charge: charge, prev: -1, next: -1)
        let i: Int32
        if let free = freeSlots.popLast() {
            nodes[Int(free)] = node
            i = free
        } else {
            nodes.append(node)
            i = Int32(nodes.count - 1)
        }
        table[p] = i
        count += 1
        pushFront(i)
        usage += charge
        var evicted = 0
        while usage > capacity && tail >= 0 && tail != i {
            let (vp, _) = position(of: nodes[Int(tail)].key, hash: nodes[Int(tail)].hash)
            detach(position: vp)
            evicted += 1
        }
        return evicted
    }

    /// Removes the entry at table position `p`; returns its value.
    @discardableResult
    private mutating func detach(position p: Int) -> Value? {
        let i = table[p]
        removePosition(p)
        unlink(i)
        count -= 1
        usage -= nodes[Int(i)].charge
        // Moved out, not copied: no retain of a (usually cold) evicted object.
        let value = nodes[Int(i)].value.take()
        nodes[Int(i)].charge = 0
        freeSlots.append(i)
        return value
    }

    /// Removes `key`; returns its value if it was present.
    @discardableResult
    mutating func remove(_ key: Key) -> Value? {
        let (p, found) = position(of: key, hash: key.mixedHash)
        guard found else { return nil }
        return detach(position: p)
    }

    /// Removes every entry whose key satisfies `predicate`; returns how many.
    @discardableResult
    mutating func removeAll(where predicate: (Key) -> Bool) -> Int {
        let doomed = keysByRecency.filter(predicate)
        for key in doomed { remove(key) }
        return doomed.count
    }

    /// Keys from most to least recently used (tests and debugging).
    var keysByRecency: [Key] {
        var out: [Key] = []
        var i = head
        while i >= 0 {
            out.append(nodes[Int(i)].key)
            i = nodes[Int(i)].next
        }
        return out
    }
}
