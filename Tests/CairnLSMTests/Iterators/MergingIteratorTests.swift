import Testing
@testable import CairnLSM

/// The heap-based merge against a sorted model: children of every kind (memtables, multi-block
/// tables, empty ones), the same user key in several children, and random moves that switch
/// direction often.
@Suite struct MergingIteratorTests {
    /// Spreads random entries over `childCount` children. Child kinds rotate through memtable,
    /// table (small blocks, so scans cross blocks) and, at every fifth index, an empty child.
    /// Returns the children and the merged model.
    static func makeChildren(_ childCount: Int, entries: Int, _ rng: inout SeededRandom) throws
        -> ([InternalIterator], [ModelEntry])
    {
        var perChild = Array(repeating: [ModelEntry](), count: childCount)
        var all: [ModelEntry] = []
        var sequence: SequenceNumber = 1
        for _ in 0..<entries {
            // Few distinct user keys, so a key has versions in several children.
            let user = bytes("u\(Int.random(in: 100..<400, using: &rng))")
            let type: ValueType = Int.random(in: 0..<5, using: &rng) == 0 ? .deletion : .value
            let key = InternalKey.make(user, sequence: sequence, type: type)
            let value = type == .value ? bytes("v\(sequence)") : []
            sequence += 1
            var child = Int.random(in: 0..<childCount, using: &rng)
            if childCount > 2 && child % 5 == 4 { child -= 1 }
            perChild[child].append(ModelEntry(key: key, value: value))
            all.append(ModelEntry(key: key, value: value))
        }
        var options = TableBuilderOptions()
        options.blockSize = 256
        options.restartInterval = 4
        var children: [InternalIterator] = []
        for (i, entries) in perChild.enumerated() {
            if childCount > 2 && i % 5 == 4 {
                children.append(i % 2 == 0 ? EmptyIterator() : Memtable().makeIterator())
            } else if i % 2 == 0 {
                let mem = Memtable()
                for e in entries {
                    let trailer = e.key.withUnsafeBytes { InternalKey.trailerValue($0) }
                    mem.add(
                        sequence: trailer >> 8, type: ValueType(rawValue: UInt8(truncatingIfNeeded: trailer)) ?? .value,
                        key: Array(e.key.dropLast(InternalKey.trailerSize)), value: e.value)
                }
                children.append(mem.makeIterator())
            } else {
                let (file, _) = try buildTable(sortedModel(entries), options: options)
                children.append(try openTable(file, fileNumber: UInt64(i + 1)).makeIterator())
            }
        }
        return (children, sortedModel(all))
    }

    /// Seek targets: user keys present or not (between and beyond the stored ones), at random
    /// sequence numbers, with the seek marker or a real type.
    static func randomTarget(_ rng: inout SeededRandom) -> [UInt8] {
        var user = bytes("u\(Int.random(in: 90..<410, using: &rng))")
        if Int.random(in: 0..<4, using: &rng) == 0 { user.append(0x30) }
        let sequence = SequenceNumber.random(in: 0...2500, using: &rng)
        let type = Bool.random(using: &rng) ? ValueType.seekMarker : ValueType.value.rawValue
        var key = user
        Coding.appendFixed64(&key, InternalKey.trailer(sequence, type))
        return key
    }

    @Test(arguments: [1, 2, 3, 12, 33])
    func matchesSortedModelUnderRandomMoves(childCount: Int) throws {
        var rng = SeededRandom(seed: 0xC0FFEE &+ UInt64(childCount))
        let (children, model) = try Self.makeChildren(childCount, entries: 2000, &rng)
        let merged = MergingIterator(children)
        #expect(!merged.isValid)
        try expectFullScansMatch(merged, model)
        try checkRandomMoves(merged, model, operations: 5000, &rng, targets: Self.randomTarget)
    }

    @Test func noChildrenIsAnEmptyIterator() throws {
        let merged = MergingIterator([])
        try merged.seekToFirst()
        #expect(!merged.isValid)
        try merged.seekToLast()
        #expect(!merged.isValid)
        try merged.seek(InternalKey.make(bytes("a"), sequence: 1, type: .value))
        #expect(!merged.isValid)
    }

    /// Equal internal keys in two children (never produced by a consistent database): forward
    /// the lower child index comes first, backward the higher one, as LevelDB's linear scans
    /// decide.
    @Test func tiesGoToTheLowerIndexForwardAndTheHigherBackward() throws {
        var children: [InternalIterator] = []
        for name in ["first", "second"] {
            let mem = Memtable()
            mem.add(sequence: 5, type: .value, key: bytes("k"), value: bytes(name))
            mem.add(sequence: 3, type: .value, key: bytes("m"), value: bytes(name))
            children.append(mem.makeIterator())
        }
        let merged = MergingIterator(children)
        var forward: [[UInt8]] = []
        try merged.seekToFirst()
        while merged.isValid {
            forward.append(Array(merged.value))
            try merged.next()
        }
        #expect(forward == ["first", "second", "first", "second"].map(bytes))
        var backward: [[UInt8]] = []
        try merged.seekToLast()
        while merged.isValid {
            backward.append(Array(merged.value))
            try merged.prev()
        }
        #expect(backward == ["second", "first", "second", "first"].map(bytes))
    }
}
