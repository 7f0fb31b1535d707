import Testing
@testable import CairnExport

/// The encodings under the Parquet writer: Thrift's compact protocol and the RLE /
/// bit-packing hybrid, against the specs' own examples and a reference decoder.
@Suite struct ParquetEncodingTests {
    @Test func compactProtocolFieldsAndLists() {
        var w = ThriftCompactWriter()
        w.structBegin()
        w.i32(1, 0)          // delta 1, type i32 (5): 0x15, zigzag 0
        w.i32(2, -1)         // 0x15, zigzag(-1) = 1
        w.i64(4, 300)        // delta 2, type i64 (6): 0x26, zigzag(300) = 600 = 0xd8 0x04
        w.bool(5, true)      // 0x11
        w.bool(6, false)     // 0x12
        w.string(30, "ab")   // delta 24 > 15: type byte 0x08, zigzag varint id 60 = 0x3c, then 2 'a' 'b'
        w.listField(31, .i32, count: 2)  // delta 1: 0x19, header 0x25
        w.i32Element(3)      // 6
        w.i32Element(-2)     // 3
        w.listField(32, .binary, count: 15)  // 0x19, 0xf8, varint 15
        for _ in 0..<15 { w.binaryElement([]) }
        w.structField(33)    // 0x1c
        w.i16(1, 7)          // nested ids restart: 0x14, 14
        w.structEnd()        // 0x00
        w.i8(34, -1)         // back to the outer struct's ids: delta 1 from 33: 0x13, 0xff
        w.structEnd()
        let expected: [UInt8] = [
            0x15, 0x00, 0x15, 0x01, 0x26, 0xd8, 0x04, 0x11, 0x12, 0x08, 0x3c, 0x02, 0x61, 0x62,
            0x19, 0x25, 0x06, 0x03, 0x19, 0xf8, 0x0f,
        ] + [UInt8](repeating: 0, count: 15) + [0x1c, 0x14, 0x0e, 0x00, 0x13, 0xff, 0x00]
        #expect(w.bytes == expected)
    }

    /// Encodings.md's example: 0...7 bit-packed with width 3.
    @Test func bitPackedRunMatchesTheSpecExample() {
        var out: [UInt8] = []
        RLEHybridEncoder.encode([0, 1, 2, 3, 4, 5, 6, 7], bitWidth: 3, into: &out)
        #expect(out == [0x03, 0b1000_1000, 0b1100_0110, 0b1111_1010])
    }

    /// Widths 1...32 (one word per group up to 8 bits, a running word beyond), runs of every
    /// length, against the reference decoder.
    @Test func repeatedRunsAndMixedRunsDecodeToTheInput() {
        var out: [UInt8] = []
        RLEHybridEncoder.encode([UInt32](repeating: 1, count: 100), bitWidth: 1, into: &out)
        #expect(out == [200, 0x01, 0x01])  // varint(100 << 1) = 0xc8 0x01, then the value
        var state: UInt64 = 12345
        for trial in 0..<300 {
            let width = 1 + trial % 32
            var values: [UInt32] = []
            while values.count < 1 + trial * 3 {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                let value = UInt32(truncatingIfNeeded: state >> 16) & (UInt32.max >> UInt32(32 - width))
                let repeats = (state >> 20) % 4 == 0 ? Int((state >> 8) % 30) : 1
                values += [UInt32](repeating: value, count: repeats)
            }
            var encoded: [UInt8] = []
            RLEHybridEncoder.encode(values, bitWidth: width, into: &encoded)
            #expect(decodeHybrid(encoded, bitWidth: width, count: values.count) == values, "trial \(trial)")
        }
    }

    /// A reference decoder of the hybrid encoding, written from Encodings.md.
    func decodeHybrid(_ bytes: [UInt8], bitWidth: Int, count: Int) -> [UInt32]? {
        var out: [UInt32] = []
        var i = 0
        func varint() -> UInt64? {
            var result: UInt64 = 0, shift: UInt64 = 0
            while i < bytes.count {
                let b = bytes[i]
                i += 1
                result |= UInt64(b & 0x7f) << shift
                if b < 0x80 { return result }
                shift += 7
            }
            return nil
        }
        while out.count < count {
            guard let header = varint() else { return nil }
            if header & 1 == 0 {
                var value: UInt32 = 0
                for k in 0..<((bitWidth + 7) / 8) {
                    guard i < bytes.count else { return nil }
                    value |= UInt32(bytes[i]) << UInt32(8 * k)
                    i += 1
                }
                out += [UInt32](repeating: value, count: Int(header >> 1))
            } else {
                let values = Int(header >> 1) * 8
                var bit = 0
                let start = i
                for _ in 0..<values {
                    var value: UInt32 = 0
                    for b in 0..<bitWidth {
                        let position = bit + b
                        guard start + position / 8 < bytes.count else { return nil }
                        if bytes[start + position / 8] & (1 << UInt8(position % 8)) != 0 { value |= 1 << UInt32(b) }
                    }
                    bit += bitWidth
                    out.append(value)
                }
                i = start + values * bitWidth / 8
            }
        }
        guard i == bytes.count else { return nil }
        return Array(out.prefix(count))
    }
}
