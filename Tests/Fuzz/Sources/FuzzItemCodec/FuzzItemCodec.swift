// Fuzz target: the stored item format (`ItemCodec.decode`, Docs/item_format.md).
//
// Input: the bytes of a stored item value. Decoding may throw (fine); an item that decodes
// must re-encode to bytes that decode to the same item (checked: a mismatch traps, so it is
// reported as a finding), and its size, validation and DynamoDB JSON are computed too.
import Cairn
import CairnLSM
import Foundation
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

func sampleItems() throws -> [Item] {
    let n = try Number(parsing: "-12.5E+3")
    return [
        [:],
        ["pk": .s("user#1"), "sk": .n(try Number(parsing: "42"))],
        ["pk": .s("a"), "bin": .b([0, 1, 2, 255]), "t": .bool(true), "f": .bool(false), "z": .null],
        ["pk": .s("é☃𝄞"), "list": .l([.s("x"), .n(n), .l([]), .m([:])]),
         "map": .m(["inner": .m(["deep": .ns([n, try Number(parsing: "1E-130")])])])],
        ["ss": .ss(["a", "b", "c"]), "ns": .ns([try Number(parsing: "1"), try Number(parsing: "99999999999999999999999999999999999999")]),
         "bs": .bs([[1], [2, 3]])],
    ]
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        try sampleItems().enumerated().map { ("item-\($0.offset)", ItemCodec.encode($0.element)) }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = input(data, size)
    guard let item = try? ItemCodec.decode(raw) else { return 0 }
    let again = ItemCodec.encode(item)
    let back: Item
    do {
        back = try ItemCodec.decode(again)
    } catch {
        fatalError("a decoded item re-encodes to bytes that do not decode: \(error)")
    }
    if back != item { fatalError("a decoded item re-encodes to a different item") }
    _ = ItemSize.of(item)
    try? ItemSize.validate(item)
    for value in item.values { try? value.validate() }
    _ = try? JSONEncoder().encode(item)
    return 0
}
