/// What `Database.repair` kept and what it set aside.
public struct RepairReport: Sendable, CustomStringConvertible {
    /// A table file that passed every check and is live in the rebuilt database.
    public struct KeptTable: Sendable, Equatable {
        /// The file's name.
        public var name: String
        /// Point entries and range tombstones it holds.
        public var entries: UInt64
    }

    /// A write-ahead log whose valid records were written to a new table.
    public struct ConvertedLog: Sendable, Equatable {
        /// The log's name.
        public var name: String
        /// Write batches recovered from it.
        public var records: Int
        /// Updates (puts, deletes, range deletes) in those batches.
        public var updates: Int
        /// The damaged stretches skipped (empty if the log was intact).
        public var damage: [LogReader.Damage]
    }

    /// A file moved to the `lost/` folder, and why.
    public struct SetAside: Sendable, Equatable {
        /// The file's name (now under `lost/`).
        public var name: String
        /// Why it was set aside.
        public var reason: String
    }

    /// Tables kept, in number order (including those written from logs).
    public var keptTables: [KeptTable] = []
    /// Logs whose records were kept.
    public var convertedLogs: [ConvertedLog] = []
    /// Files moved to `lost/`.
    public var setAside: [SetAside] = []
    /// The manifest written.
    public var manifest = ""
    /// The largest sequence number recovered.
    public var lastSequence: SequenceNumber = 0

    /// A multi-line account for the operator.
    public var description: String {
        var lines: [String] = []
        lines.append("kept \(keptTables.count) tables (\(keptTables.reduce(0) { $0 + $1.entries }) entries):")
        for t in keptTables { lines.append("  \(t.name): \(t.entries) entries") }
        for l in convertedLogs {
            let damaged = l.damage.isEmpty ? "" : ", skipped \(l.damage.reduce(0) { $0 + $1.bytes }) damaged bytes"
            lines.append("recovered \(l.records) write batches (\(l.updates) updates) from \(l.name)\(damaged)")
            for d in l.damage { lines.append("  skipped \(d)") }
        }
        if setAside.isEmpty {
            lines.append("set aside nothing")
        } else {
            lines.append("set aside \(setAside.count) files in lost/:")
            for s in setAside { lines.append("  \(s.name): \(s.reason)") }
        }
        lines.append("wrote \(manifest) (last sequence \(lastSequence))")
        return lines.joined(separator: "\n")
    }
}

extension Database {
    /// Rebuilds the database in `path` from the files that are intact, like LevelDB's RepairDB
    /// and `ldb repair`: for a database that no longer opens because its manifest or CURRENT is
    /// damaged or missing, or a file it needs is gone.
    ///
    /// 1. Every table file is opened and every block checksummed; a table that fails is moved
    ///    to `lost/` and the rest are kept.
    /// 2. Every write-ahead log is read, skipping damaged stretches; its valid write batches
    ///    are written to a new table. A damaged log is then moved to `lost/`, an intact one
    ///    removed once the new manifest is durable.
    /// 3. The old manifests move to `lost/`; a new manifest lists every kept table at level 0
    ///    and CURRENT is pointed at it.
    /// 4. The database is opened and compacted into one sorted run, so that no older version
    ///    of a key can shadow a newer one across the former levels.
    ///
    /// Repair keeps every valid record it finds, so after damage in the middle of a log it may
    /// keep writes that followed the damage (unlike recovery, which keeps a prefix). Nothing is
    /// deleted except intact logs whose records are in a synced table. Copy the directory
    /// first if the files matter: a repair cannot be undone.
    ///
    /// - Throws: `CairnError.notFound` if `path` does not exist or holds no database files;
    ///   `.busy` if the database is open; I/O errors.
    public static func repair(_ path: String, options: Options = Options()) throws -> RepairReport {
        let fs = options.fileSystem
        guard fs.fileExists(path) else { throw CairnError.notFound("no database at \(path): the directory does not exist") }
        var report = RepairReport()
        do {
            let lock = try fs.lockFile(FileNames.lock(path))
            defer { lock.unlock() }
            try rebuildManifest(path, fileSystem: fs, options: options, report: &report)
        }
        // Merge the former levels, so reads never see an older version first.
        var open = options
        open.createIfMissing = false
        let db = try Database.open(path, options: open)
        do {
            try db.compactRange()
        } catch {
            try? db.close()
            throw error
        }
        try db.close()
        return report
    }

