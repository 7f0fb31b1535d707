import CairnLSM
import Foundation

/// Shard iterators and sequence-number text of Cairn's streams (Docs/stream_format.md).
///
/// - Sequence number: a record's CairnLSM commit sequence, as 21 decimal digits.
/// - Shard iterator: `cairn2-` and 64 hex digits: table number (4 bytes), stream ordinal (2),
///   lane (2), the shard's first sequence (8), the last sequence read (8; the iterator returns
///   records after it), and the time it was issued in ms (8), which expires it after 15
///   minutes.
enum StreamShards {
    /// How long a shard iterator stays valid (DynamoDB's 15 minutes).
    static let iteratorLifetimeMillis: UInt64 = 15 * 60 * 1000

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

    /// A position in one shard of one stream.
    struct Iterator: Equatable {
        var table: UInt32
        var ordinal: UInt16
        var lane: UInt16
        /// The shard's first sequence number (with the lane, it names the shard).
        var shardStart: UInt64
        /// Records after this sequence number come next.
        var after: UInt64
        /// When the iterator was issued, ms since 1970.
        var issuedMillis: UInt64

        static let prefix = "cairn2-"

        var text: String {
            var bytes: [UInt8] = []
            KeySpace.appendBigEndian(table, to: &bytes)
            KeySpace.appendBigEndian(ordinal, to: &bytes)
            KeySpace.appendBigEndian(lane, to: &bytes)
            KeySpace.appendBigEndian(shardStart, to: &bytes)
            KeySpace.appendBigEndian(after, to: &bytes)
            KeySpace.appendBigEndian(issuedMillis, to: &bytes)
            return Self.prefix + hexString(bytes)
        }

        init(table: UInt32, ordinal: UInt16, lane: UInt16, shardStart: UInt64, after: UInt64, issuedMillis: UInt64) {
            self.table = table
            self.ordinal = ordinal
            self.lane = lane
            self.shardStart = shardStart
            self.after = after
            self.issuedMillis = issuedMillis
        }

        /// Parses an iterator; nil for anything Cairn did not issue.
        init?(_ text: String) {
            guard text.hasPrefix(Self.prefix) else { return nil }
            let hex = Array(text.utf8.dropFirst(Self.prefix.utf8.count))
            guard hex.count == 64 else { return nil }
            var bytes: [UInt8] = []
            for i in stride(from: 0, to: 64, by: 2) {
                guard let byte = UInt8(String(decoding: hex[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(byte)
            }
            func read(_ range: Range<Int>) -> UInt64 { KeySpace.bigEndianValue(bytes[range]) }
            table = UInt32(read(0..<4))
            ordinal = UInt16(read(4..<6))
            lane = UInt16(read(6..<8))
            shardStart = read(8..<16)
            after = read(16..<24)
            issuedMillis = read(24..<32)
        }
    }
}
