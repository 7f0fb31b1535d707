import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One caller waiting in the write queue.
final class PendingWrite {
    /// The batch to write; nil for a request to rotate the memtable (flush).
    var batch: WriteBatch?
    let sync: Bool
    var done = false
    var error: Error?
    /// Sequence number given to the batch's first update.
    var sequence: SequenceNumber = 0
    /// A side write (`Database.writeSide`): logged with its group, but its updates go into
    /// `sideMemtable` from its own thread after the group ends.
    var side = false
    /// The memtable a side write's updates go to, set (and announced to the memtable) when
    /// its group forms.
    var sideMemtable: Memtable?
    /// Created only if the writer has to wait (a writer that finds the queue empty leads at
    /// once and is never signalled), so an uncontended write allocates no condition.
    /// Read and written under the database mutex.
    var condition: ConditionMutex.Condition?

    init(batch: WriteBatch?, sync: Bool) {
        self.batch = batch
        self.sync = sync
    }
}

extension Database {
    /// Sets `key` to `value`. Returns the write's sequence number.
    @discardableResult
    public func put(_ key: [UInt8], _ value: [UInt8], sync: Bool = false) throws -> SequenceNumber {
        var batch = WriteBatch()
        batch.put(key, value)
        return try write(batch, sync: sync)
    }

    /// Deletes `key` (a no-op if it is absent). Returns the write's sequence number.
    @discardableResult
    public func delete(_ key: [UInt8], sync: Bool = false) throws -> SequenceNumber {
        var batch = WriteBatch()
        batch.delete(key)
        return try write(batch, sync: sync)
    }

    /// Deletes every key k with `start <= k < end`. Throws `.invalidArgument` if
    /// `start >= end`. Returns the write's sequence number.
    @discardableResult
    public func deleteRange(_ start: [UInt8], _ end: [UInt8], sync: Bool = false) throws -> SequenceNumber {
        guard compareBytes(start, end) < 0 else {
            throw CairnError.invalidArgument("deleteRange needs start < end")
        }
        var batch = WriteBatch()
        batch.deleteRange(start, end)
        return try write(batch, sync: sync)
    }

    /// Applies every update in `batch` atomically.
    ///
    /// With `sync: true` the call returns only after the batch is durable on disk (fdatasync
    /// of the log). With `sync: false` it survives a process crash, but a machine crash may
    /// lose the most recent unsynced writes. If the operating system wrote a later unsynced
    /// record to disk but not an earlier one, the next `open` reports that hole as corruption
    /// rather than guessing (see Docs/log_format.md, "Limits").
    ///
    /// Returns the sequence number of the batch's first update; the batch's updates have
    /// consecutive numbers from there. An empty batch writes nothing and returns the current
    /// last sequence number.
    @discardableResult
    public func write(_ batch: WriteBatch, sync: Bool = false) throws -> SequenceNumber {
        if batch.isEmpty {
            return stateLock.withLock { $0.lastSequence }
        }
        try checkBatch(batch)
        return try enqueue(PendingWrite(batch: batch, sync: sync))
    }

    /// Refuses a batch with an empty range deletion or an update over the entry size limit.
    private func checkBatch(_ batch: WriteBatch) throws {
        try batch.forEach { type, key, value in
            if type == .rangeDeletion && compareBytes(key, value) >= 0 {
                throw CairnError.invalidArgument("range deletion needs start < end")
            }
            if key.count + value.count + InternalKey.trailerSize >= TableBuilder.maxEntrySize {
                throw CairnError.invalidArgument(
                    "key and value of \(key.count + value.count) bytes exceed the \(TableBuilder.maxEntrySize)-byte entry limit")
            }
        }
    }

