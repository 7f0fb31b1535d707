/// The database's durable file bookkeeping: the current `Version`, the file-number counter,
/// the oldest needed write-ahead log and the last persisted sequence number, all recorded in
/// the manifest (a log of `VersionEdit`s, Docs/manifest_format.md) that `CURRENT` names.
///
/// Not thread-safe: the database calls it with its mutex held.
final class VersionSet {
    let fileSystem: any FileSystem
    let directory: String
    private(set) var current = Version()
    /// Next unused file number.
    private(set) var nextFileNumber: UInt64 = 2
    /// WAL files numbered below this have been flushed and are not needed.
    private(set) var logNumber: UInt64 = 0
    /// Sequence number persisted by the last edit.
    private(set) var lastSequence: SequenceNumber = 0
    /// Number of the manifest being written (0 before the first edit after open).
    private(set) var manifestNumber: UInt64 = 0
    /// Write-ahead logs the manifest tracks as live (numbered at or above `logNumber`), each
    /// with the size known durable (0 if none is recorded). Logs recorded here must exist.
    private(set) var trackedLogs: [UInt64: Int64] = [:]
    /// A torn edit dropped from the manifest's tail by `recover` (nil if it ended cleanly).
    private(set) var droppedManifestTail: LogReader.Damage?
    private var manifestLog: LogWriter?
    /// Called with a file number when an obsolete file's last reader lets go.
    let obsoleteSink: @Sendable (UInt64) -> Void

    init(fileSystem: any FileSystem, directory: String, obsoleteSink: @escaping @Sendable (UInt64) -> Void) {
        self.fileSystem = fileSystem
        self.directory = directory
        self.obsoleteSink = obsoleteSink
    }

    /// Reserves a file number.
    func newFileNumber() -> UInt64 {
        defer { nextFileNumber += 1 }
        return nextFileNumber
    }

    /// Makes sure a later `newFileNumber` never returns `number` or below (used when recovery
    /// finds a log numbered beyond the manifest's counter).
    func markFileNumberUsed(_ number: UInt64) {
        if nextFileNumber <= number { nextFileNumber = number + 1 }
    }

    /// Writes the manifest and CURRENT of a new, empty database.
    static func createNew(fileSystem: any FileSystem, directory: String) throws {
        var edit = VersionEdit()
        edit.logNumber = 0
        edit.nextFileNumber = 2
        edit.lastSequence = 0
        try createNew(fileSystem: fileSystem, directory: directory, manifestNumber: 1, edit: edit)
    }

    /// Writes manifest `manifestNumber` holding `edit` alone, syncs it, and points CURRENT at
    /// it (atomically). Used for a new database and by `Database.repair`.
    static func createNew(fileSystem: any FileSystem, directory: String, manifestNumber number: UInt64, edit: VersionEdit) throws {
        let path = FileNames.manifest(directory, number)
        let file = try fileSystem.newWritableFile(path)
        let log = try LogWriter(file: file, fileNumber: number, kind: .manifest)
        try edit.encode().withUnsafeBytes { try log.addRecord($0) }
        try log.sync()
        try log.close()
        try fileSystem.syncDirectory(directory)
        try setCurrent(fileSystem: fileSystem, directory: directory, manifestNumber: number)
    }

    private static func setCurrent(fileSystem: any FileSystem, directory: String, manifestNumber: UInt64) throws {
        let name = "MANIFEST-" + FileNames.padded(manifestNumber) + "\n"
        try fileSystem.writeFileAtomically(FileNames.current(directory), Array(name.utf8), directory: directory)
    }

