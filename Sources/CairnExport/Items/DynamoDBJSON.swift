import Cairn

/// DynamoDB JSON (the wire format of `AttributeValue`: `{"S": "x"}`, `{"N": "1.5"}`,
/// `{"B": base64}`, sets as arrays) written straight to bytes, for the `_item` column, map and
/// list columns and the DYNAMODB_JSON export. Map keys are written in sorted order, so an item
/// always gives the same text.
enum DynamoDBJSON {
    /// `item` as a JSON object of attribute values.
    static func encode(_ item: Item) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        appendMap(item, to: &out)
        return out
    }

    /// One attribute value.
    static func encode(_ value: AttributeValue) -> [UInt8] {
        var out: [UInt8] = []
        append(value, to: &out)
        return out
    }

    static func appendMap(_ map: Item, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        // Pairs sorted by name: one array, and no second lookup per attribute.
        for (i, entry) in map.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendString(entry.key, to: &out)
            out.append(UInt8(ascii: ":"))
            append(entry.value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// `{"<tag>":` for each type, made once.
    private static let openS = Array(#"{"S":"#.utf8), openN = Array(#"{"N":"#.utf8), openB = Array(#"{"B":"#.utf8)
    private static let openBOOL = Array(#"{"BOOL":"#.utf8), openNULL = Array(#"{"NULL":"#.utf8)
    private static let openM = Array(#"{"M":"#.utf8), openL = Array(#"{"L":["#.utf8)
    private static let openSS = Array(#"{"SS":["#.utf8), openNS = Array(#"{"NS":["#.utf8), openBS = Array(#"{"BS":["#.utf8)
    private static let trueBytes = Array("true".utf8), falseBytes = Array("false".utf8)

    static func append(_ value: AttributeValue, to out: inout [UInt8]) {
        switch value {
        case .s(let s): out.append(contentsOf: openS); appendString(s, to: &out)
        case .n(let n): out.append(contentsOf: openN); appendNumber(n, to: &out)
        case .b(let b): out.append(contentsOf: openB); appendBase64String(b, to: &out)
        case .bool(let b): out.append(contentsOf: openBOOL); out.append(contentsOf: b ? trueBytes : falseBytes)
        case .null: out.append(contentsOf: openNULL); out.append(contentsOf: trueBytes)
        case .m(let map): out.append(contentsOf: openM); appendMap(map, to: &out)
        case .l(let list):
            out.append(contentsOf: openL)
            for (i, element) in list.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                append(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .ss(let set):
            out.append(contentsOf: openSS)
            for (i, element) in set.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendString(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .ns(let set):
            out.append(contentsOf: openNS)
            for (i, element) in set.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendNumber(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .bs(let set):
            out.append(contentsOf: openBS)
            for (i, element) in set.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendBase64String(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A number's text as a JSON string (digits, sign and point need no escape).
    @inline(__always)
    private static func appendNumber(_ n: Number, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        n.appendText(to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// Whether a byte must be escaped in a JSON string.
    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// A JSON string literal.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: copy them whole.
        let copied: Bool? = s.utf8.withContiguousStorageIfAvailable { bytes in
            guard !bytes.contains(where: needsEscape) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied != true {
            for byte in s.utf8 { appendEscaped(byte, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    @inline(__always)
    private static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\\"))
        case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
        case 0..<0x20:
            out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "u")); out.append(UInt8(ascii: "0")); out.append(UInt8(ascii: "0"))
            out.append(hexDigits[Int(byte >> 4)]); out.append(hexDigits[Int(byte & 15)])
        default: out.append(byte)
        }
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// `bytes` in standard base64 with padding, quoted (base64 needs no JSON escapes).
    static func appendBase64String(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        appendBase64(bytes, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// Standard base64 with padding, appended: the output's room is made once, then written
    /// through one pointer (no capacity check per character).
    static func appendBase64(_ bytes: [UInt8], to out: inout [UInt8]) {
        let count = bytes.count
        guard count > 0 else { return }
        let encodedCount = (count + 2) / 3 * 4
        let start = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "="), count: encodedCount))
        bytes.withUnsafeBufferPointer { input in
            base64Alphabet.withUnsafeBufferPointer { table in
                out.withUnsafeMutableBufferPointer { buffer in
                    var o = start
                    var i = 0
                    while i + 2 < count {
                        let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                        buffer[o] = table[Int(n >> 18)]; buffer[o + 1] = table[Int(n >> 12 & 63)]
                        buffer[o + 2] = table[Int(n >> 6 & 63)]; buffer[o + 3] = table[Int(n & 63)]
                        i += 3
                        o += 4
                    }
                    // The last one or two bytes; the padding '=' is already in place.
                    if i < count {
                        let n = UInt32(input[i]) << 16 | (i + 1 < count ? UInt32(input[i + 1]) << 8 : 0)
                        buffer[o] = table[Int(n >> 18)]; buffer[o + 1] = table[Int(n >> 12 & 63)]
                        if i + 1 < count { buffer[o + 2] = table[Int(n >> 6 & 63)] }
                    }
                }
            }
        }
    }

    /// Standard base64 with padding, as DynamoDB's JSON carries binary values.
    static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        appendBase64(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
