/// Facts about one SSTable, written by `TableBuilder` into the properties block and read back
/// by `TableReader`.
///
/// Key bounds are internal keys. `smallestKey`/`largestKey` cover point entries and range
/// tombstones: a tombstone `[start, end)` at sequence `s` contributes the lower bound
/// `start ++ trailer(s, rangeDeletion)` and the upper bound
/// `end ++ trailer(maxSequenceNumber, seekMarker)` — the smallest internal key with user key
/// `end`, which sorts before every real entry for `end` (the end is exclusive). All four key
/// bounds are empty when the table has no entries of their kind.
public struct TableProperties: Sendable, Equatable {
    /// Table format version (`Footer.formatVersion`).
    public var formatVersion: UInt32 = Footer.formatVersion
    /// Number of point entries (values and deletions).
    public var entryCount: UInt64 = 0
    /// Number of range tombstones.
    public var rangeTombstoneCount: UInt64 = 0
    /// Sum of the internal-key lengths of the point entries.
    public var rawKeyBytes: UInt64 = 0
    /// Sum of the value lengths of the point entries.
    public var rawValueBytes: UInt64 = 0
    /// Number of data blocks.
    public var dataBlockCount: UInt64 = 0
    /// Bytes of data blocks as stored (after compression, including trailers).
    public var dataBytes: UInt64 = 0
    /// Smallest sequence number of any entry or tombstone (0 if there are none).
    public var smallestSequence: SequenceNumber = 0
    /// Largest sequence number of any entry or tombstone (0 if there are none).
    public var largestSequence: SequenceNumber = 0
    /// Compression the table was written with (individual blocks may be stored uncompressed).
    public var compression: CompressionType = .none
    /// Bloom filter bits per key (0: no filter).
    public var filterBitsPerKey: UInt32 = 0
    /// First point entry's internal key.
    public var smallestPointKey: [UInt8] = []
    /// Last point entry's internal key.
    public var largestPointKey: [UInt8] = []
    /// Smallest internal key bound over points and tombstones.
    public var smallestKey: [UInt8] = []
    /// Largest internal key bound over points and tombstones.
    public var largestKey: [UInt8] = []
    /// The table's identity: 16 random bytes chosen when it was written, also recorded in the
    /// manifest, so a table file replaced by another (a copy, a bad restore, a file of another
    /// database) is recognized (RocksDB's unique table ID). Empty for tables written before
    /// identities existed.
    public var uniqueID: [UInt8] = []
    /// Size of the file in bytes (not stored in the block; known from the file).
    public var fileSize: UInt64 = 0

    /// Empty properties.
    public init() {}
}

extension TableProperties {
    /// Property names, in the sorted order they are stored in.
    enum Name {
        static let compression = "cairn.compression"
        static let dataBlocks = "cairn.data.blocks"
        static let dataBytes = "cairn.data.size"
        static let filterBitsPerKey = "cairn.filter.bits-per-key"
        static let formatVersion = "cairn.format.version"
        static let largestKey = "cairn.key.largest"
        static let largestPointKey = "cairn.key.largest-point"
        static let smallestKey = "cairn.key.smallest"
        static let smallestPointKey = "cairn.key.smallest-point"
        static let entries = "cairn.num.entries"
        static let rangeDeletions = "cairn.num.range-deletions"
        static let rawKeyBytes = "cairn.raw.key.size"
        static let rawValueBytes = "cairn.raw.value.size"
        static let largestSequence = "cairn.seq.largest"
        static let smallestSequence = "cairn.seq.smallest"
        static let uniqueID = "cairn.table.id"
    }

    /// Length of `uniqueID`.
    public static let uniqueIDLength = 16

