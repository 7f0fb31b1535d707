import Testing
@testable import CairnLSM

@Suite("MemtableFilterTests")
struct MemtableFilterTests {
    static func key(_ i: Int) -> [UInt8] { Array("user\(i * 7919)".utf8) }
    static func hash(_ key: [UInt8]) -> UInt64 { key.withUnsafeBytes { BloomFilter.hash($0) } }

    @Test("no false negatives, and few false positives at 20 bits per key")
    func falsePositives() {
        let filter = MemtableFilter(bits: 50_000 * 20)
        for i in 0..<50_000 { filter.add(hash: Self.hash(Self.key(i))) }
        for i in 0..<50_000 { #expect(filter.mayContain(hash: Self.hash(Self.key(i))), "key \(i)") }
        var positives = 0
        for i in 50_000..<150_000 where filter.mayContain(hash: Self.hash(Self.key(i))) { positives += 1 }
        // A 512-bit blocked filter with 6 probes at 20 bits per key: about 0.2 %.
        #expect(positives < 1_000, "\(positives) false positives in 100,000")
        #expect(filter.byteCount == filter.lineCount * 64)
    }

    @Test("a tiny filter still never denies a key it holds")
    func saturated() {
        let filter = MemtableFilter(bits: 1)
        #expect(filter.lineCount == 1)
        for i in 0..<1_000 { filter.add(hash: Self.hash(Self.key(i))) }
        for i in 0..<1_000 { #expect(filter.mayContain(hash: Self.hash(Self.key(i)))) }
    }

    @Test("a memtable with a filter answers every lookup as one without")
    func sameAnswers() {
        let filtered = Memtable(arenaBlockSize: 4096, filterBits: 1 << 18)
        let plain = Memtable(arenaBlockSize: 4096, filterBits: 0)
        #expect(filtered.filterByteCount == (1 << 18) / 8 && plain.filterByteCount == 0)
        var sequence: SequenceNumber = 1
        for i in 0..<5_000 {
            let type: ValueType = i % 5 == 0 ? .deletion : .value
            for m in [filtered, plain] {
                m.add(sequence: sequence, type: type, key: Self.key(i % 4_000), value: type == .value ? [UInt8(i & 0xFF)] : [])
            }
            sequence += 1
        }
        var found = 0
        for i in 0..<10_000 {
            for at in [SequenceNumber(2_500), maxSequenceNumber] {
                let answer = filtered.get(Self.key(i), sequence: at)
                #expect(answer == plain.get(Self.key(i), sequence: at), "key \(i) at \(at)")
                if case .value = answer { found += 1 }
            }
        }
        #expect(found > 4_000)
    }
}
