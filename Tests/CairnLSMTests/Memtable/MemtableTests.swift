import Testing
@testable import CairnLSM

@Suite("Memtable")
struct MemtableTests {
    /// One point entry of the model.
    struct ModelEntry {
        var userKey: [UInt8]
        var sequence: SequenceNumber
        var type: ValueType
        var value: [UInt8]
        var internalKey: [UInt8] { InternalKey.make(userKey, sequence: sequence, type: type) }
    }

    /// User keys with shared prefixes, the empty key, extreme bytes and a long (>127 byte) key.
    static func userKeys(_ rng: inout MemtableTestRandom) -> [[UInt8]] {
        var keys: Set<[UInt8]> = [[], [0], [0, 0], [0xFF], [0xFF, 0xFF], Array("a".utf8), Array("ab".utf8),
                                  Array("abc".utf8), Array("b".utf8), [UInt8](repeating: 0x61, count: 200)]
        while keys.count < 60 {
            let length = Int.random(in: 1...12, using: &rng)
            keys.insert((0..<length).map { _ in UInt8.random(in: 0x60...0x64, using: &rng) })
        }
        return keys.sorted { compareBytes($0, $1) < 0 }
    }

    /// Builds a memtable and its model: many versions per user key, shuffled sequence numbers,
    /// values and deletions, short and long values.
    static func build(seed: UInt64, count: Int) -> (Memtable, [ModelEntry], [[UInt8]]) {
        var rng = MemtableTestRandom(seed: seed)
        let keys = userKeys(&rng)
        var sequences = Array(1...SequenceNumber(count * 3))
        sequences.shuffle(using: &rng)
        let memtable = Memtable(arenaBlockSize: 4096)
        var model: [ModelEntry] = []
        for i in 0..<count {
            let key = keys[Int.random(in: 0..<keys.count, using: &rng)]
            let type: ValueType = Int.random(in: 0..<5, using: &rng) == 0 ? .deletion : .value
            var value: [UInt8] = []
            if type == .value {
                let length = i % 50 == 0 ? Int.random(in: 128...3000, using: &rng) : Int.random(in: 0...40, using: &rng)
                value = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            let entry = ModelEntry(userKey: key, sequence: sequences[i], type: type, value: value)
            memtable.add(sequence: entry.sequence, type: type, key: key, value: value)
            model.append(entry)
        }
        model.sort { memtableTestCompare($0.internalKey, $1.internalKey) < 0 }
        return (memtable, model, keys)
    }

    /// The model's answer to `get(userKey, sequence:)`.
    static func expectedLookup(_ model: [ModelEntry], _ userKey: [UInt8], _ snapshot: SequenceNumber) -> MemtableLookup {
        // Model is sorted newest-first within a user key.
        guard let e = model.first(where: { $0.userKey == userKey && $0.sequence <= snapshot }) else { return .notFound }
        return e.type == .value ? .value(e.sequence, e.value) : .deleted(e.sequence)
    }

    @Test("forward and backward iteration match the sorted model")
    func iteration() throws {
        let (memtable, model, _) = Self.build(seed: 11, count: 3000)
        #expect(memtable.entryCount == model.count)
        #expect(memtable.pointEntryCount == model.count)
        let expected = model.map { ($0.internalKey, $0.value) }

        let it = memtable.makeIterator()
        var forward: [([UInt8], [UInt8])] = []
        try it.seekToFirst()
        while it.isValid {
            forward.append((Array(it.key), Array(it.value)))
            try it.next()
        }
        #expect(forward.count == expected.count)
        #expect(forward.elementsEqual(expected) { $0.0 == $1.0 && $0.1 == $1.1 })

        var backward: [([UInt8], [UInt8])] = []
        try it.seekToLast()
        while it.isValid {
            backward.append((Array(it.key), Array(it.value)))
            try it.prev()
        }
        #expect(backward.elementsEqual(expected.reversed()) { $0.0 == $1.0 && $0.1 == $1.1 })
    }

    /// The skiplist links keys past its largest one through its per-level tails; runs of
    /// ascending keys interleaved with keys in the middle and at the front must still give a
    /// sorted list at every level (forward, backward and seeks all use the levels).
    @Test("ascending runs mixed with earlier keys stay sorted")
    func ascendingRunsMixedWithEarlierKeys() throws {
        var rng = MemtableTestRandom(seed: 29)
        let memtable = Memtable(arenaBlockSize: 4096)
        var keys: [[UInt8]] = []
        var next = 5000
        for run in 0..<60 {
            for _ in 0..<Int.random(in: 1...80, using: &rng) {
                keys.append(Array("k\(next)".utf8))
                next += Int.random(in: 1...3, using: &rng)
            }
            // Then a few keys below the current maximum (middle and front).
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                keys.append(Array("k\(Int.random(in: 1000..<next, using: &rng))x\(run)".utf8))
            }
        }
        for (i, key) in keys.enumerated() {
            memtable.add(sequence: SequenceNumber(i + 1), type: .value, key: key, value: [UInt8(i & 0xFF)])
        }
        #expect(memtable.skipListIsConsistent(), "every level sorted and nested")
        let sorted = Set(keys).sorted { compareBytes($0, $1) < 0 }
        let it = memtable.makeIterator()
        var forward: [[UInt8]] = []
        try it.seekToFirst()
        while it.isValid {
            forward.append(Array(InternalKey.userKey(it.key)))
            try it.next()
        }
        #expect(forward == sorted)
        var backward: [[UInt8]] = []
        try it.seekToLast()
        while it.isValid {
            backward.append(Array(InternalKey.userKey(it.key)))
            try it.prev()
        }
        #expect(backward == sorted.reversed())
        for key in sorted.shuffled(using: &rng).prefix(300) {
            try it.seek(InternalKey.make(key, sequence: maxSequenceNumber, type: .value))
            #expect(it.isValid && Array(InternalKey.userKey(it.key)) == key)
            #expect(memtable.get(key, sequence: maxSequenceNumber) != .notFound)
        }
    }

