import CairnLSM
import Foundation

/// What a change-stream record holds about the item (DynamoDB's `StreamViewType`).
public enum StreamViewType: String, Codable, Sendable, CaseIterable, DynamoDBEnum {
    static let memberPath = "streamSpecification.streamViewType"
    static let allowedValues = "NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY"

    /// Only the key attributes.
    case keysOnly = "KEYS_ONLY"
    /// The item after the change.
    case newImage = "NEW_IMAGE"
    /// The item before the change.
    case oldImage = "OLD_IMAGE"
    /// Both.
    case newAndOldImages = "NEW_AND_OLD_IMAGES"

    /// Whether records carry the item after the change. (A `switch`, not `==`: on a
    /// String-backed enum `==` can resolve to RawRepresentable's, which compares raw strings
    /// on every write.)
    var includesNewImage: Bool {
        switch self {
        case .newImage, .newAndOldImages: return true
        case .keysOnly, .oldImage: return false
        }
    }
    /// Whether records carry the item before the change.
    var includesOldImage: Bool {
        switch self {
        case .oldImage, .newAndOldImages: return true
        case .keysOnly, .newImage: return false
        }
    }
}

/// A table's change-stream setting, as CreateTable and UpdateTable take it and DescribeTable
/// reports it: `{"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}`.
public struct StreamSpecification: Codable, Sendable, Hashable {
    /// Whether the table has a stream.
    public var streamEnabled: Bool
    /// What each record holds; required when enabling, refused when disabling.
    public var streamViewType: StreamViewType?

    /// A specification.
    public init(streamEnabled: Bool, streamViewType: StreamViewType? = nil) {
        self.streamEnabled = streamEnabled
        self.streamViewType = streamViewType
    }

    enum CodingKeys: String, CodingKey {
        case streamEnabled = "StreamEnabled", streamViewType = "StreamViewType"
    }
}

/// A table's current or latest stream, kept in its definition's settings (format:
/// Docs/stream_format.md). Streams of one table are numbered 0, 1, 2... in the order they
/// were enabled; the table number and this ordinal prefix the stream's records, so a stream
/// enabled again after being disabled starts empty while the old one stays readable.
struct StreamState: Codable, Sendable, Hashable {
    /// This stream's ordinal among the table's streams.
    var ordinal: UInt16
    /// DynamoDB's StreamLabel: the creation time, `yyyy-MM-dd'T'HH:mm:ss.SSS` in UTC.
    var label: String
    /// What records hold.
    var viewType: StreamViewType
    /// False once disabled (the stream stays readable; writes add nothing).
    var enabled: Bool
    /// Number of lanes (shard lineages) records are spread over by partition key.
    var lanes: UInt16
    /// Seconds since 1970.
    var createdAt: Double
    /// The first commit sequence number the stream can hold (the database's next one when it
    /// was enabled): the start of its empty shards' ranges.
    var startSequence: UInt64?
}

/// The stream settings of a table's definition.
extension TableDefinition {
    /// The stream that takes records now (nil when the table has no enabled stream).
    var activeStream: StreamState? {
        guard let stream = settings.stream, stream.enabled else { return nil }
        return stream
    }

    /// The ARN of `stream` (`StreamKeys.arn`).
    func streamArn(_ stream: StreamState) -> String { StreamKeys.arn(tableName: name, label: stream.label) }
}

/// Where stream records live in the key space (Docs/stream_format.md):
///
/// ```
/// 0x03 <table number: 4> <stream ordinal: 2> <lane: 2> <commit sequence: 8>  ->  StreamRecordCodec bytes
/// 0x00 'S' <table number: 4> <stream ordinal: 2>                            ->  StreamDescriptor (JSON)
/// ```
/// Records are written with `WriteBatch.putStamped`, so the last 8 bytes are the CairnLSM
/// sequence number the record committed at: within a lane, key order is commit order.
enum StreamKeys {
    /// The first byte of every stream record.
    static let tag: UInt8 = 0x03
    /// The catalog tag of stream descriptors.
    static let descriptorTag = UInt8(ascii: "S")

    /// The prefix of one stream's records.
    static func streamPrefix(table: UInt32, ordinal: UInt16) -> [UInt8] {
        var key: [UInt8] = [tag]
        KeySpace.appendBigEndian(table, to: &key)
        KeySpace.appendBigEndian(ordinal, to: &key)
        return key
    }

    /// The prefix of one lane's records: what `putStamped` stamps.
    static func lanePrefix(table: UInt32, ordinal: UInt16, lane: UInt16) -> [UInt8] {
        var key = streamPrefix(table: table, ordinal: ordinal)
        KeySpace.appendBigEndian(lane, to: &key)
        return key
    }

    /// Bytes of a lane prefix: tag, table, stream ordinal, lane.
    static let lanePrefixSize = 9

    /// Calls `body` with a lane's prefix built on the stack (the write path's `lanePrefix`).
    @inline(__always)
    static func withLanePrefix<R>(
        table: UInt32, ordinal: UInt16, lane: UInt16, _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        try withUnsafeTemporaryAllocation(byteCount: lanePrefixSize, alignment: 1) { p in
            p.storeBytes(of: tag, toByteOffset: 0, as: UInt8.self)
            p.storeBytes(of: table.bigEndian, toByteOffset: 1, as: UInt32.self)
            p.storeBytes(of: ordinal.bigEndian, toByteOffset: 5, as: UInt16.self)
            p.storeBytes(of: lane.bigEndian, toByteOffset: 7, as: UInt16.self)
            return try body(UnsafeRawBufferPointer(p))
        }
    }

