/// Merges sorted child iterators into one sorted stream (LevelDB's MergingIterator).
///
/// The valid children sit in a binary heap of child indices: a min-heap on their current keys
/// while moving forward, a max-heap while moving backward, so a step costs one move of the
/// current child plus O(log n) key comparisons. Each child's current key is cached in a flat
/// array (`keys`), refreshed only when that child moves, so the heap compares raw buffers
/// (`InternalKey.compare`, i.e. memcmp) without calling into the children. With one or two
/// children a step is the child's move plus at most one comparison.
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
    private let children: [InternalIterator]
    /// `keys[i]`: child i's current key, valid while child i is valid and has not moved.
    private let keys: UnsafeMutablePointer<UnsafeRawBufferPointer>
    /// Indices of the valid children, heap-ordered; `heap[0]` is the current child.
    private let heap: UnsafeMutablePointer<Int>
    // Exclusivity checks are disabled on these hot fields: the iterator is used by one thread
    // at a time and no method holds an access across a call that re-enters it.
    @exclusivity(unchecked) private var heapCount = 0
    @exclusivity(unchecked) private var forward = true

    /// An unpositioned iterator over `children` (it takes ownership of them).
    init(_ children: [InternalIterator]) {
        self.children = children
        let capacity = max(children.count, 1)
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: capacity)
        heap = .allocate(capacity: capacity)
        heap.initialize(repeating: 0, count: capacity)
    }

    deinit {
        keys.deallocate()
        heap.deallocate()
    }

    /// True when positioned on an entry.
    var isValid: Bool { heapCount > 0 }

    /// The current internal key (the cached view of the current child's key). Requires
    /// `isValid`.
    var key: UnsafeRawBufferPointer {
        heapCount > 0 ? keys[heap[0]] : UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// The current value. Requires `isValid`.
    var value: UnsafeRawBufferPointer {
        heapCount > 0 ? children[heap[0]].value : UnsafeRawBufferPointer(start: nil, count: 0)
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
                try advance(top: current) { try $0.next() }
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
                try advance(top: current) { try $0.prev() }
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
                heap[heapCount] = i
                heapCount += 1
            }
        }
        if heapCount > 1 {
            for i in stride(from: heapCount / 2 - 1, through: 0, by: -1) { siftDown(i) }
        }
    }

    /// Moves the current child (`top`, at the heap's root) with `move` and restores the heap.
    @inline(__always)
    private func advance(top: Int, _ move: (InternalIterator) throws -> Void) throws {
        let child = children[top]
        try move(child)
        if child.isValid {
            keys[top] = child.key
            if heapCount > 1 { siftDown(0) }
        } else {
            heapCount -= 1
            if heapCount > 0 {
                heap[0] = heap[heapCount]
                siftDown(0)
            }
        }
    }

    /// Moves child `index` (not in the heap) with `move` and adds it back if still valid.
    private func reinsert(_ index: Int, _ move: (InternalIterator) throws -> Void) throws {
        let child = children[index]
        try move(child)
        guard child.isValid else { return }
        keys[index] = child.key
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
