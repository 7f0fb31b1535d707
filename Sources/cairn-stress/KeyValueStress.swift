import CairnLSM
import Foundation
import Synchronization

/// Random operations on a CairnLSM database over a small key space, with the expected state
/// kept beside them (RocksDB's db_stress, for Cairn's engine): puts, deletes, range deletes,
/// write batches, reads checked against the expected state, and snapshot iterators checked
/// against point reads at the same snapshot.
final class KeyValueStress: StressWorkload, @unchecked Sendable {
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
    let failures = CairnMutex<[String]>([])

    init(db: Database, state: ExpectedState, configuration: StressConfiguration) {
        self.db = db
        self.state = state
        self.configuration = configuration
        values = StressValues(maxFiller: configuration.maxFiller)
    }

    private func pick(_ random: inout SplitMix64) -> Operation {
        var roll = Int(random.next() % 100)
        for (operation, weight) in Self.weights {
            if roll < weight { return operation }
            roll -= weight
        }
        return .get
    }

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
            try checkKey(randomKey(&random), "get")
        case .iterate:
            try checkIterator(from: randomKey(&random), width: 1 + Int(random.next() % 64), reverse: random.next() % 4 == 0)
        }
    }

    func observe(_ key: Int) throws -> Observed {
        guard let found = try db.get(StressValues.key(key)) else { return .absent }
        guard let base = values.base(of: found, key: key) else { return .foreign("\(found.count) bytes") }
        return .value(base)
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

    /// A full scan against the point reads: nothing outside the key space, every value its
    /// key's, as many keys as the point reads found.
    func verifyWhole(present: Int, into result: inout StressVerification) throws {
        let iterator = try db.makeIterator()
        try iterator.seekToFirst()
        var scanned = 0
        while iterator.isValid {
            let key = iterator.key
            if let number = StressValues.number(ofKey: key), number < keyCount {
                if values.base(of: iterator.value, key: number) == nil {
                    result.failures.append("scan: key \(number) holds \(iterator.value.count) bytes that are no value of this key")
                }
                scanned += 1
            } else {
                result.failures.append("scan: key \(String(decoding: key, as: UTF8.self)) is outside the key space")
            }
            try iterator.next()
        }
        if scanned != present {
            result.failures.append("scan: \(scanned) keys, point reads found \(present)")
        }
        result.checked.append("full scan: \(scanned) keys")
    }

    func close() throws { try db.close() }
}
