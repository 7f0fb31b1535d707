import Dispatch
import Synchronization

extension Database {
    /// Flushes the memtable, then merges every table into one sorted run at the deepest level
    /// in use (at least 1), dropping overwritten versions, deletions and range-deleted entries
    /// that no live snapshot can see. Runs on the compaction queue, so it never overlaps a
    /// background compaction. Returns once the replaced tables are deleted (those no
    /// iterator still reads), so their space is back when it returns.
    public func compactRange() throws {
        try flush()
        defer { obsoleteFiles.drain() }
        try compactionQueue.sync {
            mutex.lock()
            if isClosed {
                mutex.unlock()
                throw CairnError.closed("database \(path) is closed")
            }
            if let e = backgroundError {
                mutex.unlock()
                throw e
            }
            let version = versions.current
            let inputs = version.levels.enumerated().flatMap { level, files in files.map { (level, $0) } }
            if inputs.isEmpty {
                mutex.unlock()
                return
            }
            let outputLevel = max(1, version.levels.lastIndex { !$0.isEmpty } ?? 1)
            mutex.unlock()
            do {
                try runCompaction(
                    inputs: inputs.map { VersionEdit.DeletedFile(level: $0.0, number: $0.1.number) },
                    files: inputs.map(\.1), outputLevel: outputLevel, isBottommost: true)
            } catch {
                // As for a background compaction (RocksDB's background-error rule): after a
                // failed write of table files the device is in doubt, so writes stop until a
                // reopen rather than being acknowledged on it.
                mutex.withLock {
                    if !isClosed { backgroundError = backgroundError ?? (error as? CairnError) ?? .closed("\(error)") }
                }
                throw error
            }
        }
    }

    /// Runs one compaction job outside the mutex and installs its result. Caller is on the
    /// compaction queue and does not hold `mutex`.
    private func runCompaction(
        inputs deleted: [VersionEdit.DeletedFile], files: [FileMetadata], outputLevel: Int, isBottommost: Bool
    ) throws {
        mutex.lock()
        // Read under the lock that also registers snapshots (see `snapshot()`).
        let smallestSnapshot = stateLock.withLock { state in
            min(snapshots.oldest ?? state.lastSequence, state.lastSequence)
        }
        compactionRunning = true
        mutex.unlock()

        // Numbers handed to the job, kept here too so a failed job's outputs can be removed.
        let reserved = CairnMutex<[UInt64]>([])
        let job = CompactionJob(
            inputs: files, outputLevel: outputLevel, smallestSnapshot: smallestSnapshot, isBottommost: isBottommost,
            targetFileSize: Int64(options.targetFileSize),
            newFileNumber: { [self] in
                let n = mutex.withLock {
                    let n = versions.newFileNumber()
                    pendingOutputs.insert(n)
                    return n
                }
                reserved.withLock { $0.append(n) }
                return n
            })
        let started = DispatchTime.now().uptimeNanoseconds
        let outcome = Result { try job.run(tableCache: tableCache, fileSystem: fileSystem, directory: path, options: options) }
        let elapsedMicros = Int64((DispatchTime.now().uptimeNanoseconds - started) / 1000)
        let reservedNumbers = reserved.withLock { $0 }
        if case .failure = outcome {
            // Outputs finished before the failure belong to no version: remove them now
            // rather than leaving them to the next open.
            for n in reservedNumbers { try? fileSystem.removeFile(FileNames.table(path, n)) }
        }

        mutex.lock()
        defer {
            for n in reservedNumbers { pendingOutputs.remove(n) }
            compactionRunning = false
            backgroundDone.broadcast()
            mutex.unlock()
        }
        let result = try outcome.get()
        if isClosed {
            for f in result.newFiles { try? fileSystem.removeFile(FileNames.table(path, f.number)) }
            throw CairnError.closed("database \(path) closed during a compaction")
        }
        var edit = VersionEdit()
        edit.deletedFiles = deleted
        edit.newFiles = result.newFiles
        do {
            try versions.logAndApply(edit)
        } catch {
            backgroundError = backgroundError ?? (error as? CairnError) ?? .closed("\(error)")
            throw error
        }
        var work = Statistics.LevelWork()
        for (file, d) in zip(files, deleted) {
            if d.level == outputLevel {
                work.bytesReadFromOutputLevel += file.size
            } else {
                work.bytesReadFromInputLevel += file.size
            }
        }
        work.bytesWritten = result.bytesWritten
        work.count = 1
        work.micros = elapsedMicros
        work.entriesIn = Int64(result.entriesIn)
        work.entriesDropped = Int64(result.entriesIn - result.entriesOut)
        levelWork.withLock { $0[outputLevel] = $0[outputLevel] + work }
        publishReadState()
    }

    /// Queues a background compaction if one is needed and none is queued. Caller holds
    /// `mutex`.
    func maybeScheduleCompaction() {
        guard !compactionScheduled, !isClosed, backgroundError == nil, !options.disableAutoCompactions else { return }
        var pointers = compactionPointers
        guard CompactionPicker(options: options).pick(versions.current, pointers: &pointers) != nil else { return }
        compactionScheduled = true
        compactionQueue.async { [self] in backgroundCompaction() }
    }

    /// Compacts while any level's score is >= 1.
    private func backgroundCompaction() {
        mutex.lock()
        let picker = CompactionPicker(options: options)
        while !isClosed, backgroundError == nil, let plan = picker.pick(versions.current, pointers: &compactionPointers) {
            if plan.isTrivialMove, let file = plan.inputs.first {
                var edit = VersionEdit()
                edit.deletedFiles = [.init(level: plan.level, number: file.number)]
                edit.newFiles = [file.newFileRecord(level: plan.outputLevel)]
                do {
                    try versions.logAndApply(edit)
                    counters.trivialMoves.add(1, ordering: .relaxed)
                    levelWork.withLock { $0[plan.outputLevel].bytesMoved += file.size }
                    publishReadState()
                } catch {
                    backgroundError = backgroundError ?? (error as? CairnError) ?? .closed("\(error)")
                }
                backgroundDone.broadcast()
                continue
            }
            let deleted = plan.inputs.map { VersionEdit.DeletedFile(level: plan.level, number: $0.number) }
                + plan.overlapping.map { VersionEdit.DeletedFile(level: plan.outputLevel, number: $0.number) }
            mutex.unlock()
            do {
                try runCompaction(
                    inputs: deleted, files: plan.allInputs, outputLevel: plan.outputLevel, isBottommost: plan.isBottommost)
            } catch {
                mutex.lock()
                if !isClosed { backgroundError = backgroundError ?? (error as? CairnError) ?? .closed("\(error)") }
                mutex.unlock()
            }
            mutex.lock()
        }
        compactionScheduled = false
        backgroundDone.broadcast()
        mutex.unlock()
    }
}

extension Database {
    /// Waits until no flush or compaction is queued or running (tests and tools use it to
    /// observe a settled shape).
    public func waitForBackgroundWork() {
        mutex.lock()
        defer { mutex.unlock() }
        while (flushScheduled || compactionScheduled || compactionRunning) && backgroundError == nil && !isClosed {
            backgroundDone.wait()
        }
    }
}
