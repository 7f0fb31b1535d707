import CairnExport
import CairnLSM
import Foundation

/// Issue 17's workloads, on engines that export Parquet (Cairn): exportparquet (a whole table
/// exported against a whole-table Scan) and parquetwrite (CairnExport's Parquet writer against
/// pyarrow's on the same rows). The other engines report them not applicable.
extension ItemRunner {
    func runExports(_ selected: Set<Workload>) throws -> [WorkloadResult] {
        var results: [WorkloadResult] = []
        for workload in [Workload.exportparquet, .parquetwrite, .replicatelag] where selected.contains(workload) {
            guard engineType.hasParquetExport else {
                printError("[\(name)] \(workload): not applicable (no Parquet export: CairnExport is Cairn's); skipped")
                continue
            }
            switch workload {
            case .exportparquet: results.append(try exportTable())
            case .replicatelag: results.append(try replicationLag())
            default: results.append(try parquetWrite())
            }
        }
        return results
    }

    /// exportparquet: putitem's items (the same items, the same order) loaded untimed into a
    /// fresh table, flushed and compacted like queryitem's; then, timed one after the other, a
    /// full Scan through the item API (pages followed with ExclusiveStartKey) and
    /// `TableExport.export` into a fresh directory under --db (default options: Parquet, ZSTD).
    /// Ops are items exported; seconds (and the one latency) are the export's; the note has the
    /// Scan's time and the export / Scan ratio (issue 17's goal: at most 2).
    private func exportTable() throws -> WorkloadResult {
        let count = config.num
        let path = try config.freshDirectory(engine: name, "exportparquet")
        let db = try open(path, sync: false)
        let order = sequences.permutation(salt: 11)
        printError("[\(name)] loading \(order.count) items (untimed)")
        _ = try put(db, path: path, workload: .putitem, indexes: order, threads: 1)
        printError("[\(name)] flushing and compacting (untimed)")
        try db.flushAndCompact()
        // TableExport wants an empty or absent directory.
        let output = try config.freshDirectory(engine: name, "exportparquet-out")
        printError("[\(name)] exportparquet: a full Scan, then TableExport.export of \(count) items")
        let memory = MemoryWindow.begin()
        let ioBefore = ProcessIO.now()
        let t0 = monotonicNanos()
        let scanned = try db.scanAll()
        let t1 = monotonicNanos()
        let export = try db.exportParquet(to: output, threads: nil)
        let t2 = monotonicNanos()
        let written = ProcessIO.now().writeBytes &- ioBefore.writeBytes
        // The same export on one thread, for the note (the cost per item, without parallelism).
        let single = try config.freshDirectory(engine: name, "exportparquet-out1")
        let t3 = monotonicNanos()
        let singleExport = try db.exportParquet(to: single, threads: 1)
        let singleSeconds = Double(monotonicNanos() - t3) / 1e9
        guard singleExport.items == count else {
            throw BenchError("exportparquet: the one-thread export wrote \(singleExport.items) items of \(count)")
        }
        guard scanned.items == count else {
            throw BenchError("exportparquet: the Scan returned \(scanned.items) items of \(count)")
        }
        guard export.items == count else {
            throw BenchError("exportparquet: the export wrote \(export.items) items of \(count)")
        }
        let scanSeconds = Double(t1 - t0) / 1e9
        let exportSeconds = Double(t2 - t1) / 1e9
        var recorder = LatencyRecorder()
        recorder.record(t2 - t1)
        let f = Report.format
        let note = "ops are items exported; ops/s = items / export seconds; latency = the whole export; "
            + "full Scan (item API, \(scanned.pages) pages, run first): \(f(scanSeconds, 3)) s (\(f(Double(count) / max(scanSeconds, 1e-9), 0)) items/s); "
            + "TableExport.export (Parquet \(ParquetWriterOptions().compression.rawValue), two passes over one snapshot, default threads): \(f(exportSeconds, 3)) s; "
            + "export / Scan = \(f(exportSeconds / max(scanSeconds, 1e-9), 2))x (issue 17's goal: <= 2x); "
            + "the same export on one thread (run after): \(f(singleSeconds, 3)) s = \(f(singleSeconds / max(scanSeconds, 1e-9), 2))x the Scan; "
            + "\(export.files) file(s), \(f(Double(export.bytes) / 1e6, 1)) MB written (\(f(Double(export.bytes) / Double(max(count, 1)), 1)) B/item); "
            + "columns: \(export.columns)"
        let result = summarizeWorkload(
            engine: name, workload: .exportparquet, operations: count, threads: 1, seconds: exportSeconds,
            outcomes: [(recorder, export.items)], bytesMoved: UInt64(count) * itemBytes, storageWritten: written,
            logicalWritten: 0, path: path, found: export.items, note: note, memory: memory)
        try db.close()
        config.cleanUp(path)
        config.cleanUp(output)
        config.cleanUp(single)
        return result
    }

