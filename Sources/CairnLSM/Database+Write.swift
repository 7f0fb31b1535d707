import Dispatch
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
    let condition: ConditionMutex.Condition

    init(batch: WriteBatch?, sync: Bool, condition: ConditionMutex.Condition) {
        self.batch = batch
        self.sync = sync
        self.condition = condition
    }
}

extension Database {
    /// Sets `key` to `value`. Returns the write's sequence number.
    @discardableResult
    public func put(_ key: [UInt8], _ value: [UInt8], sync: Bool = false) throws -> SequenceNumber {
        var batch = WriteBatch()
        batch.rep.reserveCapacity(WriteBatch.headerSize + 11 + key.count + value.count)
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
        try batch.forEach { type, key, value in
            if type == .rangeDeletion && compareBytes(key, value) >= 0 {
                throw CairnError.invalidArgument("range deletion needs start < end")
            }
            if key.count + value.count + InternalKey.trailerSize >= TableBuilder.maxEntrySize {
                throw CairnError.invalidArgument(
                    "key and value of \(key.count + value.count) bytes exceed the \(TableBuilder.maxEntrySize)-byte entry limit")
            }
        }
        return try enqueue(PendingWrite(batch: batch, sync: sync, condition: mutex.makeCondition()))
    }

    /// Queues `w`, waits to become the leader or to be written by one; returns its sequence.
    func enqueue(_ w: PendingWrite) throws -> SequenceNumber {
        mutex.lock()
        if isClosed {
            mutex.unlock()
            throw CairnError.closed("database \(path) is closed")
        }
        writers.append(w)
        while !w.done && writers.first !== w { w.condition.wait() }
        if w.done {
            mutex.unlock()
            if let e = w.error { throw e }
            return w.sequence
        }

        // This thread leads a commit group.
        var group: [PendingWrite] = [w]
        do {
            try makeRoomForWrite(force: w.batch == nil)
        } catch {
            finishGroup(group, error: error)
            mutex.unlock()
            throw error
        }
        guard let leaderBatch = w.batch else {
            finishGroup(group, error: nil)
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
            group.append(follower)
        }
        let lastSequence = stateLock.withLock { $0.lastSequence }
        var next = lastSequence + 1
        var merged: WriteBatch
        if group.count == 1 {
            merged = leaderBatch
        } else {
            merged = WriteBatch()
            merged.rep.reserveCapacity(size)
            for member in group { if let b = member.batch { merged.append(contentsOf: b) } }
        }
        merged.sequence = next
        for member in group {
            member.sequence = next
            next += UInt64(member.batch?.count ?? 0)
        }
        let log = self.log
        let mem = self.memtable.memtable
        mutex.unlock()

        // Log, then apply to the memtable, outside the lock: followers queue meanwhile.
        var failure: Error?
        do {
            try merged.rep.withUnsafeBytes { try log.addRecord($0) }
            if anySync {
                try log.sync()
                counters.walSyncs.add(1, ordering: .relaxed)
            }
            var sequence = merged.sequence
            try merged.forEach { type, key, value in
                mem.add(sequence: sequence, type: type, key: key, value: value)
                sequence += 1
            }
        } catch {
            failure = error
        }
        counters.walWrites.add(1, ordering: .relaxed)
        counters.walBytes.add(merged.byteSize, ordering: .relaxed)
        counters.batchesWritten.add(group.count, ordering: .relaxed)
        counters.userBytesWritten.add(merged.byteSize - WriteBatch.headerSize, ordering: .relaxed)

        mutex.lock()
        if let failure {
            // The log's tail is in doubt: stop accepting writes (LevelDB's bg_error_).
            backgroundError = backgroundError ?? (failure as? CairnError) ?? .closed("\(failure)")
        } else {
            let last = next - 1
            stateLock.withLock { $0.lastSequence = last }
        }
        finishGroup(group, error: failure)
        mutex.unlock()
        if let failure { throw failure }
        return w.sequence
    }

    /// Pops `group` off the writer queue, marks each done and wakes the next leader.
    /// Caller holds `mutex`.
    private func finishGroup(_ group: [PendingWrite], error: Error?) {
        writers.removeFirst(group.count)
        for member in group {
            member.done = true
            member.error = error
            member.condition.signal()
        }
        writers.first?.condition.signal()
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

    /// Starts a new log and memtable; the old memtable joins the flush queue. The old log is
    /// synced first so that a machine crash can never keep a newer log's writes while losing
    /// an older one's. Caller holds `mutex`.
    private func rotateMemtable() throws {
        let number = versions.newFileNumber()
        let newLog: LogWriter
        do {
            try log.sync()
            let file = try fileSystem.newWritableFile(FileNames.log(path, number))
            newLog = try LogWriter(file: file, fileNumber: number, kind: .wal)
            try fileSystem.syncDirectory(path)
        } catch {
            backgroundError = backgroundError ?? (error as? CairnError) ?? .closed("\(error)")
            throw error
        }
        try? log.close()
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
                try writeLevel0Table(oldest.memtable, number: number, fileSystem: fileSystem, directory: path, options: options)
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
                counters.flushes.add(1, ordering: .relaxed)
                counters.flushBytes.add(Int(newFile?.size ?? 0), ordering: .relaxed)
                levelWork.withLock {
                    $0[0].bytesWritten += newFile?.size ?? 0
                    $0[0].count += 1
                    $0[0].micros += elapsedMicros
                    $0[0].entriesIn += Int64(oldest.memtable.entryCount)
                }
                let obsoleteLogs = (oldest.logNumber..<versions.logNumber)
                mutex.unlock()
                for n in obsoleteLogs { try? fileSystem.removeFile(FileNames.log(path, n)) }
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

    /// Writes the active memtable to a level-0 table and, with `wait`, returns only when every
    /// memtable written before the call is in a table.
    public func flush(wait: Bool = true) throws {
        _ = try enqueue(PendingWrite(batch: nil, sync: false, condition: mutex.makeCondition()))
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
