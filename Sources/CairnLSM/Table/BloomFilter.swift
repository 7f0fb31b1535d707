/// A cache-local bloom filter over user keys (the layout of RocksDB's FastLocalBloom), as
/// stored in an SSTable's filter block and probed by `TableReader`.
///
/// Each key's 64-bit xxHash64 picks one 64-byte cache line with its low 32 bits
/// (`line = (low32 * numLines) >> 32`) and sets `numProbes` bits inside that line with its
/// high 32 bits (`bit = h >> 23`, then `h *= 0x9e3779b9`), so a lookup touches one cache line.
///
/// Serialized form (see Docs/table_format.md):
/// ```
/// lines      numLines * 64 bytes
/// numProbes  1 byte   (1...30)
/// numLines   fixed32  (>= 1)
/// version    1 byte   (= 1: xxHash64 seed 0, 64-byte lines, 9-bit golden-ratio probes)
/// ```
/// A filter with another version byte is ignored (every key "may match"); a version-1 filter
/// whose sizes disagree is corruption.
struct BloomFilter: Sendable {
    /// The filter format version this build writes and understands.
    static let version: UInt8 = 1
    /// Bytes of metadata after the lines.
    static let metadataSize = 6
    /// Bytes per line (one cache line).
    static let lineSize = 64

    private let bits: [UInt8]
    /// Number of 64-byte lines.
    let numLines: UInt32
    /// Bits set per key.
    let numProbes: Int

    /// The hash of a user key used by the filter.
    @inline(__always)
    static func hash(_ userKey: UnsafeRawBufferPointer) -> UInt64 { XXHash64.hash(userKey) }

    /// Probes per key for a given bits-per-key budget (RocksDB's choices for this layout).
    static func probes(bitsPerKey: Int) -> Int {
        let millibits = bitsPerKey * 1000
        switch millibits {
        case ...2080: return 1
        case ...3580: return 2
        case ...5100: return 3
        case ...6640: return 4
        case ...8300: return 5
        case ...10070: return 6
        case ...11720: return 7
        case ...14001: return 8
        case ...16050: return 9
        case ...18300: return 10
        case ...22001: return 11
        case ...25501: return 12
        case ...50000: return (millibits - 1) / 2000 - 1
        default: return 24
        }
    }

    /// Parses a filter block. Returns nil for a version this build does not know (the caller
    /// then treats every key as possibly present); throws `.corruption` for a malformed
    /// version-1 filter.
    static func parse(_ contents: UnsafeRawBufferPointer, file: String, offset: Int64) throws -> BloomFilter? {
        guard contents.count >= metadataSize else {
            throw CairnError.corruption(file: file, offset: offset, reason: "filter block of \(contents.count) bytes is too short")
        }
        guard contents[contents.count - 1] == version else { return nil }
        let numLines = Coding.fixed32(contents, at: contents.count - 5)
        let numProbes = Int(contents[contents.count - 6])
        guard numLines >= 1, UInt64(numLines) * UInt64(lineSize) + UInt64(metadataSize) == UInt64(contents.count),
            (1...30).contains(numProbes)
        else {
            throw CairnError.corruption(
                file: file, offset: offset,
                reason: "bad filter parameters (lines \(numLines), probes \(numProbes), size \(contents.count))")
        }
        return BloomFilter(
            bits: Array(UnsafeRawBufferPointer(rebasing: contents[0..<(Int(numLines) * lineSize)])),
            numLines: numLines, numProbes: numProbes)
    }

    private init(bits: [UInt8], numLines: UInt32, numProbes: Int) {
        self.bits = bits
        self.numLines = numLines
        self.numProbes = numProbes
    }

    /// Size of the filter's bit array in bytes.
    var byteCount: Int { bits.count }

    /// The line (0..<numLines) a hash selects.
    @inline(__always)
    static func line(_ hash: UInt64, numLines: UInt32) -> Int {
        Int((UInt64(UInt32(truncatingIfNeeded: hash)) &* UInt64(numLines)) >> 32)
    }

    /// False if the key with this hash was certainly not added.
    func mayContain(hash: UInt64) -> Bool {
        let lineStart = BloomFilter.line(hash, numLines: numLines) * BloomFilter.lineSize
        var h = UInt32(truncatingIfNeeded: hash >> 32)
        return bits.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return true }
            let line = base + lineStart
            for _ in 0..<numProbes {
                let bit = Int(h >> 23)
                if line.load(fromByteOffset: bit >> 3, as: UInt8.self) & (1 << UInt8(bit & 7)) == 0 { return false }
                h = h &* 0x9e37_79b9
            }
            return true
        }
    }

    /// False if `userKey` was certainly not added.
    func mayContain(userKey: UnsafeRawBufferPointer) -> Bool {
        mayContain(hash: BloomFilter.hash(userKey))
    }
}
