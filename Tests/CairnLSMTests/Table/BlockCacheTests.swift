import Testing
@testable import CairnLSM

@Suite("BlockCacheTests")
struct BlockCacheTests {
    static func block(size: Int, tag: UInt8) throws -> Block {
        let builder = BlockBuilder(restartInterval: 16)
        let key = InternalKey.make([tag], sequence: 1, type: .value)
        let value = [UInt8](repeating: tag, count: max(0, size - 20))
        key.withUnsafeBytes { k in value.withUnsafeBytes { v in builder.add(k, v) } }
        return try Block.make(copying: builder.finish())
    }

    @Test func evictionIsBoundedByCapacityAndLRU() throws {
        let cache = BlockCache(capacity: 100_000)
        #expect(cache.shardCount == 1)
        let charge = try Self.block(size: 4096, tag: 0).size + BlockCache.entryOverhead
        for i in 0..<100 {
            cache.insert(fileNumber: 1, offset: UInt64(i * 4096), block: try Self.block(size: 4096, tag: UInt8(i)))
            #expect(cache.usage <= 100_000)
            // Keep block 0 hot.
            #expect(cache.lookup(fileNumber: 1, offset: 0) != nil)
        }
        #expect(cache.entryCount == 100_000 / charge)
        #expect(cache.usage == cache.entryCount * charge)
        #expect(cache.lookup(fileNumber: 1, offset: 0) != nil)  // recently used: kept
        #expect(cache.lookup(fileNumber: 1, offset: 4096) == nil)  // old: evicted
        #expect(cache.lookup(fileNumber: 1, offset: 99 * 4096)?.offset == 0)
        #expect(cache.hits == 102)
        #expect(cache.misses == 1)
        // The cached block is the one inserted.
        let b = try #require(cache.lookup(fileNumber: 1, offset: 98 * 4096))
        let it = b.makeIterator()
        try it.seekToFirst()
        #expect(it.value.first == 98)
    }

    @Test func shardedCacheStaysWithinCapacity() throws {
        let capacity = 8 << 20
        let cache = BlockCache(capacity: capacity)
        #expect(cache.shardCount == 16)
        let block = try Self.block(size: 4000, tag: 1)
        for file in 0..<10 {
            for i in 0..<500 {
                cache.insert(fileNumber: UInt64(file), offset: UInt64(i * 4000), block: block)
            }
        }
        #expect(cache.usage <= capacity)
        #expect(cache.usage > capacity * 3 / 4)
        cache.erase(fileNumber: 9)
        for i in 0..<500 { #expect(cache.lookup(fileNumber: 9, offset: UInt64(i * 4000)) == nil) }
        let before = cache.entryCount
        cache.erase(fileNumber: 12345)
        #expect(cache.entryCount == before)
    }

    @Test func disabledCacheAndOversizedBlocks() throws {
        let off = BlockCache(capacity: 0)
        off.insert(fileNumber: 1, offset: 0, block: try Self.block(size: 100, tag: 1))
        #expect(off.lookup(fileNumber: 1, offset: 0) == nil)
        #expect(off.usage == 0 && off.hits == 0 && off.misses == 0 && !off.isEnabled)
        let small = BlockCache(capacity: 1000)
        small.insert(fileNumber: 1, offset: 0, block: try Self.block(size: 5000, tag: 1))
        #expect(small.entryCount == 0)
    }

    @Test func tableReadsGoThroughTheCache() throws {
        let model = TableTests.versionedModel(users: 2_000, seed: 3)
        let (bytes, props) = try buildTable(model)
        let cache = BlockCache(capacity: 4 << 20)
        let reader = try openTable(bytes, cache: cache)
        let it = reader.makeIterator()
        try it.seekToFirst()
        while it.isValid { try it.next() }
        #expect(cache.misses == Int(props.dataBlockCount))
        #expect(cache.entryCount == Int(props.dataBlockCount))
        try it.seekToFirst()
        while it.isValid { try it.next() }
        #expect(cache.hits == Int(props.dataBlockCount))
        #expect(cache.misses == Int(props.dataBlockCount))
    }

    @Test func lruMapBasics() {
        var map = LRUMap<UInt64, String>(capacity: 3)
        map.insert(1, "a", charge: 1)
        map.insert(2, "b", charge: 1)
        map.insert(3, "c", charge: 1)
        #expect(map.get(1) == "a")
        map.insert(4, "d", charge: 1)  // evicts 2
        #expect(map.keysByRecency == [4, 1, 3])
        #expect(map.get(2) == nil)
        map.insert(1, "A", charge: 2)  // replace: evicts 3
        #expect(map.keysByRecency == [1, 4])
        #expect(map.usage == 3)
        #expect(map.remove(4) == "d")
        #expect(map.count == 1 && map.usage == 2)
        map.insert(5, "e", charge: 5)  // larger than capacity: not stored
        #expect(map.get(5) == nil && map.count == 1)
    }

    /// A key whose hash collides with every other key of the same `bucket`.
    struct CollidingKey: LRUMapKey, Hashable {
        var id: Int
        var mixedHash: UInt64 { UInt64(id % 7) << 40 }
    }

    @Test func lruMapMatchesAModelUnderCollisionsAndChurn() {
        // Many keys on few hashes: long probe runs, so deletion's backward shifts are exercised.
        var rng = SeededRandom(seed: 99)
        var map = LRUMap<CollidingKey, Int>(capacity: 40)
        var model: [(key: CollidingKey, value: Int, charge: Int)] = []  // most recent first
        for step in 0..<20_000 {
            let key = CollidingKey(id: Int.random(in: 0..<120, using: &rng))
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                let charge = Int.random(in: 1...4, using: &rng)
                map.insert(key, step, charge: charge)
                model.removeAll { $0.key == key }
                model.insert((key, step, charge), at: 0)
                var usage = model.reduce(0) { $0 + $1.charge }
                while usage > 40 && model.count > 1 {
                    usage -= model.removeLast().charge
                }
            case 1:
                let got = map.get(key)
                if let i = model.firstIndex(where: { $0.key == key }) {
                    #expect(got == model[i].value)
                    model.insert(model.remove(at: i), at: 0)
                } else {
                    #expect(got == nil)
                }
            default:
                let got = map.remove(key)
                let i = model.firstIndex { $0.key == key }
                #expect(got == i.map { model[$0].value })
                if let i { model.remove(at: i) }
            }
            #expect(map.count == model.count)
            if step % 500 == 0 {
                #expect(map.keysByRecency == model.map(\.key))
                #expect(map.usage == model.reduce(0) { $0 + $1.charge })
            }
        }
        #expect(map.keysByRecency == model.map(\.key))
        #expect(map.removeAll { $0.id % 2 == 0 } == model.filter { $0.key.id % 2 == 0 }.count)
        #expect(map.keysByRecency == model.filter { $0.key.id % 2 != 0 }.map(\.key))
    }

