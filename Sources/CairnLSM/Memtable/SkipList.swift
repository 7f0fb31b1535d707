import Atomics
import Synchronization

/// How a skiplist finds and orders the keys inside its entries.
///
/// An entry is a run of bytes the skiplist stores inline in its node; the order tells the list
/// where the entry's key is and how two keys compare. Implementations are stateless (static
/// functions) so the list can be specialized and the calls inlined.
protocol SkipListKeyOrder {
    /// The key stored in the entry that starts at `entry`. The view points into the entry.
    static func key(ofEntry entry: UnsafeRawPointer) -> UnsafeRawBufferPointer
    /// Compares two keys; returns <0, 0 or >0.
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int
}

/// A concurrent skiplist in arena memory, LevelDB's design (`db/skiplist.h`) with entries
/// stored inline in their nodes (as RocksDB's `InlineSkipList`).
///
/// **Node layout.** A node of height `h` is one arena allocation:
/// `[next[h-1]] … [next[1]] [next[0]] | entry bytes`. A node is identified by the address of its
/// entry; link `i` lives at `entry - 8 * (i + 1)`, so the entry needs no pointer of its own and
/// the links of every node are found without knowing its height. Links are `Int`-sized atomics
/// (`UnsafeAtomic<Int>` over arena memory) holding the next node's entry address, 0 for none.
/// The head node has `maxHeight` links and no entry; it is never compared.
///
/// **Concurrency.** One writer at a time (the caller serializes `allocateNode`/`insert`); any
/// number of readers without locks. The writer fills a new node completely — entry bytes with
/// plain stores, its own links with relaxed stores — and then publishes it, level 0 first, with
/// a releasing store into each predecessor's link. Readers follow links with acquiring loads,
/// so a node they reach is fully initialized. Nodes are never removed or changed after
/// publication (except for their links, which only ever move to newly inserted nodes), so a
/// reader holding a node pointer can keep walking from it while the writer inserts.
///
/// **Ownership.** All nodes live in `arena`, which the list keeps alive; node pointers are
/// valid as long as the list (and so the arena) is alive.
final class SkipList<Order: SkipListKeyOrder>: @unchecked Sendable {
    // @unchecked Sendable: the writer-only state (`random`, `splice`, and the arena's bump
    // state) is used only inside `allocateNode`/`insert`, which callers serialize. Everything
    // readers touch is either immutable (`head`, `arena`), an atomic (`height`), or node memory
    // published with release/acquire as described above.

    /// The tallest a node can be.
    static var maxHeight: Int { 12 }
    /// Each level holds about 1/`branching` of the nodes of the level below.
    static var branching: Int { 4 }

    /// Storage type of one link.
    typealias Link = UnsafeAtomic<Int>.Storage

    /// A node allocated by `allocateNode` whose entry the caller is filling; not yet visible to
    /// readers until passed to `insert`.
    struct PendingNode {
        /// Where the caller writes the entry (`entryLength` bytes).
        let entry: UnsafeMutableRawPointer
        /// Number of links of the node.
        let height: Int
    }

    /// The arena holding every node.
    let arena: Arena
    /// Entry address of the head node (its links precede it; it has no entry bytes).
    private let head: UnsafeMutableRawPointer
    /// Height of the tallest node so far (1 when empty). Readers load it relaxed: seeing a
    /// new height before the head's new links only makes them find nil and drop a level.
    private let height = Atomic<Int>(1)
    /// Writer-owned PRNG state (xorshift64*).
    private var random: UInt64
    /// Writer-owned scratch for the predecessors of an insert, `maxHeight` entries.
    private let splice: UnsafeMutablePointer<UnsafeMutableRawPointer>
    /// Writer-owned: the last node of every level (the head for an empty level), so an
    /// insert past the largest key (sequential loads) links in with one comparison instead
    /// of a search from the top.
    private let tails: UnsafeMutablePointer<UnsafeMutableRawPointer>
    /// Writer-owned: `hintSlots` splices of `maxHeight` predecessors each, left by the last
    /// `insert(_:hint:)` through that slot. A run of ascending keys under one prefix (a change
    /// stream's lane) reuses its splice and links in after two comparisons instead of a search
    /// from the top (RocksDB's `InlineSkipList` splice). Hints only save work: every use is
    /// checked against the list, so a stale or shared slot falls back to a search.
    private let hints: UnsafeMutablePointer<UnsafeMutableRawPointer>
    /// Number of hint slots.
    static var hintSlots: Int { 16 }
    /// Number of nodes inserted (excluding the head). Readable from any thread.
    private let nodeCount = Atomic<Int>(0)

    /// Creates an empty list whose nodes live in `arena`. `seed` fixes the node heights
    /// (tests use it for reproducibility).
    init(arena: Arena, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) {
        self.arena = arena
        self.random = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
        let maxHeight = Self.maxHeight
        let base = arena.allocate(byteCount: maxHeight * MemoryLayout<Link>.stride, alignment: MemoryLayout<Link>.alignment)
        base.bindMemory(to: Link.self, capacity: maxHeight).initialize(repeating: Link(0), count: maxHeight)
        head = base + maxHeight * MemoryLayout<Link>.stride
        splice = .allocate(capacity: maxHeight)
        splice.initialize(repeating: head, count: maxHeight)
        tails = .allocate(capacity: maxHeight)
        tails.initialize(repeating: head, count: maxHeight)
        hints = .allocate(capacity: maxHeight * Self.hintSlots)
        hints.initialize(repeating: head, count: maxHeight * Self.hintSlots)
    }

