/// Reads the logical records of a log file (write-ahead log or manifest) written by
/// `LogWriter`, validating the header record and every fragment's checksum.
///
/// **Damage policies** (`DamagePolicy`). A damaged physical record is a checksum mismatch, a
/// length past the block or the file, an unknown type, a fragment out of sequence, or a
/// zero-filled header. Damaged bytes are never returned as a record; what happens next depends
/// on the policy the reader was created with:
///
/// - `.dropTornTail` (the default): damage ends the log only if it is a torn tail, that is no
///   valid record starts anywhere after it. The reader then returns nil and reports the bytes
///   it gave up in `droppedTailBytes` (zero-filled space at the end, such as preallocation, is
///   not counted). If a valid FULL or FIRST record does follow, `readRecord` throws
///   `CairnError.corruption` naming the offset of the damaged record.
/// - `.truncatedTailOnly` (manifests): only a record that physically ends past the end of the
///   file, or zeros that run to the end of the file, is a torn tail. A complete record with a
///   bad checksum is corruption even when nothing follows it: it was written whole, so it may
///   have been synced and acted on.
/// - `.skipDamage` (write-ahead log replay, repair): damage never throws. The reader skips to
///   the next valid record, records what it skipped in `damages`, and goes on; the caller
///   decides what the damage means.
///
/// See `Docs/log_format.md` for why.
///
/// To decide, the reader looks for a later record start in the damaged block (after the
/// damaged record, located by its stated length or by the length whose checksum matches, in
/// case the length field is what was damaged) and at the start of every later block: every
/// block the writer produced begins with a physical record.
///
/// The file is read one 32 KiB block at a time, up to the size it had when opened. A file that
/// is empty, or whose header record is torn, reads as an empty log (`header` is nil).
///
/// Single owner: not safe for concurrent use.
public final class LogReader {
    /// What the reader does when it finds damaged bytes (see the type's documentation).
    public enum DamagePolicy: Sendable, Equatable {
        /// Damage with no valid record after it is a dropped torn tail; damage followed by a
        /// valid record throws.
        case dropTornTail
        /// Only a record cut by the end of the file (or zeros to the end) is a torn tail; any
        /// other damage throws.
        case truncatedTailOnly
        /// Damage is skipped and recorded in `damages`; nothing throws for damaged bytes.
        case skipDamage
    }

    /// A damaged region the reader gave up.
    public struct Damage: Sendable, Equatable, CustomStringConvertible {
        /// File offset where the lost bytes begin (the start of the damaged logical record).
        public var offset: Int64
        /// Bytes given up: up to the next valid record, or (at the tail) to the last non-zero
        /// byte of the file.
        public var bytes: Int64
        /// What was wrong.
        public var reason: String
        /// True if no valid record follows (the damage ends the log).
        public var atTail: Bool

        /// "offset N: N bytes (reason)".
        public var description: String {
            "\(bytes) bytes at offset \(offset)\(atTail ? " (to the end of the file)" : ""): \(reason)"
        }
    }

    /// A logical record and where it starts.
    public struct Record: Sendable, Equatable {
        /// File offset of the record's first physical fragment.
        public let offset: Int64
        /// The record's bytes.
        public let payload: [UInt8]

        /// Creates a record.
        public init(offset: Int64, payload: [UInt8]) {
            self.offset = offset
            self.payload = payload
        }
    }

    /// The file being read.
    public let file: any RandomAccessFile
    /// The kind of log the caller expects.
    public let kind: LogKind
    /// The file's header, or nil if the file is empty or its header record is torn.
    public private(set) var header: LogFileHeader?
    /// File offset of the first fragment of the last record returned; -1 before the first.
    public private(set) var lastRecordOffset: Int64 = -1
    /// Non-zero bytes of a torn tail that were dropped (0 until the end is reached, and 0 if
    /// the log ended cleanly).
    public private(set) var droppedTailBytes: Int64 = 0
    /// Size of the file when the reader was created; bytes past it are not read.
    public let fileSize: Int64
    /// What damage does (see `DamagePolicy`).
    public let policy: DamagePolicy
    /// Every damaged region given up so far, in file order (a torn tail included).
    public private(set) var damages: [Damage] = []

