import Foundation
import Synchronization

/// Settings of one cairn-bench run.
struct RunConfig: Sendable {
    var num: Int
    var reads: Int
    var syncNum: Int
    var keySize: Int
    var valueSize: Int
    var threads: Int
    var seed: UInt64
    var baseDirectory: String
    var keep: Bool
    var engineOptions: EngineOptions
    /// Print each engine's own statistics to stderr after every workload.
    var printStatistics = false
}

extension RunConfig {
    /// A fresh, empty directory under --db for one database of `engine`.
    func freshDirectory(engine: String, _ label: String) throws -> String {
        let path = baseDirectory + "/" + engine + "-" + label
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Removes a database directory unless --keep.
    func cleanUp(_ path: String) {
        if !keep { try? FileManager.default.removeItem(atPath: path) }
    }
}

/// Runs the selected workloads on one engine, in an order that lets the read workloads share
/// one filled database, each write workload that needs it in a fresh directory.
final class EngineRunner: @unchecked Sendable {
    // Shared with the worker threads of one workload, which only read it; `settings` is
    // written by `open` on the coordinating thread between workloads.
    let engineType: any BenchEngine.Type
    let config: RunConfig
    let keys: KeyFormatter
    let values: ValueGenerator
    let sequences: KeySequences
    private(set) var settings: [String] = []

    init(engineType: any BenchEngine.Type, config: RunConfig) {
        self.engineType = engineType
        self.config = config
        self.keys = KeyFormatter(keySize: config.keySize)
        self.values = ValueGenerator(valueSize: config.valueSize, seed: config.seed)
        self.sequences = KeySequences(num: config.num, seed: config.seed)
    }

    var name: String { engineType.name }

    func progress(_ text: String) {
        printError("[\(name)] \(text)")
    }

    func freshDirectory(_ label: String) throws -> String { try config.freshDirectory(engine: name, label) }

    func cleanUp(_ path: String) { config.cleanUp(path) }

    func open(_ path: String, sync: Bool = false) throws -> any BenchEngine {
        var options = config.engineOptions
        options.syncWrites = sync
        let engine = try engineType.init(directory: path, options: options)
        if settings.isEmpty { settings = engine.settings }
        return engine
    }

    /// Runs `workloads` (in the canonical order) and returns their results.
    func run(_ workloads: [Workload]) throws -> [WorkloadResult] {
        var results: [WorkloadResult] = []
        let selected = Set(workloads)

        if selected.contains(.fillseq) {
            let path = try freshDirectory("fillseq")
            let db = try open(path)
            results.append(try fill(db, path: path, workload: .fillseq, keys: (0..<UInt64(config.num)).map { $0 }))
            try db.close()
            cleanUp(path)
        }

        let needsRandom = selected.contains(.fillrandom) || selected.contains(.overwrite)
            || workloads.contains { $0.readsFilledDatabase }
        if needsRandom {
            let path = try freshDirectory("random")
            let db = try open(path)
            let permutation = sequences.permutation(salt: 1)
            if selected.contains(.fillrandom) {
                results.append(try fill(db, path: path, workload: .fillrandom, keys: permutation))
            } else {
                progress("filling \(config.num) keys (untimed)")
                _ = try fill(db, path: path, workload: .fillrandom, keys: permutation)
            }
            if selected.contains(.overwrite) {
                results.append(try fill(db, path: path, workload: .overwrite, keys: sequences.uniform(count: config.num, salt: 2)))
            }
            if workloads.contains(where: { $0.readsFilledDatabase }) {
                progress("flushing and compacting (untimed)")
                try db.flushAndCompact()
                for w in workloads where w.readsFilledDatabase {
                    results.append(try read(db, path: path, workload: w))
                }
            }
            try db.close()
            cleanUp(path)
        }

        if selected.contains(.fillsync) {
            let path = try freshDirectory("fillsync")
            let db = try open(path, sync: true)
            results.append(try fill(db, path: path, workload: .fillsync, keys: sequences.uniform(count: config.syncNum, salt: 3)))
            try db.close()
            cleanUp(path)
        }
        return results
    }

    // MARK: - Writing

