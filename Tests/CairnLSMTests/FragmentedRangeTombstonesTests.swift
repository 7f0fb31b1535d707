import Testing
@testable import CairnLSM

@Suite("FragmentedRangeTombstones")
struct FragmentedRangeTombstonesTests {
    /// The naive answer: the max sequence <= snapshot over all tombstones covering `key`.
    static func bruteForce(_ tombstones: [RangeTombstone], _ key: [UInt8], _ snapshot: SequenceNumber) -> SequenceNumber {
        var best: SequenceNumber = 0
        for t in tombstones where t.sequence <= snapshot
            && compareBytes(t.start, key) <= 0 && compareBytes(key, t.end) < 0 {
            best = max(best, t.sequence)
        }
        return best
    }

    /// Short keys over a tiny alphabet, so ranges overlap and share boundaries a lot.
    static func randomKey(_ rng: inout MemtableTestRandom, maxLength: Int = 2) -> [UInt8] {
        let length = Int.random(in: 0...maxLength, using: &rng)
        return (0..<length).map { _ in UInt8.random(in: 0x61...0x66, using: &rng) }
    }

    /// Every key of length 0...2 over the alphabet plus one byte either side of it, and
    /// some length-3 keys (they fall between a boundary and its successor).
    static let probes: [[UInt8]] = {
        var keys: [[UInt8]] = [[]]
        var frontier: [[UInt8]] = [[]]
        for _ in 0..<2 {
            frontier = frontier.flatMap { prefix in (0x60...0x67).map { prefix + [UInt8($0)] } }
            keys += frontier
        }
        keys += frontier.flatMap { [$0 + [0x60], $0 + [0x63]] }
        return keys.sorted { compareBytes($0, $1) < 0 }
    }()

