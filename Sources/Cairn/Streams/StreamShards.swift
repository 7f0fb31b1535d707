import CairnLSM
import Foundation

/// Shards and shard iterators of Cairn's streams (Docs/stream_format.md).
///
/// A stream spreads its records over `lanes` by partition hash; each lane is one shard
/// lineage, so every record of one item is in one shard, in commit order. (Shards that roll
/// over by size or age within a lane, with ParentShardId, come in a later version; until then
/// each lane is a single shard, open while the stream is enabled and closed once it is
/// disabled.)
///
/// - Shard ID: `shardId-<20-digit creation time in ms>-<8 hex digits: lane>`: 37 characters,
///   sorting by lane.
/// - Sequence number: the record's CairnLSM commit sequence, as 21 decimal digits.
/// - Shard iterator: `cairn1-` and 48 hex digits: table number (4 bytes), stream ordinal (2),
///   lane (2), the last sequence read (8; the iterator returns records after it), and the
///   time it was issued in ms (8), which expires it after 15 minutes.
enum StreamShards {
    /// How long a shard iterator stays valid (DynamoDB's 15 minutes).
    static let iteratorLifetimeMillis: UInt64 = 15 * 60 * 1000

    static func shardId(_ stream: StreamState, lane: UInt16) -> String {
        let created = String(UInt64(max(0, stream.createdAt * 1000)))
        let hex = String(lane, radix: 16)
        return "shardId-" + String(repeating: "0", count: max(0, 20 - created.count)) + created + "-"
            + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// The lane a shard ID names in `stream`, nil if it names none.
    static func lane(ofShardId id: String, in stream: StreamState) -> UInt16? {
        (0..<stream.lanes).first { shardId(stream, lane: $0) == id }
    }

    /// A sequence number as DynamoDB Streams shows it: 21 decimal digits.
    static func sequenceText(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, 21 - digits.count)) + digits
    }

    /// Parses a sequence number (21 to 40 decimal digits).
    static func sequence(fromText text: String) -> UInt64? {
        guard (21...40).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let trimmed = text.drop { $0 == "0" }
        return trimmed.isEmpty ? 0 : UInt64(trimmed)
    }

    /// A position in one lane of one stream.
    struct Iterator: Equatable {
        var table: UInt32
        var ordinal: UInt16
        var lane: UInt16
        /// Records after this sequence number come next.
        var after: UInt64
        /// When the iterator was issued, ms since 1970.
        var issuedMillis: UInt64

        var text: String {
            var bytes: [UInt8] = []
            KeySpace.appendBigEndian(table, to: &bytes)
            KeySpace.appendBigEndian(ordinal, to: &bytes)
            KeySpace.appendBigEndian(lane, to: &bytes)
            KeySpace.appendBigEndian(after, to: &bytes)
            KeySpace.appendBigEndian(issuedMillis, to: &bytes)
            return "cairn1-" + bytes.map { String($0 >> 4, radix: 16) + String($0 & 15, radix: 16) }.joined()
        }

        init(table: UInt32, ordinal: UInt16, lane: UInt16, after: UInt64, issuedMillis: UInt64) {
            self.table = table
            self.ordinal = ordinal
            self.lane = lane
            self.after = after
            self.issuedMillis = issuedMillis
        }

        /// Parses an iterator; nil for anything Cairn did not issue.
        init?(_ text: String) {
            guard text.hasPrefix("cairn1-") else { return nil }
            let hex = Array(text.utf8.dropFirst(7))
            guard hex.count == 48 else { return nil }
            var bytes: [UInt8] = []
            for i in stride(from: 0, to: 48, by: 2) {
                guard let byte = UInt8(String(decoding: hex[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(byte)
            }
            func read(_ range: Range<Int>) -> UInt64 { bytes[range].reduce(0) { $0 << 8 | UInt64($1) } }
            table = UInt32(read(0..<4))
            ordinal = UInt16(read(4..<6))
            lane = UInt16(read(6..<8))
            after = read(8..<16)
            issuedMillis = read(16..<24)
        }
    }
}