    /// Writes `keys` (split across threads for fillsync, one thread otherwise).
    func fill(_ db: any BenchEngine, path: String, workload: Workload, keys: [UInt64]) throws -> WorkloadResult {
        let threads = workload == .fillsync ? config.threads : 1
        progress("\(workload) \(keys.count) ops, \(threads) thread(s)")
        let memory = MemoryWindow.begin()
        let ioBefore = ProcessIO.now()
        let start = monotonicNanos()
        let outcomes = try runThreads(threads) { t in
            var recorder = LatencyRecorder()
            let slice = Self.slice(keys.count, part: t, of: threads)
            var ticker = ProgressTicker(label: "\(self.name)] [\(workload)", total: slice.count, enabled: t == 0)
            try self.withKeyBuffer { keyBuffer in
                for i in slice {
                    ticker.tick()
                    self.keys.write(keys[i], into: keyBuffer)
                    let key = UnsafeRawBufferPointer(rebasing: keyBuffer[0..<self.config.keySize])
                    let t0 = monotonicNanos()
                    try self.values.withValue(UInt64(i)) { try db.put(key, $0) }
                    recorder.record(monotonicNanos() - t0)
                }
            }
            return (recorder, 0)
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        let ioAfter = ProcessIO.now()
        reportStatistics(db, after: workload)
        let logical = UInt64(keys.count) * UInt64(config.keySize + config.valueSize)
        return summarize(
            workload: workload, operations: keys.count, threads: threads, seconds: seconds, outcomes: outcomes,
            bytesMoved: logical, storageWritten: ioAfter.writeBytes &- ioBefore.writeBytes, logicalWritten: logical,
            path: path, found: nil, note: nil, memory: memory)
    }

    // MARK: - Reading

    func read(_ db: any BenchEngine, path: String, workload: Workload) throws -> WorkloadResult {
        let threads = workload == .readseq ? 1 : config.threads
        progress("\(workload) \(config.reads) ops, \(threads) thread(s)")
        let targets = sequences.uniform(count: config.reads, salt: 4 + UInt64(Workload.allCases.firstIndex(of: workload) ?? 0))
        let memory = MemoryWindow.begin()
        let ioBefore = ProcessIO.now()
        let writerStop = ManagedFlag()
        let writerOps = ManagedCounter()
        var writerThread: Thread?
        let writerDone = DispatchSemaphore(value: 0)
        if workload == .readwhilewriting {
            let overwrites = sequences.uniform(count: max(config.num, 1), salt: 99)
            let thread = Thread { [self] in
                self.withKeyBuffer { keyBuffer in
                    var i = 0
                    while !writerStop.isSet {
                        self.keys.write(overwrites[i % overwrites.count], into: keyBuffer)
                        let key = UnsafeRawBufferPointer(rebasing: keyBuffer[0..<self.config.keySize])
                        do { try self.values.withValue(UInt64(i)) { try db.put(key, $0) } } catch { break }
                        i += 1
                        writerOps.increment()
                    }
                }
                writerDone.signal()
            }
            writerThread = thread
            thread.start()
        }
        let start = monotonicNanos()
        var entriesRead = 0
        let outcomes = try runThreads(threads) { t in
            var recorder = LatencyRecorder()
            var found = 0
            if workload == .readseq {
                let t0 = monotonicNanos()
                found = try db.scanAll()
                recorder.record(monotonicNanos() - t0)
                return (recorder, found)
            }
            let slice = Self.slice(targets.count, part: t, of: threads)
            var ticker = ProgressTicker(label: "\(self.name)] [\(workload)", total: slice.count, enabled: t == 0)
            try self.withKeyBuffer { keyBuffer in
                for i in slice {
                    ticker.tick()
                    self.keys.write(targets[i], into: keyBuffer)
                    var keyLength = self.config.keySize
                    if workload == .readmissing {
                        keyBuffer[keyLength] = UInt8(ascii: ".")
                        keyLength += 1
                    }
                    let key = UnsafeRawBufferPointer(rebasing: keyBuffer[0..<keyLength])
                    let t0 = monotonicNanos()
                    switch workload {
                    case .seekrandom:
                        found += try db.seek(key, reading: 10) > 0 ? 1 : 0
                    default:
                        found += try db.get(key) ? 1 : 0
                    }
                    recorder.record(monotonicNanos() - t0)
                }
            }
            return (recorder, found)
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        writerStop.set()
        if writerThread != nil { writerDone.wait() }
        let ioAfter = ProcessIO.now()
        reportStatistics(db, after: workload)
        let found = outcomes.reduce(0) { $0 + $1.1 }
        var operations = targets.count
        var bytesMoved = UInt64(found) * UInt64(config.keySize + config.valueSize)
        if workload == .readseq {
            entriesRead = found
            operations = entriesRead
            bytesMoved = UInt64(entriesRead) * UInt64(config.keySize + config.valueSize)
        } else if workload == .seekrandom {
            bytesMoved = UInt64(found) * 10 * UInt64(config.keySize + config.valueSize)
        }
        var note: String?
        if workload == .readwhilewriting {
            let ops = writerOps.value
            note = String(format: "writer: %d overwrites, %.0f ops/s", ops, Double(ops) / max(seconds, 1e-9))
        }
        var result = summarize(
            workload: workload, operations: operations, threads: threads, seconds: seconds, outcomes: outcomes,
            bytesMoved: bytesMoved, storageWritten: ioAfter.writeBytes &- ioBefore.writeBytes, logicalWritten: 0,
            path: path, found: workload == .readseq ? nil : found, note: note, memory: memory)
        if workload == .readseq {
            // One timed call covered the whole scan: report per-entry figures.
            result.microsPerOp = seconds * 1e6 / Double(max(operations, 1))
            result.p50Micros = result.microsPerOp
            result.p99Micros = result.microsPerOp
            result.p999Micros = result.microsPerOp
            result.maxMicros = result.microsPerOp
            result.secondsInOpsOver1ms = nil
        }
        return result
    }

    // MARK: - Helpers

    /// Prints the engine's statistics report to stderr when --statistics is on.
    func reportStatistics(_ db: any BenchEngine, after workload: Workload) {
        guard config.printStatistics, let report = db.statisticsReport() else { return }
        progress("statistics after \(workload):\n\(report)")
    }

    func summarize(
        workload: Workload, operations: Int, threads: Int, seconds: Double, outcomes: [(LatencyRecorder, Int)],
        bytesMoved: UInt64, storageWritten: UInt64, logicalWritten: UInt64, path: String, found: Int?, note: String?,
        memory: MemoryWindow
    ) -> WorkloadResult {
        summarizeWorkload(
            engine: name, workload: workload, operations: operations, threads: threads, seconds: seconds,
            outcomes: outcomes, bytesMoved: bytesMoved, storageWritten: storageWritten,
            logicalWritten: logicalWritten, path: path, found: found, note: note, memory: memory)
    }

    /// The index range of part `part` of `count` items split into `parts`.
    static func slice(_ count: Int, part: Int, of parts: Int) -> Range<Int> {
        let base = count / parts, extra = count % parts
        let start = part * base + min(part, extra)
        return start..<(start + base + (part < extra ? 1 : 0))
    }

    /// Calls `body` with a scratch key buffer of keySize + 1 bytes.
    func withKeyBuffer<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: config.keySize + 1, alignment: 8)
        defer { buffer.deallocate() }
        return try body(buffer)
    }
}

/// The result of one workload from its measurements (shared by the key-value and item runners).
func summarizeWorkload(
    engine: String, workload: Workload, operations: Int, threads: Int, seconds: Double,
    outcomes: [(LatencyRecorder, Int)], bytesMoved: UInt64, storageWritten: UInt64, logicalWritten: UInt64,
    path: String, found: Int?, note: String?, memory: MemoryWindow
) -> WorkloadResult {
    var merged = LatencyRecorder()
    for (r, _) in outcomes { merged.merge(r) }
    let mean = merged.histogram.mean / 1000
    return WorkloadResult(
        workload: workload, engine: engine, operations: operations, threads: threads, seconds: seconds,
        opsPerSecond: Double(operations) / max(seconds, 1e-9), microsPerOp: mean,
        p50Micros: merged.micros(at: 50), p99Micros: merged.micros(at: 99), p999Micros: merged.micros(at: 99.9),
        maxMicros: Double(merged.histogram.max) / 1000, secondsInOpsOver1ms: merged.secondsAbove(nanos: 1_000_000),
        megabytesPerSecond: Double(bytesMoved) / 1e6 / max(seconds, 1e-9),
        storageBytesWritten: storageWritten, logicalBytesWritten: logicalWritten,
        writeAmplification: logicalWritten > 0 ? Double(storageWritten) / Double(logicalWritten) : nil,
        sizeOnDisk: directorySize(path), peakResidentBytes: memory.peak(),
        residentBytesAtStart: memory.residentAtStart, found: found, note: note)
}

/// Runs `body(i)` for i in 0..<count, each on its own thread, and collects the results;
/// rethrows the first error.
func runThreads<T>(_ count: Int, _ body: @escaping (Int) throws -> T) throws -> [T] {
    if count == 1 { return [try body(0)] }
    let box = ThreadResults<T>(count)
    let group = DispatchGroup()
    nonisolated(unsafe) let work = body
    for i in 0..<count {
        group.enter()
        let thread = Thread {
            box.results[i] = Result { try work(i) }
            group.leave()
        }
        thread.start()
    }
    group.wait()
    return try box.results.map { try ($0 ?? .failure(BenchError("thread produced no result"))).get() }
}

/// One result slot per thread. Each thread writes only its own slot; the coordinating thread
/// reads them after every thread has finished.
final class ThreadResults<T>: @unchecked Sendable {
    var results: [Result<T, Error>?]
    init(_ n: Int) { results = Array(repeating: nil, count: n) }
}

/// A counter one thread bumps and another reads at the end.
final class ManagedCounter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// A flag one thread sets and others poll.
final class ManagedFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Prints "[engine] [workload] 42%" to stderr every few seconds during long loops.
struct ProgressTicker {
    let label: String
    let total: Int
    let enabled: Bool
    private var done = 0
    private var lastPrint = monotonicNanos()

    init(label: String, total: Int, enabled: Bool) {
        self.label = label
        self.total = total
        self.enabled = enabled
    }

    @inline(__always)
    mutating func tick() {
        done += 1
        guard enabled, done & 0xFFFF == 0 else { return }
        let now = monotonicNanos()
        if now - lastPrint >= 5_000_000_000 {
            lastPrint = now
            printError("[\(label)] \(done * 100 / max(total, 1))%")
        }
    }
}
