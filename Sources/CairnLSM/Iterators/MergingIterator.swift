/// Merges sorted child iterators into one sorted stream (LevelDB's MergingIterator).
///
/// The valid children sit in a binary heap of child indices: a min-heap on their current keys
/// while moving forward, a max-heap while moving backward, so a step costs one move of the
/// current child plus O(log n) key comparisons. Each child's current key and value are cached
/// in flat arrays (`keys`, `values`), refreshed only when that child moves, so the heap
/// compares raw buffers (`InternalKey.compare`, i.e. memcmp) without calling into the
/// children. With one or two children a step is the child's move plus at most one comparison,
/// and stepping the engine's own iterator types is a direct, non-retaining call (`Child`).
///
/// Ties (equal internal keys in two children, which a consistent database never has) go to
/// the lower child index forward and the higher one backward, exactly as the linear scans of
/// LevelDB's `FindSmallest`/`FindLargest` decide them.
///
/// Changing direction follows LevelDB: every child other than the current one is
/// repositioned relative to the current key (after it when turning forward, before it when
/// turning backward), then the current child moves.
///
/// After any method throws, the iterator is invalid until the next seek.
final class MergingIterator: InternalIterator {
    /// The children (owned).
    private let children: [InternalIterator]
    /// `kinds[i]`: child i, unretained and with its concrete type when it is one of the
    /// engine's iterators, for the per-step path (see `Child`).
    private let kinds: UnsafeMutablePointer<Child>
    /// `keys[i]`: child i's current key, valid while child i is valid and has not moved.
    private let keys: UnsafeMutablePointer<UnsafeRawBufferPointer>
    /// `values[i]`: child i's current value, cached with its key.
    private let values: UnsafeMutablePointer<UnsafeRawBufferPointer>
    /// Indices of the valid children, heap-ordered; `heap[0]` is the current child.
    private let heap: UnsafeMutablePointer<Int>
    /// The one allocation that `keys`, `values`, `kinds` and `heap` are carved from.
    private let storage: UnsafeMutableRawPointer
    // Exclusivity checks are disabled on these hot fields: the iterator is used by one thread
    // at a time and no method holds an access across a call that re-enters it.
    @exclusivity(unchecked) private var heapCount = 0
    @exclusivity(unchecked) private var forward = true

    /// An unpositioned iterator over `children` (it takes ownership of them).
    init(_ children: [InternalIterator]) {
        self.children = children
        // One allocation per iterator (it is made per database iterator, so per seek in a
        // seek-heavy workload). Every stride is a multiple of 8, so each region is aligned.
        let capacity = max(children.count, 1)
        let viewBytes = capacity * MemoryLayout<UnsafeRawBufferPointer>.stride
        let kindBytes = capacity * MemoryLayout<Child>.stride
        storage = .allocate(
            byteCount: 2 * viewBytes + kindBytes + capacity * MemoryLayout<Int>.stride,
            alignment: max(MemoryLayout<UnsafeRawBufferPointer>.alignment, MemoryLayout<Child>.alignment, 8))
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        keys = storage.initializeMemory(as: UnsafeRawBufferPointer.self, repeating: empty, count: capacity)
        values = (storage + viewBytes).initializeMemory(as: UnsafeRawBufferPointer.self, repeating: empty, count: capacity)
        kinds = (storage + 2 * viewBytes).initializeMemory(as: Child.self, repeating: .other, count: capacity)
        for (i, child) in children.enumerated() { kinds[i] = Child(child) }
        heap = (storage + 2 * viewBytes + kindBytes).initializeMemory(as: Int.self, repeating: 0, count: capacity)
    }

    deinit {
        // Every element type is trivial (no references are owned), so no deinitialization.
        storage.deallocate()
    }

    /// True when positioned on an entry.
    var isValid: Bool { heapCount > 0 }

