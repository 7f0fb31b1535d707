import Synchronization
import Testing
@testable import CairnLSM

#if canImport(Glibc)
import Glibc
#endif

/// One writer inserts while readers iterate and look up concurrently, with no locks.
@Suite("MemtableConcurrency")
struct MemtableConcurrencyTests {
    static let writes = 20_000
    static let distinctKeys: UInt64 = 4_000

    /// State shared by the writer and the readers.
    final class Shared: Sendable {
        /// Highest sequence number whose `add` has returned (all lower ones have too).
        let acknowledged = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
        let failures = CairnMutex<[String]>([])
        let scans = Atomic<Int>(0)
        let lookups = Atomic<Int>(0)
        /// Full scans of a non-empty memtable during which the writer added entries.
        let overlappingScans = Atomic<Int>(0)

        func fail(_ message: String) {
            failures.withLock { if $0.count < 20 { $0.append(message) } }
        }
    }

    /// User key of the write with sequence `s` (16 bytes; about 5 versions per key).
    static func userKey(_ s: Int) -> [UInt8] {
        let k = (UInt64(s) &* 0x9E37_79B9_7F4A_7C15) % distinctKeys
        var key = Array("user".utf8)
        key += Array(String(k, radix: 10).utf8)
        while key.count < 16 { key.append(UInt8(ascii: "_")) }
        return key
    }

    /// Every 7th write is a deletion.
    static func type(_ s: Int) -> ValueType { s % 7 == 0 ? .deletion : .value }

    /// Value of the write with sequence `s`: its sequence number then a pattern, 8...70 bytes.
    static func value(_ s: Int) -> [UInt8] {
        if type(s) == .deletion { return [] }
        var v: [UInt8] = []
        Coding.appendFixed64(&v, UInt64(s))
        for j in 0..<(s % 63) { v.append(UInt8(truncatingIfNeeded: s &+ j &* 31)) }
        return v
    }