    deinit {
        splice.deinitialize(count: Self.maxHeight)
        splice.deallocate()
        tails.deinitialize(count: Self.maxHeight)
        tails.deallocate()
        hints.deinitialize(count: Self.maxHeight * Self.hintSlots)
        hints.deallocate()
    }

    /// Number of entries inserted; safe from any thread.
    var count: Int { nodeCount.load(ordering: .relaxed) }

    // MARK: Links

    /// The atomic link `level` of the node whose entry starts at `node`.
    @inline(__always)
    private static func link(_ node: UnsafeRawPointer, _ level: Int) -> UnsafeAtomic<Int> {
        let raw = UnsafeMutableRawPointer(mutating: node) - (level + 1) * MemoryLayout<Link>.stride
        return UnsafeAtomic<Int>(at: raw.assumingMemoryBound(to: Link.self))
    }

    /// Successor of `node` at `level` (acquiring load), nil at the end.
    @inline(__always)
    private static func next(_ node: UnsafeRawPointer, _ level: Int) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: link(node, level).load(ordering: .acquiring))
    }

    @inline(__always)
    private static func key(_ node: UnsafeRawPointer) -> UnsafeRawBufferPointer {
        Order.key(ofEntry: node)
    }

    // MARK: Writing (single writer)

    /// A random height in 1...maxHeight where each extra level has probability 1/4.
    @inline(__always)
    private func randomHeight() -> Int {
        // xorshift64*: fast, good enough for level selection.
        random ^= random >> 12
        random ^= random << 25
        random ^= random >> 27
        let r = random &* 0x2545_F491_4F6C_DD1D
        // Each pair of low bits is zero with probability 1/4 (branching factor 4).
        let h = 1 + r.trailingZeroBitCount / 2
        return min(h, Self.maxHeight)
    }

    /// Allocates a node with room for `entryLength` entry bytes and a random height.
    ///
    /// The caller writes exactly the entry (its key must be readable by `Order`) and then calls
    /// `insert`. Until then the node is invisible to readers. Single writer only.
    @inline(__always)
    func allocateNode(entryLength: Int) -> PendingNode {
        let h = randomHeight()
        let linkBytes = h * MemoryLayout<Link>.stride
        let base = arena.allocate(byteCount: linkBytes + entryLength, alignment: MemoryLayout<Link>.alignment)
        base.bindMemory(to: Link.self, capacity: h).initialize(repeating: Link(0), count: h)
        return PendingNode(entry: base + linkBytes, height: h)
    }

    /// Links a filled node into the list, publishing it to readers.
    ///
    /// The entry's key must differ from every key already in the list (the memtable guarantees
    /// this through unique sequence numbers); an equal key would be placed before the existing
    /// one, and lookups would then see either. Single writer only.
    func insert(_ node: PendingNode) {
        let key = Self.key(node.entry)
        let current = height.load(ordering: .relaxed)
        let last = tails[0]
        if last != head && Order.compare(Self.key(last), key) < 0 {
            // Past the largest key: the predecessors are the levels' last nodes.
            for level in 0..<current { splice[level] = tails[level] }
        } else {
            _ = findGreaterOrEqual(key, predecessors: splice)
        }
        linkIn(node, current: current)
    }

    /// Links a filled node into the list like `insert(_:)`, starting from the splice that the
    /// last insert through hint slot `slot` (0..<hintSlots) left, and leaves this node's splice
    /// there. Fast when keys inserted through one slot ascend and little else lands between
    /// them; always correct. Single writer only.
    func insert(_ node: PendingNode, hint slot: Int) {
        let key = Self.key(node.entry)
        let current = height.load(ordering: .relaxed)
        let hint = hints + (slot & (Self.hintSlots - 1)) * Self.maxHeight
        // The levels this node links at that exist already; levels above are the head's.
        let top = min(node.height, current) - 1
        if brackets(hint[top], level: top, key) {
            // Find the lowest level from which every hinted predecessor up to `top` still
            // brackets the key, then search only below it, starting from the hint.
            var level = top
            splice[top] = hint[top]
            while level > 0 && brackets(hint[level - 1], level: level - 1, key) {
                level -= 1
                splice[level] = hint[level]
            }
            if level > 0 { _ = descend(key, from: hint[level], level: level - 1, predecessors: splice) }
        } else {
            _ = findGreaterOrEqual(key, predecessors: splice)
            // Every level was searched: the hint can take the higher predecessors too.
            for level in node.height..<max(node.height, current) { hint[level] = splice[level] }
        }
        linkIn(node, current: current)
        for level in 0..<node.height { hint[level] = node.entry }
    }

    /// True when `key` falls right after `node` at `level`: `node` is the head or less than
    /// `key`, and its successor there is absent or greater.
    @inline(__always)
    private func brackets(_ node: UnsafeMutableRawPointer, level: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        if node != head && Order.compare(Self.key(node), key) >= 0 { return false }
        guard let next = Self.next(node, level) else { return true }
        return Order.compare(Self.key(next), key) > 0
    }

    /// Links `node` after the predecessors in `splice[0..<min(node.height, current)]`.
    @inline(__always)
    private func linkIn(_ node: PendingNode, current: Int) {
        if node.height > current {
            for level in current..<node.height { splice[level] = head }
            height.store(node.height, ordering: .relaxed)
        }
        let address = Int(bitPattern: node.entry)
        for level in 0..<node.height {
            let predecessor = splice[level]
            // Only the writer changes links, so a relaxed load of the predecessor's link is
            // current; the node's own link needs no ordering because the release below
            // publishes it together with the entry bytes.
            let successor = Self.link(predecessor, level).load(ordering: .relaxed)
            Self.link(node.entry, level).store(successor, ordering: .relaxed)
            Self.link(predecessor, level).store(address, ordering: .releasing)
            if successor == 0 { tails[level] = node.entry }
        }
        nodeCount.wrappingAdd(1, ordering: .relaxed)
    }

    // MARK: Reading (any thread)

    /// The first node whose key is >= `key`, or nil. When `predecessors` is given (writer
    /// only), fills `predecessors[level]` with the last node < `key` at every level below the
    /// current height.
    @inline(__always)
    func findGreaterOrEqual(
        _ key: UnsafeRawBufferPointer,
        predecessors: UnsafeMutablePointer<UnsafeMutableRawPointer>? = nil
    ) -> UnsafeMutableRawPointer? {
        descend(key, from: head, level: height.load(ordering: .relaxed) - 1, predecessors: predecessors)
    }

    /// `findGreaterOrEqual` starting at `start` on `level` instead of at the head's top: `start`
    /// must be the head or a node at `level` less than `key`. Fills `predecessors[0...level]`.
    @inline(__always)
    private func descend(
        _ key: UnsafeRawBufferPointer, from start: UnsafeMutableRawPointer, level top: Int,
        predecessors: UnsafeMutablePointer<UnsafeMutableRawPointer>?
    ) -> UnsafeMutableRawPointer? {
        var x = start
        var level = top
        // A node already found to be >= key at a higher level need not be compared again.
        var knownNotLess: UnsafeMutableRawPointer? = nil
        while true {
            let next = Self.next(x, level)
            if let n = next, n != knownNotLess, Order.compare(Self.key(n), key) < 0 {
                x = n
            } else {
                predecessors?[level] = x
                if level == 0 { return next }
                knownNotLess = next
                level -= 1
            }
        }
    }

    /// Checks the structure (tests): every level is strictly ascending, and each level's nodes
    /// are a subsequence of the level below. Searches stay correct even when an upper level is
    /// out of order (they only ever step to smaller keys), so only this sees such damage.
    func levelsAreConsistent() -> Bool {
        var below: Set<Int>? = nil
        for level in 0..<height.load(ordering: .relaxed) {
            var seen = Set<Int>()
            var previous: UnsafeMutableRawPointer? = nil
            var x = Self.next(head, level)
            while let n = x {
                if let p = previous, Order.compare(Self.key(p), Self.key(n)) >= 0 { return false }
                if let below, !below.contains(Int(bitPattern: n)) { return false }
                seen.insert(Int(bitPattern: n))
                previous = n
                x = Self.next(n, level)
            }
            below = seen
        }
        return true
    }

    /// The last node whose key is < `key`, or nil if there is none.
    func findLessThan(_ key: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer? {
        var x = head
        var level = height.load(ordering: .relaxed) - 1
        var knownNotLess: UnsafeMutableRawPointer? = nil
        while true {
            let next = Self.next(x, level)
            if let n = next, n != knownNotLess, Order.compare(Self.key(n), key) < 0 {
                x = n
            } else {
                if level == 0 { return x == head ? nil : x }
                knownNotLess = next
                level -= 1
            }
        }
    }

    /// The last node, or nil when the list is empty.
    func last() -> UnsafeMutableRawPointer? {
        var x = head
        var level = height.load(ordering: .relaxed) - 1
        while true {
            if let n = Self.next(x, level) {
                x = n
            } else {
                if level == 0 { return x == head ? nil : x }
                level -= 1
            }
        }
    }

    /// The first node, or nil when the list is empty.
    @inline(__always)
    func first() -> UnsafeMutableRawPointer? {
        Self.next(head, 0)
    }

    /// The node after `node` (a node of this list), or nil.
    @inline(__always)
    func next(after node: UnsafeRawPointer) -> UnsafeMutableRawPointer? {
        Self.next(node, 0)
    }

    /// True if an entry with a key equal to `key` is in the list.
    func contains(_ key: UnsafeRawBufferPointer) -> Bool {
        guard let node = findGreaterOrEqual(key) else { return false }
        return Order.compare(Self.key(node), key) == 0
    }
}
