/// One change to the set of live files, as recorded in the manifest (Docs/manifest_format.md).
///
/// Encoding: a sequence of fields, each `tag: varint32` followed by the field's payload.
/// Unknown tags are corruption (a newer writer would bump the manifest format version).
struct VersionEdit: Equatable {
    /// A file added at a level.
    struct NewFile: Equatable {
        var level: Int
        var number: UInt64
        var size: Int64
        var smallest: [UInt8]
        var largest: [UInt8]
        var smallestSequence: SequenceNumber
        var largestSequence: SequenceNumber
        var entryCount: UInt64
        var rangeDeletionCount: UInt64
        /// The table's identity (`TableProperties.uniqueID`); empty for tables recorded before
        /// identities existed (tag 5).
        var uniqueID: [UInt8] = []
    }

    /// A write-ahead log and a size: how much of it is known durable.
    struct LogSize: Equatable {
        var number: UInt64
        var size: Int64
    }

    /// WAL files numbered below this are no longer needed.
    var logNumber: UInt64?
    /// The next unused file number.
    var nextFileNumber: UInt64?
    /// The highest sequence number written to a table or covered by `logNumber`.
    var lastSequence: SequenceNumber?
    /// Files removed: (level, number).
    var deletedFiles: [DeletedFile] = []
    /// Files added.
    var newFiles: [NewFile] = []
    /// Write-ahead logs created (recorded before any write goes to them), so recovery knows
    /// which logs must exist: a tracked log numbered at or above `logNumber` that is missing
    /// is corruption (RocksDB's track_and_verify_wals_in_manifest).
    var addedLogs: [UInt64] = []
    /// Write-ahead logs known durable up to a size; a tracked log shorter than that is
    /// corruption, and damage before that size is never a torn tail.
    var syncedLogs: [LogSize] = []

    /// A removed file.
    struct DeletedFile: Equatable, Hashable {
        var level: Int
        var number: UInt64
    }

    enum Tag: UInt32 {
        case logNumber = 1
        case nextFileNumber = 2
        case lastSequence = 3
        case deletedFile = 4
        case newFile = 5
        /// A new file with its unique identity (format version 2).
        case newTable = 6
        case addedLog = 7
        case syncedLog = 8
    }

    static let maxLevels = 7