    /// replicatelag: one writer thread makes --num puts at `streamWriteRate` a second (absolute
    /// schedule; when i % 10 == 9, write i updates the item of write i - 5, adding an `expires`
    /// attribute far in the future, so steps rewrite files and add a column) into a fresh table
    /// with a KEYS_ONLY stream, while a replicator thread runs a `TableReplicator` step every
    /// second until it has applied every write (the full load of the empty table runs first,
    /// untimed, before the writer starts). Latency per change: the end of the step that committed it
    /// (wall clock) minus its commit time in the table (the stream record's, ms resolution).
    /// Ops are changes applied.
    private func replicationLag() throws -> WorkloadResult {
        let count = config.num
        let path = try config.freshDirectory(engine: name, "replicatelag")
        let output = try config.freshDirectory(engine: name, "replicatelag-delta")
        let db = try open(path, sync: false)
        try db.enableStream(.keysOnly)
        let replicator = try db.makeReplicator(directory: output)
        let order = sequences.permutation(salt: 31)
        let writerDone = ManagedFlag()
        let failed = ManagedFlag()
        let rate = Self.streamWriteRate
        printError("[\(name)] replicatelag \(count) puts at \(rate)/s, a Delta commit every second")
        let memory = MemoryWindow.begin()
        let ioBefore = ProcessIO.now()
        let interval = UInt64(1_000_000_000 / rate)
        // The full load of the empty table comes first, untimed; the writer starts after it, so
        // every put is a change record the replicator applies (a put the full load saw would be
        // in the table but not among the changes).
        guard let load = try replicator.step(), load.changes == 0 else {
            throw BenchError("replicatelag: the full load of the empty table did not commit, or found items")
        }
        let start = monotonicNanos()
        struct Steps {
            var lags = LatencyRecorder()
            var applied = 0
            var steps = 0
            var rows = 0
            var added = 0
            var removed = 0
            var merged = 0
            var busy: UInt64 = 0
            var longest: UInt64 = 0
        }
        let outcomes = try runThreads(2) { thread -> (Steps, UInt64) in
            do {
                if thread == 0 {
                    defer { writerDone.set() }
                    for i in 0..<count {
                        if failed.isSet { break }
                        let due = start + UInt64(i) * interval
                        let now = monotonicNanos()
                        if due > now { sleepNanos(due - now) }
                        if i % 10 == 9 {
                            // An update: the item put five writes ago gains an attribute (a
                            // MODIFY record; an unchanged put would write no record).
                            let index = order[i - 5]
                            try self.values.withValue(index) {
                                try db.putItem(BenchItem(index: index), payload: $0, expires: 4_000_000_000 + Int64(i))
                            }
                        } else {
                            try self.values.withValue(order[i]) { try db.putItem(BenchItem(index: order[i]), payload: $0) }
                        }
                    }
                    return (Steps(), monotonicNanos())
                }
                var steps = Steps()
                var next = monotonicNanos()
                while !failed.isSet {
                    let finished = writerDone.isSet
                    let t0 = monotonicNanos()
                    let step = try replicator.step()
                    let t1 = monotonicNanos()
                    let end = Date().timeIntervalSince1970
                    steps.busy += t1 - t0
                    steps.longest = max(steps.longest, t1 - t0)
                    if let step {
                        steps.steps += 1
                        steps.applied += step.changes
                        steps.rows += step.rowsWritten
                        steps.added += step.filesAdded
                        steps.removed += step.filesRemoved
                        steps.merged += step.filesMerged
                        for time in step.changeTimes {
                            steps.lags.record(UInt64(max(0, (end - time) * 1e9)))
                        }
                    }
                    if finished && step == nil { break }
                    if finished && t1 - start > UInt64(count / rate + 120) * 1_000_000_000 {
                        throw BenchError("replicatelag: not caught up 120 s after the writer's schedule ended")
                    }
                    next += 1_000_000_000
                    let now = monotonicNanos()
                    if next > now { sleepNanos(next - now) } else { next = now }
                }
                return (steps, monotonicNanos())
            } catch {
                failed.set()
                throw error
            }
        }
        replicator.close()
        let writerSeconds = Double(outcomes[0].1 - start) / 1e9
        let steps = outcomes[1].0
        let seconds = Double(outcomes[1].1 - start) / 1e9
        let written = ProcessIO.now().writeBytes &- ioBefore.writeBytes
        guard steps.applied == count else {
            throw BenchError("replicatelag: the replicator applied \(steps.applied) changes of \(count)")
        }
        let f = Report.format
        let note = "ops are changes applied; latency = a change's commit in the table (its stream record's time, ms) to the end of the Delta commit holding it (wall clock); "
            + "writer: \(count) puts (every 10th updates the item put 5 writes before) in \(f(writerSeconds, 2)) s (\(f(Double(count) / max(writerSeconds, 1e-9), 0))/s, paced at \(rate)/s); "
            + "replicator: \(steps.steps) versions of changes after the full load (untimed, before the writer), one step a second, busy \(f(Double(steps.busy) / 1e9, 2)) s in all (\(f(100 * Double(steps.busy) / 1e9 / max(seconds, 1e-9), 0)) % of the run), longest step \(f(Double(steps.longest) / 1e6, 0)) ms; "
            + "\(steps.rows) rows written (changed items and rewritten neighbours), \(steps.added) files added, \(steps.removed) removed, \(steps.merged) merged"
        let result = summarizeWorkload(
            engine: name, workload: .replicatelag, operations: count, threads: 2, seconds: seconds,
            outcomes: [(steps.lags, steps.applied)], bytesMoved: UInt64(count) * itemBytes, storageWritten: written,
            logicalWritten: 0, path: path, found: steps.applied, note: note, memory: memory)
        try db.close()
        config.cleanUp(path)
        config.cleanUp(output)
        return result
    }

