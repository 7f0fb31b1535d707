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

    @Test("inserts through hint slots keep the list ordered and nested, whatever the hints")
    func hintedInserts() {
        let list = SkipList<UInt64EntryOrder>(arena: Arena(blockSize: 8192), seed: 11)
        var rng = MemtableTestRandom(seed: 5)
        var model = Set<UInt64>()
        var counters = [UInt64](repeating: 0, count: 6)
        func add(_ v: UInt64, hint: Int?) {
            guard model.insert(v).inserted else { return }
            let node = list.allocateNode(entryLength: 8)
            node.entry.storeBytes(of: v.bigEndian, as: UInt64.self)
            if let hint { list.insert(node, hint: hint) } else { list.insert(node) }
        }
        for step in 0..<20_000 {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<6:
                // Ascending runs, one per lane; lanes 4 and 5 share slot 1 with lane 1, and
                // lane 3 uses a slot number past the table (it wraps).
                let lane = Int.random(in: 0..<6, using: &rng)
                counters[lane] += UInt64.random(in: 1...3, using: &rng)
                let slot = lane >= 4 ? 1 : (lane == 3 ? 3 + SkipList<UInt64EntryOrder>.hintSlots : lane)
                add(UInt64(lane) << 40 | counters[lane], hint: slot)
            case 6..<8:
                // Unhinted keys anywhere, some landing inside the lanes' runs.
                add(UInt64.random(in: 0..<(7 << 40), using: &rng), hint: nil)
            default:
                // A hinted key out of its slot's order (smaller than the last one).
                add(UInt64.random(in: 0..<(6 << 40), using: &rng) | 1, hint: step % 4)
            }
        }
        #expect(list.levelsAreConsistent())
        var walked: [UInt64] = []
        var node = list.first()
        while let n = node {
            walked.append(value(n) ?? 0)
            node = list.next(after: n)
        }
        #expect(walked == model.sorted())
        #expect(list.count == model.count)
    }
}
