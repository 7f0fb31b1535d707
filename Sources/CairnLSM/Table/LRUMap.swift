/// A map with least-recently-used eviction by total charge: O(1) lookup, insert, removal and
/// eviction (a dictionary from key to a slot in a node array; the nodes form an intrusive
/// doubly linked list, most recent at the head; freed slots are reused).
///
/// Not thread-safe: `BlockCache` and `TableCache` keep one inside a mutex.
struct LRUMap<Key: Hashable, Value> {
    private struct Node {
        var key: Key
        var value: Value?
        var charge: Int
        var prev: Int
        var next: Int
    }

    private var nodes: [Node] = []
    private var freeSlots: [Int] = []
    private var slots: [Key: Int] = [:]
    private var head = -1
    private var tail = -1
    /// Sum of the charges of the entries.
    private(set) var usage = 0
    /// Usage above which entries are evicted, least recently used first.
    let capacity: Int

    /// An empty map that holds at most `capacity` total charge.
    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Number of entries.
    var count: Int { slots.count }

    /// Detaches node `i` from the recency list.
    private mutating func unlink(_ i: Int) {
        let p = nodes[i].prev, n = nodes[i].next
        if p >= 0 { nodes[p].next = n } else { head = n }
        if n >= 0 { nodes[n].prev = p } else { tail = p }
        nodes[i].prev = -1
        nodes[i].next = -1
    }

    /// Makes node `i` the most recently used.
    private mutating func pushFront(_ i: Int) {
        nodes[i].prev = -1
        nodes[i].next = head
        if head >= 0 { nodes[head].prev = i }
        head = i
        if tail < 0 { tail = i }
    }

    /// The value for `key`, marking it most recently used.
    mutating func get(_ key: Key) -> Value? {
        guard let i = slots[key] else { return nil }
        if head != i {
            unlink(i)
            pushFront(i)
        }
        return nodes[i].value
    }

    /// Inserts or replaces `key`, then evicts least recently used entries until usage is
    /// within capacity. An entry whose charge alone exceeds the capacity is not stored.
    /// Returns the number of entries evicted.
    @discardableResult
    mutating func insert(_ key: Key, _ value: Value, charge: Int) -> Int {
        remove(key)
        guard charge <= capacity else { return 0 }
        let node = Node(key: key, value: value, charge: charge, prev: -1, next: -1)
        let i: Int
        if let free = freeSlots.popLast() {
            nodes[free] = node
            i = free
        } else {
            nodes.append(node)
            i = nodes.count - 1
        }
        slots[key] = i
        pushFront(i)
        usage += charge
        var evicted = 0
        while usage > capacity && tail >= 0 && tail != i {
            remove(nodes[tail].key)
            evicted += 1
        }
        return evicted
    }

    /// Removes `key`; returns its value if it was present.
    @discardableResult
    mutating func remove(_ key: Key) -> Value? {
        guard let i = slots.removeValue(forKey: key) else { return nil }
        unlink(i)
        usage -= nodes[i].charge
        let value = nodes[i].value
        nodes[i].value = nil
        nodes[i].charge = 0
        freeSlots.append(i)
        return value
    }

    /// Removes every entry whose key satisfies `predicate`; returns how many.
    @discardableResult
    mutating func removeAll(where predicate: (Key) -> Bool) -> Int {
        let doomed = slots.keys.filter(predicate)
        for key in doomed { remove(key) }
        return doomed.count
    }

    /// Keys from most to least recently used (tests and debugging).
    var keysByRecency: [Key] {
        var out: [Key] = []
        var i = head
        while i >= 0 {
            out.append(nodes[i].key)
            i = nodes[i].next
        }
        return out
    }
}
