import Foundation

/// Runs the item workloads on one item engine: putitem into a fresh table, then getitem and
/// queryitem on it (flushed and compacted first) and transactitem; batchwriteitem, the TTL
/// pair (ttlputitem, then ttlexpire), putitemsync, the stream puts (putitemkeysonly,
/// putitemnewold) and streamlatency each in a table of their own.
final class ItemRunner: @unchecked Sendable {
    // Read by worker threads only; `settings` is written between workloads.
    let engineType: any ItemBenchEngine.Type
    let config: RunConfig
    let values: ValueGenerator
    let sequences: KeySequences
    private(set) var settings: [String] = []

    init(engineType: any ItemBenchEngine.Type, config: RunConfig) {
        self.engineType = engineType
        self.config = config
        values = ValueGenerator(valueSize: config.valueSize, seed: config.seed)
        sequences = KeySequences(num: config.num, seed: config.seed)
    }

    var name: String { engineType.name }

    /// Bytes of one item's attribute names and values, the logical size written or read.
    var itemBytes: UInt64 {
        // pk (2 + 16), sk (2 + 1), name (4 + ~22), count (5 + ~4), payload (7 + value size)
        UInt64(2 + 16 + 2 + 1 + 4 + 22 + 5 + 4 + 7 + config.valueSize)
    }

    func run(_ workloads: [Workload]) throws -> [WorkloadResult] {
        let selected = Set(workloads)
        var results: [WorkloadResult] = []
        if selected.contains(.putitem) || selected.contains(.getitem) || selected.contains(.queryitem)
            || selected.contains(.transactitem)
        {
            let path = try config.freshDirectory(engine: name, "items")
            let db = try open(path, sync: false)
            let order = sequences.permutation(salt: 11)
            if selected.contains(.putitem) {
                results.append(try put(db, path: path, workload: .putitem, indexes: order, threads: 1))
            } else {
                printError("[\(name)] loading \(order.count) items (untimed)")
                _ = try put(db, path: path, workload: .putitem, indexes: order, threads: 1)
            }
            if selected.contains(.getitem) || selected.contains(.queryitem) {
                printError("[\(name)] flushing and compacting (untimed)")
                try db.flushAndCompact()
                for workload in workloads where workload == .getitem || workload == .queryitem {
                    results.append(try read(db, path: path, workload: workload))
                }
            }
            if selected.contains(.transactitem) {
                results.append(try transfer(db, path: path))
            }
            try db.close()
            config.cleanUp(path)
        }
        if selected.contains(.batchwriteitem) {
            let path = try config.freshDirectory(engine: name, "itembatch")
            let db = try open(path, sync: false)
            results.append(try batchPut(db, path: path, indexes: sequences.permutation(salt: 15)))
            try db.close()
            config.cleanUp(path)
        }
        if selected.contains(.ttlputitem) || selected.contains(.ttlexpire) {
            let path = try config.freshDirectory(engine: name, "itemttl")
            let db = try open(path, sync: false)
            try db.enableTimeToLive()
            let order = sequences.permutation(salt: 17)
            let base = Int64(Date().timeIntervalSince1970)
            if selected.contains(.ttlputitem) {
                results.append(try put(db, path: path, workload: .ttlputitem, indexes: order, threads: 1, expiresFrom: base))
            } else {
                printError("[\(name)] loading \(order.count) items with expiries (untimed)")
                _ = try put(db, path: path, workload: .ttlputitem, indexes: order, threads: 1, expiresFrom: base)
            }
            if selected.contains(.ttlexpire) {
                // Past the last expiry (an hour after the last write's second).
                let now = Self.expiry(base, position: order.count) + 1
                results.append(try expire(db, path: path, now: now, items: order.count))
            }
            try db.close()
            config.cleanUp(path)
        }
        for (workload, view) in [(Workload.putitemkeysonly, BenchStreamView.keysOnly), (.putitemnewold, .newAndOldImages)]
            where selected.contains(workload)
        {
            let path = try config.freshDirectory(engine: name, workload.rawValue)
            let db = try open(path, sync: false)
            try db.enableStream(view)
            // The same items in the same order as putitem.
            results.append(try put(db, path: path, workload: workload, indexes: sequences.permutation(salt: 11), threads: 1))
            try db.close()
            config.cleanUp(path)
        }
        if selected.contains(.streamlatency) {
            let path = try config.freshDirectory(engine: name, "itemstream")
            let db = try open(path, sync: false)
            try db.enableStream(.newAndOldImages)
            if let result = try streamLatency(db, path: path) { results.append(result) }
            try db.close()
            config.cleanUp(path)
        }
        if selected.contains(.putitemsync) {
            let path = try config.freshDirectory(engine: name, "itemsync")
            let db = try open(path, sync: true)
            let indexes = sequences.uniform(count: config.syncNum, salt: 12)
            results.append(try put(db, path: path, workload: .putitemsync, indexes: indexes, threads: config.threads))
            try db.close()
            config.cleanUp(path)
        }
        return results
    }