    /// A fresh random identity for a new table.
    static func newUniqueID() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var id: [UInt8] = []
        id.reserveCapacity(uniqueIDLength)
        for _ in 0..<(uniqueIDLength / 8) {
            withUnsafeBytes(of: generator.next() as UInt64) { id.append(contentsOf: $0) }
        }
        return id
    }

    /// Encodes the properties as a block of `name -> value` entries (numbers as varints, keys
    /// as raw bytes; empty keys are omitted), names in ascending byte order.
    func encode(into builder: BlockBuilder) {
        func number(_ v: UInt64) -> [UInt8] {
            var out: [UInt8] = []
            Coding.appendVarint(&out, v)
            return out
        }
        var entries: [(String, [UInt8])] = [
            (Name.compression, number(UInt64(compression.rawValue))),
            (Name.dataBlocks, number(dataBlockCount)),
            (Name.dataBytes, number(dataBytes)),
            (Name.filterBitsPerKey, number(UInt64(filterBitsPerKey))),
            (Name.formatVersion, number(UInt64(formatVersion))),
            (Name.entries, number(entryCount)),
            (Name.rangeDeletions, number(rangeTombstoneCount)),
            (Name.rawKeyBytes, number(rawKeyBytes)),
            (Name.rawValueBytes, number(rawValueBytes)),
            (Name.largestSequence, number(largestSequence)),
            (Name.smallestSequence, number(smallestSequence)),
        ]
        for (name, key) in [
            (Name.largestKey, largestKey), (Name.largestPointKey, largestPointKey),
            (Name.smallestKey, smallestKey), (Name.smallestPointKey, smallestPointKey),
            (Name.uniqueID, uniqueID),
        ] where !key.isEmpty {
            entries.append((name, key))
        }
        entries.sort { compareBytes(Array($0.0.utf8), Array($1.0.utf8)) < 0 }
        for (name, value) in entries {
            Array(name.utf8).withUnsafeBytes { n in value.withUnsafeBytes { v in builder.add(n, v) } }
        }
    }

    /// Decodes a properties block. Unknown names are ignored (newer writers may add some);
    /// a missing numeric property, a malformed number, an unknown compression type or a key
    /// bound shorter than a trailer is corruption.
    static func decode(_ block: Block) throws -> TableProperties {
        var p = TableProperties()
        var seen = Set<String>()
        let it = block.makeIterator(internalKeys: false)
        try it.seekToFirst()
        while it.isValid {
            let name = String(decoding: it.key, as: UTF8.self)
            let value = it.value
            func number() throws -> UInt64 {
                var cursor = 0
                guard let v = Coding.readVarint64(value, &cursor), cursor == value.count else {
                    throw block.corruption("property \(name): malformed number")
                }
                return v
            }
            func key() throws -> [UInt8] {
                guard value.count >= InternalKey.trailerSize else {
                    throw block.corruption("property \(name): not an internal key")
                }
                return Array(value)
            }
            switch name {
            case Name.compression:
                let raw = try number()
                guard raw <= 255, let c = CompressionType(rawValue: UInt8(raw)) else {
                    throw block.corruption("property \(name): unknown compression type \(raw)")
                }
                p.compression = c
            case Name.dataBlocks: p.dataBlockCount = try number()
            case Name.dataBytes: p.dataBytes = try number()
            case Name.filterBitsPerKey: p.filterBitsPerKey = UInt32(clamping: try number())
            case Name.formatVersion: p.formatVersion = UInt32(clamping: try number())
            case Name.entries: p.entryCount = try number()
            case Name.rangeDeletions: p.rangeTombstoneCount = try number()
            case Name.rawKeyBytes: p.rawKeyBytes = try number()
            case Name.rawValueBytes: p.rawValueBytes = try number()
            case Name.largestSequence: p.largestSequence = try number()
            case Name.smallestSequence: p.smallestSequence = try number()
            case Name.largestKey: p.largestKey = try key()
            case Name.largestPointKey: p.largestPointKey = try key()
            case Name.smallestKey: p.smallestKey = try key()
            case Name.smallestPointKey: p.smallestPointKey = try key()
            case Name.uniqueID:
                guard value.count == uniqueIDLength else {
                    throw block.corruption("property \(name): \(value.count) bytes, expected \(uniqueIDLength)")
                }
                p.uniqueID = Array(value)
            default: break
            }
            seen.insert(name)
            try it.next()
        }
        for required in [
            Name.compression, Name.dataBlocks, Name.entries, Name.rangeDeletions, Name.formatVersion,
            Name.largestSequence, Name.smallestSequence,
        ] where !seen.contains(required) {
            throw block.corruption("properties block lacks \(required)")
        }
        return p
    }
}
