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
        for (i, key) in map.keys.sorted().enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            if let value = map[key] { append(value, to: &out) }
        }
        out.append(UInt8(ascii: "}"))
    }

    static func append(_ value: AttributeValue, to out: inout [UInt8]) {
        func open(_ tag: String) { out.append(contentsOf: Array("{\"\(tag)\":".utf8)) }
        func strings(_ tag: String, _ elements: [String]) {
            open(tag)
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendString(element, to: &out)
            }
            out.append(contentsOf: [UInt8(ascii: "]"), UInt8(ascii: "}")])
        }
        switch value {
        case .s(let s): open("S"); appendString(s, to: &out)
        case .n(let n): open("N"); appendString(n.description, to: &out)
        case .b(let b): open("B"); appendString(base64(b), to: &out)
        case .bool(let b): open("BOOL"); out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .null: open("NULL"); out.append(contentsOf: Array("true".utf8))
        case .m(let map): open("M"); appendMap(map, to: &out)
        case .l(let list):
            open("L")
            out.append(UInt8(ascii: "["))
            for (i, element) in list.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                append(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .ss(let set): strings("SS", set); return
        case .ns(let set): strings("NS", set.map(\.description)); return
        case .bs(let set): strings("BS", set.map(base64)); return
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A JSON string literal.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Standard base64 with padding, as DynamoDB's JSON carries binary values.
    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        if i + 1 == bytes.count {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if i + 2 == bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
