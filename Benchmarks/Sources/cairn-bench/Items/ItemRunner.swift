import Foundation

/// Runs the item workloads on one item engine: putitem into a fresh table, then getitem and
/// queryitem on it (flushed and compacted first) and transactitem; batchwriteitem, the TTL
/// pair (ttlputitem, then ttlexpire), putitemsync, the stream puts (putitemkeysonly,
/// putitemnewold), streamlatency, the index puts (putitemgsi0 ... putitemlsi1; queryindex
/// reads putitemgsi1's table), gsilag, gsilagmax and exportparquet each in a table of their own,
/// and parquetwrite (no table: Cairn's Parquet writer against pyarrow).
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

    /// `itemBytes` plus the index attributes of `layout`.
    func indexedItemBytes(_ layout: BenchIndexLayout?) -> UInt64 {
        itemBytes + UInt64(layout?.attributeBytes ?? 0)
    }

    /// The index put workloads, each into a fresh table with its `indexLayout`.
    static let indexPutWorkloads: [Workload] = [
        .putitemgsi0, .putitemgsi1, .putitemgsi3, .putitemgsi5, .putitemsgsi1, .putitemsgsi3, .putitemsgsi5, .putitemlsi1,
    ]

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
        // Index puts: the same items in the same order as putitem, plus their index attributes.
        // queryindex reads putitemgsi1's table (loaded untimed when putitemgsi1 is not selected),
        // as queryitem reads putitem's.
        for workload in Self.indexPutWorkloads
            where selected.contains(workload) || (workload == .putitemgsi1 && selected.contains(.queryindex))
        {
            guard let layout = workload.indexLayout else { continue }
            let path = try config.freshDirectory(engine: name, workload.rawValue)
            let db = try open(path, sync: false, indexes: layout)
            let order = sequences.permutation(salt: 11)
            if selected.contains(workload) {
                results.append(try put(db, path: path, workload: workload, indexes: order, threads: 1, layout: layout))
            } else {
                printError("[\(name)] loading \(order.count) items with \(layout.summary) (untimed)")
                _ = try put(db, path: path, workload: workload, indexes: order, threads: 1, layout: layout)
            }
            if workload == .putitemgsi1 && selected.contains(.queryindex) {
                printError("[\(name)] flushing and compacting (untimed)")
                try db.catchUpIndexes()
                try db.flushAndCompact()
                results.append(try read(db, path: path, workload: .queryindex))
            }
            try db.close()
            config.cleanUp(path)
        }
        for workload in [Workload.gsilag, .gsilagmax] where selected.contains(workload) {
            guard engineType.hasEventualIndexes else {
                printError("[\(name)] \(workload): not applicable (no index kept behind its writes); skipped")
                continue
            }
            let path = try config.freshDirectory(engine: name, workload.rawValue)
            let db = try open(path, sync: false, indexes: .lag)
            results.append(try indexLag(db, path: path, workload: workload, paced: workload == .gsilag))
            try db.close()
            config.cleanUp(path)
        }
        // exportparquet and parquetwrite (ExportRunner.swift), each in a directory of its own.
        results += try runExports(selected)
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

    func open(_ path: String, sync: Bool, indexes: BenchIndexLayout? = nil) throws -> any ItemBenchEngine {
        var options = config.engineOptions
        options.syncWrites = sync
        let engine = try engineType.init(directory: path, options: options, indexes: indexes)
        if settings.isEmpty { settings = engine.settings }
        return engine
    }

    /// The expiry of the write at `position` in a TTL load starting at `base`: an hour after
    /// its second, at 1,000 writes a second.
    static func expiry(_ base: Int64, position: Int) -> Int64 {
        base + 3_600 + Int64(position / 1_000)
    }

    /// Loads `indexes` with PutItem; with `expiresFrom`, each item carries an `expires`
    /// attribute (`expiry(_:position:)`). With `layout` (the table's secondary indexes, whose
    /// attributes the engine adds to each item) and eventual indexes, the timed run ends with
    /// `catchUpIndexes()`, so it covers making the indexes complete; its time is in the note.
    func put(_ db: any ItemBenchEngine, path: String, workload: Workload, indexes: [UInt64],
             threads: Int, expiresFrom base: Int64? = nil, layout: BenchIndexLayout? = nil) throws -> WorkloadResult {
        printError("[\(name)] \(workload) \(indexes.count) items, \(threads) thread(s)\(layout.map { ", " + $0.summary } ?? "")")
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
        var note: String?
        if let layout, layout.isEventual, engineType.hasEventualIndexes {
            let putsEnd = monotonicNanos()
            try db.catchUpIndexes()
            let catchUp = Double(monotonicNanos() - putsEnd) / 1e6
            note = String(format: "ops/s includes the final catchUpIndexes(): %.1f ms (%.1f %% of the run); latency columns are the PutItem calls", catchUp, 100 * catchUp / max(Double(monotonicNanos() - start) / 1e6, 1e-9))
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        let written = ProcessIO.now().writeBytes &- ioBefore.writeBytes
        let logical = UInt64(indexes.count) * indexedItemBytes(layout)
        return summarizeWorkload(
            engine: name, workload: workload, operations: indexes.count, threads: threads, seconds: seconds,
            outcomes: outcomes, bytesMoved: logical, storageWritten: written, logicalWritten: logical,
            path: path, found: nil, note: note, memory: memory)
    }

    /// The checker's sleep in gsilag when the index shows nothing new or it has caught up with
    /// the writer (nanosleep adds the kernel's timer slack, about 50 µs).
    static let lagPollNanos: UInt64 = 100_000

    /// gsilag (paced at `streamWriteRate`) and gsilagmax (unpaced): one writer thread puts
    /// --num items (random order, g1 unique per item) into a table with one eventual index on
    /// g1 while a checker thread finds when each item shows in the index. Items show in commit
    /// order (the updater applies the index log in order, a batch per write), so each pass of
    /// the checker probes the newest returned item first (when it shows, every earlier one
    /// does too) and otherwise binary-searches the returned, unconfirmed items for the newest
    /// that shows; each item's time is the first probe that showed it or a later one. Between
    /// passes it sleeps `lagPollNanos`, or three times the pass when its Queries took longer,
    /// so it takes at most about a quarter of a core from the writer and the updater; that
    /// sleep is the resolution of the figures. Latencies run from each PutItem's return; an
    /// item is probed only after its return, so none is negative.
    private func indexLag(_ db: any ItemBenchEngine, path: String, workload: Workload, paced: Bool) throws -> WorkloadResult {
        let count = config.num
        let order = sequences.permutation(salt: 21)
        let returned = TimeTable(count: count)  // by position in `order`
        let shown = TimeTable(count: count)  // by position in `order`
        let progress = ManagedCounter()  // puts returned
        let writerDone = ManagedFlag()
        let failed = ManagedFlag()
        let poll = Self.lagPollNanos
        printError("[\(name)] \(workload) \(count) puts \(paced ? "at \(Self.streamWriteRate)/s" : "unpaced"), one checker querying the index")
        let memory = MemoryWindow.begin()
        let ioBefore = ProcessIO.now()
        let interval = UInt64(1_000_000_000 / Self.streamWriteRate)
        let start = monotonicNanos()
        let outcomes = try runThreads(2) { thread -> (LatencyRecorder, Int, UInt64) in
            do {
                if thread == 0 {
                    // The writer.
                    defer { writerDone.set() }
                    var puts = LatencyRecorder()
                    for (i, index) in order.enumerated() {
                        if failed.isSet { break }
                        if paced {
                            // The schedule is absolute, so a late wake-up does not slow the average pace.
                            let due = start + UInt64(i) * interval
                            let now = monotonicNanos()
                            if due > now { sleepNanos(due - now) }
                        }
                        let item = BenchItem(index: index)
                        let t0 = monotonicNanos()
                        try self.values.withValue(index) { try db.putItem(item, payload: $0) }
                        let t1 = monotonicNanos()
                        returned[UInt64(i)] = t1
                        progress.increment()
                        puts.record(t1 - t0)
                    }
                    return (puts, count, monotonicNanos())
                }
                // The checker: one pass over the returned, unconfirmed items, then a sleep.
                var probes = 0
                var busy: UInt64 = 0
                var next = 0  // positions before it have shown
                var lastNews = monotonicNanos()
                func shows(_ position: Int) throws -> Bool {
                    probes += 1
                    return try db.indexShows(BenchItem(index: order[position]))
                }
                while next < count {
                    if failed.isSet { return (LatencyRecorder(), probes, busy) }
                    let writerFinished = writerDone.isSet
                    let returnedCount = progress.value
                    let passStart = monotonicNanos()
                    if next < returnedCount {
                        var low = next
                        if try shows(returnedCount - 1) {
                            let now = monotonicNanos()
                            for p in low..<returnedCount { shown[UInt64(p)] = now }
                            low = returnedCount
                        } else {
                            var limit = returnedCount - 1  // positions from here on have not shown
                            while low < limit {
                                let middle = low + (limit - low) / 2
                                if try shows(middle) {
                                    let now = monotonicNanos()
                                    for p in low...middle { shown[UInt64(p)] = now }
                                    low = middle + 1
                                } else {
                                    limit = middle
                                }
                            }
                        }
                        if low > next {
                            next = low
                            lastNews = monotonicNanos()
                        }
                    } else if writerFinished && returnedCount < count {
                        return (LatencyRecorder(), probes, busy)  // the writer stopped early (failed)
                    }
                    let passEnd = monotonicNanos()
                    busy += passEnd - passStart
                    if next < count {
                        if writerFinished && passEnd - lastNews > 60_000_000_000 {
                            throw BenchError("\(workload): item \(order[next]) (position \(next)) not in the index 60 s after the last put")
                        }
                        // At most about a quarter of a core: sleep the poll interval, or three
                        // times the pass if its Queries took longer.
                        sleepNanos(max(poll, 3 * (passEnd - passStart)))
                    }
                }
                return (LatencyRecorder(), probes, busy)
            } catch {
                failed.set()
                throw error
            }
        }
        let (puts, _, writerEnd) = outcomes[0]
        let (_, probes, checkerBusy) = outcomes[1]
        var latencies = LatencyRecorder()
        var lastShown = start
        for p in 0..<count {
            let (r, v) = (returned[UInt64(p)], shown[UInt64(p)])
            guard v != 0 else { throw BenchError("\(workload): item \(order[p]) never seen in the index") }
            lastShown = max(lastShown, v)
            latencies.record(v > r ? v - r : 0)
        }
        let writerSeconds = Double(writerEnd - start) / 1e9
        let seconds = Double(lastShown - start) / 1e9
        let written = ProcessIO.now().writeBytes &- ioBefore.writeBytes
        let logical = UInt64(count) * indexedItemBytes(.lag)
        let note = String(
            format: "ops are items shown in the index; latency = PutItem's return to the first index Query showing the item; checker: %d Queries (per pass: the newest returned item, else a binary search of the unconfirmed ones; then a sleep of max(%d µs, 3x the pass)), busy %.0f %% of the run; writer: %d puts in %.2f s (%.0f/s, \(paced ? "paced at \(Self.streamWriteRate)/s" : "unpaced")), put p50 %.1f µs, p99 %.1f µs",
            probes, Int(poll / 1000), 100 * Double(checkerBusy) / max(Double(lastShown - start), 1), count, writerSeconds, Double(count) / max(writerSeconds, 1e-9),
            puts.micros(at: 50), puts.micros(at: 99))
        return summarizeWorkload(
            engine: name, workload: workload, operations: count, threads: 1, seconds: seconds,
            outcomes: [(latencies, count)], bytesMoved: logical, storageWritten: written, logicalWritten: logical,
            path: path, found: count, note: note, memory: memory)
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
        let onIndex = workload == .queryindex
        let isQuery = workload == .queryitem || onIndex
        let count = isQuery ? max(1, config.reads / BenchItem.itemsPerPartition) : config.reads
        let partitions = UInt64(max(1, config.num / BenchItem.itemsPerPartition))
        // queryindex reads the partitions queryitem reads, through the index.
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
                if onIndex {
                    found += try db.queryIndex(partition: targets[i] % partitions)
                } else if isQuery {
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
        var note: String? = isQuery ? "found = items returned (10 per query)" : nil
        if onIndex {
            // The same partitions queried on the table itself (pk = :p) in this database, whose
            // items carry g1 too: once untimed to bring the table's blocks in as the timed pass
            // brought the index's, then alternating one index Query and one table Query per
            // target, so both see the same state of the machine.
            var tableFound = 0
            for target in targets { tableFound += try db.query(partition: target % partitions) }
            guard tableFound == found else {
                throw BenchError("queryindex: the index returned \(found) items, the table \(tableFound) for the same partitions")
            }
            var index = LatencyRecorder()
            var table = LatencyRecorder()
            for target in targets {
                let t0 = monotonicNanos()
                _ = try db.queryIndex(partition: target % partitions)
                let t1 = monotonicNanos()
                _ = try db.query(partition: target % partitions)
                let t2 = monotonicNanos()
                index.record(t1 - t0)
                table.record(t2 - t1)
            }
            note! += String(
                format: "; then warm, alternating per target (1 thread): index Query mean %.2f µs (p50 %.2f), table Query (pk = :p) on the same table mean %.2f µs (p50 %.2f); table / index time %.2fx",
                index.histogram.mean / 1000, index.micros(at: 50), table.histogram.mean / 1000, table.micros(at: 50),
                table.histogram.mean / max(index.histogram.mean, 1e-9))
        }
        return summarizeWorkload(
            engine: name, workload: workload, operations: count, threads: threads, seconds: seconds,
            outcomes: outcomes, bytesMoved: UInt64(found) * indexedItemBytes(onIndex ? Workload.putitemgsi1.indexLayout : nil),
            storageWritten: 0, logicalWritten: 0, path: path, found: found, note: note, memory: memory)
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