    /// Queues `w`, waits to become the leader or to be written by one; returns its sequence.
    func enqueue(_ w: PendingWrite) throws -> SequenceNumber {
        if isReadOnly {
            throw CairnError.notSupported("database \(path) is open read-only: writes, flushes and compactions are refused")
        }
        mutex.lock()
        if isClosed {
            mutex.unlock()
            throw CairnError.closed("database \(path) is closed")
        }
        writers.append(w)
        while !w.done && writers.first !== w {
            if w.condition == nil { w.condition = mutex.makeCondition() }
            w.condition?.wait()
        }
        if w.done {
            mutex.unlock()
            if let e = w.error { throw e }
            return w.sequence
        }

        // This thread leads a commit group: writers[0..<groupSize]. Only the leader removes
        // entries, so the group stays at the front while the lock is dropped below.
        var groupSize = 1
        do {
            try makeRoomForWrite(force: w.batch == nil)
        } catch {
            finishGroup(groupSize, error: error)
            mutex.unlock()
            throw error
        }
        guard let leaderBatch = w.batch else {
            finishGroup(groupSize, error: nil)
            mutex.unlock()
            return 0
        }

        // Join followers up to a size limit (LevelDB's: 1 MiB, or +128 KiB for small batches).
        let maxSize = leaderBatch.byteSize <= 128 << 10 ? leaderBatch.byteSize + (128 << 10) : 1 << 20
        var size = leaderBatch.byteSize
        var anySync = w.sync
        for follower in writers.dropFirst() {
            guard let b = follower.batch, size + b.byteSize <= maxSize else { break }
            size += b.byteSize
            anySync = anySync || follower.sync
            groupSize += 1
        }
        let lastSequence = stateLock.withLock { $0.lastSequence }
        var next = lastSequence + 1
        var merged: WriteBatch
        if groupSize == 1 {
            merged = leaderBatch
        } else {
            merged = WriteBatch()
            merged.rep.reserveCapacity(size)
            for member in writers[0..<groupSize] { if let b = member.batch { merged.append(contentsOf: b) } }
        }
        merged.sequence = next
        for member in writers[0..<groupSize] {
            member.sequence = next
            next += UInt64(member.batch?.count ?? 0)
        }
        guard let log = self.log else {
            finishGroup(groupSize, error: CairnError.closed("database \(path) has no log"))
            mutex.unlock()
            throw CairnError.closed("database \(path) has no log")
        }
        let mem = self.memtable.memtable
        // The group's members, read under the mutex (others append to the queue meanwhile).
        let group = Array(writers[0..<groupSize])
        let anySide = group.contains { $0.side }
        for member in group where member.side {
            mem.beginSideWrite()
            member.sideMemtable = mem
        }
        // A synced write makes every older log durable first, so no machine crash can keep
        // it while losing an earlier write (rotation leaves old logs unsynced).
        let olderLogs = anySync ? closedLogs : []
        mutex.unlock()

        // Log, then apply to the memtable, outside the lock: followers queue meanwhile.
        var failure: Error?
        var olderLogsSynced: [VersionEdit.LogSize] = []
        do {
            // Each record starts with the extent of this log known durable before it (the
            // synced extent, Docs/wal_format.md): recovery uses it to tell damage to synced
            // data (corruption) from an unsynced tail a power loss dropped.
            try merged.rep.withUnsafeBytes { try log.addRecord($0, prefix: UInt64(log.syncedSize)) }
            if anySync {
                for older in olderLogs {
                    if let size = try older.syncedSizeAfterSync() { olderLogsSynced.append(.init(number: older.number, size: size)) }
                }
                try log.sync()
                counters.walSyncs.add(1, ordering: .relaxed)
            }
            if !anySide {
                var sequence = merged.sequence
                try merged.forEachUpdate { type, key, value, stamped in
                    mem.add(sequence: sequence, type: type, key: key, value: value, stamped: stamped)
                    sequence += 1
                }
            } else {
                // Side writes are logged here but insert their own updates (`writeSide`).
                for member in group where !member.side {
                    guard var batch = member.batch else { continue }
                    // Stamped keys end in the sequence the batch carries.
                    batch.sequence = member.sequence
                    var sequence = member.sequence
                    try batch.forEachUpdate { type, key, value, stamped in
                        mem.add(sequence: sequence, type: type, key: key, value: value, stamped: stamped)
                        sequence += 1
                    }
                }
            }
        } catch {
            failure = error
        }
        counters.walWrites.add(1, ordering: .relaxed)
        counters.walBytes.add(merged.byteSize, ordering: .relaxed)
        counters.batchesWritten.add(groupSize, ordering: .relaxed)
        counters.userBytesWritten.add(merged.byteSize - WriteBatch.headerSize, ordering: .relaxed)

        mutex.lock()
        if failure == nil && !olderLogsSynced.isEmpty {
            // Record how much of each rotated log is now durable, so recovery treats damage
            // there as corruption and a shorter file as a lost tail of synced writes.
            var edit = VersionEdit()
            edit.syncedLogs = olderLogsSynced
            do { try versions.logAndApply(edit) } catch { failure = error }
        }
        if let failure {
            // The log's tail is in doubt: stop accepting writes (LevelDB's bg_error_).
            backgroundError = backgroundError ?? (failure as? CairnError) ?? .closed("\(failure)")
        } else {
            let last = next - 1
            stateLock.withLock { $0.lastSequence = last }
        }
        finishGroup(groupSize, error: failure)
        mutex.unlock()
        if let failure { throw failure }
        return w.sequence
    }

