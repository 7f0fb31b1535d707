#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options for reads and iterators.
public struct ReadOptions: Sendable {
    /// Read as of this snapshot; nil reads the latest state.
    public var snapshot: Snapshot?
    /// Iterators see only keys >= lowerBound.
    public var lowerBound: [UInt8]?
    /// Iterators see only keys < upperBound.
    public var upperBound: [UInt8]?

    /// Creates read options.
    public init(snapshot: Snapshot? = nil, lowerBound: [UInt8]? = nil, upperBound: [UInt8]? = nil) {
        self.snapshot = snapshot
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }
}

extension Database {
    /// The value of `key`, or nil if it is absent (or deleted) as of `snapshot` (default:
    /// now).
    public func get(_ key: [UInt8], snapshot: Snapshot? = nil) throws -> [UInt8]? {
        try key.withUnsafeBytes { try get(rawKey: $0, snapshot: snapshot) }
    }

    /// `get` for a key in raw memory.
    public func get(rawKey key: UnsafeRawBufferPointer, snapshot: Snapshot? = nil) throws -> [UInt8]? {
        let state = stateLock.withLock { $0 }
        guard let mem = state.memtable else { throw CairnError.closed("database \(path) is closed") }
        let sequence = min(snapshot?.sequence ?? state.lastSequence, state.lastSequence)
        counters.gets.add(1, ordering: .relaxed)

        // Sources newest first. Everything in a newer source is newer than everything in an
        // older one, so the first source with an entry (or a covering tombstone) decides.
        var tombstoneSequence: SequenceNumber = 0
        // One hash for the memtable filters and the tables' Bloom filters.
        let hash = BloomFilter.hash(key)
        /// The answer if `handle` decides it (.some), or nil to keep looking.
        func probe(_ handle: MemtableHandle) -> [UInt8]?? {
            if let t = handle.tombstones() {
                tombstoneSequence = max(tombstoneSequence, t.maxCoveringSequence(key, visibleAt: sequence))
            }
            switch handle.memtable.get(key, sequence: sequence, hash: hash) {
            case .value(let s, let v): return .some(s > tombstoneSequence ? v : nil)
            case .deleted: return .some(nil)
            case .notFound: return tombstoneSequence > 0 ? .some(nil) : nil
            }
        }
        if let decided = probe(mem) { return decided }
        for handle in state.immutables.reversed() {
            if let decided = probe(handle) { return decided }
        }

        var found: [UInt8]?? = .none
        try withUnsafeTemporaryAllocation(byteCount: key.count + InternalKey.trailerSize, alignment: 8) { buffer in
            if let base = key.baseAddress, key.count > 0 {
                buffer.baseAddress?.copyMemory(from: base, byteCount: key.count)
            }
            buffer.storeBytes(
                of: InternalKey.trailer(sequence, ValueType.seekMarker).littleEndian,
                toByteOffset: key.count, as: UInt64.self)
            let seekKey = UnsafeRawBufferPointer(buffer)
            for (level, files) in state.version.levels.enumerated() where !files.isEmpty {
                let candidates: ArraySlice<FileMetadata>
                if level == 0 {
                    candidates = files[...]
                } else {
                    // Non-overlapping: binary search the first file whose largest internal key
                    // is >= the seek key. Internal keys, not user keys: a file cut inside a range
                    // tombstone ends at the next file's first user key with the largest trailer
                    // (the tombstone's exclusive end), and that key lives in the next file.
                    var lo = 0, hi = files.count
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        let before = files[mid].largest.withUnsafeBytes { InternalKey.compare($0, seekKey) < 0 }
                        if before { lo = mid + 1 } else { hi = mid }
                    }
                    candidates = files[lo..<min(lo + 1, files.count)]
                }
                for file in candidates where file.mayContain(userKey: key) {
                    let reader = try tableCache.reader(for: file)
                    if file.rangeDeletionCount == 0 {
                        counters.bloomChecks.add(1, ordering: .relaxed)
                        if !reader.mayContain(hash: hash) {
                            counters.bloomUseful.add(1, ordering: .relaxed)
                            continue
                        }
                    }
                    if file.rangeDeletionCount > 0 {
                        let t = file.rangeTombstones { reader.rangeTombstones }
                        tombstoneSequence = max(tombstoneSequence, t.maxCoveringSequence(key, visibleAt: sequence))
                    }
                    if let hit = try reader.get(seekKey, checkFilter: file.rangeDeletionCount > 0) {
                        switch hit.type {
                        // Not covered unless a tombstone is newer: bottommost compaction writes
                        // values every reader sees with sequence 0, and 0 means "no tombstone".
                        case .value: found = .some(tombstoneSequence <= hit.sequence ? hit.value : nil)
                        case .deletion, .rangeDeletion: found = .some(nil)
                        }
                        return
                    }
                    if tombstoneSequence > 0 {
                        found = .some(nil)
                        return
                    }
                }
            }
        }
        return found ?? nil
    }

    /// Takes a snapshot of the current state. Release it (drop the reference) when done: a
    /// live snapshot keeps old versions from being compacted away.
    public func snapshot() -> Snapshot {
        // Registered in the same critical section that reads the sequence, so a compaction
        // (which reads both under this lock) never misses it.
        stateLock.withLock { Snapshot(sequence: $0.lastSequence, registry: snapshots) }
    }

    /// The sequence number of the most recent write.
    public var latestSequenceNumber: SequenceNumber {
        stateLock.withLock { $0.lastSequence }
    }

    /// An iterator over the database as of `options.snapshot` (default: now), within the
    /// bounds of `options`. It starts unpositioned: call a seek first.
    ///
    /// Children of the merge: each memtable with point entries, each level-0 table, and one
    /// `LevelIterator` per non-empty level >= 1, which opens a table only when the cursor
    /// reaches it. Range tombstones stay fragmented per source (the memtables' and each
    /// table's cached fragments) and the iterator checks each source's; only when more than
    /// `maxTombstoneSources` sources have tombstones are they fragmented together once, so a
    /// key check stays a few cursor steps.
    public func makeIterator(_ options: ReadOptions = ReadOptions()) throws -> DatabaseIterator {
        let state = stateLock.withLock { $0 }
        guard let mem = state.memtable else { throw CairnError.closed("database \(path) is closed") }
        let sequence = min(options.snapshot?.sequence ?? state.lastSequence, state.lastSequence)
        var children: [InternalIterator] = []
        var tombstones: [FragmentedRangeTombstones] = []
        /// The unfragmented tombstones of each source in `tombstones`, fetched only if needed.
        var rawTombstones: [() -> [RangeTombstone]] = []
        children.reserveCapacity(2 + state.immutables.count + state.version.levels[0].count + state.version.levels.count)
        func addMemtable(_ handle: MemtableHandle) {
            // A memtable with no point entries now gets none this iterator can see: every
            // later write has a sequence number above `sequence`.
            if handle.memtable.pointEntryCount > 0 { children.append(handle.memtable.makeIterator()) }
            if let t = handle.tombstones() {
                tombstones.append(t)
                rawTombstones.append { handle.memtable.rangeTombstones }
            }
        }
        addMemtable(mem)
        for handle in state.immutables.reversed() { addMemtable(handle) }
        for (level, files) in state.version.levels.enumerated() where !files.isEmpty {
            for file in files where file.rangeDeletionCount > 0 {
                let reader = try tableCache.reader(for: file)
                tombstones.append(file.rangeTombstones { reader.rangeTombstones })
                rawTombstones.append { reader.rangeTombstones }
            }
            if level == 0 {
                // Level-0 tables overlap: each is its own child, newest first.
                for file in files { children.append(try tableCache.reader(for: file).makeIterator()) }
            } else {
                children.append(LevelIterator(files: files, tableCache: tableCache))
            }
        }
        if tombstones.count > Self.maxTombstoneSources {
            // Entries this iterator cannot see are ignored by the coverage checks (they pass
            // `sequence` as the snapshot), so the union needs no filtering.
            tombstones = [FragmentedRangeTombstones(rawTombstones.flatMap { $0() })]
        }
        return DatabaseIterator(
            merging: MergingIterator(children), tombstones: tombstones,
            sequence: sequence, options: options, pinned: [state.version, options.snapshot as AnyObject?])
    }

    /// Most sources whose range tombstones an iterator checks one by one; beyond this it
    /// fragments them together once (see `makeIterator`).
    static let maxTombstoneSources = 4

    /// Current counters and level shape.
    public var statistics: Statistics {
        let state = stateLock.withLock { $0 }
        var s = Statistics()
        s.lastSequence = state.lastSequence
        s.batchesWritten = counters.batchesWritten.load(ordering: .relaxed)
        s.walWrites = counters.walWrites.load(ordering: .relaxed)
        s.walSyncs = counters.walSyncs.load(ordering: .relaxed)
        s.walBytes = counters.walBytes.load(ordering: .relaxed)
        s.userBytesWritten = counters.userBytesWritten.load(ordering: .relaxed)
        s.gets = counters.gets.load(ordering: .relaxed)
        s.stallMicros = counters.stallMicros.load(ordering: .relaxed)
        s.memtableBytes = state.memtable?.memtable.approximateMemoryUsage ?? 0
        s.immutableMemtables = state.immutables.count
        if let cache = blockCache {
            s.blockCacheHits = cache.hits
            s.blockCacheMisses = cache.misses
            s.blockCacheBytes = cache.usage
        }
        s.bloomChecks = counters.bloomChecks.load(ordering: .relaxed)
        s.bloomUseful = counters.bloomUseful.load(ordering: .relaxed)
        s.liveSnapshots = snapshots.count
        s.recoveredTornTailBytes = recoveryReport.droppedBytes
        s.recoveryWarnings = recoveryReport.warnings
        let scores = CompactionPicker(options: options).scores(state.version)
        let work = levelWork.withLock { $0 }
        s.levels = state.version.levels.enumerated().map { level, files in
            Statistics.Level(
                level: level, fileCount: files.count, bytes: files.reduce(0) { $0 + $1.size }, score: scores[level],
                work: work[level])
        }
        // Flush and compaction totals are the per-level work summed: one source of truth.
        s.flushes = work[0].count
        s.flushBytes = Int(work[0].bytesWritten)
        let deeper = work.dropFirst().reduce(Statistics.LevelWork(), +)
        s.compactions = deeper.count
        s.compactionBytesRead = Int(deeper.bytesRead)
        s.compactionBytesWritten = Int(deeper.bytesWritten)
        s.trivialMoves = counters.trivialMoves.load(ordering: .relaxed)
        s.writeSlowdowns = counters.slowdowns.load(ordering: .relaxed)
        s.writeStops = counters.stops.load(ordering: .relaxed)
        return s
    }

    /// Reads every live file and checks every checksum: each table's blocks (and that its
    /// size matches the manifest), the manifest's records and the live write-ahead logs'
    /// records. Throws the first `.corruption` found, naming the file and offset.
    @discardableResult
    public func verify() throws -> VerifyReport {
        mutex.lock()
        let version = versions.current
        let manifestNumber = versions.manifestNumber
        let logFloor = versions.logNumber
        let trackedLogs = versions.trackedLogs
        mutex.unlock()
        var logNumbers: [UInt64] = []
        for name in try fileSystem.listDirectory(path) {
            if case .log(let n)? = FileNames.parse(name), n >= logFloor { logNumbers.append(n) }
        }
        logNumbers.sort()
        var report = VerifyReport()
        for file in version.allFiles {
            let tablePath = FileNames.table(path, file.number)
            let size = try fileSystem.fileSize(tablePath)
            guard size == file.size else {
                throw CairnError.corruption(
                    file: tablePath, offset: size,
                    reason: "file is \(size) bytes but the manifest says \(file.size)")
            }
            let reader = try TableReader.open(
                file: try fileSystem.newRandomAccessFile(tablePath), fileNumber: file.number,
                blockCache: nil, verifyChecksums: true)
            try reader.checkIdentity(size: file.size, uniqueID: file.uniqueID)
            try reader.verifyAllBlocks()
            report.tables += 1
            report.bytes += size
        }
        let manifest = FileNames.manifest(path, manifestNumber)
        // The manifest as recovery reads it: every edit decodes and applies in order, and only
        // a cut can end it early.
        let manifestReader = try LogReader(
            file: try fileSystem.newRandomAccessFile(manifest), kind: .manifest, expectedFileNumber: manifestNumber,
            policy: .truncatedTailOnly)
        var replayed = Version()
        while let record = try manifestReader.readRecord() {
            let edit = try VersionEdit.decode(record, file: manifest, offset: manifestReader.lastRecordOffset)
            replayed = try replayed.applying(edit, manifest: manifest).version
        }
        report.bytes += manifestReader.fileSize
        for number in logNumbers {
            let logPath = FileNames.log(path, number)
            // A flush since the lock was released may have retired this log (its data is in a
            // table now, which this check does not cover): skip it rather than fail.
            let file: any RandomAccessFile
            do {
                file = try fileSystem.newRandomAccessFile(logPath)
            } catch CairnError.io(let code, _, _) where code == ENOENT {
                continue
            }
            if let synced = trackedLogs[number], file.size < synced {
                throw CairnError.corruption(
                    file: logPath, offset: file.size,
                    reason: "write-ahead log is \(file.size) bytes, but the manifest records \(synced) bytes synced")
            }
            let reader = try LogReader(file: file, kind: .wal, expectedFileNumber: number)
            let version = reader.header?.version ?? LogFormat.formatVersion
            while let record = try reader.readRecord() {
                let offset = reader.lastRecordOffset
                let batch = try WriteBatch.decodeWALRecord(record, version: version, file: logPath, offset: offset).batch
                try batch.forEach(file: logPath, offset: offset) { _, _, _ in }
            }
            report.logs += 1
            report.bytes += reader.fileSize
        }
        return report
    }
}

/// What `Database.verify` checked.
public struct VerifyReport: Sendable, CustomStringConvertible {
    /// Tables whose every block was read and checksummed.
    public var tables = 0
    /// Write-ahead logs whose every record was read and checksummed.
    public var logs = 0
    /// Bytes read.
    public var bytes: Int64 = 0

    public var description: String {
        "\(tables) tables, 1 manifest and \(logs) logs verified (\(bytes) bytes)"
    }
}