    func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + newFiles.count * 80)
        if let v = logNumber {
            Coding.appendVarint(&out, UInt64(Tag.logNumber.rawValue))
            Coding.appendVarint(&out, v)
        }
        if let v = nextFileNumber {
            Coding.appendVarint(&out, UInt64(Tag.nextFileNumber.rawValue))
            Coding.appendVarint(&out, v)
        }
        if let v = lastSequence {
            Coding.appendVarint(&out, UInt64(Tag.lastSequence.rawValue))
            Coding.appendVarint(&out, v)
        }
        for d in deletedFiles {
            Coding.appendVarint(&out, UInt64(Tag.deletedFile.rawValue))
            Coding.appendVarint(&out, UInt64(d.level))
            Coding.appendVarint(&out, d.number)
        }
        for f in newFiles {
            Coding.appendVarint(&out, UInt64((f.uniqueID.isEmpty ? Tag.newFile : Tag.newTable).rawValue))
            Coding.appendVarint(&out, UInt64(f.level))
            Coding.appendVarint(&out, f.number)
            Coding.appendVarint(&out, UInt64(f.size))
            Coding.appendLengthPrefixed(&out, f.smallest)
            Coding.appendLengthPrefixed(&out, f.largest)
            Coding.appendVarint(&out, f.smallestSequence)
            Coding.appendVarint(&out, f.largestSequence)
            Coding.appendVarint(&out, f.entryCount)
            Coding.appendVarint(&out, f.rangeDeletionCount)
            if !f.uniqueID.isEmpty { Coding.appendLengthPrefixed(&out, f.uniqueID) }
        }
        for n in addedLogs {
            Coding.appendVarint(&out, UInt64(Tag.addedLog.rawValue))
            Coding.appendVarint(&out, n)
        }
        for l in syncedLogs {
            Coding.appendVarint(&out, UInt64(Tag.syncedLog.rawValue))
            Coding.appendVarint(&out, l.number)
            Coding.appendVarint(&out, UInt64(l.size))
        }
        return out
    }

    /// Decodes an edit; `file` and `offset` name the manifest record for error messages.
    static func decode(_ bytes: [UInt8], file: String, offset: Int64) throws -> VersionEdit {
        func bad(_ reason: String) -> CairnError {
            .corruption(file: file, offset: offset, reason: "manifest record: \(reason)")
        }
        var edit = VersionEdit()
        try bytes.withUnsafeBytes { p in
            var c = 0
            func varint(_ what: String) throws -> UInt64 {
                guard let v = Coding.readVarint64(p, &c) else { throw bad("truncated \(what)") }
                return v
            }
            func level() throws -> Int {
                let l = try varint("level")
                guard l < UInt64(maxLevels) else { throw bad("level \(l) out of range") }
                return Int(l)
            }
            func internalKey(_ what: String) throws -> [UInt8] {
                guard let r = Coding.readLengthPrefixed(p, &c), r.count >= InternalKey.trailerSize else {
                    throw bad("bad \(what)")
                }
                return Array(p[r])
            }
            while c < p.count {
                let rawTag = try varint("tag")
                guard rawTag <= UInt64(UInt32.max), let tag = Tag(rawValue: UInt32(rawTag)) else {
                    throw bad("unknown tag \(rawTag)")
                }
                switch tag {
                case .logNumber: edit.logNumber = try varint("log number")
                case .nextFileNumber: edit.nextFileNumber = try varint("next file number")
                case .lastSequence: edit.lastSequence = try varint("last sequence")
                case .deletedFile:
                    let l = try level()
                    edit.deletedFiles.append(DeletedFile(level: l, number: try varint("file number")))
                case .addedLog:
                    edit.addedLogs.append(try varint("log number"))
                case .syncedLog:
                    let number = try varint("log number")
                    let size = try varint("log size")
                    guard size < 1 << 48 else { throw bad("log \(number) size \(size) out of range") }
                    edit.syncedLogs.append(LogSize(number: number, size: Int64(size)))
                case .newFile, .newTable:
                    let l = try level()
                    let number = try varint("file number")
                    let size = try varint("file size")
                    guard size < 1 << 48 else { throw bad("file size \(size) out of range") }
                    let smallest = try internalKey("smallest key")
                    let largest = try internalKey("largest key")
                    let smallestSequence = try varint("smallest sequence")
                    let largestSequence = try varint("largest sequence")
                    guard smallestSequence <= largestSequence, largestSequence <= maxSequenceNumber else {
                        throw bad("file \(number) has sequence range \(smallestSequence)...\(largestSequence)")
                    }
                    var file = NewFile(
                        level: l, number: number, size: Int64(size), smallest: smallest, largest: largest,
                        smallestSequence: smallestSequence, largestSequence: largestSequence,
                        entryCount: try varint("entry count"),
                        rangeDeletionCount: try varint("range deletion count"))
                    if tag == .newTable {
                        guard let r = Coding.readLengthPrefixed(p, &c), r.count == TableProperties.uniqueIDLength else {
                            throw bad("file \(number) has a malformed unique ID")
                        }
                        file.uniqueID = Array(p[r])
                    }
                    edit.newFiles.append(file)
                }
            }
        }
        return edit
    }
}

extension VersionEdit.NewFile {
    /// The record for a table just written, from the properties its builder returned.
    init(level: Int, number: UInt64, properties p: TableProperties) {
        self.init(
            level: level, number: number, size: Int64(p.fileSize), smallest: p.smallestKey, largest: p.largestKey,
            smallestSequence: p.smallestSequence, largestSequence: p.largestSequence,
            entryCount: p.entryCount, rangeDeletionCount: p.rangeTombstoneCount, uniqueID: p.uniqueID)
    }
}