    /// Steps 1 to 3 of `repair`, holding the directory lock.
    private static func rebuildManifest(
        _ path: String, fileSystem fs: any FileSystem, options: Options, report: inout RepairReport
    ) throws {
        var tables: [UInt64] = [], logs: [UInt64] = [], manifests: [String] = []
        var highest: UInt64 = 1
        for name in try fs.listDirectory(path) {
            switch FileNames.parse(name) {
            case .table(let n)?: tables.append(n); highest = max(highest, n)
            case .log(let n)?: logs.append(n); highest = max(highest, n)
            case .manifest(let n)?: manifests.append(name); highest = max(highest, n)
            default: break
            }
        }
        guard !tables.isEmpty || !logs.isEmpty || !manifests.isEmpty else {
            throw CairnError.notFound("no database at \(path): the directory holds no database files")
        }
        var nextNumber = highest + 1
        var newFiles: [VersionEdit.NewFile] = []
        var lastSequence: SequenceNumber = 0
        let lost = joinPath(path, "lost")
        func setAside(_ name: String, _ reason: String) throws {
            if !fs.fileExists(lost) { try fs.createDirectory(lost) }
            try fs.rename(joinPath(path, name), to: joinPath(lost, name))
            report.setAside.append(.init(name: name, reason: reason))
        }

        for number in tables.sorted() {
            let name = baseName(FileNames.table(path, number))
            do {
                let reader = try TableReader.open(
                    file: try fs.newRandomAccessFile(FileNames.table(path, number)), fileNumber: number,
                    blockCache: nil, verifyChecksums: true)
                try reader.verifyAllBlocks()
                let p = reader.properties
                newFiles.append(VersionEdit.NewFile(level: 0, number: number, properties: p))
                lastSequence = max(lastSequence, p.largestSequence)
                report.keptTables.append(.init(name: name, entries: p.entryCount + p.rangeTombstoneCount))
            } catch let error as CairnError {
                guard case .corruption = error else { throw error }
                try setAside(name, "\(error)")
            }
        }

        var intactLogs: [UInt64] = []
        for number in logs.sorted() {
            let logPath = FileNames.log(path, number)
            let name = baseName(logPath)
            let mem = Memtable.sized(for: options)
            var converted = RepairReport.ConvertedLog(name: name, records: 0, updates: 0, damage: [])
            var badRecords: [String] = []
            do {
                let reader = try LogReader(
                    file: try fs.newRandomAccessFile(logPath), kind: .wal, expectedFileNumber: number, policy: .skipDamage)
                let version = reader.header?.version ?? LogFormat.formatVersion
                while let record = try reader.readRecord() {
                    let offset = reader.lastRecordOffset
                    do {
                        let batch = try WriteBatch.decodeWALRecord(record, version: version, file: logPath, offset: offset).batch
                        // Check the whole batch before applying any of it: a damaged batch is
                        // set aside whole, never half applied.
                        try batch.forEach(file: logPath, offset: offset) { _, _, _ in }
                        var sequence = batch.sequence
                        try batch.forEach(file: logPath, offset: offset) { type, key, value in
                            mem.add(sequence: sequence, type: type, key: key, value: value)
                            sequence += 1
                        }
                        if batch.count > 0 { lastSequence = max(lastSequence, sequence - 1) }
                        converted.records += 1
                        converted.updates += batch.count
                    } catch let error as CairnError {
                        guard case .corruption = error else { throw error }
                        badRecords.append("record at offset \(offset): \(error)")
                    }
                }
                converted.damage = reader.damages
            } catch let error as CairnError {
                guard case .corruption = error else { throw error }
                badRecords.append("\(error)")
            }
            if !mem.isEmpty || !mem.rangeTombstones.isEmpty {
                let tableNumber = nextNumber
                nextNumber += 1
                if let file = try writeLevel0Table(mem, number: tableNumber, fileSystem: fs, directory: path, options: options) {
                    newFiles.append(file)
                    report.keptTables.append(
                        .init(name: baseName(FileNames.table(path, tableNumber)), entries: file.entryCount + file.rangeDeletionCount))
                }
            }
            report.convertedLogs.append(converted)
            if converted.damage.isEmpty && badRecords.isEmpty {
                intactLogs.append(number)
            } else {
                let skipped = converted.damage.map(\.description) + badRecords
                try setAside(name, "damaged; \(converted.records) valid records kept; skipped " + skipped.joined(separator: "; "))
            }
        }

        for name in manifests.sorted() { try setAside(name, "replaced by the rebuilt manifest") }
        let manifestNumber = nextNumber
        nextNumber += 1
        var edit = VersionEdit()
        edit.newFiles = newFiles
        edit.logNumber = nextNumber
        edit.nextFileNumber = nextNumber
        edit.lastSequence = lastSequence
        try VersionSet.createNew(fileSystem: fs, directory: path, manifestNumber: manifestNumber, edit: edit)
        report.manifest = "MANIFEST-" + FileNames.padded(manifestNumber)
        report.lastSequence = lastSequence
        report.keptTables.sort { $0.name < $1.name }
        for number in intactLogs { try fs.removeFile(FileNames.log(path, number)) }
        try fs.syncDirectory(path)
        if fs.fileExists(lost) { try fs.syncDirectory(lost) }
    }

    /// The last path component.
    static func baseName(_ path: String) -> String {
        String(path.split(separator: "/").last ?? "")
    }
}