    /// The current internal key (the cached view of the current child's key). Requires
    /// `isValid`.
    var key: UnsafeRawBufferPointer {
        heapCount > 0 ? keys[heap[0]] : UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// The current value (cached with the key). Requires `isValid`.
    var value: UnsafeRawBufferPointer {
        heapCount > 0 ? values[heap[0]] : UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// Moves to the smallest first entry of all children.
    func seekToFirst() throws {
        try repositionAll(forward: true) { try $0.seekToFirst() }
    }

    /// Moves to the largest last entry of all children.
    func seekToLast() throws {
        try repositionAll(forward: false) { try $0.seekToLast() }
    }

    /// Moves to the first entry >= `target` over all children.
    func seek(_ target: UnsafeRawBufferPointer) throws {
        try repositionAll(forward: true) { try $0.seek(target) }
    }

    /// Moves to the next entry. Requires `isValid`.
    func next() throws {
        guard heapCount > 0 else { return }
        try guarded {
            let current = heap[0]
            if forward {
                try advance(top: current, next: true)
                return
            }
            // Every child other than the current one is before key(): move each to the first
            // entry after key(). The current child has not moved, so keys[current] stays valid.
            let k = keys[current]
            forward = true
            try rebuild(excluding: current) { child in
                try child.seek(k)
                if child.isValid && InternalKey.compare(k, child.key) == 0 { try child.next() }
            }
            try reinsert(current) { try $0.next() }
        }
    }

    /// Moves to the previous entry. Requires `isValid`.
    func prev() throws {
        guard heapCount > 0 else { return }
        try guarded {
            let current = heap[0]
            if !forward {
                try advance(top: current, next: false)
                return
            }
            // Every child other than the current one is after key(): move each to the last
            // entry before key().
            let k = keys[current]
            forward = false
            try rebuild(excluding: current) { child in
                try child.seek(k)
                if child.isValid { try child.prev() } else { try child.seekToLast() }
            }
            try reinsert(current) { try $0.prev() }
        }
    }

    // MARK: - Internals

    /// Runs `body`; if it throws, leaves the iterator invalid and rethrows.
    @inline(__always)
    private func guarded(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            heapCount = 0
            throw error
        }
    }

    /// Moves every child with `move` and heap-orders the valid ones for `forward`.
    private func repositionAll(forward: Bool, _ move: (InternalIterator) throws -> Void) throws {
        try guarded {
            self.forward = forward
            try rebuild(excluding: -1, move)
        }
    }

    /// Moves every child except `excluded` with `move`, then rebuilds the heap from the valid
    /// ones (in the current direction).
    private func rebuild(excluding excluded: Int, _ move: (InternalIterator) throws -> Void) throws {
        heapCount = 0
        for i in children.indices where i != excluded {
            let child = children[i]
            try move(child)
            if child.isValid {
                keys[i] = child.key
                values[i] = child.value
                heap[heapCount] = i
                heapCount += 1
            }
        }
        if heapCount > 1 {
            for i in stride(from: heapCount / 2 - 1, through: 0, by: -1) { siftDown(i) }
        }
    }

    /// Moves the current child (`top`, at the heap's root) to its next (or previous) entry and
    /// restores the heap.
    @inline(__always)
    private func advance(top: Int, next: Bool) throws {
        let stillValid: Bool
        switch kinds[top] {
        case .level(let c): stillValid = try c._withUnsafeGuaranteedRef { try step($0, top, next) }
        case .table(let c): stillValid = try c._withUnsafeGuaranteedRef { try step($0, top, next) }
        case .memtable(let c): stillValid = try c._withUnsafeGuaranteedRef { try step($0, top, next) }
        case .other: stillValid = try step(children[top], top, next)
        }
        if stillValid {
            if heapCount > 1 { siftDown(0) }
        } else {
            heapCount -= 1
            if heapCount > 0 {
                heap[0] = heap[heapCount]
                siftDown(0)
            }
        }
    }

    /// Moves `child` (child `index`) to its next or previous entry and, if it is still valid,
    /// caches its key and value. Generic, so each concrete child type gets direct calls.
    @inline(__always)
    private func step<Iterator: InternalIterator>(_ child: Iterator, _ index: Int, _ next: Bool) throws -> Bool {
        if next { try child.next() } else { try child.prev() }
        guard child.isValid else { return false }
        keys[index] = child.key
        values[index] = child.value
        return true
    }

    /// Moves child `index` (not in the heap) with `move` and adds it back if still valid.
    private func reinsert(_ index: Int, _ move: (InternalIterator) throws -> Void) throws {
        let child = children[index]
        try move(child)
        guard child.isValid else { return }
        keys[index] = child.key
        values[index] = child.value
        heap[heapCount] = index
        heapCount += 1
        siftUp(heapCount - 1)
    }

    /// True if child `a` belongs above child `b` in the heap: a smaller key forward, a larger
    /// one backward; ties by child index (lower forward, higher backward).
    @inline(__always)
    private func precedes(_ a: Int, _ b: Int) -> Bool {
        let c = InternalKey.compare(keys[a], keys[b])
        if forward {
            return c < 0 || (c == 0 && a < b)
        }
        return c > 0 || (c == 0 && a > b)
    }

    /// Moves the entry at heap position `start` down to its place.
    private func siftDown(_ start: Int) {
        let item = heap[start]
        var i = start
        while true {
            let left = 2 * i + 1
            if left >= heapCount { break }
            var best = left
            let right = left + 1
            if right < heapCount && precedes(heap[right], heap[left]) { best = right }
            if !precedes(heap[best], item) { break }
            heap[i] = heap[best]
            i = best
        }
        heap[i] = item
    }

    /// Moves the entry at heap position `start` up to its place.
    private func siftUp(_ start: Int) {
        let item = heap[start]
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            if !precedes(item, heap[parent]) { break }
            heap[i] = heap[parent]
            i = parent
        }
        heap[i] = item
    }
}

/// A child of a `MergingIterator` for the per-step path: the engine's own iterator types are
/// kept unretained and concretely typed, so stepping one is a direct call that neither goes
/// through the protocol witness nor retains and releases the child (the merging iterator's
/// `children` array owns them). Any other iterator is called through `children`.
private enum Child {
    case level(Unmanaged<LevelIterator>)
    case table(Unmanaged<TableIterator>)
    case memtable(Unmanaged<MemtableIterator>)
    case other

    init(_ iterator: any InternalIterator) {
        switch iterator {
        case let i as LevelIterator: self = .level(.passUnretained(i))
        case let i as TableIterator: self = .table(.passUnretained(i))
        case let i as MemtableIterator: self = .memtable(.passUnretained(i))
        default: self = .other
        }
    }
}
