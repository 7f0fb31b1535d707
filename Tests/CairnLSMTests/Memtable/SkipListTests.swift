import Testing
@testable import CairnLSM

/// Entries that are just an 8-byte big-endian number (bytewise order = numeric order).
enum UInt64EntryOrder: SkipListKeyOrder {
    static func key(ofEntry entry: UnsafeRawPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: entry, count: 8)
    }

    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        compareBytes(a, b)
    }
}

@Suite("SkipList")
struct SkipListTests {
    private func insert(_ list: SkipList<UInt64EntryOrder>, _ v: UInt64) {
        let node = list.allocateNode(entryLength: 8)
        node.entry.storeBytes(of: v.bigEndian, as: UInt64.self)
        list.insert(node)
    }

    private func value(_ node: UnsafeRawPointer?) -> UInt64? {
        node.map { UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)) }
    }

    private func withKey<R>(_ v: UInt64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeBytes(of: v.bigEndian) { body($0) }
    }

    @Test("ordered traversal, searches and membership against a sorted model")
    func againstModel() {
        let list = SkipList<UInt64EntryOrder>(arena: Arena(blockSize: 8192), seed: 42)
        #expect(list.first() == nil && list.last() == nil)
        var rng = MemtableTestRandom(seed: 7)
        var model = Set<UInt64>()
        while model.count < 4000 {
            let v = UInt64.random(in: 0..<100_000, using: &rng) * 2  // even numbers only
            if model.insert(v).inserted { insert(list, v) }
        }
        let sorted = model.sorted()
        #expect(list.count == sorted.count)

        var walked: [UInt64] = []
        var node = list.first()
        while let n = node {
            walked.append(value(n) ?? 0)
            node = list.next(after: n)
        }
        #expect(walked == sorted)
        #expect(value(list.last()) == sorted.last)

        for _ in 0..<2000 {
            let probe = UInt64.random(in: 0..<200_002, using: &rng)
            let geIndex = sorted.firstIndex { $0 >= probe }
            let ge = geIndex.map { sorted[$0] }
            let lt = sorted.last { $0 < probe }
            withKey(probe) { key in
                #expect(value(list.findGreaterOrEqual(key)) == ge)
                #expect(value(list.findLessThan(key)) == lt)
                #expect(list.contains(key) == model.contains(probe))
            }
        }
    }

    @Test("node heights follow the 1/4 branching")
    func heights() {
        let list = SkipList<UInt64EntryOrder>(arena: Arena(), seed: 3)
        var histogram = [Int](repeating: 0, count: SkipList<UInt64EntryOrder>.maxHeight + 1)
        for v in 0..<40_000 as Range<UInt64> {
            let node = list.allocateNode(entryLength: 8)
            histogram[node.height] += 1
            node.entry.storeBytes(of: v.bigEndian, as: UInt64.self)
            list.insert(node)
        }
        // About 3/4 of nodes have height 1, 3/16 height 2.
        #expect((28_000...32_000).contains(histogram[1]))
        #expect((6_500...8_500).contains(histogram[2]))
        #expect(histogram[0] == 0)
    }
}