    /// Checks that an entry is exactly what the writer wrote for its sequence number.
    static func check(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> String? {
        guard key.count == 24 else { return "internal key of length \(key.count)" }
        let s = Int(InternalKey.sequence(key))
        guard s >= 1 && s <= writes else { return "bad sequence \(s)" }
        guard InternalKey.typeByte(key) == type(s).rawValue else { return "bad type at \(s)" }
        guard InternalKey.userKey(key).elementsEqual(userKey(s)) else { return "torn key at \(s)" }
        guard value.elementsEqual(Self.value(s)) else { return "torn value at \(s)" }
        return nil
    }

    static func writer(_ memtable: Memtable, _ shared: Shared) {
        for s in 1...writes {
            memtable.add(sequence: SequenceNumber(s), type: type(s), key: userKey(s), value: value(s))
            shared.acknowledged.store(s, ordering: .releasing)
            // Let readers interleave with the writer on a 2-core machine. In the second half,
            // slow down until the readers have completed a few full scans that overlapped
            // with writes, so the test really exercises concurrent reading on a busy machine.
            if s % 16 == 0 { sched_yield() }
            if s > writes / 2 && shared.overlappingScans.load(ordering: .relaxed) < 3
                && shared.failures.withLock({ $0.isEmpty }) {
                usleep(20)
            }
        }
        shared.done.store(true, ordering: .releasing)
    }

    static func reader(_ memtable: Memtable, _ shared: Shared, seed: UInt64) throws {
        var rng = MemtableTestRandom(seed: seed)
        var round = 0
        while true {
            let finished = shared.done.load(ordering: .acquiring)
            let acked = shared.acknowledged.load(ordering: .acquiring)
            switch round % 4 {
            case 0:
                // Full forward scan: sorted, untorn, and containing every acknowledged write.
                let it = memtable.makeIterator()
                try it.seekToFirst()
                var previous: [UInt8] = []
                var seenAcked = 0
                while it.isValid {
                    let key = it.key
                    if let problem = check(key: key, value: it.value) { shared.fail("scan: \(problem)"); return }
                    if !previous.isEmpty, memtableTestCompare(previous, Array(key)) >= 0 {
                        shared.fail("scan out of order at \(InternalKey.sequence(key))"); return
                    }
                    previous = Array(key)
                    if InternalKey.sequence(key) <= UInt64(acked) { seenAcked += 1 }
                    try it.next()
                }
                if seenAcked != acked { shared.fail("scan saw \(seenAcked) of \(acked) acknowledged writes"); return }
                shared.scans.wrappingAdd(1, ordering: .relaxed)
                if acked > 0 && shared.acknowledged.load(ordering: .acquiring) > acked {
                    shared.overlappingScans.wrappingAdd(1, ordering: .relaxed)
                }
            case 1:
                // Backward walk from the end (prev searches from the top each step).
                let it = memtable.makeIterator()
                try it.seekToLast()
                var previous: [UInt8] = []
                var steps = 0
                while it.isValid && steps < 2_000 {
                    let key = it.key
                    if let problem = check(key: key, value: it.value) { shared.fail("backward: \(problem)"); return }
                    if !previous.isEmpty, memtableTestCompare(Array(key), previous) >= 0 {
                        shared.fail("backward out of order"); return
                    }
                    previous = Array(key)
                    try it.prev()
                    steps += 1
                }
                shared.scans.wrappingAdd(1, ordering: .relaxed)
            default:
                // Point lookups of acknowledged writes at their own snapshot.
                guard acked > 0 else { break }
                for _ in 0..<200 {
                    let s = Int.random(in: 1...acked, using: &rng)
                    let result = memtable.get(userKey(s), sequence: SequenceNumber(s))
                    let expected: MemtableLookup = type(s) == .value
                        ? .value(SequenceNumber(s), value(s)) : .deleted(SequenceNumber(s))
                    if result != expected { shared.fail("get \(s): \(result)"); return }
                    // Seek to the key at the latest snapshot and walk a little.
                    let it = memtable.makeIterator()
                    try it.seek(InternalKey.seekTarget(userKey(s), sequence: maxSequenceNumber))
                    var found = false
                    while it.isValid && InternalKey.userKey(it.key).elementsEqual(userKey(s)) {
                        if let problem = check(key: it.key, value: it.value) { shared.fail("seek: \(problem)"); return }
                        if InternalKey.sequence(it.key) == UInt64(s) { found = true }
                        try it.next()
                    }
                    if !found { shared.fail("seek did not find acknowledged write \(s)"); return }
                }
                shared.lookups.wrappingAdd(200, ordering: .relaxed)
            }
            round += 1
            if finished { break }
        }
    }

    @Test("one writer and three lock-free readers", SanitizerRuntime.hangLimit)
    func writerAndReaders() {
        let memtable = Memtable(arenaBlockSize: 256 << 10, filterBits: 1 << 19)
        let shared = Shared()
        var bodies: [@Sendable () -> Void] = [{ Self.writer(memtable, shared) }]
        for r in 0..<3 {
            bodies.append {
                do { try Self.reader(memtable, shared, seed: UInt64(r + 1)) } catch { shared.fail("reader threw \(error)") }
            }
        }
        memtableTestRunThreads(bodies)

        let failures = shared.failures.withLock { $0 }
        #expect(failures.isEmpty, "\(failures)")
        #expect(shared.scans.load(ordering: .relaxed) >= 3)
        #expect(shared.lookups.load(ordering: .relaxed) > 0)
        #expect(memtable.pointEntryCount == Self.writes)
        #expect(shared.overlappingScans.load(ordering: .relaxed) >= 1)
        print("memtable concurrency: \(shared.scans.load(ordering: .relaxed)) scans (\(shared.overlappingScans.load(ordering: .relaxed)) overlapping writes), \(shared.lookups.load(ordering: .relaxed)) lookups during \(Self.writes) writes")
    }
}
