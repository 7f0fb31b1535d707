import CairnLSM
import Foundation
import Synchronization

/// Random operations on a CairnLSM database over a small key space, with the expected state
/// kept beside them (RocksDB's db_stress, for Cairn's engine): puts, deletes, range deletes,
/// write batches, reads checked against the expected state, and snapshot iterators checked
/// against point reads at the same snapshot.
final class KeyValueStress: @unchecked Sendable {
    enum Operation: String, CaseIterable {
        case put, delete, deleteRange, batch, get, iterate
    }

    /// How often each operation is drawn, out of 100.
    static let weights: [(Operation, Int)] = [
        (.put, 40), (.delete, 8), (.deleteRange, 2), (.batch, 15), (.get, 25), (.iterate, 10),
    ]

    let db: Database
    let state: ExpectedState
    let values: StressValues
    let configuration: StressConfiguration
    let locks = KeyLocks()
    /// Checks that failed during the run (each one line).
    let failures = Mutex<[String]>([])

    init(db: Database, state: ExpectedState, configuration: StressConfiguration) {
        self.db = db
        self.state = state
        self.configuration = configuration
        values = StressValues(maxFiller: configuration.maxFiller)
    }

    var keyCount: Int { state.keyCount }

    func fail(_ message: String) {
        failures.withLock { $0.append(message) }
    }