    private func open(_ path: String, sync: Bool) throws -> any ItemBenchEngine {
        var options = config.engineOptions
        options.syncWrites = sync
        let engine = try engineType.init(directory: path, options: options)
        if settings.isEmpty { settings = engine.settings }
        return engine
    }

    /// The expiry of the write at `position` in a TTL load starting at `base`: an hour after
    /// its second, at 1,000 writes a second.
    static func expiry(_ base: Int64, position: Int) -> Int64 {
        base + 3_600 + Int64(position / 1_000)
    }

    /// Loads `indexes` with PutItem; with `expiresFrom`, each item carries an `expires`
    /// attribute (`expiry(_:position:)`).
    private func put(_ db: any ItemBenchEngine, path: String, workload: Workload, indexes: [UInt64],
                     threads: Int, expiresFrom base: Int64? = nil) throws -> WorkloadResult {
        printError("[\(name)] \(workload) \(indexes.count) items, \(threads) thread(s)")
        let memory = MemoryWindow.begin()
        let ioBefore = ProcessIO.now()
        let start = monotonicNanos()
        let outcomes = try runThreads(threads) { t in
            var recorder = LatencyRecorder()
            for i in EngineRunner.slice(indexes.count, part: t, of: threads) {
                let item = BenchItem(index: indexes[i])
                let t0 = monotonicNanos()
                if let base {
                    let expires = Self.expiry(base, position: i)
                    try self.values.withValue(indexes[i]) { try db.putItem(item, payload: $0, expires: expires) }
                } else {
                    try self.values.withValue(indexes[i]) { try db.putItem(item, payload: $0) }
                }
                recorder.record(monotonicNanos() - t0)
            }
            return (recorder, 0)
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        let written = ProcessIO.now().writeBytes &- ioBefore.writeBytes
        let logical = UInt64(indexes.count) * itemBytes
        return summarizeWorkload(
            engine: name, workload: workload, operations: indexes.count, threads: threads, seconds: seconds,
            outcomes: outcomes, bytesMoved: logical, storageWritten: written, logicalWritten: logical,
            path: path, found: nil, note: nil, memory: memory)
    }

    /// The pace of streamlatency's writer: PutItems per second.
    static let streamWriteRate = 10_000

    /// streamlatency: one consumer follows the table's stream from its latest position while
    /// this thread puts --num items (in random order) at `streamWriteRate` a second, sleeping
    /// to keep the pace. Each put's commit time and each record's delivery time are kept by
    /// item index. The commit happens inside the PutItem call, so the latencies are taken from
    /// the call's start (an upper bound that cannot come out negative); the note adds them from
    /// the call's return (a lower bound: a record can arrive before its PutItem has returned,
    /// counted as 0). Nil when the engine has no stream to follow.
    private func streamLatency(_ db: any ItemBenchEngine, path: String) throws -> WorkloadResult? {
        let count = config.num
        let order = sequences.permutation(salt: 19)
        let called = TimeTable(count: count)
        let committed = TimeTable(count: count)
        let delivered = TimeTable(count: count)
        let memory = MemoryWindow.begin()
        let ioBefore = ProcessIO.now()
        guard let consumer = try db.followChanges(records: count, delivered: { index in
            let now = monotonicNanos()
            if index < UInt64(delivered.count), delivered[index] == 0 { delivered[index] = now }
        }) else {
            printError("[\(name)] streamlatency: not applicable (no change stream a consumer can follow); skipped")
            return nil
        }
        printError("[\(name)] streamlatency \(count) puts at \(Self.streamWriteRate)/s, one consumer following the stream")
        let interval = UInt64(1_000_000_000 / Self.streamWriteRate)
        var puts = LatencyRecorder()
        let start = monotonicNanos()
        do {
            for (i, index) in order.enumerated() {
                // The schedule is absolute, so a late wake-up does not slow the average pace.
                let due = start + UInt64(i) * interval
                let now = monotonicNanos()
                if due > now { sleepNanos(due - now) }
                let item = BenchItem(index: index)
                let t0 = monotonicNanos()
                try values.withValue(index) { try db.putItem(item, payload: $0) }
                let t1 = monotonicNanos()
                called[index] = t0
                committed[index] = t1
                puts.record(t1 - t0)
            }
        } catch {
            consumer.cancel()
            throw error
        }
        let writerSeconds = Double(monotonicNanos() - start) / 1e9
        // Every record is due within moments of its put; a minute is a failure, not a figure.
        let (received, timedOut) = try consumer.finish(within: 60)
        guard !timedOut, received == count else {
            throw BenchError("streamlatency: the consumer received \(received) of \(count) records\(timedOut ? " within 60 s of the last put" : "")")
        }
        var latencies = LatencyRecorder()
        var afterReturn = LatencyRecorder()
        var early = 0
        var lastDelivery = start
        for index in order {
            let (a, c, d) = (called[index], committed[index], delivered[index])
            guard d != 0 else { throw BenchError("streamlatency: no record for item \(index)") }
            lastDelivery = max(lastDelivery, d)
            latencies.record(d - a)
            if d < c { early += 1 }  // received while its PutItem was returning
            afterReturn.record(d > c ? d - c : 0)
        }
        let seconds = Double(lastDelivery - start) / 1e9
        let written = ProcessIO.now().writeBytes &- ioBefore.writeBytes
        let logical = UInt64(count) * itemBytes
        let note = String(
            format: "ops are records delivered; latency = PutItem called to the consumer receiving its record; from PutItem's return instead: p50 %.1f, p99 %.1f, p99.9 %.1f µs (%d records arrived before their PutItem returned, counted as 0); writer: %d puts in %.2f s (%.0f/s, paced at %d/s), put p50 %.1f µs, p99 %.1f µs",
            afterReturn.micros(at: 50), afterReturn.micros(at: 99), afterReturn.micros(at: 99.9), early,
            count, writerSeconds, Double(count) / max(writerSeconds, 1e-9), Self.streamWriteRate,
            puts.micros(at: 50), puts.micros(at: 99))
        return summarizeWorkload(
            engine: name, workload: .streamlatency, operations: count, threads: 1, seconds: seconds,
            outcomes: [(latencies, received)], bytesMoved: logical, storageWritten: written, logicalWritten: logical,
            path: path, found: received, note: note, memory: memory)
    }

    /// The items of one BatchWriteItem call.
    static let batchSize = 25

    private func batchPut(_ db: any ItemBenchEngine, path: String, indexes: [UInt64]) throws -> WorkloadResult {
        printError("[\(name)] batchwriteitem \(indexes.count) items in batches of \(Self.batchSize)")
        let memory = MemoryWindow.begin()
        let ioBefore = ProcessIO.now()
        let start = monotonicNanos()
        var recorder = LatencyRecorder()
        for first in stride(from: 0, to: indexes.count, by: Self.batchSize) {
            let slice = Array(indexes[first..<min(first + Self.batchSize, indexes.count)])
            let items = slice.map { BenchItem(index: $0) }
            let payloads = slice.map { index in self.values.withValue(index) { Array($0) } }
            let t0 = monotonicNanos()
            try db.putItems(items) { payloads[$0] }
            recorder.record(monotonicNanos() - t0)
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        let written = ProcessIO.now().writeBytes &- ioBefore.writeBytes
        let logical = UInt64(indexes.count) * itemBytes
        return summarizeWorkload(
            engine: name, workload: .batchwriteitem, operations: indexes.count, threads: 1, seconds: seconds,
            outcomes: [(recorder, 0)], bytesMoved: logical, storageWritten: written, logicalWritten: logical,
            path: path, found: nil, note: "ops are items; latencies are per batch of \(Self.batchSize)", memory: memory)
    }

    /// One expiry pass at `now`, after which every one of the `items` loaded must be gone.
    private func expire(_ db: any ItemBenchEngine, path: String, now: Int64, items: Int) throws -> WorkloadResult {
        printError("[\(name)] ttlexpire: one expiry pass over \(items) expired items")
        let memory = MemoryWindow.begin()
        let ioBefore = ProcessIO.now()
        let start = monotonicNanos()
        let deleted = try db.expire(now: now)
        let elapsed = monotonicNanos() - start
        var recorder = LatencyRecorder()
        recorder.record(elapsed)
        let written = ProcessIO.now().writeBytes &- ioBefore.writeBytes
        return summarizeWorkload(
            engine: name, workload: .ttlexpire, operations: items, threads: 1, seconds: Double(elapsed) / 1e9,
            outcomes: [(recorder, deleted)], bytesMoved: 0, storageWritten: written, logicalWritten: 0,
            path: path, found: deleted, note: "ops are deletions; found = items deleted; latency = the whole pass", memory: memory)
    }

    private func transfer(_ db: any ItemBenchEngine, path: String) throws -> WorkloadResult {
        let count = max(1, config.reads / BenchItem.itemsPerPartition)
        var rng = SeededGenerator(seed: config.seed &+ 16)
        let transfers: [[BenchItem]] = (0..<count).map { _ in
            let size = 2 + Int(rng.next() % 9)
            var picked = Set<UInt64>()
            while picked.count < size { picked.insert(rng.next() % UInt64(max(1, config.num))) }
            return picked.map { BenchItem(index: $0) }
        }
        printError("[\(name)] transactitem \(count) transfers of 2-10 items, \(config.threads) thread(s)")
        let memory = MemoryWindow.begin()
        let ioBefore = ProcessIO.now()
        let start = monotonicNanos()
        let outcomes = try runThreads(config.threads) { t in
            var recorder = LatencyRecorder()
            var committed = 0
            for i in EngineRunner.slice(transfers.count, part: t, of: self.config.threads) {
                let t0 = monotonicNanos()
                committed += try db.transfer(transfers[i]) ? 1 : 0
                recorder.record(monotonicNanos() - t0)
            }
            return (recorder, committed)
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        let written = ProcessIO.now().writeBytes &- ioBefore.writeBytes
        let committed = outcomes.reduce(0) { $0 + $1.1 }
        return summarizeWorkload(
            engine: name, workload: .transactitem, operations: count, threads: config.threads, seconds: seconds,
            outcomes: outcomes, bytesMoved: 0, storageWritten: written, logicalWritten: 0,
            path: path, found: committed, note: "found = transfers committed (the rest failed their condition)", memory: memory)
    }

    private func read(_ db: any ItemBenchEngine, path: String, workload: Workload) throws -> WorkloadResult {
        let isQuery = workload == .queryitem
        let count = isQuery ? max(1, config.reads / BenchItem.itemsPerPartition) : config.reads
        let partitions = UInt64(max(1, config.num / BenchItem.itemsPerPartition))
        let targets = sequences.uniform(count: count, salt: isQuery ? 13 : 14)
        let threads = config.threads
        printError("[\(name)] \(workload) \(count) ops, \(threads) thread(s)")
        let memory = MemoryWindow.begin()
        let start = monotonicNanos()
        let outcomes = try runThreads(threads) { t in
            var recorder = LatencyRecorder()
            var found = 0
            for i in EngineRunner.slice(targets.count, part: t, of: threads) {
                let t0 = monotonicNanos()
                if isQuery {
                    found += try db.query(partition: targets[i] % partitions)
                } else {
                    let item = BenchItem(index: targets[i])
                    found += try db.getItem(partition: item.partition, sort: item.sort) ? 1 : 0
                }
                recorder.record(monotonicNanos() - t0)
            }
            return (recorder, found)
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        let found = outcomes.reduce(0) { $0 + $1.1 }
        return summarizeWorkload(
            engine: name, workload: workload, operations: count, threads: threads, seconds: seconds,
            outcomes: outcomes, bytesMoved: UInt64(found) * itemBytes, storageWritten: 0, logicalWritten: 0,
            path: path, found: found, note: isQuery ? "found = items returned (10 per query)" : nil, memory: memory)
    }
}

/// Nanosecond times by item index (0 = none yet). Each slot is written by one thread (the
/// writer or the consumer) and read after both have finished.
final class TimeTable: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<UInt64>

    init(count: Int) {
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: 0)
    }

    deinit { slots.deallocate() }

    var count: Int { slots.count }

    subscript(index: UInt64) -> UInt64 {
        get { slots[Int(index)] }
        set { slots[Int(index)] = newValue }
    }
}

/// Sleeps about `nanos` nanoseconds (longer by the kernel's timer slack).
func sleepNanos(_ nanos: UInt64) {
    var request = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
}
