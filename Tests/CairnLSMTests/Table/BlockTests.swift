import Testing
@testable import CairnLSM

@Suite("BlockTests")
struct BlockTests {
    /// Random internal keys with shared prefixes (small alphabet), several versions per user key.
    static func randomModel(count: Int, maxValue: Int, seed: UInt64) -> [ModelEntry] {
        var rng = SeededRandom(seed: seed)
        var entries: [ModelEntry] = []
        for _ in 0..<count {
            let length = Int.random(in: 0...24, using: &rng)
            let user = (0..<length).map { _ in UInt8.random(in: 0x61...0x64, using: &rng) }
            let type: ValueType = Bool.random(using: &rng) ? .value : .deletion
            let key = InternalKey.make(user, sequence: UInt64.random(in: 1...1000, using: &rng), type: type)
            let vlen = Int.random(in: 0...maxValue, using: &rng)
            entries.append(ModelEntry(key: key, value: randomBytes(vlen, &rng)))
        }
        return sortedModel(entries)
    }

    static func build(_ model: [ModelEntry], restartInterval: Int) throws -> Block {
        let builder = BlockBuilder(restartInterval: restartInterval)
        for e in model {
            e.key.withUnsafeBytes { k in e.value.withUnsafeBytes { v in builder.add(k, v) } }
        }
        return try Block.make(copying: builder.finish())
    }

    @Test(arguments: [1, 2, 16], [0, 1, 7, 100, 1500])
    func roundTripAgainstModel(restartInterval: Int, count: Int) throws {
        let model = Self.randomModel(count: count, maxValue: count > 500 ? 40 : 300, seed: UInt64(count * 31 + restartInterval))
        let block = try Self.build(model, restartInterval: restartInterval)
        #expect(try block.countEntries() == model.count)
        let it = block.makeIterator()

        try expectFullScansMatch(it, model)

        // Random seeks (present keys, neighbours, random targets) then a few steps either way.
        var rng = SeededRandom(seed: 99)
        let targets = Self.randomModel(count: 200, maxValue: 0, seed: 7).map(\.key) + model.prefix(200).map(\.key)
        for target in targets {
            let expected = lowerBound(model, target)
            try it.seek(target)
            expectAt(it, model, expected)
            try target.withUnsafeBytes { try it.seekForPrev($0) }
            let expectedPrev = expected < model.count && internalCompare(model[expected].key, target) == 0 ? expected : expected - 1
            expectAt(it, model, expectedPrev)
            // Walk a few steps in a random direction from the seek position.
            try it.seek(target)
            try walkRandomly(it, model, from: expected, steps: 5, &rng)
        }
    }

    @Test func seekFromCurrentPositionMatchesFreshSeek() throws {
        let model = Self.randomModel(count: 800, maxValue: 20, seed: 5)
        let block = try Self.build(model, restartInterval: 16)
        let moving = block.makeIterator()
        var rng = SeededRandom(seed: 11)
        try moving.seekToFirst()
        for _ in 0..<300 {
            let target = model[Int.random(in: 0..<model.count, using: &rng)].key
            try moving.seek(target)
            expectAt(moving, model, lowerBound(model, target))
        }
    }

    @Test func emptyBlock() throws {
        let block = try Self.build([], restartInterval: 16)
        let it = block.makeIterator()
        try it.seekToFirst()
        #expect(!it.isValid)
        try it.seekToLast()
        #expect(!it.isValid)
        try it.seek(InternalKey.seekTarget([1], sequence: 5))
        #expect(!it.isValid)
    }

    @Test func badRestartArraysAreCorruption() throws {
        let model = Self.randomModel(count: 50, maxValue: 10, seed: 3)
        let builder = BlockBuilder(restartInterval: 4)
        for e in model { e.key.withUnsafeBytes { k in e.value.withUnsafeBytes { v in builder.add(k, v) } } }
        let good = Array(builder.finish())

        func mutated(_ change: (inout [UInt8]) -> Void) -> [UInt8] {
            var b = good
            change(&b)
            return b
        }
        let n = good.count
        // Restart count too large.
        expectCorruption("restart count") {
            _ = try mutated { $0.replaceSubrange((n - 4)..<n, with: [0xff, 0xff, 0, 0]) }.withUnsafeBytes { try Block.make(copying: $0) }
        }
        // Restart count zero.
        expectCorruption("zero restarts") {
            _ = try mutated { $0.replaceSubrange((n - 4)..<n, with: [0, 0, 0, 0]) }.withUnsafeBytes { try Block.make(copying: $0) }
        }
        // A restart offset pointing into the restart array.
        expectCorruption("restart offset") {
            _ = try mutated { $0[n - 8] = 0xff; $0[n - 7] = 0xff }.withUnsafeBytes { try Block.make(copying: $0) }
        }
        // Too short.
        expectCorruption("short block") {
            _ = try [UInt8](repeating: 0, count: 3).withUnsafeBytes { try Block.make(copying: $0) }
        }
    }

    @Test func damagedEntriesNeverCrash() throws {
        // Overwrite every byte of the entry area (one at a time) with values that break the
        // varints and lengths; decoding must either succeed or throw corruption.
        let model = Self.randomModel(count: 40, maxValue: 10, seed: 4)
        let builder = BlockBuilder(restartInterval: 4)
        for e in model { e.key.withUnsafeBytes { k in e.value.withUnsafeBytes { v in builder.add(k, v) } } }
        let good = Array(builder.finish())
        let target = InternalKey.seekTarget(Array("bb".utf8), sequence: 500)
        var detected = 0
        for position in 0..<(good.count - 4) {
            for replacement: UInt8 in [0xff, 0x7f, 0x00, 0x80] {
                var bytes = good
                bytes[position] = replacement
                do {
                    let block = try bytes.withUnsafeBytes { try Block.make(copying: $0) }
                    let it = block.makeIterator()
                    try it.seekToFirst()
                    while it.isValid { try it.next() }
                    try it.seekToLast()
                    while it.isValid { try it.prev() }
                    try it.seek(target)
                } catch let error as CairnError {
                    #expect(error.isCorruption)
                    detected += 1
                }
            }
        }
        #expect(detected > 0)
    }
}
