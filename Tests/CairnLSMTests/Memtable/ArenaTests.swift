import Testing
@testable import CairnLSM

@Suite("Arena")
struct ArenaTests {
    @Test("allocations are aligned, disjoint and stable across new blocks")
    func alignedDisjointStable() {
        let arena = Arena(blockSize: 4096)
        var rng = MemtableTestRandom(seed: 1)
        var pieces: [(UnsafeMutableRawPointer, Int, UInt8)] = []
        var requested = 0
        for i in 0..<3000 {
            // Mostly small, sometimes larger than a quarter block (own block).
            let size = i % 97 == 0 ? Int.random(in: 1025...9000, using: &rng) : Int.random(in: 0...200, using: &rng)
            let alignment = [1, 2, 4, 8, 16, 64][Int.random(in: 0..<6, using: &rng)]
            let p = arena.allocate(byteCount: size, alignment: alignment)
            #expect(Int(bitPattern: p) % alignment == 0)
            let fill = UInt8(truncatingIfNeeded: i)
            p.initializeMemory(as: UInt8.self, repeating: fill, count: size)
            pieces.append((p, size, fill))
            requested += size
        }
        // Nothing was overwritten by later allocations.
        for (p, size, fill) in pieces {
            let bytes = UnsafeRawBufferPointer(start: p, count: size)
            #expect(bytes.allSatisfy { $0 == fill })
        }
        #expect(arena.memoryUsage >= requested)
        #expect(arena.blockCount > 1)
    }

    @Test("memory usage grows with allocations and counts oversized blocks")
    func usageAccounting() {
        let arena = Arena(blockSize: 64 << 10)
        #expect(arena.memoryUsage == 0)
        _ = arena.allocate(byteCount: 10)
        let afterFirst = arena.memoryUsage
        #expect(afterFirst >= 64 << 10)
        // Small allocations within the block do not change usage.
        for _ in 0..<100 { _ = arena.allocate(byteCount: 100) }
        #expect(arena.memoryUsage == afterFirst)
        // An oversized allocation gets its own block and is counted in full.
        let blocks = arena.blockCount
        _ = arena.allocate(byteCount: 1 << 20)
        #expect(arena.blockCount == blocks + 1)
        #expect(arena.memoryUsage >= afterFirst + (1 << 20))
        // The current block keeps serving small requests after an oversized one.
        _ = arena.allocate(byteCount: 100)
        #expect(arena.blockCount == blocks + 1)
    }
}
