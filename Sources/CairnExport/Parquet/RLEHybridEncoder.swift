/// Parquet's RLE / bit-packing hybrid encoding (Encodings.md, "Run Length Encoding /
/// Bit-Packing Hybrid"), used for definition levels and dictionary indices.
///
/// The output is a sequence of runs. A repeated run is `varint(count << 1)` and the value in
/// `ceil(bitWidth / 8)` little-endian bytes. A bit-packed run is `varint(groups << 1 | 1)` and
/// `groups` groups of 8 values, each value `bitWidth` bits, packed from the least significant
/// bit of each byte. A value repeated 8 times or more becomes a repeated run; everything else
/// is bit-packed, and only the very last group may be padded (readers stop at the page's value
/// count).
enum RLEHybridEncoder {
    /// Encodes `values` (each below `1 << bitWidth`) into `out`.
    static func encode(_ values: UnsafeBufferPointer<UInt32>, bitWidth: Int, into out: inout [UInt8]) {
        let count = values.count
        var i = 0
        // Values waiting for a bit-packed run, from `packedStart`.
        var packedStart = 0
        while i < count {
            var run = 1
            while i + run < count && values[i + run] == values[i] { run += 1 }
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
                    writeRepeated(values[i], count: run, bitWidth: bitWidth, into: &out)
                    i += run
                }
                packedStart = i
            } else {
                i += run
            }
        }
        if packedStart < count {
            writeBitPacked(values, from: packedStart, count: count - packedStart, bitWidth: bitWidth, into: &out)
        }
    }

    /// `encode` for an array.
    static func encode(_ values: [UInt32], bitWidth: Int, into out: inout [UInt8]) {
        values.withUnsafeBufferPointer { encode($0, bitWidth: bitWidth, into: &out) }
    }

    /// The bits needed for values up to `maxValue`.
    static func bitWidth(forMax maxValue: UInt32) -> Int {
        maxValue == 0 ? 0 : 32 - maxValue.leadingZeroBitCount
    }

    private static func writeRepeated(_ value: UInt32, count: Int, bitWidth: Int, into out: inout [UInt8]) {
        appendVarint(UInt64(count) << 1, to: &out)
        var v = value
        for _ in 0..<((bitWidth + 7) / 8) {
            out.append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }

    private static func writeBitPacked(
        _ values: UnsafeBufferPointer<UInt32>, from start: Int, count: Int, bitWidth: Int, into out: inout [UInt8]
    ) {
        let groups = (count + 7) / 8
        appendVarint(UInt64(groups) << 1 | 1, to: &out)
        guard bitWidth > 0 else { return }
        var accumulator: UInt64 = 0
        var bits = 0
        for k in 0..<(groups * 8) {
            let value = k < count ? UInt64(values[start + k]) : 0
            accumulator |= value << UInt64(bits)
            bits += bitWidth
            while bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator >>= 8
                bits -= 8
            }
        }
        // groups * 8 * bitWidth is a whole number of bytes: nothing is left over.
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}
