// Fuzz target: DynamoDB expressions: lexer, parser, validation and placeholder resolution
// (`RequestExpressions`, the entry point every operation calls), then evaluation of what
// parsed: conditions and filters on an item, key conditions against a key schema,
// projections and update actions applied to an item.
//
// Input: one byte choosing the first expression's kind (condition, filter, key condition,
// projection, update: byte % 5), then expression texts separated by NUL bytes; text i goes to
// kind (byte + i) % 5. Every `#name` placeholder in the texts is given an attribute name and
// every `:value` one of a fixed set of values, so that placeholders resolve.
// Every thrown error is fine; only a crash, trap, hang or sanitizer report is a finding.
import Cairn
import CairnLSM
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

let attributeNames = ["pk", "sk", "a", "list", "map", "n", "s", "set", "b", "missing", "a.b", "x[0]"]

let number = try! Number(parsing: "5")
let values: [AttributeValue] = [
    .s("x"), .n(number), .n(try! Number(parsing: "-1.5E+3")), .b([1, 2]), .bool(true), .null,
    .l([.s("x"), .n(number)]), .m(["k": .s("v")]), .ss(["a", "b"]), .ns([number]), .bs([[1], [2]]), .s(""),
]

let sampleItem: Item = [
    "pk": .s("user#1"), "sk": .n(number), "a": .m(["b": .s("nested")]), "list": .l([.s("x"), .n(number), .l([.null])]),
    "map": .m(["k": .s("v"), "m": .m([:])]), "n": .n(number), "s": .s("hello"), "set": .ss(["a", "b"]),
    "b": .b([0, 1]), "ns": .ns([number]), "bs": .bs([[1]]), "bool": .bool(false), "nul": .null,
]

let partitionKey = KeyAttribute(name: "pk", type: .s, isPartitionKey: true)
let sortKey = KeyAttribute(name: "sk", type: .n, isPartitionKey: false)

/// The placeholders (`#x` or `:x`) that occur in `text`.
func placeholders(_ text: String, sigil: Unicode.Scalar) -> Set<String> {
    var found: Set<String> = []
    let s = Array(text.unicodeScalars)
    var i = 0
    while i < s.count {
        if s[i] == sigil {
            var j = i + 1
            while j < s.count, isNameScalar(s[j]) { j += 1 }
            if j > i + 1 { found.insert(String(String.UnicodeScalarView(s[i..<j]))) }
            i = j
        } else {
            i += 1
        }
    }
    return found
}

func isNameScalar(_ c: Unicode.Scalar) -> Bool {
    c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
}

/// A hash that is the same in every run (String.hashValue is seeded per process).
func stableHash(_ s: String) -> Int { s.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xFFFF } }

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        let cases: [(UInt8, String)] = [
            (0, "attribute_exists(#a) AND (n > :v OR begins_with(s, :s)) AND NOT contains(list, :x)"),
            (0, "size(#m.k) BETWEEN :lo AND :hi OR #t IN (:a, :b, :c) AND attribute_type(n, :ty)"),
            (1, "a.b = :v AND list[1] <> :w"),
            (2, "pk = :pk AND sk BETWEEN :lo AND :hi"),
            (2, "#p = :pk AND begins_with(#s, :pre)"),
            (3, "pk, a.b, list[0], #m.k, map.m"),
            (4, "SET n = n + :one, #l = list_append(list, :new), s = if_not_exists(s, :d) REMOVE a.b ADD #set :ss DELETE set :ss"),
            (4, "SET map.m.deep = :v, list[5] = :w"),
            (0, "attribute_exists(pk)\u{0}SET n = :v\u{0}contains(#x, :y)"),
        ]
        return cases.enumerated().map { ("expression-\($0.offset)", [$0.element.0] + bytes($0.element.1)) }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = input(data, size)
    guard let first = raw.first else { return 0 }
    let texts = raw.dropFirst().split(separator: 0, maxSplits: 4, omittingEmptySubsequences: false).map { text($0) }
    var slots: [String?] = Array(repeating: nil, count: 5)
    for (i, t) in texts.enumerated() { slots[(Int(first) + i) % 5] = t }

    var names: [String: String] = [:]
    var valueMap: [String: AttributeValue] = [:]
    for t in texts {
        for p in placeholders(t, sigil: "#") { names[p] = attributeNames[stableHash(p) % attributeNames.count] }
        for p in placeholders(t, sigil: ":") { valueMap[p] = values[stableHash(p) % values.count] }
    }
    let request: RequestExpressions
    do {
        request = try RequestExpressions(
            condition: slots[0], keyCondition: slots[2], filter: slots[1], projection: slots[3], update: slots[4],
            names: names.isEmpty ? nil : names, values: valueMap.isEmpty ? nil : valueMap)
    } catch {
        return 0
    }
    _ = try? request.condition?.evaluate(on: sampleItem)
    _ = try? request.condition?.evaluate(on: nil)
    _ = try? request.filter?.evaluate(on: sampleItem)
    if let keyCondition = request.keyCondition {
        _ = try? KeyCondition(keyCondition, partitionKey: partitionKey, sortKey: sortKey)
        _ = try? KeyCondition(keyCondition, partitionKey: partitionKey, sortKey: nil)
    }
    _ = request.projection?.apply(to: sampleItem)
    if let update = request.update {
        if let updated = try? update.apply(to: sampleItem, itemExists: true) { _ = ItemCodec.encode(updated) }
        _ = try? update.apply(to: [:], itemExists: false)
    }
    return 0
}