    @Test("seek and seekForPrev match the model for random targets")
    func seeks() throws {
        let (memtable, model, keys) = Self.build(seed: 12, count: 2000)
        let internalKeys = model.map(\.internalKey)
        var rng = MemtableTestRandom(seed: 99)
        let it = memtable.makeIterator()
        for _ in 0..<1500 {
            var userKey = keys[Int.random(in: 0..<keys.count, using: &rng)]
            if Bool.random(using: &rng) { userKey.append(UInt8.random(in: 0x60...0x65, using: &rng)) }
            let sequence = SequenceNumber.random(in: 0...6100, using: &rng)
            let typeByte: UInt8 = [0, 1, ValueType.seekMarker][Int.random(in: 0..<3, using: &rng)]
            var target = userKey
            Coding.appendFixed64(&target, InternalKey.trailer(sequence, typeByte))

            let geIndex = internalKeys.firstIndex { memtableTestCompare($0, target) >= 0 }
            try it.seek(target)
            #expect(it.isValid == (geIndex != nil))
            if let i = geIndex, it.isValid {
                #expect(Array(it.key) == internalKeys[i])
                #expect(Array(it.value) == model[i].value)
                // A few steps in both directions from the seek position.
                try it.next()
                #expect(it.isValid == (i + 1 < internalKeys.count))
                if it.isValid { #expect(Array(it.key) == internalKeys[i + 1]) }
                try it.seek(target)
                try it.prev()
                #expect(it.isValid == (i > 0))
                if i > 0, it.isValid { #expect(Array(it.key) == internalKeys[i - 1]) }
            }

            let leIndex = internalKeys.lastIndex { memtableTestCompare($0, target) <= 0 }
            try it.memtableTestSeekForPrev(target)
            #expect(it.isValid == (leIndex != nil))
            if let i = leIndex, it.isValid { #expect(Array(it.key) == internalKeys[i]) }
        }
    }

    @Test("get returns the newest visible version at every snapshot, deletions included")
    func gets() {
        let (memtable, model, keys) = Self.build(seed: 13, count: 3000)
        var rng = MemtableTestRandom(seed: 5)
        var probes = keys
        probes.append(Array("zzz".utf8))       // after every key
        probes.append(Array("abcd".utf8))      // extends an existing key
        var sawValue = 0, sawDeleted = 0, sawNotFound = 0
        for key in probes {
            // Snapshots at every version of the key, just below it, and random ones.
            var snapshots: [SequenceNumber] = [0, 1, maxSequenceNumber, UInt64.max]
            for e in model where e.userKey == key { snapshots += [e.sequence, e.sequence - 1] }
            for _ in 0..<10 { snapshots.append(SequenceNumber.random(in: 0...9100, using: &rng)) }
            for snapshot in snapshots {
                let expected = Self.expectedLookup(model, key, min(snapshot, maxSequenceNumber))
                let actual = memtable.get(key, sequence: snapshot)
                #expect(actual == expected, "key \(key) at \(snapshot)")
                switch actual {
                case .value: sawValue += 1
                case .deleted: sawDeleted += 1
                case .notFound: sawNotFound += 1
                }
            }
        }
        // The workload really exercises every outcome.
        #expect(sawValue > 100 && sawDeleted > 20 && sawNotFound > 20)
    }

    @Test("range deletions go to the tombstone list, not the skiplist")
    func rangeDeletions() throws {
        let memtable = Memtable()
        #expect(memtable.isEmpty)
        #expect(memtable.smallestSequence == nil && memtable.largestSequence == nil)
        memtable.add(sequence: 10, type: .value, key: Array("b".utf8), value: Array("v".utf8))
        memtable.add(sequence: 11, type: .rangeDeletion, key: Array("a".utf8), value: Array("c".utf8))
        memtable.add(sequence: 7, type: .deletion, key: Array("x".utf8), value: [])
        #expect(memtable.entryCount == 3)
        #expect(memtable.pointEntryCount == 2)
        #expect(memtable.rangeTombstoneCount == 1)
        #expect(memtable.hasRangeTombstones)
        #expect(memtable.rangeTombstones == [RangeTombstone(start: Array("a".utf8), end: Array("c".utf8), sequence: 11)])
        #expect(memtable.smallestSequence == 7 && memtable.largestSequence == 11)
        // The point entry is still found; combining with tombstones is the reader's job.
        #expect(memtable.get(Array("b".utf8), sequence: 20) == .value(10, Array("v".utf8)))
        #expect(memtable.get(Array("x".utf8), sequence: 20) == .deleted(7))
        #expect(memtable.get(Array("x".utf8), sequence: 6) == .notFound)
        let it = memtable.makeIterator()
        var count = 0
        try it.seekToFirst()
        while it.isValid {
            #expect(InternalKey.typeByte(it.key) != ValueType.rangeDeletion.rawValue)
            count += 1
            try it.next()
        }
        #expect(count == 2)
        let fragmented = FragmentedRangeTombstones(memtable.rangeTombstones)
        #expect(fragmented.isCovered(userKey: Array("b".utf8), entrySequence: 10, snapshot: 20))
    }

    @Test("an empty memtable iterates nothing and finds nothing")
    func empty() throws {
        let memtable = Memtable()
        let it = memtable.makeIterator()
        try it.seekToFirst()
        #expect(!it.isValid)
        try it.seekToLast()
        #expect(!it.isValid)
        try it.seek(Array("k".utf8) + [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(!it.isValid)
        #expect(it.key.count == 0 && it.value.count == 0)
        #expect(memtable.get([], sequence: 100) == .notFound)
        #expect(memtable.rangeTombstones.isEmpty)
    }

    @Test("the iterator keeps the memtable alive")
    func iteratorOwnsMemtable() throws {
        var it: InternalIterator?
        do {
            let memtable = Memtable()
            memtable.add(sequence: 1, type: .value, key: Array("k".utf8), value: [UInt8](repeating: 7, count: 64))
            it = memtable.makeIterator()
        }
        let iterator = try #require(it)
        try iterator.seekToFirst()
        #expect(iterator.isValid)
        #expect(Array(iterator.value) == [UInt8](repeating: 7, count: 64))
    }

    @Test("memory usage grows with inserts")
    func memoryAccounting() {
        let memtable = Memtable(arenaBlockSize: 64 << 10)
        let initial = memtable.approximateMemoryUsage
        var last = initial
        let value = [UInt8](repeating: 1, count: 100)
        for i in 0..<20_000 {
            var key = Array("key".utf8)
            Coding.appendFixed32(&key, UInt32(i).byteSwapped)
            memtable.add(sequence: SequenceNumber(i + 1), type: .value, key: key, value: value)
            let usage = memtable.approximateMemoryUsage
            #expect(usage >= last)
            last = usage
        }
        // At least the payload (20k * (15-byte internal key + 100-byte value)) is accounted for.
        #expect(last >= 20_000 * 115)
        #expect(last > initial)
        let beforeTombstones = memtable.approximateMemoryUsage
        memtable.add(sequence: 30_000, type: .rangeDeletion, key: Array("a".utf8), value: Array("b".utf8))
        #expect(memtable.approximateMemoryUsage > beforeTombstones)
    }
}
