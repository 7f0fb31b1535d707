// Fuzz target: the order-preserving key encoding (`KeyEncoding.decode`, Docs/key_encoding.md)
// and number parsing (`Number(parsing:)`).
//
// Input: one mode byte, then bytes. Modes 0, 1, 2: the bytes are a sequence of encoded key
// components of type S, N or B, decoded one after another. Each decoded value must encode
// back to a value that decodes the same, and two consecutive values must compare as their
// encodings do (the encoding preserves order); a violation traps, so it is reported.
// Mode 3: the bytes are number text for `Number(parsing:)`; a parsed number's text must parse
// to the same number.
import Cairn
import CairnLSM
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

let typeNames = ["S", "N", "B"]

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        func encoded(_ mode: UInt8, _ values: [AttributeValue]) throws -> [UInt8] {
            var out: [UInt8] = [mode]
            for v in values { try KeyEncoding.append(v, to: &out) }
            return out
        }
        let numbers = try ["0", "1", "-1", "12.5", "-0.001", "9.9999999999999999999999999999999999999E+125", "1E-130", "-7E+3"]
            .map { AttributeValue.n(try Number(parsing: $0)) }
        return [
            ("strings", try encoded(0, [.s(""), .s("a"), .s("user#1"), .s("é\u{0}x")])),
            ("numbers", try encoded(1, numbers)),
            ("binary", try encoded(2, [.b([]), .b([0]), .b([0, 0, 1]), .b([0xFF, 0xFE])])),
            ("number-text-1", [3] + bytes("-12.50E+3")),
            ("number-text-2", [3] + bytes("0.000000000000000000000000000000000000001")),
            ("number-text-3", [3] + bytes("99999999999999999999999999999999999999")),
        ]
    }
    return 0
}

func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a == b ? 0 : (a.lexicographicallyPrecedes(b) ? -1 : 1)
}

func compareValues(_ a: AttributeValue, _ b: AttributeValue) -> Int? {
    switch (a, b) {
    case let (.s(x), .s(y)): return compareBytes(Array(x.utf8), Array(y.utf8))
    case let (.b(x), .b(y)): return compareBytes(x, y)
    case let (.n(x), .n(y)): return Number.compare(x, y).signum()
    default: return nil
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = input(data, size)
    guard let mode = raw.first else { return 0 }
    let rest = Array(raw.dropFirst())
    if mode % 4 == 3 {
        guard let n = try? Number(parsing: text(rest[...])) else { return 0 }
        guard let again = try? Number(parsing: n.description) else {
            fatalError("a parsed number's text \(n.description) does not parse")
        }
        if again != n || Number.compare(again, n) != 0 { fatalError("number text round trip changed \(n)") }
        return 0
    }
    let type = typeNames[Int(mode % 4)]
    var offset = 0
    var previous: (AttributeValue, [UInt8])?
    while offset < rest.count {
        let start = offset
        guard let value = KeyEncoding.decode(type, from: rest, offset: &offset) else { break }
        if offset <= start { fatalError("decode consumed no bytes") }
        var encoded: [UInt8] = []
        guard (try? KeyEncoding.append(value, to: &encoded)) != nil else { continue }
        var o = 0
        guard let back = KeyEncoding.decode(type, from: encoded, offset: &o), o == encoded.count else {
            fatalError("an encoded \(type) value does not decode back")
        }
        if back != value { fatalError("key encoding round trip changed a \(type) value") }
        if let (p, pEncoded) = previous, let order = compareValues(p, value) {
            if order != compareBytes(pEncoded, encoded) { fatalError("key encoding does not preserve the order of two \(type) values") }
        }
        previous = (value, encoded)
    }
    return 0
}