    /// The columns of parquetwrite's rows (Benchmarks/Scripts/pyarrow_write.py builds the same).
    static let parquetWriteColumns = [
        ParquetColumn("pk", .string, optional: false),
        ParquetColumn("sk", .int64, optional: false),
        ParquetColumn("amount", .decimal(precision: 38, scale: 2), optional: false),
        ParquetColumn("name", .string, optional: true),
        ParquetColumn("seq", .int64, optional: false),
        ParquetColumn("op", .string, optional: false),
    ]

    /// parquetwrite: --num rows written by `ParquetFileWriter` (its default options: ZSTD
    /// level 1) to a file from `PosixFileSystem().newWritableFile`; the rows are built as
    /// `[ParquetValue]` untimed, then timed from creating the file through `write` of each row
    /// and `finish()` (which syncs the file). Then pyarrow_write.py builds the same columns as pyarrow arrays from
    /// Python lists (the lists untimed) and writes them with `pq.write_table(...,
    /// compression='zstd')` plus an fsync, timing the arrays and the write separately, and
    /// reads Cairn's file back (row count and every value checked against its own table).
    private func parquetWrite() throws -> WorkloadResult {
        let count = config.num
        let path = try config.freshDirectory(engine: name, "parquetwrite")
        let ours = path + "/cairn.parquet"
        let theirs = path + "/pyarrow.parquet"
        let script = try Self.pyarrowScript()
        printError("[\(name)] parquetwrite \(count) rows: ParquetFileWriter (ZSTD), then pyarrow (\(script))")
        let operations: [ParquetValue] = ["INSERT", "MODIFY", "REMOVE"].map { .string($0) }
        // The rows as Swift values, built untimed, as pyarrow's side builds its Python lists
        // untimed: each side is timed from values in its language to a synced file.
        var rows: [[ParquetValue]] = []
        rows.reserveCapacity(count)
        for i in 0..<count {
            rows.append([
                .string(BenchItem.partitionKey(UInt64(i / 10))), .int64(Int64(i % 10)),
                .decimal(Int128((i &* 7919) % 10_000_000 - 5_000_000)),
                i % 10 == 0 ? .null : .string("name-\(i % 1000)-xxxxxxxxxxx"), .int64(1_000_000 + Int64(i)), operations[i % 3],
            ])
        }
        let memory = MemoryWindow.begin()
        let ioBefore = ProcessIO.now()
        let start = monotonicNanos()
        let file = try PosixFileSystem().newWritableFile(ours)
        let writer = try ParquetFileWriter(file: file, columns: Self.parquetWriteColumns, options: ParquetWriterOptions())
        for row in rows { try writer.write(row) }
        let summary = try writer.finish()
        try file.close()
        let elapsed = monotonicNanos() - start
        let written = ProcessIO.now().writeBytes &- ioBefore.writeBytes
        let seconds = Double(elapsed) / 1e9
        guard summary.rows == Int64(count) else {
            throw BenchError("parquetwrite: the writer reports \(summary.rows) rows of \(count)")
        }

        let py = try Self.runPyarrow(script: script, rows: count, output: theirs, verify: ours)
        guard let check = py.verify else { throw BenchError("parquetwrite: pyarrow_write.py did not verify \(ours)") }
        guard check.rows == count, check.metadataRows == count else {
            throw BenchError("parquetwrite: pyarrow reads \(check.rows) rows (footer: \(check.metadataRows)) from Cairn's file, expected \(count)")
        }
        guard check.schemaEqual, check.valuesEqual else {
            throw BenchError("parquetwrite: pyarrow reads Cairn's file with \(check.schemaEqual ? "the same schema" : "another schema (\(check.schema))") and \(check.columnsDiffering.isEmpty ? "equal values" : "other values in \(check.columnsDiffering.joined(separator: ", "))")")
        }
        guard py.rows == count else { throw BenchError("parquetwrite: pyarrow wrote \(py.rows) rows of \(count)") }

        let rate = Double(count) / max(seconds, 1e-9)
        let pyTotalRate = Double(count) / max(py.totalSeconds, 1e-9)
        let pyWriteRate = Double(count) / max(py.writeSeconds, 1e-9)
        let f = Report.format
        let note = "ops are rows; latency = the whole file. "
            + "Cairn (ParquetFileWriter, ZSTD level 1; rows of Swift values built untimed; timed: write of each row + finish() with its fdatasync): "
            + "\(f(seconds, 3)) s, \(f(Double(summary.bytes) / 1e6, 1)) MB, \(summary.rowGroups) row group(s). "
            + "pyarrow \(py.pyarrow) (pq.write_table, zstd level 1, other options its defaults): "
            + "arrays from Python lists (lists built untimed) \(f(py.buildSeconds, 3)) s + write_table and fsync \(f(py.writeSeconds, 3)) s "
            + "(fsync \(f(py.fsyncSeconds, 3)) s) = \(f(py.totalSeconds, 3)) s, \(f(Double(py.bytes) / 1e6, 1)) MB; "
            + "pyarrow rows/s: total \(f(pyTotalRate, 0)), write only \(f(pyWriteRate, 0)); "
            + "Cairn / pyarrow rows/s: \(f(rate / max(pyTotalRate, 1e-9), 2))x total, \(f(rate / max(pyWriteRate, 1e-9), 2))x write only. "
            + "pyarrow read Cairn's file back: \(check.rows) rows, the same schema, every value equal"
        var recorder = LatencyRecorder()
        recorder.record(elapsed)
        let logical = Self.parquetWriteLogicalBytes(rows: count)
        let result = summarizeWorkload(
            engine: name, workload: .parquetwrite, operations: count, threads: 1, seconds: seconds,
            outcomes: [(recorder, check.rows)], bytesMoved: logical, storageWritten: written, logicalWritten: 0,
            path: path, found: check.rows, note: note, memory: memory)
        config.cleanUp(path)
        return result
    }

