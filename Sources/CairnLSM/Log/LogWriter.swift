/// Appends logical records to a log file (write-ahead log or manifest) in the format of
/// `LogFormat`.
///
/// Each `addRecord` frames the payload (splitting it across blocks as needed) into a reusable
/// buffer and hands the result to the file in a single `append`, so a record reaches the
/// operating system in one write. A failed append or sync is sticky: the file may now end in a
/// partial record, so every later call rethrows the first error instead of writing after it.
///
/// Single owner: not safe for concurrent use. `@unchecked Sendable` so the owner (the
/// group-commit leader of the moment, which changes thread between groups while holding the
/// database's write lock) can hand it across threads; the owner serializes every call.
public final class LogWriter: @unchecked Sendable {
    /// The file being written.
    public let file: any WritableFile
    /// The number recorded in the file's header.
    public let fileNumber: UInt64
    /// What the log holds.
    public let kind: LogKind
    /// Bytes written so far, including the header record and block padding.
    public private(set) var fileSize: Int64 = 0
    /// Bytes known durable: `fileSize` when the last `sync()` returned (0 before any).
    @exclusivity(unchecked) public private(set) var syncedSize: Int64 = 0

    /// Position inside the current block where the next physical record starts.
    private var blockOffset = 0
    /// Scratch space for framing one logical record.
    /// (A `let`, so framing does not retain and release it for every append.)
    private let buffer = ByteBuffer(capacity: 64 * 1024)
    /// The first append or sync error; later calls rethrow it.
    private var failure: (any Error)?

    /// CRC32C of the FULL type byte, the start of every single-fragment record's checksum.
    private static let fullTypeCRC = withUnsafeBytes(of: LogFormat.RecordType.full.rawValue) { CRC32C.checksum($0) }

    /// A framing buffer that grew past this (for an unusually large record) is released after
    /// use rather than kept for the file's lifetime.
    private static let retainedBufferCapacity = 4 << 20

    /// Writes the header record (`LogFileHeader`) to `file`, which must be empty.
    ///
    /// - Throws: `CairnError.invalidArgument` if the file is not empty; the file's errors.
    public init(file: any WritableFile, fileNumber: UInt64, kind: LogKind) throws {
        self.file = file
        self.fileNumber = fileNumber
        self.kind = kind
        guard file.size == 0 else {
            throw CairnError.invalidArgument("log \(file.path) must be empty to start a log; it has \(file.size) bytes")
        }
        let header = LogFileHeader(kind: kind, fileNumber: fileNumber).encoded()
        try header.withUnsafeBytes { try addRecord($0) }
    }

    /// Appends one logical record (any size, including empty) with a single `file.append`.
    /// The record is not durable until `sync()`.
    public func addRecord(_ payload: UnsafeRawBufferPointer) throws {
        try addRecord(payload, prefix: nil)
    }

    /// Appends one logical record made of `prefix` (a varint64, 1 to 10 bytes, when given) followed
    /// by `payload`, with a single `file.append` and without copying the two together first.
    /// Write-ahead logs use the prefix for the synced extent (Docs/wal_format.md).
    public func addRecord(_ payload: UnsafeRawBufferPointer, prefix: UInt64?) throws {
        if let failure { throw failure }
        let newBlockOffset: Int
        if let prefix {
            var varint: (UInt64, UInt64) = (0, 0)  // room for the 10 bytes of a varint64
            let length = withUnsafeMutablePointer(to: &varint) { Coding.encodeVarint(prefix, into: UnsafeMutableRawPointer($0)) }
            newBlockOffset = withUnsafeBytes(of: &varint) { frame(UnsafeRawBufferPointer(rebasing: $0[0..<length]), payload) }
        } else {
            newBlockOffset = frame(UnsafeRawBufferPointer(start: nil, count: 0), payload)
        }
        do {
            try file.append(buffer.bytes)
        } catch {
            failure = error
            throw error
        }
        fileSize += Int64(buffer.count)
        blockOffset = newBlockOffset
        buffer.shrink(ifCapacityAbove: Self.retainedBufferCapacity, to: 64 * 1024)
    }

    /// Appends one logical record held in an array.
    public func addRecord(_ payload: [UInt8]) throws {
        try payload.withUnsafeBytes { try addRecord($0) }
    }

    /// Makes every record added so far durable (`WritableFile.sync`).
    public func sync() throws {
        if let failure { throw failure }
        do {
            let size = fileSize
            try file.sync()
            syncedSize = size
        } catch {
            failure = error
            throw error
        }
    }

    /// Closes the file without syncing it.
    public func close() throws {
        try file.close()
    }

    /// Fills `buffer` with the physical records of the logical record `head` followed by
    /// `payload`, starting at `blockOffset`, and returns the block offset after them.
    private func frame(_ head: UnsafeRawBufferPointer, _ payload: UnsafeRawBufferPointer) -> Int {
        let blockSize = LogFormat.blockSize
        let headerSize = LogFormat.recordHeaderSize
        let total = head.count + payload.count
        let start = blockOffset
        buffer.removeAll()
        if blockSize - start - headerSize >= total {
            // The common case: the whole record fits in this block as one FULL fragment.
            // The 7-byte header is written in one append.
            let crc = CRC32C.extend(CRC32C.extend(Self.fullTypeCRC, head), payload)
            let word = UInt64(CRC32C.mask(crc)) | UInt64(total) << 32 | UInt64(LogFormat.RecordType.full.rawValue) << 48
            buffer.reserve(headerSize + total)
            withUnsafeBytes(of: word.littleEndian) { buffer.append(UnsafeRawBufferPointer(rebasing: $0[0..<headerSize])) }
            buffer.append(head)
            buffer.append(payload)
            return start + headerSize + total
        }
        // Payload, one header per block touched, and at most one padded block tail.
        buffer.reserve(total + (total / (blockSize - headerSize) + 2) * headerSize + headerSize)
        var offset = blockOffset
        var position = 0
        var isFirst = true
        repeat {
            let leftover = blockSize - offset
            if leftover < headerSize {
                for _ in 0..<leftover { buffer.append(byte: 0) }
                offset = 0
            }
            let available = blockSize - offset - headerSize
            let fragmentLength = min(total - position, available)
            let isLast = position + fragmentLength == total
            let type: LogFormat.RecordType =
                isFirst ? (isLast ? .full : .first) : (isLast ? .last : .middle)
            // The fragment's bytes: a part of `head`, then a part of `payload`.
            let end = position + fragmentLength
            let headPart = UnsafeRawBufferPointer(rebasing: head[min(position, head.count)..<min(end, head.count)])
            let payloadPart = UnsafeRawBufferPointer(
                rebasing: payload[max(0, position - head.count)..<max(0, end - head.count)])
            let typeCRC = withUnsafeBytes(of: type.rawValue) { CRC32C.checksum($0) }
            let crc = CRC32C.extend(CRC32C.extend(typeCRC, headPart), payloadPart)
            buffer.appendFixed32(CRC32C.mask(crc))
            buffer.append(byte: UInt8(truncatingIfNeeded: fragmentLength))
            buffer.append(byte: UInt8(truncatingIfNeeded: fragmentLength >> 8))
            buffer.append(byte: type.rawValue)
            buffer.append(headPart)
            buffer.append(payloadPart)
            position = end
            offset += headerSize + fragmentLength
            isFirst = false
        } while position < total
        return offset
    }
}