    /// Applies `batch` atomically in the log, like `write(_:sync:)`, but puts its updates into
    /// the memtable from the calling thread after its commit group ends, alongside the write
    /// queue instead of in it: the leader of the group logs the batch with the others and
    /// goes on, and later writers do not wait while its entries go in (they go to a second
    /// skiplist of the memtable, `Memtable.addSide`). For a background job that writes large
    /// batches while foreground writes go on (the index updater).
    ///
    /// Durability and crash recovery are those of `write` (the batch is in the log, in
    /// order). What differs is visibility while the call runs: the batch's sequence numbers
    /// are published with its group, before its entries are all in, so a reader may see part
    /// of the batch for a moment, and a snapshot taken meanwhile may see the rest arrive. Use
    /// it only for data that tolerates that (entries derived from other data, read without
    /// a consistency guarantee). Once the call returns, every reader sees the whole batch.
    /// Returns the sequence number of the batch's first update.
    @discardableResult
    public func writeSide(_ batch: WriteBatch, sync: Bool = false) throws -> SequenceNumber {
        if batch.isEmpty { return try write(batch, sync: sync) }
        try checkBatch(batch)
        let w = PendingWrite(batch: batch, sync: sync)
        w.side = true
        let sequence: SequenceNumber
        do {
            sequence = try enqueue(w)
        } catch {
            w.sideMemtable?.endSideWrite()
            throw error
        }
        guard let mem = w.sideMemtable else { return sequence }
        defer { mem.endSideWrite() }
        try mem.addSide(batch, firstSequence: sequence)
        return sequence
    }

    /// Pops the first `count` writers (the leader's group) off the queue, marks each done and
    /// wakes the next leader. Caller holds `mutex`.
    private func finishGroup(_ count: Int, error: Error?) {
        for member in writers[0..<count] {
            member.done = true
            member.error = error
            member.condition?.signal()
        }
        writers.removeFirst(count)
        writers.first?.condition?.signal()
        if writers.isEmpty { backgroundDone.broadcast() }
    }

    /// Makes sure the active memtable has room, rotating it (and the log) when full, or
    /// always when `force` and it is non-empty. Waits while too many immutable memtables are
    /// queued for flushing. Caller holds `mutex` and leads the write queue.
    func makeRoomForWrite(force: Bool) throws {
        var forced = force
        var allowDelay = !force
        while true {
            if let e = backgroundError { throw e }
            let level0Files = versions.current.levels[0].count
            if !options.disableAutoCompactions {
                if allowDelay && level0Files >= options.level0SlowdownWritesTrigger {
                    // Many level-0 files: hand the compaction some time, once per write.
                    allowDelay = false
                    mutex.unlock()
                    usleep(1000)
                    mutex.lock()
                    counters.stallMicros.add(1000, ordering: .relaxed)
                    counters.slowdowns.add(1, ordering: .relaxed)
                    continue
                }
                if level0Files >= options.level0StopWritesTrigger {
                    // Background work stops once close() begins: waiting then would never end.
                    if isClosed { throw CairnError.closed("database \(path) is closing") }
                    let start = DispatchTime.now().uptimeNanoseconds
                    maybeScheduleCompaction()
                    backgroundDone.wait()
                    counters.stallMicros.add(Int((DispatchTime.now().uptimeNanoseconds - start) / 1000), ordering: .relaxed)
                    counters.stops.add(1, ordering: .relaxed)
                    continue
                }
            }
            let mem = memtable.memtable
            // An empty memtable is never rotated: its arena already takes some bytes, and a
            // small write buffer must not make every write rotate forever.
            if mem.isEmpty { return }
            if !forced && mem.approximateMemoryUsage <= options.writeBufferSize { return }
            if immutables.count >= options.maxImmutableMemtables {
                if isClosed { throw CairnError.closed("database \(path) is closing") }
                let start = DispatchTime.now().uptimeNanoseconds
                backgroundDone.wait()
                let waited = (DispatchTime.now().uptimeNanoseconds - start) / 1000
                counters.stallMicros.add(Int(waited), ordering: .relaxed)
                continue
            }
            try rotateMemtable()
            forced = false
        }
    }

