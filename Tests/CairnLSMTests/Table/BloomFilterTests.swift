import Testing
@testable import CairnLSM

@Suite("BloomFilterTests")
struct BloomFilterTests {
    @Test func xxHash64KnownVectors() {
        #expect(XXHash64.hash([]) == 0xEF46_DB37_51D8_E999)
        #expect(XXHash64.hash(Array("a".utf8)) == 0xD24E_C4F1_A98C_6E5B)
        #expect(XXHash64.hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
        #expect(XXHash64.hash(Array("key00000001".utf8)) == 0xCC82_5A25_553F_6E6B)
        #expect(XXHash64.hash(Array("0123456789abcdefghijklmnopqrstuvwxyz0123456789ABC".utf8)) == 0x34BD_4462_A031_99D4)
        let bytes = (0..<512).map { UInt8($0 & 0xff) }
        #expect(XXHash64.hash(bytes) == 0x7B3B_FCAA_C034_8AC0)
    }

    static func key(_ i: Int) -> [UInt8] { Array("user-key-\(i)".utf8) }

    static func build(keys: Range<Int>, bitsPerKey: Int) throws -> BloomFilter? {
        let builder = BloomFilterBuilder(bitsPerKey: bitsPerKey)
        for i in keys { key(i).withUnsafeBytes { builder.add(userKey: $0) } }
        let out = ByteBuffer()
        builder.finish(into: out)
        return try BloomFilter.parse(out.bytes, file: "f", offset: 0)
    }

    /// Measures the false-positive rate at 10 bits/key over 100k present and 100k absent keys.
    @Test func falsePositiveRateAtTenBitsPerKey() throws {
        let n = 100_000
        let filter = try #require(try Self.build(keys: 0..<n, bitsPerKey: 10))
        #expect(filter.numProbes == 6)
        for i in 0..<n {
            let present = Self.key(i).withUnsafeBytes { filter.mayContain(userKey: $0) }
            if !present {
                Issue.record("false negative for key \(i)")
                break
            }
        }
        var falsePositives = 0
        for i in n..<(2 * n) where Self.key(i).withUnsafeBytes({ filter.mayContain(userKey: $0) }) {
            falsePositives += 1
        }
        let rate = Double(falsePositives) / Double(n)
        print("bloom filter: 10 bits/key, \(n) keys, false-positive rate \(rate * 100)% (\(falsePositives)/\(n))")
        #expect(rate > 0.005 && rate < 0.018, "false-positive rate \(rate)")
    }

    @Test func moreBitsFewerFalsePositives() throws {
        let n = 20_000
        var rates: [Double] = []
        for bits in [4, 10, 20] {
            let filter = try #require(try Self.build(keys: 0..<n, bitsPerKey: bits))
            var fp = 0
            for i in n..<(2 * n) where Self.key(i).withUnsafeBytes({ filter.mayContain(userKey: $0) }) { fp += 1 }
            rates.append(Double(fp) / Double(n))
        }
        #expect(rates[0] > rates[1] && rates[1] > rates[2])
    }

    @Test func repeatedUserKeysAreRecordedOnce() {
        let builder = BloomFilterBuilder(bitsPerKey: 10)
        for _ in 0..<5 { Self.key(1).withUnsafeBytes { builder.add(userKey: $0) } }
        Self.key(2).withUnsafeBytes { builder.add(userKey: $0) }
        Self.key(1).withUnsafeBytes { builder.add(userKey: $0) }
        #expect(builder.keyCount == 3)
    }

    @Test func malformedAndUnknownFilters() throws {
        let builder = BloomFilterBuilder(bitsPerKey: 10)
        for i in 0..<100 { Self.key(i).withUnsafeBytes { builder.add(userKey: $0) } }
        let out = ByteBuffer()
        builder.finish(into: out)
        let good = out.toArray()
        // Unknown version: ignored (nil), not an error.
        var future = good
        future[future.count - 1] = 2
        #expect(try future.withUnsafeBytes { try BloomFilter.parse($0, file: "f", offset: 0) } == nil)
        // Line count disagreeing with the size.
        var badLines = good
        badLines[badLines.count - 5] &+= 1
        expectCorruption("line count") { _ = try badLines.withUnsafeBytes { try BloomFilter.parse($0, file: "f", offset: 9) } }
        // Zero probes.
        var badProbes = good
        badProbes[badProbes.count - 6] = 0
        expectCorruption("probes") { _ = try badProbes.withUnsafeBytes { try BloomFilter.parse($0, file: "f", offset: 9) } }
        // Too short.
        expectCorruption("short") { _ = try [UInt8](repeating: 1, count: 3).withUnsafeBytes { try BloomFilter.parse($0, file: "f", offset: 9) } }
    }
}
