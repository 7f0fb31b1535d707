/// Merges sorted child iterators into one sorted stream (LevelDB's MergingIterator).
///
/// Children are scanned linearly for the smallest (forward) or largest (backward) key, which
/// is fastest for the handful of children a database usually has. Changing direction
/// repositions every child relative to the current key.
final class MergingIterator: InternalIterator {
    private let children: [InternalIterator]
    private var current: Int = -1
    private var forward = true
    private var savedKey: [UInt8] = []

    init(_ children: [InternalIterator]) {
        self.children = children
    }

    var isValid: Bool { current >= 0 && children[current].isValid }
    var key: UnsafeRawBufferPointer { children[current].key }
    var value: UnsafeRawBufferPointer { children[current].value }

    func seekToFirst() throws {
        for c in children { try c.seekToFirst() }
        forward = true
        findSmallest()
    }

    func seekToLast() throws {
        for c in children { try c.seekToLast() }
        forward = false
        findLargest()
    }

    func seek(_ target: UnsafeRawBufferPointer) throws {
        for c in children { try c.seek(target) }
        forward = true
        findSmallest()
    }

    func next() throws {
        if !forward {
            // Every child other than the current one is before key(): move each to the first
            // entry after key().
            saveCurrentKey()
            try savedKey.withUnsafeBytes { k in
                for (i, c) in children.enumerated() where i != current {
                    try c.seek(k)
                    if c.isValid && InternalKey.compare(k, c.key) == 0 { try c.next() }
                }
            }
            forward = true
        }
        try children[current].next()
        findSmallest()
    }

    func prev() throws {
        if forward {
            // Every child other than the current one is after key(): move each to the last
            // entry before key().
            saveCurrentKey()
            try savedKey.withUnsafeBytes { k in
                for (i, c) in children.enumerated() where i != current {
                    try c.seek(k)
                    if c.isValid { try c.prev() } else { try c.seekToLast() }
                }
            }
            forward = false
        }
        try children[current].prev()
        findLargest()
    }

    private func saveCurrentKey() {
        savedKey.removeAll(keepingCapacity: true)
        savedKey.append(contentsOf: children[current].key)
    }

    private func findSmallest() {
        var best = -1
        for (i, c) in children.enumerated() where c.isValid {
            if best < 0 || InternalKey.compare(c.key, children[best].key) < 0 { best = i }
        }
        current = best
    }

    private func findLargest() {
        var best = -1
        for (i, c) in children.enumerated().reversed() where c.isValid {
            if best < 0 || InternalKey.compare(c.key, children[best].key) > 0 { best = i }
        }
        current = best
    }
}