    /// Starts a new log and memtable; the old memtable joins the flush queue.
    ///
    /// The old log is *not* synced here (that fdatasync of a whole write buffer's worth of
    /// log stalled every writer, under the mutex). Its data becomes durable either in the
    /// level-0 table its flush writes, or when a synced write on a newer log syncs it first
    /// (`closedLogs`). So a synced write still implies every earlier write is durable, and a
    /// machine crash that loses part of an older log's unsynced tail can only leave newer
    /// logs holding unsynced writes too; recovery stops at the first gap in sequence numbers
    /// (`replayLogs`), so it still recovers a prefix. Caller holds `mutex`.
    private func rotateMemtable() throws {
        guard let oldLog = log else { throw CairnError.closed("database \(path) has no log") }
        let number = versions.newFileNumber()
        let newLog: LogWriter
        do {
            let file = try fileSystem.newWritableFile(FileNames.log(path, number))
            newLog = try LogWriter(file: file, fileNumber: number, kind: .wal)
            try fileSystem.syncDirectory(path)
            // The manifest tracks the new log before any write goes to it, so recovery knows
            // it must exist.
            var edit = VersionEdit()
            edit.addedLogs = [number]
            try versions.logAndApply(edit)
        } catch {
            backgroundError = backgroundError ?? (error as? CairnError) ?? .closed("\(error)")
            throw error
        }
        closedLogs.append(ClosedLog(oldLog, number: memtable.logNumber))
        log = newLog
        immutables.append(memtable)
        memtable = MemtableHandle(Memtable.sized(for: options), logNumber: number)
        publishReadState()
        scheduleFlush()
    }

    /// Copies the current memtables and version into the read state. Caller holds `mutex`.
    func publishReadState() {
        let mem = memtable, imms = immutables, version = versions.current
        stateLock.withLock {
            $0.memtable = mem
            $0.immutables = imms
            $0.version = version
        }
    }

    /// Queues a background flush if one is needed and none is queued. Caller holds `mutex`.
    func scheduleFlush() {
        guard !flushScheduled, !immutables.isEmpty, backgroundError == nil else { return }
        flushScheduled = true
        backgroundQueue.async { [self] in backgroundFlush() }
    }

