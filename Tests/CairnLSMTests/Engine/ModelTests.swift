import Testing
@testable import CairnLSM

/// Randomized operations checked against an in-memory model, with reopens, flushes and
/// compactions at random points, on several option sets.
@Suite struct ModelTests {
    struct Config: CustomStringConvertible, Sendable {
        var name: String
        var writeBufferSize: Int
        var compression: CompressionType
        var seed: UInt64
        var description: String { name }
    }

    static let configs: [Config] = [
        Config(name: "tiny memtable, lz4", writeBufferSize: 8 << 10, compression: .lz4, seed: 1),
        Config(name: "tiny memtable, zstd", writeBufferSize: 8 << 10, compression: .zstd, seed: 2),
        Config(name: "tiny memtable, none", writeBufferSize: 8 << 10, compression: .none, seed: 3),
        Config(name: "large memtable, lz4", writeBufferSize: 4 << 20, compression: .lz4, seed: 4),
    ]

    @Test(arguments: configs)
    func randomOperationsMatchModel(_ config: Config) throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: config.writeBufferSize, compression: config.compression)
        options.blockSize = 512
        var rng = SeededRandom(seed: config.seed)
        var db = try Database.open("/db", options: options)
        var model = Model()
        var snapshots: [(Snapshot, Model)] = []

        func randomKey() -> [UInt8] {
            if Int.random(in: 0..<200, using: &rng) == 0 { return [] }
            let n = Int.random(in: 0..<400, using: &rng)
            var k = bytes("key\(n)")
            if Bool.random(using: &rng) { k.append(UInt8.random(in: 0...255, using: &rng)) }
            return k
        }
        func randomValue() -> [UInt8] {
            let n = Int.random(in: 0..<120, using: &rng)
            return (0..<n).map { _ in UInt8.random(in: 97...102, using: &rng) }
        }

        for step in 0..<3000 {
            let op = Int.random(in: 0..<100, using: &rng)
            switch op {
            case 0..<45:
                let k = randomKey(), v = randomValue()
                try db.put(k, v)
                model.put(k, v)
            case 45..<58:
                let k = randomKey()
                try db.delete(k)
                model.delete(k)
            case 58..<61:
                var a = randomKey(), b = randomKey()
                if compareBytes(a, b) > 0 { swap(&a, &b) }
                if compareBytes(a, b) == 0 { b.append(0) }
                try db.deleteRange(a, b)
                model.deleteRange(a, b)
            case 61..<68:
                var batch = WriteBatch()
                for _ in 0..<Int.random(in: 1..<10, using: &rng) {
                    let k = randomKey()
                    if Bool.random(using: &rng) {
                        let v = randomValue()
                        batch.put(k, v)
                        model.put(k, v)
                    } else {
                        batch.delete(k)
                        model.delete(k)
                    }
                }
                try db.write(batch, sync: Bool.random(using: &rng))
            case 68..<80:
                let k = randomKey()
                #expect(try db.get(k) == model.entries[k], "step \(step) get")
            case 80..<83:
                let lower: [UInt8]? = Bool.random(using: &rng) ? randomKey() : nil
                let upper: [UInt8]? = Bool.random(using: &rng) ? randomKey() : nil
                let ro = ReadOptions(lowerBound: lower, upperBound: upper)
                let expected = model.sorted(lower: lower, upper: upper)
                #expect(samePairs(try scanAll(db, ro), expected), "step \(step) forward scan")
                #expect(samePairs(try scanAllBackward(db, ro), expected), "step \(step) backward scan")
            case 83..<86:
                try checkRandomSeeks(db, model, &rng)
            case 86..<88:
                snapshots.append((db.snapshot(), model))
                if snapshots.count > 3 { snapshots.removeFirst() }
            case 88..<90:
                for (snapshot, old) in snapshots {
                    #expect(samePairs(try scanAll(db, ReadOptions(snapshot: snapshot)), old.sorted()), "step \(step) snapshot scan")
                    let k = randomKey()
                    #expect(try db.get(k, snapshot: snapshot) == old.entries[k], "step \(step) snapshot get")
                }
            case 90..<93:
                try db.flush()
            case 93..<94:
                try db.compactRange()
            case 94..<96:
                snapshots.removeAll()
                try db.close()
                db = try Database.open("/db", options: options)
            default:
                // Interleave direction changes on one iterator.
                let it = try db.makeIterator()
                let expected = model.sorted()
                guard !expected.isEmpty else { break }
                var i = Int.random(in: 0..<expected.count, using: &rng)
                try it.seek(expected[i].0)
                for _ in 0..<20 {
                    #expect(it.isValid && it.key == expected[i].0 && it.value == expected[i].1, "step \(step) zigzag")
                    if Bool.random(using: &rng) {
                        if i + 1 >= expected.count { break }
                        try it.next(); i += 1
                    } else {
                        if i == 0 { break }
                        try it.prev(); i -= 1
                    }
                }
            }
        }
        #expect(samePairs(try scanAll(db), model.sorted()))
        snapshots.removeAll()
        try db.close()
        let reopened = try Database.open("/db", options: options)
        #expect(samePairs(try scanAll(reopened), model.sorted()))
        try reopened.close()
    }

    func checkRandomSeeks(_ db: Database, _ model: Model, _ rng: inout SeededRandom) throws {
        let expected = model.sorted()
        let it = try db.makeIterator()
        for _ in 0..<10 {
            let target = bytes("key\(Int.random(in: 0..<400, using: &rng))")
            try it.seek(target)
            let want = expected.first { compareBytes($0.0, target) >= 0 }
            #expect(it.isValid == (want != nil))
            if let want, it.isValid { #expect(it.key == want.0 && it.value == want.1) }
            try it.seekForPrev(target)
            let wantPrev = expected.last { compareBytes($0.0, target) <= 0 }
            #expect(it.isValid == (wantPrev != nil))
            if let wantPrev, it.isValid { #expect(it.key == wantPrev.0 && it.value == wantPrev.1) }
        }
    }
}
