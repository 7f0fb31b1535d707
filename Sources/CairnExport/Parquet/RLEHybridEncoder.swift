/// Parquet's RLE / bit-packing hybrid encoding (Encodings.md, "Run Length Encoding /
/// Bit-Packing Hybrid"), used for definition and repetition levels and dictionary indices.
///
/// The output is a sequence of runs. A repeated run is `varint(count << 1)` and the value in
/// `ceil(bitWidth / 8)` little-endian bytes. A bit-packed run is `varint(groups << 1 | 1)` and
/// `groups` groups of 8 values, each value `bitWidth` bits, packed from the least significant
/// bit of each byte. A value repeated 8 times or more becomes a repeated run; everything else
/// is bit-packed, and only the very last group may be padded (readers stop at the page's value
/// count).
enum RLEHybridEncoder {
    /// Encodes `values` (each below `1 << bitWidth`, `bitWidth` ≤ 32) into `out`, which must
    /// have room for `maxEncodedBytes(count: values.count, bitWidth:)`.
    static func encode(_ values: UnsafeBufferPointer<UInt32>, bitWidth: Int, into out: inout ByteWriter) {
        let count = values.count
        var i = 0
        // Values waiting for a bit-packed run, from `packedStart`.
        var packedStart = 0
        while i < count {
            let value = values[i]
            var end = i + 1
            while end < count && values[end] == value { end += 1 }
            var run = end - i
            if run >= 8 {
                // Fill the pending bit-packed values up to whole groups from this run, and write
                // them, then what is left of the run as a repeated run.
                var pending = i - packedStart
                let fill = (8 - pending % 8) % 8
                if pending > 0 {
                    let borrowed = min(fill, run)
                    pending += borrowed
                    writeBitPacked(values, from: packedStart, count: pending, bitWidth: bitWidth, into: &out)
                    i += borrowed
                    run -= borrowed
                }
                if run > 0 {
                    writeRepeated(value, count: run, bitWidth: bitWidth, into: &out)
                    i += run
                }
                packedStart = i
            } else {
                i = end
            }
        }
        if packedStart < count {
            writeBitPacked(values, from: packedStart, count: count - packedStart, bitWidth: bitWidth, into: &out)
        }
    }

    /// `encode` appending to an array.
    static func encode(_ values: [UInt32], bitWidth: Int, into out: inout [UInt8]) {
        var buffer = [UInt8](repeating: 0, count: maxEncodedBytes(count: values.count, bitWidth: bitWidth))
        let written = buffer.withUnsafeMutableBytes { raw in
            values.withUnsafeBufferPointer { values in
                var writer = ByteWriter(raw)
                encode(values, bitWidth: bitWidth, into: &writer)
                return writer.count
            }
        }
        out.append(contentsOf: buffer[0..<written])
    }

    /// An upper bound of the bytes `encode` writes for `count` values of `bitWidth` bits.
    ///
    /// Bit-packed groups hold every value at most once, plus the last run's padding: at most
    /// `count / 8 + 1` groups of `bitWidth` bytes. Every run but the last has 8 values or
    /// more, or (a repeated run after a bit-packed one) follows one of 8 or more, so there are
    /// at most `count / 4 + 2` runs, each with a varint header (≤ 5 bytes for counts below
    /// 2^34) and, if repeated, a value of ≤ 4 bytes.
    static func maxEncodedBytes(count: Int, bitWidth: Int) -> Int {
        (count / 8 + 1) * bitWidth + (count / 4 + 2) * 9
    }

    /// The bits needed for values up to `maxValue`.
    static func bitWidth(forMax maxValue: UInt32) -> Int {
        maxValue == 0 ? 0 : 32 - maxValue.leadingZeroBitCount
    }

    private static func writeRepeated(_ value: UInt32, count: Int, bitWidth: Int, into out: inout ByteWriter) {
        out.appendVarint(UInt64(count) << 1)
        out.appendLittleEndian(UInt64(value), byteCount: (bitWidth + 7) / 8)
    }

    /// Values `start ..< start + count`, padded with zeros to whole groups of 8.
    private static func writeBitPacked(
        _ values: UnsafeBufferPointer<UInt32>, from start: Int, count: Int, bitWidth: Int, into out: inout ByteWriter
    ) {
        let groups = (count + 7) / 8
        out.appendVarint(UInt64(groups) << 1 | 1)
        guard bitWidth > 0 else { return }
        let width = UInt64(bitWidth)
        let fullGroups = count / 8
        if bitWidth <= 8 {
            // A group of 8 values is `bitWidth` (≤ 8) bytes: one word.
            for group in 0 ..< fullGroups {
                let first = start + 8 * group
                var packed: UInt64 = 0
                for k in 0 ..< 8 { packed |= UInt64(values[first + k]) &<< (UInt64(k) &* width) }
                out.appendLittleEndian(packed, byteCount: bitWidth)
            }
        } else {
            // Bits gather in `accumulator` (its low `bits` bits) and leave 8 bytes at a time.
            var accumulator: UInt64 = 0
            var bits: UInt64 = 0
            for k in 0 ..< fullGroups * 8 {
                let value = UInt64(values[start + k])
                accumulator |= value &<< bits
                bits += width
                if bits >= 64 {
                    out.appendLittleEndian(accumulator, byteCount: 8)
                    bits -= 64
                    // The value's bits that did not fit (none when it ended exactly at bit 64).
                    accumulator = bits == 0 ? 0 : value &>> (width - bits)
                }
            }
            // 8 values of `bitWidth` bits are a whole number of bytes.
            out.appendLittleEndian(accumulator, byteCount: Int(bits / 8))
        }
        if fullGroups < groups {
            // The last group, padded with zeros: at most 8 x 32 bits, bit by bit into bytes.
            var accumulator: UInt64 = 0
            var bits: UInt64 = 0
            for k in 0 ..< 8 {
                let index = start + 8 * fullGroups + k
                accumulator |= (index < start + count ? UInt64(values[index]) : 0) &<< bits
                bits += width
                while bits >= 8 {
                    out.append(UInt8(truncatingIfNeeded: accumulator))
                    accumulator >>= 8
                    bits -= 8
                }
            }
        }
    }
}