    /// Flushes immutable memtables, oldest first, until none is left.
    private func backgroundFlush() {
        mutex.lock()
        while let oldest = immutables.first, backgroundError == nil, !isClosed {
            let number = versions.newFileNumber()
            pendingOutputs.insert(number)
            mutex.unlock()
            let started = DispatchTime.now().uptimeNanoseconds
            let result = Result {
                // A side write may still be putting its entries into this memtable.
                oldest.memtable.waitForSideWrites()
                return try writeLevel0Table(oldest.memtable, number: number, fileSystem: fileSystem, directory: path, options: options)
            }
            let elapsedMicros = Int64((DispatchTime.now().uptimeNanoseconds - started) / 1000)
            mutex.lock()
            if isClosed {
                // close() is waiting: leave the memtable to the log; the table is an orphan.
                pendingOutputs.remove(number)
                try? fileSystem.removeFile(FileNames.table(path, number))
                break
            }
            do {
                let newFile = try result.get()
                var edit = VersionEdit()
                if let f = newFile { edit.newFiles.append(f) }
                edit.logNumber = immutables.count > 1 ? immutables[1].logNumber : memtable.logNumber
                edit.lastSequence = stateLock.withLock { $0.lastSequence }
                try versions.logAndApply(edit)
                pendingOutputs.remove(number)
                immutables.removeFirst()
                publishReadState()
                maybeScheduleCompaction()
                levelWork.withLock {
                    $0[0].bytesWritten += newFile?.size ?? 0
                    $0[0].count += 1
                    $0[0].micros += elapsedMicros
                    $0[0].entriesIn += Int64(oldest.memtable.entryCount)
                }
                let obsoleteLogs = (oldest.logNumber..<versions.logNumber)
                // Their records are in a synced table now: close them (a concurrent synced
                // write then skips them) and forget them.
                closedLogs.removeAll { closed in
                    guard closed.number < versions.logNumber else { return false }
                    closed.close()
                    return true
                }
                mutex.unlock()
                removeLogFiles(numbered: obsoleteLogs)
                mutex.lock()
            } catch {
                pendingOutputs.remove(number)
                backgroundError = backgroundError ?? (error as? CairnError) ?? .closed("\(error)")
            }
            backgroundDone.broadcast()
        }
        flushScheduled = false
        backgroundDone.broadcast()
        mutex.unlock()
    }

    /// Removes the log files whose numbers are in `numbers` (the logs a flush made obsolete).
    /// It lists the directory rather than trying each number of the range: file numbers come
    /// from the manifest, and the range between two of them can be wide. (Regression, found by
    /// FuzzManifest: a manifest whose next file number was near 2^40 made the flush after open
    /// try to unlink that many names, and `close()` waited for it without end.)
    private func removeLogFiles(numbered numbers: Range<UInt64>) {
        guard !numbers.isEmpty, let names = try? fileSystem.listDirectory(path) else { return }
        for name in names {
            if case .log(let n)? = FileNames.parse(name), numbers.contains(n) {
                try? fileSystem.removeFile(joinPath(path, name))
            }
        }
    }

    /// Writes the active memtable to a level-0 table and, with `wait`, returns only when every
    /// memtable written before the call is in a table.
    public func flush(wait: Bool = true) throws {
        _ = try enqueue(PendingWrite(batch: nil, sync: false))
        guard wait else { return }
        mutex.lock()
        defer { mutex.unlock() }
        while !immutables.isEmpty && backgroundError == nil { backgroundDone.wait() }
        if let e = backgroundError { throw e }
    }
}

extension Database {
    /// Holds background flushes until `resumeBackgroundWork` (tests use it to keep immutable
    /// memtables around). Calls must be balanced.
    func suspendBackgroundWork() { backgroundQueue.suspend() }

    /// Lets background work run again.
    func resumeBackgroundWork() { backgroundQueue.resume() }

    /// Number of immutable memtables waiting for a flush.
    var immutableMemtableCount: Int { stateLock.withLock { $0.immutables.count } }
}

/// The log of an immutable memtable: written, maybe not yet synced. A synced write on a newer
/// log syncs it first; the flush that makes its records durable in a table closes it. The two
/// can race (the writer syncs outside the database mutex), so both go through `state`.
final class ClosedLog: Sendable {
    let number: UInt64
    private let state: CairnMutex<(log: LogWriter, synced: Bool, closed: Bool)>

    init(_ log: LogWriter, number: UInt64) {
        self.number = number
        state = CairnMutex((log, false, false))
    }

    /// Makes the log durable unless that was done already or its flush closed it; returns the
    /// log's size if this call synced it, nil otherwise.
    func syncedSizeAfterSync() throws -> Int64? {
        try state.withLock { s in
            guard !s.synced && !s.closed else { return nil }
            try s.log.sync()
            s.synced = true
            return s.log.syncedSize
        }
    }

    /// Closes the file (its records are durable elsewhere, or the database is closing).
    func close() {
        state.withLock { s in
            guard !s.closed else { return }
            try? s.log.close()
            s.closed = true
        }
    }
}
