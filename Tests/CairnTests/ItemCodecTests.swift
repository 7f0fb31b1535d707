import CairnLSM
import Testing
@testable import Cairn

@Suite struct ItemCodecTests {
    static func randomValue(_ rng: inout Rng, depth: Int) throws -> AttributeValue {
        switch rng.below(depth > 3 ? 7 : 10) {
        case 0: return .s(String((0..<rng.below(20)).map { _ in ["a", "é", "\u{0}", "💡", "z"][rng.below(5)] }))
        case 1: return .n(try Number(parsing: "\(rng.below(2) == 0 ? "-" : "")\(rng.next() % 1_000_000)e\(rng.below(60) - 30)"))
        case 2: return .b((0..<rng.below(30)).map { _ in UInt8(rng.below(256)) })
        case 3: return .bool(rng.below(2) == 0)
        case 4: return .null
        case 5: return .ss(Array(Set((0..<1 + rng.below(4)).map { _ in "s\(rng.below(10))" })))
        case 6: return .ns(Array(Set(try (0..<1 + rng.below(4)).map { _ in try Number(parsing: "\(rng.below(100))") })))
        case 7: return .bs([[1], [2, 3]])
        case 8: return .l(try (0..<rng.below(4)).map { _ in try randomValue(&rng, depth: depth + 1) })
        default:
            var m: Item = [:]
            for _ in 0..<rng.below(4) { m["k\(rng.below(10))"] = try randomValue(&rng, depth: depth + 1) }
            return .m(m)
        }
    }

    @Test func randomItemsRoundTrip() throws {
        var rng = Rng(state: 99)
        for _ in 0..<500 {
            var item: Item = [:]
            for i in 0..<rng.below(8) { item["attr\(i)"] = try Self.randomValue(&rng, depth: 0) }
            let bytes = ItemCodec.encode(item)
            #expect(bytes.first == ItemCodec.version)
            #expect(try ItemCodec.decode(bytes) == item)
        }
        // Deterministic: the same item encodes to the same bytes whatever the map order.
        let a: Item = ["x": .s("1"), "y": .null, "z": .m(["b": .bool(true), "a": .bool(false)])]
        var b: Item = [:]
        for key in ["z", "y", "x"] { b[key] = a[key] }
        #expect(ItemCodec.encode(a) == ItemCodec.encode(b))
    }

    /// Every truncation and many bit flips of a valid encoding either decode to some item or
    /// throw a corruption error; none traps.
    @Test func damagedBytesGiveCorruptionNotACrash() throws {
        var rng = Rng(state: 5)
        let item: Item = ["name": .s("widget"), "price": .n(try Number(parsing: "-12.50")),
                          "tags": .ss(["a", "b"]), "dims": .l([.n(try Number(parsing: "3")), .m(["u": .s("cm")])]),
                          "blob": .b([0, 1, 2]), "ok": .bool(true), "none": .null, "ns": .ns([try Number(parsing: "7")]),
                          "bs": .bs([[9]])]
        let good = ItemCodec.encode(item)
        var corrupt = 0
        func attempt(_ bytes: [UInt8]) {
            do { _ = try ItemCodec.decode(bytes) } catch let e as CairnError {
                if case .corruption = e { corrupt += 1 } else { Issue.record("unexpected \(e)") }
            } catch { Issue.record("unexpected \(error)") }
        }
        for length in 0..<good.count { attempt(Array(good[0..<length])) }
        #expect(corrupt == good.count, "every truncation is detected")
        for _ in 0..<3000 {
            var bytes = good
            bytes[rng.below(bytes.count)] ^= UInt8(1 << rng.below(8))
            attempt(bytes)
        }
        attempt([ItemCodec.version, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        attempt([2, 0])
        // A value nested deeper than DynamoDB allows cannot come from a valid write.
        var deep: [UInt8] = [ItemCodec.version, 1, 1, UInt8(ascii: "a")]
        for _ in 0..<40 { deep += [ItemCodec.Tag.l.rawValue, 1] }
        deep.append(ItemCodec.Tag.null.rawValue)
        attempt(deep)
    }

    /// Decoding some attributes gives exactly those attributes of the full decode, stepping
    /// over every other kind of value; damaged bytes are corruption, never a trap.
    @Test func partialDecodeEqualsTheFilteredItem() throws {
        var rng = Rng(state: 17)
        for _ in 0..<500 {
            var item: Item = [:]
            for i in 0..<rng.below(9) { item["attr\(i)"] = try Self.randomValue(&rng, depth: 0) }
            let wanted = (0..<rng.below(5)).map { _ in "attr\(rng.below(10))" }
            let bytes = ItemCodec.encode(item)
            let partial = try bytes.withUnsafeBytes { try ItemCodec.decode($0, attributes: wanted.map { Array($0.utf8) }) }
            #expect(partial == item.filter { wanted.contains($0.key) })
        }
        let item: Item = ["k": "v", "tags": .ss(["a"]), "dims": .l([.n(3), .m(["u": .s("cm")])]), "bs": .bs([[9]]), "ns": .ns([7])]
        let good = ItemCodec.encode(item)
        for length in 0..<good.count {
            #expect(throws: CairnError.self) {
                try Array(good[0..<length]).withUnsafeBytes { try ItemCodec.decode($0, attributes: [Array("k".utf8)]) }
            }
        }
        for _ in 0..<2000 {
            var bytes = good
            bytes[rng.below(bytes.count)] ^= UInt8(1 << rng.below(8))
            do {
                _ = try bytes.withUnsafeBytes { try ItemCodec.decode($0, attributes: [Array("k".utf8)]) }
            } catch let error as CairnError {
                #expect(error.isCorruption)
            }
        }
    }
}