    /// Runs `threads` threads of random operations until `shouldStop` (checked between
    /// operations) or each has done `operations` of them. Thread `t` draws from a generator
    /// seeded with (`seed`, `t`). A write the engine refuses is an error thrown to the caller.
    func run(threads: Int, seed: UInt64, operations: Int, shouldStop: @escaping @Sendable () -> Bool) throws {
        let errors = Mutex<[any Error]>([])
        let group = DispatchGroup()
        for thread in 0..<threads {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                var random = SplitMix64(seed: seed &+ UInt64(thread) &* 0x9E37_79B9)
                var done = state.operations(ofThread: thread)
                do {
                    for _ in 0..<operations {
                        if shouldStop() { break }
                        try step(&random)
                        done &+= 1
                        state.setOperations(done, ofThread: thread)
                    }
                } catch {
                    errors.withLock { $0.append(error) }
                }
            }
        }
        group.wait()
        if let first = errors.withLock({ $0.first }) { throw first }
    }

    private func pick(_ random: inout SplitMix64) -> Operation {
        var roll = Int(random.next() % 100)
        for (operation, weight) in Self.weights {
            if roll < weight { return operation }
            roll -= weight
        }
        return .get
    }

    private func randomKey(_ random: inout SplitMix64) -> Int { Int(random.next() % UInt64(keyCount)) }

    /// One random operation.
    func step(_ random: inout SplitMix64) throws {
        let sync = configuration.syncWrites
        switch pick(&random) {
        case .put:
            let key = randomKey(&random)
            try write([key], deleting: []) { try db.put(StressValues.key(key), values.value(key: key, base: $0[key, default: 0]), sync: sync) }
        case .delete:
            let key = randomKey(&random)
            try write([], deleting: [key]) { _ in try db.delete(StressValues.key(key), sync: sync) }
        case .deleteRange:
            let start = randomKey(&random)
            let end = min(keyCount, start + 1 + Int(random.next() % 8))
            try write([], deleting: Array(start..<end)) { _ in
                try db.deleteRange(StressValues.key(start), StressValues.key(end), sync: sync)
            }
        case .batch:
            var puts = Set<Int>(), deletes = Set<Int>()
            for _ in 0..<(2 + Int(random.next() % 7)) {
                let key = randomKey(&random)
                guard !puts.contains(key), !deletes.contains(key) else { continue }
                if random.next() % 4 == 0 { deletes.insert(key) } else { puts.insert(key) }
            }
            try write(Array(puts), deleting: Array(deletes)) { bases in
                var batch = WriteBatch()
                for key in puts.sorted() { batch.put(StressValues.key(key), values.value(key: key, base: bases[key, default: 0])) }
                for key in deletes.sorted() { batch.delete(StressValues.key(key)) }
                _ = try db.write(batch, sync: sync)
            }
        case .get:
            let key = randomKey(&random)
            try locks.withLocks([key]) {
                let found = try db.get(StressValues.key(key))
                if let problem = check(key: key, found: found, against: state[key]) { fail("get: " + problem) }
            }
        case .iterate:
            try checkIterator(from: randomKey(&random), width: 1 + Int(random.next() % 64), reverse: random.next() % 4 == 0)
        }
    }

    /// A write of `puts` and `deletes` (disjoint): under their locks, marks each pending, runs
    /// `send` with the base each put writes, and settles each once it returns.
    private func write(_ puts: [Int], deleting deletes: [Int], _ send: ([Int: UInt16]) throws -> Void) throws {
        try locks.withLocks(puts + deletes) {
            var bases: [Int: UInt16] = [:]
            for key in puts {
                let slot = state[key]
                bases[key] = slot.nextBase
                state[key] = slot.markingPending(delete: false)
            }
            for key in deletes { state[key] = state[key].markingPending(delete: true) }
            try send(bases)
            for key in puts + deletes { state[key] = state[key].settled() }
        }
    }

    /// Why `found` (the database's value of `key`, nil if absent) is not what `slot` allows,
    /// or nil when it is. A pending slot allows the state before its write and after it.
    func check(key: Int, found: [UInt8]?, against slot: ExpectedState.Slot) -> String? {
        let allowed = slot.pending ? [slot.unsent(), slot.settled()] : [slot]
        guard let found else {
            return allowed.contains(where: { !$0.exists }) ? nil : "key \(key) is absent, expected \(slot)"
        }
        guard let base = values.base(of: found, key: key) else {
            return "key \(key) holds \(found.count) bytes that are no value of this key (expected \(slot))"
        }
        return allowed.contains(where: { $0.exists && $0.base == base }) ? nil : "key \(key) holds value \(base), expected \(slot)"
    }

    /// At one snapshot, iterates `width` keys from `from` (forward, or backward from the end
    /// of the window) and checks each entry against a point read at the snapshot, and that no
    /// key of the window is missed or invented; every value must be its key's.
    private func checkIterator(from: Int, width: Int, reverse: Bool) throws {
        let end = min(keyCount, from + width)
        let snapshot = db.snapshot()
        let iterator = try db.makeIterator(ReadOptions(snapshot: snapshot, lowerBound: StressValues.key(from), upperBound: StressValues.key(end)))
        var seen: [Int: [UInt8]] = [:]
        var previous: Int?
        if reverse { try iterator.seekToLast() } else { try iterator.seekToFirst() }
        while iterator.isValid {
            let key = iterator.key
            guard let number = StressValues.number(ofKey: key), (from..<end).contains(number) else {
                fail("iterator: key \(String(decoding: key, as: UTF8.self)) outside the window \(from)..<\(end)")
                return
            }
            if let previous, reverse ? number >= previous : number <= previous {
                fail("iterator: key \(number) after \(previous) in \(reverse ? "backward" : "forward") order")
                return
            }
            previous = number
            seen[number] = iterator.value
            if reverse { try iterator.prev() } else { try iterator.next() }
        }
        for key in from..<end {
            let point = try db.get(StressValues.key(key), snapshot: snapshot)
            if point != seen[key] {
                fail("iterator: key \(key) is \(seen[key].map { "\($0.count) bytes" } ?? "absent") by the iterator, \(point.map { "\($0.count) bytes" } ?? "absent") by a read at the same snapshot")
            }
            if let value = point, values.base(of: value, key: key) == nil {
                fail("iterator: key \(key) holds bytes that are no value of this key")
            }
        }
    }

    /// What a full verification found.
    struct Verification {
        var keys = 0
        var present = 0
        /// Keys whose write was in flight at the crash, and what became of it.
        var pendingApplied = 0
        var pendingLost = 0
        var failures: [String] = []
    }

    /// Checks every key against the expected state (point reads), then a full scan against
    /// the point reads (nothing outside the key space, no value of another key); with
    /// `settle`, records what each in-flight write became, so the next run starts exact.
    func verifyAll(settle: Bool) throws -> Verification {
        var result = Verification()
        var found: [[UInt8]?] = []
        found.reserveCapacity(keyCount)
        for key in 0..<keyCount {
            let value = try db.get(StressValues.key(key))
            found.append(value)
            let slot = state[key]
            result.keys += 1
            if value != nil { result.present += 1 }
            if let problem = check(key: key, found: value, against: slot) {
                result.failures.append(problem)
                continue
            }
            guard settle, slot.pending else { continue }
            let now: ExpectedState.Slot
            if let value, let base = values.base(of: value, key: key) {
                now = ExpectedState.Slot(base: base, exists: true)
            } else {
                now = ExpectedState.Slot(base: slot.base, exists: false)
            }
            if now == slot.settled() { result.pendingApplied += 1 } else { result.pendingLost += 1 }
            state[key] = now
        }
        let iterator = try db.makeIterator()
        try iterator.seekToFirst()
        var scanned = 0
        while iterator.isValid {
            let key = iterator.key
            if let number = StressValues.number(ofKey: key), number < keyCount {
                if found[number] != iterator.value {
                    result.failures.append("scan: key \(number) differs from its point read")
                }
                scanned += 1
            } else {
                result.failures.append("scan: key \(String(decoding: key, as: UTF8.self)) is outside the key space")
            }
            try iterator.next()
        }
        if scanned != result.present {
            result.failures.append("scan: \(scanned) keys, point reads found \(result.present)")
        }
        if settle { state.sync() }
        return result
    }
}
