/// What a log file holds; stored in its header record so a manifest cannot be replayed as a
/// write-ahead log or the other way round.
public enum LogKind: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// A write-ahead log of write batches (`000012.log`).
    case wal = 1
    /// A manifest: a log of version edits (`MANIFEST-000005`).
    case manifest = 2

    /// "WAL" or "manifest".
    public var description: String {
        switch self {
        case .wal: return "WAL"
        case .manifest: return "manifest"
        }
    }
}

/// The record framing shared by write-ahead logs and manifests (see `Docs/log_format.md`).
///
/// A log is a sequence of 32 KiB blocks. Each block holds physical records:
///
/// ```
/// +---------------+--------------+-----------+--------------------+
/// | checksum: u32 | length: u16  | type: u8  | payload: length B  |
/// +---------------+--------------+-----------+--------------------+
/// ```
///
/// The checksum is the masked CRC32C of the type byte followed by the payload; integers are
/// little-endian. A logical record that does not fit in the rest of a block is split into a
/// FIRST, zero or more MIDDLE and a LAST fragment; one that fits is a single FULL record. A
/// block tail shorter than the 7-byte header is zero-filled. The first record of every file is
/// a FULL header record whose payload is `LogFileHeader`.
public enum LogFormat {
    /// Size of a block; physical records never straddle a block boundary.
    public static let blockSize = 32 * 1024
    /// Size of a physical record's header: checksum (4), length (2), type (1).
    public static let recordHeaderSize = 7
    /// The 8 bytes that open the payload of every log's header record: ASCII "CAIRNLOG".
    public static let magic: [UInt8] = Array("CAIRNLOG".utf8)
    /// The format version this build writes. Version 2 write-ahead logs begin every record
    /// with the synced extent (Docs/wal_format.md) and version 2 manifests may hold the
    /// table-identity and log-tracking edits (Docs/manifest_format.md); the framing is the
    /// same in both versions.
    public static let formatVersion: UInt32 = 2
    /// The oldest format version this build reads.
    public static let oldestReadableVersion: UInt32 = 1
    /// Size of the header record's payload: magic (8), version (4), kind (4), file number (8).
    public static let fileHeaderPayloadSize = 24
    /// Size of the whole header record at the start of a file.
    public static let fileHeaderRecordSize = recordHeaderSize + fileHeaderPayloadSize

    /// The type byte of a physical record.
    public enum RecordType: UInt8, Sendable, CustomStringConvertible {
        /// A whole logical record.
        case full = 1
        /// The first fragment of a logical record.
        case first = 2
        /// A fragment that is neither first nor last.
        case middle = 3
        /// The last fragment of a logical record.
        case last = 4

        /// "FULL", "FIRST", "MIDDLE" or "LAST".
        public var description: String {
            switch self {
            case .full: return "FULL"
            case .first: return "FIRST"
            case .middle: return "MIDDLE"
            case .last: return "LAST"
            }
        }
    }

    /// The masked CRC32C stored in a physical record: over the type byte, then the payload.
    @inlinable
    public static func recordChecksum(type: UInt8, payload: UnsafeRawBufferPointer) -> UInt32 {
        let typeCRC = withUnsafeBytes(of: type) { CRC32C.checksum($0) }
        return CRC32C.mask(CRC32C.extend(typeCRC, payload))
    }
}

/// The payload of the header record that opens every log file.
///
/// ```
/// +---------------------+---------------+------------+-------------------+
/// | magic "CAIRNLOG" 8B | version: u32  | kind: u32  | file number: u64  |
/// +---------------------+---------------+------------+-------------------+
/// ```
public struct LogFileHeader: Sendable, Equatable {
    /// Format version (1 or 2).
    public var version: UInt32
    /// What the log holds.
    public var kind: LogKind
    /// The file's number, as in its name; guards against a file renamed or copied by mistake.
    public var fileNumber: UInt64

    /// Creates a header of the current format version.
    public init(kind: LogKind, fileNumber: UInt64, version: UInt32 = LogFormat.formatVersion) {
        self.version = version
        self.kind = kind
        self.fileNumber = fileNumber
    }

    /// The 24-byte payload.
    public func encoded() -> [UInt8] {
        var out = LogFormat.magic
        out.reserveCapacity(LogFormat.fileHeaderPayloadSize)
        Coding.appendFixed32(&out, version)
        Coding.appendFixed32(&out, kind.rawValue)
        Coding.appendFixed64(&out, fileNumber)
        return out
    }
}