    /// The key of the record at `sequence` in a lane.
    static func recordKey(table: UInt32, ordinal: UInt16, lane: UInt16, sequence: UInt64) -> [UInt8] {
        var key = lanePrefix(table: table, ordinal: ordinal, lane: lane)
        KeySpace.appendBigEndian(sequence, to: &key)
        return key
    }

    /// The commit sequence number at the end of a record key.
    static func sequence(ofRecordKey key: [UInt8]) -> UInt64? {
        guard key.count == 17, key[0] == tag else { return nil }
        return KeySpace.bigEndianValue(key[9...])
    }

    /// The lane of an item: its partition hash (bytes 5..<9 of the item key) modulo `lanes`,
    /// so every record of one item, and of one partition, goes to one lane.
    static func lane(ofItemKey key: [UInt8], lanes: UInt16) -> UInt16 {
        guard key.count >= 9, lanes > 1 else { return 0 }
        let hash = UInt32(key[5]) << 24 | UInt32(key[6]) << 16 | UInt32(key[7]) << 8 | UInt32(key[8])
        return UInt16(hash % UInt32(lanes))
    }

    /// A stream's ARN: `arn:aws:dynamodb:local:000000000000:table/<name>/stream/<label>`.
    static func arn(tableName: String, label: String) -> String {
        "arn:aws:dynamodb:local:000000000000:table/\(tableName)/stream/\(label)"
    }

    /// One number naming a lane of a stream (for in-memory counters).
    static func laneID(table: UInt32, ordinal: UInt16, lane: UInt16) -> UInt64 {
        UInt64(table) << 32 | UInt64(ordinal) << 16 | UInt64(lane)
    }

    /// The key of a stream's descriptor.
    static func descriptorKey(table: UInt32, ordinal: UInt16) -> [UInt8] {
        var key: [UInt8] = [KeySpace.catalogTag, descriptorTag]
        KeySpace.appendBigEndian(table, to: &key)
        KeySpace.appendBigEndian(ordinal, to: &key)
        return key
    }

    /// The first key of the descriptors.
    static let descriptorPrefix: [UInt8] = [KeySpace.catalogTag, descriptorTag]

    /// A label for a stream created at `time` (seconds since 1970): DynamoDB's format.
    static func label(at time: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS"
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }
}

/// One shard: a stretch of one lane's records, `start...end` in commit sequence numbers.
/// A lane's shards follow each other: when one closes (by age or size, or when the stream is
/// disabled) at sequence `end`, its child starts at `end + 1` with the closed one as parent.
struct ShardState: Codable, Sendable, Hashable {
    var lane: UInt16
    /// The first sequence number the shard holds.
    var start: UInt64
    /// The last one, once closed.
    var end: UInt64?
    /// Seconds since 1970.
    var createdAt: Double
    var closedAt: Double?
    /// The shard this one continues.
    var parent: String?

    /// `shardId-<20-digit start sequence>-<8 hex digits: lane>` (37 characters), so a lane's
    /// shards sort in order after the lanes.
    var id: String {
        let start = String(self.start)
        let hex = String(lane, radix: 16)
        return "shardId-" + String(repeating: "0", count: max(0, 20 - start.count)) + start + "-"
            + String(repeating: "0", count: 8 - hex.count) + hex
    }
}

/// Everything ListStreams and DescribeStream need about one stream, also after it was
/// disabled or its table deleted: stored under `StreamKeys.descriptorKey` in the same batch as
/// the table-definition change that created or ended the stream.
struct StreamDescriptor: Codable, Sendable, Hashable {
    /// The table's number and name when the stream was created.
    var tableNumber: UInt32
    var tableName: String
    /// The stream itself.
    var stream: StreamState
    /// The table's key schema (DescribeStream shows it).
    var keySchema: [KeySchemaElement]
    /// The table's key attributes with their types, partition key first (records store the
    /// encoded key values and are decoded with these).
    var keyAttributes: [KeyAttribute]
    /// Seconds since 1970 when the stream was disabled (or its table deleted); nil while it
    /// is enabled.
    var disabledAt: Double?
    /// The shards not yet trimmed, oldest first in each lane.
    var shards: [ShardState]

    /// The key of this descriptor in the catalog.
    var key: [UInt8] { StreamKeys.descriptorKey(table: tableNumber, ordinal: stream.ordinal) }

    /// The stream's ARN (`StreamKeys.arn`).
    var arn: String { StreamKeys.arn(tableName: tableName, label: stream.label) }

    /// The record stored in the catalog: a version byte and JSON.
    func record() throws -> [UInt8] { [1] + Array(try JSONEncoder().encode(self)) }

    /// Decodes a catalog record.
    static func decode(_ bytes: [UInt8]) throws -> StreamDescriptor {
        guard bytes.first == 1 else {
            throw CairnError.corruption(file: "stream catalog", offset: 0, reason: "unknown stream descriptor version \(bytes.first ?? 0)")
        }
        do {
            return try JSONDecoder().decode(StreamDescriptor.self, from: Data(bytes[1...]))
        } catch {
            throw CairnError.corruption(file: "stream catalog", offset: 0, reason: "undecodable stream descriptor: \(error)")
        }
    }
}
