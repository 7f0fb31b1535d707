extension Database {
    /// Flushes the memtable, then merges every table into one sorted table at level 1,
    /// dropping overwritten versions, deletions and range-deleted entries that no live
    /// snapshot can see.
    ///
    /// This is the manual, whole-database compaction behind `cairn kv compact`; background
    /// leveled compaction builds on the same `CompactionJob`.
    public func compactRange() throws {
        try flush()
        try backgroundQueue.sync {
            mutex.lock()
            if isClosed {
                mutex.unlock()
                throw CairnError.closed("database \(path) is closed")
            }
            if let e = backgroundError {
                mutex.unlock()
                throw e
            }
            let inputs = versions.current.levels.enumerated().flatMap { level, files in
                files.map { (level, $0) }
            }
            if inputs.isEmpty {
                mutex.unlock()
                return
            }
            // Read under the lock that also registers snapshots (see `snapshot()`).
            let smallestSnapshot = stateLock.withLock { state in
                min(snapshots.oldest ?? state.lastSequence, state.lastSequence)
            }
            compactionRunning = true
            mutex.unlock()

            let job = CompactionJob(
                inputs: inputs.map(\.1), outputLevel: 1, smallestSnapshot: smallestSnapshot, isBottommost: true,
                targetFileSize: Int64(options.targetFileSize),
                newFileNumber: { [self] in
                    mutex.withLock {
                        let n = versions.newFileNumber()
                        pendingOutputs.insert(n)
                        return n
                    }
                })
            let outcome = Result { try job.run(tableCache: tableCache, fileSystem: fileSystem, directory: path, options: options) }

            mutex.lock()
            defer {
                compactionRunning = false
                backgroundDone.broadcast()
                mutex.unlock()
            }
            let result = try outcome.get()
            defer { for n in result.reservedNumbers { pendingOutputs.remove(n) } }
            var edit = VersionEdit()
            edit.deletedFiles = inputs.map { VersionEdit.DeletedFile(level: $0.0, number: $0.1.number) }
            edit.newFiles = result.newFiles
            do {
                try versions.logAndApply(edit)
            } catch {
                backgroundError = backgroundError ?? (error as? CairnError) ?? .closed("\(error)")
                throw error
            }
            publishReadState()
        }
    }
}
