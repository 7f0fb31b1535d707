import Synchronization
import Testing
@testable import CairnLSM

/// `WriteBatch.putStamped`: keys that end in their own commit sequence number.
@Suite struct StampedKeyTests {
    func stamp(_ prefix: [UInt8], _ sequence: SequenceNumber) -> [UInt8] {
        prefix + (0..<8).map { UInt8(truncatingIfNeeded: sequence >> UInt64(56 - 8 * $0)) }
    }

    @Test func keysCarryTheCommitSequenceAndSurviveReplay() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        var batch = WriteBatch()
        batch.put(bytes("item"), bytes("v1"))
        batch.putStamped(bytes("log/"), bytes("first"))
        batch.putStamped(bytes("log/"), bytes("second"))
        let sequence = try db.write(batch, sync: true)
        #expect(try db.get(stamp(bytes("log/"), sequence + 1)) == bytes("first"))
        #expect(try db.get(stamp(bytes("log/"), sequence + 2)) == bytes("second"))
        let crashed = fs.crashClone()
        try db.close()
        let reopened = try Database.open("/db", options: memoryOptions(crashed))
        #expect(try scanAll(reopened, ReadOptions(lowerBound: bytes("log/"), upperBound: bytes("log0"))).map(\.0)
            == [stamp(bytes("log/"), sequence + 1), stamp(bytes("log/"), sequence + 2)])
        try reopened.flush()
        #expect(try reopened.get(stamp(bytes("log/"), sequence + 2)) == bytes("second"))
        try reopened.close()
    }

    /// A value written in place gets the length it really has, whatever it is, and encodes
    /// exactly as the same value given whole (lengths around each varint size, and empty).
    @Test func inPlaceValuesEncodeAsWholeOnes() throws {
        for length in [0, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            let value = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            var whole = WriteBatch()
            whole.put(bytes("k"), bytes("v"))
            whole.putStamped(bytes("p/"), value)
            var inPlace = WriteBatch()
            inPlace.put(bytes("k"), bytes("v"))
            let written = bytes("p/").withUnsafeBytes { prefix in
                inPlace.putStamped(prefix) { $0.append(contentsOf: value) }
            }
            #expect(written == length)
            #expect(inPlace.rep == whole.rep, "length \(length)")
            #expect(inPlace.count == 2)
        }
    }

    /// Concurrent writers stamping one prefix: a reader never sees a stamp below one it has
    /// already seen appear later (no gap is ever filled in).
    @Test func readersNeverSeeAGapFilledLater() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 256 << 10))
        let writers = 4, perWriter = 500
        let finished = Atomic<Int>(0)
        let violations = Atomic<Int>(0)
        runOnThreads(writers + 1) { worker in
            if worker < writers {
                for i in 0..<perWriter {
                    var batch = WriteBatch()
                    batch.putStamped(bytes("s/"), bytes("\(worker)-\(i)"))
                    _ = try? db.write(batch)
                }
                finished.add(1, ordering: .releasing)
                return
            }
            // The reader: what it saw must stay a prefix of what it sees next.
            var seen: [[UInt8]] = []
            var passes = 0
            while finished.load(ordering: .acquiring) < writers || passes < 3 {
                passes += 1
                let now = (try? scanAll(db, ReadOptions(lowerBound: bytes("s/"), upperBound: bytes("s0"))).map(\.0)) ?? []
                if Array(now.prefix(seen.count)) != seen { violations.add(1, ordering: .relaxed) }
                seen = now
            }
        }
        #expect(violations.load(ordering: .relaxed) == 0)
        let all = try scanAll(db, ReadOptions(lowerBound: bytes("s/"), upperBound: bytes("s0")))
        #expect(all.count == writers * perWriter)
        try db.close()
    }
}
