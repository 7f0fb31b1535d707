/// A range deletion: every user key k with `start <= k < end` written at a sequence number
/// below `sequence` is deleted (for readers that can see `sequence`).
public struct RangeTombstone: Sendable, Hashable {
    /// First user key deleted (inclusive).
    public var start: [UInt8]
    /// First user key not deleted (exclusive).
    public var end: [UInt8]
    /// Sequence number of the deletion.
    public var sequence: SequenceNumber

    /// Creates a range tombstone.
    public init(start: [UInt8], end: [UInt8], sequence: SequenceNumber) {
        self.start = start
        self.end = end
        self.sequence = sequence
    }
}