    @Test func bufferPoolReusesEvictedMemoryWithinItsBound() throws {
        let pool = BlockBufferPool(totalBytes: 0)  // the floor: two maximal buffers per shard
        let a = pool.allocate(byteCount: 4_000, hint: 1)
        #expect(a.count == 4_000)
        let address = a.baseAddress
        pool.recycle(try #require(a.baseAddress), count: 4_000, hint: 1)
        #expect(pool.pooledBytes == BlockBufferPool.capacity(for: 4_000))
        // Same size class, same shard: the same memory comes back.
        let b = pool.allocate(byteCount: 3_900, hint: 1)
        #expect(b.baseAddress == address && b.count == 3_900)
        #expect(pool.pooledBytes == 0)
        // A recycled count smaller than requested files it under a class it certainly fills.
        pool.recycle(try #require(b.baseAddress), count: 3_500, hint: 1)
        #expect(pool.pooledBytes == BlockBufferPool.capacity(for: 3_500))
        #expect(BlockBufferPool.capacity(for: 3_500) <= BlockBufferPool.capacity(for: 4_000))
        // Each shard keeps a bounded number of bytes; the rest is freed.
        for i in 0..<200 {
            let c = pool.allocate(byteCount: 8_000, hint: 7)
            pool.recycle(try #require(c.baseAddress), count: 8_000, hint: UInt64(i))
        }
        var held: [UnsafeMutableRawBufferPointer] = []
        for i in 0..<200 { held.append(pool.allocate(byteCount: 8_000, hint: UInt64(i))) }
        for buffer in held { pool.recycle(try #require(buffer.baseAddress), count: 8_000, hint: 3) }
        #expect(pool.pooledBytes <= BlockBufferPool.shardCount * pool.byteLimit)
        #expect(pool.pooledBytes >= pool.byteLimit - BlockBufferPool.capacity(for: 8_000))
        // Oversized buffers are never pooled.
        let before = pool.pooledBytes
        let big = pool.allocate(byteCount: BlockBufferPool.maxPooledSize + 1, hint: 0)
        pool.recycle(try #require(big.baseAddress), count: big.count, hint: 0)
        #expect(pool.pooledBytes == before)
    }

    @Test func evictedCacheBlocksReturnTheirMemoryToThePool() throws {
        let model = TableTests.versionedModel(users: 3_000, seed: 2)
        let (bytes, props) = try buildTable(model)
        let cache = BlockCache(capacity: 64 << 10)  // far smaller than the table
        let reader = try openTable(bytes, cache: cache)
        for _ in 0..<2 { try expectFullScan(reader.makeIterator(), model) }
        #expect(cache.misses == 2 * Int(props.dataBlockCount))
        #expect(cache.bufferPool.pooledBytes > 0)
        #expect(cache.bufferPool.pooledBytes <= BlockBufferPool.shardCount * cache.bufferPool.byteLimit)
    }
}