    /// The block being parsed (`LogFormat.blockSize` bytes of storage).
    private let storage: UnsafeMutableRawBufferPointer
    /// File offset of the block in `storage`.
    private var blockStart: Int64 = 0
    /// Valid bytes in `storage` (less than a block only for the file's last block).
    private var blockLength = 0
    /// Parse position inside the block.
    private var position = 0
    /// Set once the end of the log (clean or torn) has been reached.
    private var finished = false
    /// The error `readRecord` threw, rethrown by every later call.
    private var failure: (any Error)?

    /// `LogFormat.blockSize`.
    private static let blockSize = LogFormat.blockSize
    /// `LogFormat.recordHeaderSize`.
    private static let headerSize = LogFormat.recordHeaderSize

    /// Opens a log and validates its header record.
    ///
    /// - Parameters:
    ///   - kind: the kind the header must name.
    ///   - expectedFileNumber: if given, the file number the header must name.
    ///   - policy: what damaged bytes do (`DamagePolicy`).
    /// - Throws: `CairnError.corruption` if the file is not a Cairn log, names another kind or
    ///   file number, or has a damaged header followed by valid records;
    ///   `CairnError.notSupported` for an unknown format version; I/O errors of the file.
    public init(
        file: any RandomAccessFile, kind: LogKind, expectedFileNumber: UInt64?, policy: DamagePolicy = .dropTornTail
    ) throws {
        self.file = file
        self.kind = kind
        self.policy = policy
        self.fileSize = max(0, file.size)
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: LogFormat.blockSize, alignment: 16)
        try loadBlock(at: 0)
        try readFileHeader(expectedFileNumber: expectedFileNumber)
    }

    /// Frees the block buffer.
    deinit { storage.deallocate() }

    /// The next logical record, reassembled from its fragments, or nil at the end of the log.
    ///
    /// - Throws: `CairnError.corruption` for damage followed by valid records; I/O errors.
    ///   Errors are sticky: once one is thrown, every later call throws it again (the reader
    ///   never skips over damage to the records behind it).
    public func readRecord() throws -> [UInt8]? {
        if let failure { throw failure }
        do {
            return try readNextRecord()
        } catch {
            failure = error
            throw error
        }
    }

    /// `readRecord` without the sticky error.
    private func readNextRecord() throws -> [UInt8]? {
        guard !finished else { return nil }
        let headerSize = Self.headerSize
        var assembled: [UInt8] = []
        var pendingStart: Int64 = -1  // offset of the FIRST fragment of an unfinished record
        while true {
            if blockLength - position < headerSize {
                if blockLength == Self.blockSize {
                    // A block tail too short for a header is padding; go to the next block.
                    try loadBlock(at: blockStart + Int64(Self.blockSize))
                    continue
                }
                // End of the file.
                if pendingStart < 0 && position == blockLength {
                    finished = true
                    return nil
                }
                let here = blockStart + Int64(position)
                if pendingStart >= 0 {
                    try handleDamage(
                        at: pendingStart, reason: "record has no LAST fragment before the end of the file",
                        kind: .truncated, resumePositions: [], droppedFrom: pendingStart)
                } else {
                    try handleDamage(
                        at: here, reason: "truncated record header", kind: .truncated, resumePositions: [],
                        droppedFrom: here)
                }
                return nil
            }

            let offset = blockStart + Int64(position)
            switch parse(at: position) {
            case let .damaged(reason, kind, resumePositions):
                let context = pendingStart >= 0 ? " (fragment of the record starting at offset \(pendingStart))" : ""
                if try handleDamage(
                    at: offset, reason: reason + context, kind: kind, resumePositions: resumePositions,
                    droppedFrom: pendingStart >= 0 ? pendingStart : offset)
                {
                    assembled = []
                    pendingStart = -1
                    continue
                }
                return nil

            case let .record(type, payload):
                let next = payload.upperBound
                let bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[payload])
                switch LogFormat.RecordType(rawValue: type) {
                case .full?:
                    if pendingStart >= 0 {
                        try brokenSequence(pendingStart, nextStart: offset)
                        assembled = []
                        pendingStart = -1
                    }
                    position = next
                    lastRecordOffset = offset
                    return Array(bytes)
                case .first?:
                    if pendingStart >= 0 { try brokenSequence(pendingStart, nextStart: offset) }
                    pendingStart = offset
                    assembled = Array(bytes)
                    position = next
                case .middle?, .last?:
                    guard pendingStart >= 0 else {
                        if try handleDamage(
                            at: offset,
                            reason: "\(type == LogFormat.RecordType.middle.rawValue ? "MIDDLE" : "LAST") fragment without a FIRST",
                            kind: .invalid, resumePositions: [next], droppedFrom: offset)
                        {
                            continue
                        }
                        return nil
                    }
                    assembled.append(contentsOf: bytes)
                    position = next
                    if type == LogFormat.RecordType.last.rawValue {
                        lastRecordOffset = pendingStart
                        return assembled
                    }
                case nil:
                    if try handleDamage(
                        at: offset, reason: "unknown record type \(type)", kind: .invalid, resumePositions: [next],
                        droppedFrom: pendingStart >= 0 ? pendingStart : offset)
                    {
                        assembled = []
                        pendingStart = -1
                        continue
                    }
                    return nil
                }
            }
        }
    }

    /// The next logical record with its offset (for tools such as `dump-wal`), or nil at the end.
    public func nextRecord() throws -> Record? {
        guard let payload = try readRecord() else { return nil }
        return Record(offset: lastRecordOffset, payload: payload)
    }

    // MARK: - Header

    /// Reads and validates the header record at offset 0.
    private func readFileHeader(expectedFileNumber: UInt64?) throws {
        guard blockLength > 0 else {
            finished = true
            return
        }
        let block = UnsafeRawBufferPointer(start: storage.baseAddress, count: blockLength)
        let magic = LogFormat.magic
        let magicRange = Self.headerSize..<(Self.headerSize + magic.count)
        let magicIntact = blockLength >= magicRange.upperBound
            && magic.indices.allSatisfy { block[magicRange.lowerBound + $0] == magic[$0] }

        switch parse(at: 0) {
        case let .record(type, payload):
            guard type == LogFormat.RecordType.full.rawValue else {
                throw CairnError.corruption(
                    file: file.path, offset: 0,
                    reason: magicIntact
                        ? "log header record has type \(type), expected FULL (1)"
                        : "not a Cairn log (the first record is not a CAIRNLOG header)")
            }
            try validateHeader(UnsafeRawBufferPointer(rebasing: block[payload]), expectedFileNumber: expectedFileNumber)
            position = payload.upperBound

        case let .damaged(reason, kind, resumePositions):
            // Bytes 4..<15 of a header are known (length 24, type FULL, magic); a torn header
            // holds a prefix of them followed by zeros.
            var template: [UInt8] = [UInt8(LogFormat.fileHeaderPayloadSize), 0, LogFormat.RecordType.full.rawValue]
            template += magic
            var looksTorn = true
            for (i, expected) in template.enumerated() where 4 + i < blockLength {
                let byte = block[4 + i]
                if byte != expected && byte != 0 { looksTorn = false }
            }
            guard magicIntact || looksTorn else {
                throw CairnError.corruption(file: file.path, offset: 0, reason: "not a Cairn log (no CAIRNLOG header record)")
            }
            if try handleDamage(
                at: 0, reason: "log header record damaged: \(reason)", kind: kind, resumePositions: resumePositions,
                droppedFrom: 0)
            {
                // Skipping damage: the records after a lost header are still read.
                header = nil
            }
        }
    }

    /// Checks the header payload: magic, version, length, kind and file number.
    private func validateHeader(_ payload: UnsafeRawBufferPointer, expectedFileNumber: UInt64?) throws {
        let magic = LogFormat.magic
        let payloadOffset = Int64(Self.headerSize)
        guard payload.count >= magic.count, magic.indices.allSatisfy({ payload[$0] == magic[$0] }) else {
            throw CairnError.corruption(
                file: file.path, offset: payloadOffset, reason: "not a Cairn log (bad magic in the header record)")
        }
        var cursor = magic.count
        guard let version = Coding.readFixed32(payload, &cursor) else {
            throw CairnError.corruption(
                file: file.path, offset: payloadOffset,
                reason: "log header record too short (\(payload.count) bytes)")
        }
        guard (LogFormat.oldestReadableVersion...LogFormat.formatVersion).contains(version) else {
            throw CairnError.notSupported(
                "\(file.path): log format version \(version); this build reads versions "
                    + "\(LogFormat.oldestReadableVersion) to \(LogFormat.formatVersion)")
        }
        guard payload.count == LogFormat.fileHeaderPayloadSize,
              let kindValue = Coding.readFixed32(payload, &cursor),
              let number = Coding.readFixed64(payload, &cursor)
        else {
            throw CairnError.corruption(
                file: file.path, offset: payloadOffset,
                reason: "log header record has \(payload.count) payload bytes, expected \(LogFormat.fileHeaderPayloadSize)")
        }
        guard let fileKind = LogKind(rawValue: kindValue), fileKind == kind else {
            let named = LogKind(rawValue: kindValue).map { "a \($0)" } ?? "unknown kind \(kindValue)"
            throw CairnError.corruption(
                file: file.path, offset: payloadOffset + 12, reason: "log header names \(named), expected a \(kind)")
        }
        if let expected = expectedFileNumber, number != expected {
            throw CairnError.corruption(
                file: file.path, offset: payloadOffset + 16,
                reason: "log header names file number \(number), expected \(expected)")
        }
        header = LogFileHeader(kind: fileKind, fileNumber: number, version: version)
    }

    // MARK: - Physical records

    /// The outcome of parsing one physical record.
    private enum Physical {
        /// A record with a valid checksum: its type byte and its payload's range in the block.
        case record(type: UInt8, payload: Range<Int>)
        /// A damaged record, what kind of damage it is, and the block positions where the next
        /// record would start if only the damaged record's checksum, type or length field were
        /// wrong.
        case damaged(reason: String, kind: DamageKind, resumePositions: [Int])
    }

    /// How damage looks, which decides whether it can be a torn write under
    /// `.truncatedTailOnly`.
    enum DamageKind {
        /// A record (or a record's fragments) cut by the end of the file.
        case truncated
        /// Zero bytes where a record header should be (preallocated or never-written space).
        case zeros
        /// A complete record that is wrong (checksum, type, length, sequence).
        case invalid
    }

    /// Parses the physical record at block position `p`.
    private func parse(at p: Int) -> Physical {
        let headerSize = Self.headerSize
        let block = UnsafeRawBufferPointer(start: storage.baseAddress, count: blockLength)
        guard p >= 0, blockLength - p >= headerSize else {
            return .damaged(reason: "truncated record header", kind: .truncated, resumePositions: [])
        }
        let stored = Coding.fixed32(block, at: p)
        let length = Int(block[p + 4]) | Int(block[p + 5]) << 8
        let type = block[p + 6]
        if stored == 0 && length == 0 && type == 0 {
            // A record after the zeros starts at most 6 bytes before its first non-zero byte
            // (its type byte is never zero).
            var q = p + headerSize
            while q < blockLength && block[q] == 0 { q += 1 }
            let resume = q < blockLength ? Array(max(p + headerSize, q - 6)...q) : []
            return .damaged(reason: "zero-filled region", kind: .zeros, resumePositions: resume)
        }
        let end = p + headerSize + length
        if end <= blockLength {
            let payload = UnsafeRawBufferPointer(rebasing: block[(p + headerSize)..<end])
            if LogFormat.recordChecksum(type: type, payload: payload) == stored {
                return .record(type: type, payload: (p + headerSize)..<end)
            }
        }
        let reason: String
        var kind = DamageKind.invalid
        if end <= blockLength {
            reason = "checksum mismatch"
        } else if blockLength < Self.blockSize && end <= Self.blockSize {
            reason = "truncated record (\(length) payload bytes, the file ends after \(blockLength - p - headerSize))"
            kind = .truncated
        } else {
            reason = "record length \(length) overruns its block"
        }
        var resume: [Int] = []
        if end <= blockLength { resume.append(end) }
        // If the length field is what was damaged, the length whose checksum matches tells
        // where the record really ends.
        if let realLength = matchingLength(at: p, stored: stored, type: type), realLength != length {
            resume.append(p + headerSize + realLength)
        }
        return .damaged(reason: reason, kind: kind, resumePositions: resume)
    }

    /// The payload length at block position `p` for which the stored checksum matches, if any
    /// (computed incrementally over every prefix of the rest of the block).
    private func matchingLength(at p: Int, stored: UInt32, type: UInt8) -> Int? {
        let start = p + Self.headerSize
        guard start <= blockLength, let base = storage.baseAddress else { return nil }
        var crc = withUnsafeBytes(of: type) { CRC32C.checksum($0) }
        if CRC32C.mask(crc) == stored { return 0 }
        for i in start..<blockLength {
            crc = CRC32C.extend(crc, UnsafeRawBufferPointer(start: base + i, count: 1))
            if CRC32C.mask(crc) == stored { return i + 1 - start }
        }
        return nil
    }

    /// Block position of the first valid FULL or FIRST record in the chain of valid records
    /// that starts at block position `p`, if any.
    private func recordStartInChain(from p: Int) -> Int? {
        var p = p
        while blockLength - p >= Self.headerSize {
            guard case let .record(type, payload) = parse(at: p) else { return nil }
            if type == LogFormat.RecordType.full.rawValue || type == LogFormat.RecordType.first.rawValue {
                return p
            }
            p = payload.upperBound
        }
        return nil
    }

    // MARK: - Damage

    /// Decides what damage found at file offset `offset` means under `policy`.
    ///
    /// Returns false (after marking the log finished and recording the dropped bytes) when the
    /// damage ends the log; returns true when `.skipDamage` resumed at a later valid record
    /// (`position` and the loaded block point at it). Throws `CairnError.corruption` when the
    /// policy does not accept the damage.
    ///
    /// - Parameters:
    ///   - kind: what the damage looks like (`.truncatedTailOnly` accepts only a cut or zeros).
    ///   - resumePositions: positions in the current block where the next record may start.
    ///   - droppedFrom: where the bytes given up begin (the start of an unfinished record).
    @discardableResult
    private func handleDamage(
        at offset: Int64, reason: String, kind: DamageKind, resumePositions: [Int], droppedFrom: Int64
    ) throws -> Bool {
        if policy == .truncatedTailOnly && kind == .invalid {
            throw CairnError.corruption(
                file: file.path, offset: offset,
                reason: "\(reason); the record is complete, so it is damage, not a torn write")
        }
        // A valid record starts at block position `found` of the loaded block: throw, or (when
        // skipping damage) record what was skipped and resume there.
        func resume(at found: Int) throws -> Bool {
            let next = blockStart + Int64(found)
            guard policy == .skipDamage else { throw midFileCorruption(offset, reason, validRecordAt: next) }
            damages.append(Damage(offset: droppedFrom, bytes: next - droppedFrom, reason: reason, atTail: false))
            position = found
            return true
        }
        for candidate in resumePositions {
            if let found = recordStartInChain(from: candidate) { return try resume(at: found) }
        }
        var tailEnd = blockStart + Int64(position)
        if let end = lastNonZeroEnd(from: position) { tailEnd = blockStart + Int64(end) }
        var start = blockStart + Int64(Self.blockSize)
        while start < fileSize {
            try loadBlock(at: start)
            if let found = recordStartInChain(from: 0) { return try resume(at: found) }
            if let end = lastNonZeroEnd(from: 0) { tailEnd = start + Int64(end) }
            start += Int64(Self.blockSize)
        }
        if policy == .truncatedTailOnly && kind == .zeros && tailEnd > offset {
            throw CairnError.corruption(
                file: file.path, offset: offset,
                reason: "\(reason) followed by non-zero bytes up to offset \(tailEnd), so this is not a torn write")
        }
        finished = true
        droppedTailBytes = max(0, tailEnd - droppedFrom)
        if droppedTailBytes > 0 {
            damages.append(Damage(offset: droppedFrom, bytes: droppedTailBytes, reason: reason, atTail: true))
        }
        return false
    }

    /// The error for damage followed by a valid record.
    private func midFileCorruption(_ offset: Int64, _ reason: String, validRecordAt next: Int64) -> CairnError {
        .corruption(
            file: file.path, offset: offset,
            reason: "\(reason); a valid record follows at offset \(next), so this is not a torn tail")
    }

    /// A record whose LAST fragment is missing although a new record starts: throws, or under
    /// `.skipDamage` records the lost fragments (the caller then reads the new record).
    private func brokenSequence(_ pendingStart: Int64, nextStart: Int64) throws {
        let reason = "record has no LAST fragment; a new record starts at offset \(nextStart)"
        guard policy == .skipDamage else {
            throw CairnError.corruption(file: file.path, offset: pendingStart, reason: reason)
        }
        damages.append(Damage(offset: pendingStart, bytes: nextStart - pendingStart, reason: reason, atTail: false))
    }

    /// One past the block position of the last non-zero byte at or after `from`, if any.
    private func lastNonZeroEnd(from: Int) -> Int? {
        var i = blockLength
        while i > from {
            if storage[i - 1] != 0 { return i }
            i -= 1
        }
        return nil
    }

    /// Reads the block starting at file offset `start` (a multiple of the block size).
    private func loadBlock(at start: Int64) throws {
        blockStart = start
        position = 0
        let wanted = Int(min(Int64(Self.blockSize), max(0, fileSize - start)))
        blockLength = wanted > 0
            ? try file.read(at: start, into: UnsafeMutableRawBufferPointer(rebasing: storage[0..<wanted]))
            : 0
    }
}