    static func checkInvariants(_ f: FragmentedRangeTombstones) {
        let fragments = f.fragments
        #expect(fragments.count == f.count)
        #expect(f.isEmpty == fragments.isEmpty)
        for (i, fragment) in fragments.enumerated() {
            #expect(compareBytes(fragment.start, fragment.end) < 0)
            #expect(!fragment.sequences.isEmpty)
            #expect(zip(fragment.sequences, fragment.sequences.dropFirst()).allSatisfy { $0 > $1 })
            if i > 0 { #expect(compareBytes(fragments[i - 1].end, fragment.start) <= 0) }
        }
    }

    @Test("maxCoveringSequence and the cursor agree with brute force on random tombstones")
    func againstBruteForce() {
        var rng = MemtableTestRandom(seed: 2024)
        for round in 0..<150 {
            let count = round % 10 == 0 ? 0 : Int.random(in: 1...25, using: &rng)
            let tombstones = (0..<count).map { _ in
                // Some ranges are empty or inverted; they must be ignored.
                RangeTombstone(start: Self.randomKey(&rng), end: Self.randomKey(&rng),
                               sequence: SequenceNumber.random(in: 1...40, using: &rng))
            }
            let fragmented = FragmentedRangeTombstones(tombstones)
            Self.checkInvariants(fragmented)
            let snapshots: [SequenceNumber] = [0, 1, 10, 20, 39, 40, maxSequenceNumber]
                + (0..<3).map { _ in SequenceNumber.random(in: 0...45, using: &rng) }
            for snapshot in snapshots {
                // One expectation per array keeps the debug build fast.
                let expected = Self.probes.map { Self.bruteForce(tombstones, $0, snapshot) }
                let direct = Self.probes.map { fragmented.maxCoveringSequence($0, visibleAt: snapshot) }
                #expect(direct == expected, "round \(round) snapshot \(snapshot)")
                var forward = fragmented.makeCursor()
                let viaForward = Self.probes.map { key in
                    key.withUnsafeBytes { forward.maxCoveringSequence($0, visibleAt: snapshot) }
                }
                #expect(viaForward == expected)
                var backward = fragmented.makeCursor()
                let viaBackward = Self.probes.reversed().map { key in
                    key.withUnsafeBytes { backward.maxCoveringSequence($0, visibleAt: snapshot) }
                }
                #expect(viaBackward == expected.reversed())
                // Random jumps in both directions through one cursor.
                var jumping = fragmented.makeCursor()
                var jumpMismatches = 0
                var coverMismatches = 0
                for _ in 0..<60 {
                    let i = Int.random(in: 0..<Self.probes.count, using: &rng)
                    let key = Self.probes[i]
                    if key.withUnsafeBytes({ jumping.maxCoveringSequence($0, visibleAt: snapshot) }) != expected[i] {
                        jumpMismatches += 1
                    }
                    let e = expected[i]
                    if e > 0 && (!fragmented.isCovered(userKey: key, entrySequence: e - 1, snapshot: snapshot)
                        || fragmented.isCovered(userKey: key, entrySequence: e, snapshot: snapshot)) {
                        coverMismatches += 1
                    }
                }
                #expect(jumpMismatches == 0)
                #expect(coverMismatches == 0)
            }
        }
    }

    @Test("fragments of a known example")
    func knownExample() {
        // [a, e)@10, [c, g)@20, [c, d)@5, [x, y)@3, empty [m, m)@99
        let t = [
            RangeTombstone(start: Array("a".utf8), end: Array("e".utf8), sequence: 10),
            RangeTombstone(start: Array("c".utf8), end: Array("g".utf8), sequence: 20),
            RangeTombstone(start: Array("c".utf8), end: Array("d".utf8), sequence: 5),
            RangeTombstone(start: Array("x".utf8), end: Array("y".utf8), sequence: 3),
            RangeTombstone(start: Array("m".utf8), end: Array("m".utf8), sequence: 99),
        ]
        let f = FragmentedRangeTombstones(t)
        typealias F = FragmentedRangeTombstones.Fragment
        #expect(f.fragments == [
            F(start: Array("a".utf8), end: Array("c".utf8), sequences: [10]),
            F(start: Array("c".utf8), end: Array("d".utf8), sequences: [20, 10, 5]),
            F(start: Array("d".utf8), end: Array("e".utf8), sequences: [20, 10]),
            F(start: Array("e".utf8), end: Array("g".utf8), sequences: [20]),
            F(start: Array("x".utf8), end: Array("y".utf8), sequences: [3]),
        ])
        #expect(f.maxCoveringSequence(Array("c".utf8), visibleAt: 15) == 10)
        #expect(f.maxCoveringSequence(Array("c".utf8), visibleAt: 7) == 5)
        #expect(f.maxCoveringSequence(Array("g".utf8), visibleAt: 100) == 0)
        #expect(f.maxCoveringSequence(Array("m".utf8), visibleAt: 100) == 0)
        #expect(f.maxCoveringSequence([], visibleAt: 100) == 0)
        // Adjacent fragments with the same sequences merge.
        let merged = FragmentedRangeTombstones([
            RangeTombstone(start: Array("a".utf8), end: Array("b".utf8), sequence: 4),
            RangeTombstone(start: Array("b".utf8), end: Array("c".utf8), sequence: 4),
        ])
        #expect(merged.fragments == [F(start: Array("a".utf8), end: Array("c".utf8), sequences: [4])])
        #expect(FragmentedRangeTombstones().isEmpty)
        #expect(FragmentedRangeTombstones([]).maxCoveringSequence(Array("a".utf8), visibleAt: 9) == 0)
    }

    @Test("long cursor sweeps over many fragments")
    func cursorSweep() {
        // 2,000 disjoint tombstones [k2i, k2i+1), so sweeps cross gaps and use the fast path.
        func key(_ i: Int) -> [UInt8] {
            var k: [UInt8] = []
            Coding.appendFixed32(&k, UInt32(i).byteSwapped)
            return k
        }
        let tombstones = (0..<2000).map { RangeTombstone(start: key(2 * $0), end: key(2 * $0 + 1), sequence: SequenceNumber($0 + 1)) }
        let f = FragmentedRangeTombstones(tombstones.shuffled())
        #expect(f.count == 2000)
        var cursor = f.makeCursor()
        for i in 0..<4000 {
            let expected: SequenceNumber = i % 2 == 0 ? SequenceNumber(i / 2 + 1) : 0
            #expect(key(i).withUnsafeBytes { cursor.maxCoveringSequence($0, visibleAt: .max) } == expected)
        }
        for i in stride(from: 3999, through: 0, by: -3) {
            let expected: SequenceNumber = i % 2 == 0 ? SequenceNumber(i / 2 + 1) : 0
            #expect(key(i).withUnsafeBytes { cursor.maxCoveringSequence($0, visibleAt: .max) } == expected)
        }
    }
}