    /// Bytes of parquetwrite's values: pk 16, sk 8, amount 16, name (when present), seq 8, op 6.
    static func parquetWriteLogicalBytes(rows: Int) -> UInt64 {
        var total: UInt64 = 0
        for i in 0..<rows {
            total += 16 + 8 + 16 + 8 + 6
            if i % 10 != 0 { total += UInt64("name-\(i % 1000)-xxxxxxxxxxx".utf8.count) }
        }
        return total
    }

    /// What pyarrow_write.py prints.
    struct PyarrowFigures: Decodable {
        struct Verify: Decodable {
            var rows: Int
            var metadataRows: Int
            var schemaEqual: Bool
            var schema: String
            var columnsDiffering: [String]
            var valuesEqual: Bool
        }
        var pyarrow: String
        var rows: Int
        var buildSeconds: Double
        var writeSeconds: Double
        var fsyncSeconds: Double
        var totalSeconds: Double
        var bytes: Int
        var verify: Verify?
    }

    /// Benchmarks/Scripts/pyarrow_write.py: beside the sources this binary was built from, or
    /// above the binary (Benchmarks/.build/<triple>/release/cairn-bench).
    static func pyarrowScript() throws -> String {
        let relative = "Scripts/pyarrow_write.py"
        // #filePath is Benchmarks/Sources/cairn-bench/Items/ExportRunner.swift.
        var candidates = [
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(relative).path,
        ]
        if var directory = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() {
            for _ in 0..<5 {
                candidates.append(directory.appendingPathComponent(relative).path)
                directory = directory.deletingLastPathComponent()
            }
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw BenchError("parquetwrite: Benchmarks/\(relative) not found (looked at \(candidates.joined(separator: ", ")))")
        }
        return found
    }

    /// Runs pyarrow_write.py with `/usr/bin/env python3` (its standard error passes through)
    /// and decodes the JSON it prints. Exit status 3 means pyarrow is not importable.
    static func runPyarrow(script: String, rows: Int, output: String, verify: String) throws -> PyarrowFigures {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--num", String(rows), "--out", output, "--verify", verify]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            throw BenchError("parquetwrite: cannot run /usr/bin/env python3 (\(error)); it needs python3 with pyarrow: python3 -m pip install pyarrow")
        }
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            if process.terminationReason == .exit, process.terminationStatus == 3 {
                throw BenchError("parquetwrite needs pyarrow, which python3 cannot import: python3 -m pip install pyarrow")
            }
            throw BenchError("parquetwrite: \(script) failed (status \(process.terminationStatus)); it needs python3 with pyarrow (python3 -m pip install pyarrow)")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(PyarrowFigures.self, from: data)
        } catch {
            throw BenchError("parquetwrite: cannot read \(script)'s output (\(error)): \(String(decoding: data, as: UTF8.self))")
        }
    }
}