    /// Loads the state recorded by the manifest that CURRENT names.
    func recover() throws {
        let currentPath = FileNames.current(directory)
        let contents = try fileSystem.readFile(currentPath)
        guard contents.last == UInt8(ascii: "\n"),
              let name = String(validating: contents.dropLast(), as: UTF8.self),
              case .manifest(let number)? = FileNames.parse(name)
        else {
            throw CairnError.corruption(file: currentPath, offset: 0, reason: "CURRENT does not name a manifest")
        }
        let path = FileNames.manifest(directory, number)
        guard fileSystem.fileExists(path) else {
            throw CairnError.corruption(file: currentPath, offset: 0, reason: "CURRENT names \(name), which does not exist")
        }
        // Only a cut can be a torn edit: a complete edit with a bad checksum was written whole,
        // may have been synced and acted on, and is corruption (Docs/manifest_format.md).
        let reader = try LogReader(
            file: try fileSystem.newRandomAccessFile(path), kind: .manifest, expectedFileNumber: number,
            policy: .truncatedTailOnly)
        var version = Version()
        var sawLog = false, sawNext = false, sawSequence = false
        while let record = try reader.readRecord() {
            let edit = try VersionEdit.decode(record, file: path, offset: reader.lastRecordOffset)
            let (next, removed) = try version.applying(edit, manifest: path)
            for file in removed { file.markObsolete(obsoleteSink) }  // the edit is durable
            version = next
            if let v = edit.logNumber { logNumber = v; sawLog = true }
            if let v = edit.nextFileNumber { nextFileNumber = v; sawNext = true }
            if let v = edit.lastSequence { lastSequence = v; sawSequence = true }
            trackLogs(edit)
        }
        droppedManifestTail = reader.damages.last
        guard logNumber < FileNames.maxFileNumber, nextFileNumber < FileNames.maxFileNumber,
              lastSequence <= maxSequenceNumber
        else {
            throw CairnError.corruption(
                file: path, offset: 0,
                reason: "manifest counters out of range (log \(logNumber), next file \(nextFileNumber), sequence \(lastSequence))")
        }
        guard sawLog, sawNext, sawSequence else {
            throw CairnError.corruption(
                file: path, offset: 0, reason: "manifest lacks the log number, next file number or last sequence")
        }
        for file in version.allFiles where file.number >= nextFileNumber {
            throw CairnError.corruption(
                file: path, offset: 0, reason: "file \(file.number) is not below next file number \(nextFileNumber)")
        }
        current = version
        manifestNumber = number
        markFileNumberUsed(number)
    }

    /// Applies an edit's log records to `trackedLogs`: added logs join, synced sizes grow,
    /// logs below the edit's `logNumber` leave.
    private func trackLogs(_ edit: VersionEdit) {
        for n in edit.addedLogs where trackedLogs[n] == nil { trackedLogs[n] = 0 }
        for l in edit.syncedLogs { trackedLogs[l.number] = max(trackedLogs[l.number] ?? 0, l.size) }
        if let floor = edit.logNumber { trackedLogs = trackedLogs.filter { $0.key >= floor } }
    }

    /// Records `edit` durably in the manifest, then makes the resulting version current.
    ///
    /// The first call after open starts a fresh manifest holding a snapshot of the whole
    /// state and points CURRENT at it. If writing fails the in-memory state is unchanged and
    /// the error is thrown (the caller then stops accepting writes: the manifest's tail is in
    /// doubt).
    func logAndApply(_ edit: VersionEdit) throws {
        var edit = edit
        if edit.logNumber == nil { edit.logNumber = logNumber }
        if edit.lastSequence == nil { edit.lastSequence = lastSequence }
        let manifestPath = FileNames.manifest(directory, manifestNumber)
        guard !isClosed else { throw CairnError.closed("the manifest is closed") }
        let (next, removed) = try current.applying(edit, manifest: manifestPath)

        if manifestLog == nil {
            let number = newFileNumber()
            let path = FileNames.manifest(directory, number)
            let file = try fileSystem.newWritableFile(path)
            do {
                let log = try LogWriter(file: file, fileNumber: number, kind: .manifest)
                var snapshot = current.snapshotEdit()
                for (n, size) in trackedLogs.sorted(by: { $0.key < $1.key }) {
                    snapshot.addedLogs.append(n)
                    if size > 0 { snapshot.syncedLogs.append(.init(number: n, size: size)) }
                }
                snapshot.logNumber = logNumber
                snapshot.lastSequence = lastSequence
                snapshot.nextFileNumber = nextFileNumber
                try snapshot.encode().withUnsafeBytes { try log.addRecord($0) }
                edit.nextFileNumber = nextFileNumber
                try edit.encode().withUnsafeBytes { try log.addRecord($0) }
                try log.sync()
                try VersionSet.setCurrent(fileSystem: fileSystem, directory: directory, manifestNumber: number)
                manifestLog = log
                manifestNumber = number
            } catch {
                try? file.close()
                try? fileSystem.removeFile(path)
                throw error
            }
        } else if let log = manifestLog {
            edit.nextFileNumber = nextFileNumber
            try edit.encode().withUnsafeBytes { try log.addRecord($0) }
            try log.sync()
        }
        current = next
        for file in removed { file.markObsolete(obsoleteSink) }
        if let v = edit.logNumber { logNumber = v }
        if let v = edit.lastSequence { lastSequence = v }
        trackLogs(edit)
    }

    /// Closes the manifest file; later `logAndApply` calls throw `.closed`.
    func close() {
        try? manifestLog?.close()
        manifestLog = nil
        isClosed = true
    }

    private var isClosed = false

    /// Numbers of every file the current version or the open manifest needs.
    var liveFileNumbers: Set<UInt64> {
        Set(current.allFiles.map(\.number))
    }
}
