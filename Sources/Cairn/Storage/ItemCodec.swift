import CairnLSM
#if canImport(Glibc)
import Glibc
#endif

/// The compact, versioned binary form of an item stored as a CairnLSM value. Layout and
/// invariants: Docs/item_format.md.
///
/// Decoding checks every length and tag against the bytes present and throws
/// `CairnError.corruption` for anything malformed; it never traps on bad bytes.
public enum ItemCodec {
    /// Format version written in the first byte.
    public static let version: UInt8 = 1

    enum Tag: UInt8 {
        case s = 1, n, b, boolFalse, boolTrue, null, m, l, ss, ns, bs
    }

    /// Encodes `item`, attributes in name order (so equal items encode equally).
    public static func encode(_ item: Item) -> [UInt8] {
        var out: [UInt8] = [version]
        appendMap(item, to: &out)
        return out
    }

    /// Decodes bytes written by `encode`.
    public static func decode(_ bytes: [UInt8]) throws -> Item {
        try bytes.withUnsafeBytes { try decode($0) }
    }

    /// Decodes an item in place (for example straight from an iterator's value), without
    /// copying the bytes first.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Item {
        var reader = Reader(bytes: bytes)
        let v = try reader.byte()
        guard v == version else { throw reader.corrupt("unknown item format version \(v)") }
        let item = try reader.map(depth: 0)
        guard reader.offset == bytes.count else { throw reader.corrupt("\(bytes.count - reader.offset) bytes after the item") }
        return item
    }

    /// Decodes only the top-level attributes named in `names` (UTF-8 bytes of each name),
    /// stepping over the others without building them: what an index needs from an item
    /// (its key attributes, or its projection). Every length, tag and number is checked as
    /// `decode` checks it; the UTF-8 of strings stepped over is not.
    static func decode(_ bytes: UnsafeRawBufferPointer, attributes names: [[UInt8]]) throws -> Item {
        var reader = Reader(bytes: bytes)
        let v = try reader.byte()
        guard v == version else { throw reader.corrupt("unknown item format version \(v)") }
        let n = try reader.count()
        var item = Item(minimumCapacity: min(n, names.count))
        for _ in 0..<n {
            let nameStart = reader.offset
            let length = try reader.count()
            let name = UnsafeRawBufferPointer(rebasing: bytes[reader.offset..<(reader.offset + length)])
            let wanted = names.contains { candidate in
                guard candidate.count == length else { return false }
                guard length > 0, let base = name.baseAddress else { return true }
                return candidate.withUnsafeBytes { $0.baseAddress.map { memcmp($0, base, length) == 0 } ?? false }
            }
            if wanted {
                reader.offset = nameStart
                let text = try reader.string()
                item[text] = try reader.value(depth: 0)
            } else {
                reader.offset += length
                try reader.skipValue(depth: 0)
            }
        }
        guard reader.offset == bytes.count else { throw reader.corrupt("\(bytes.count - reader.offset) bytes after the item") }
        return item
    }

    // MARK: Writing

    private static func appendVarint(_ v: Int, to out: inout [UInt8]) {
        Coding.appendVarint(&out, UInt64(v))
    }

    private static func appendBytes<C: Collection>(_ bytes: C, to out: inout [UInt8]) where C.Element == UInt8 {
        appendVarint(bytes.count, to: &out)
        out.append(contentsOf: bytes)
    }

    private static func appendMap(_ map: Item, to out: inout [UInt8]) {
        appendVarint(map.count, to: &out)
        for (name, value) in map.sorted(by: { $0.key < $1.key }) {
            appendBytes(name.utf8, to: &out)
            append(value, to: &out)
        }
    }

    private static func append(_ value: AttributeValue, to out: inout [UInt8]) {
        switch value {
        case .s(let s):
            out.append(Tag.s.rawValue)
            appendBytes(s.utf8, to: &out)
        case .n(let n):
            out.append(Tag.n.rawValue)
            KeyEncoding.appendNumber(n, to: &out)
        case .b(let b):
            out.append(Tag.b.rawValue)
            appendBytes(b, to: &out)
        case .bool(let v):
            out.append(v ? Tag.boolTrue.rawValue : Tag.boolFalse.rawValue)
        case .null:
            out.append(Tag.null.rawValue)
        case .m(let map):
            out.append(Tag.m.rawValue)
            appendMap(map, to: &out)
        case .l(let list):
            out.append(Tag.l.rawValue)
            appendVarint(list.count, to: &out)
            for element in list { append(element, to: &out) }
        case .ss(let set):
            out.append(Tag.ss.rawValue)
            appendVarint(set.count, to: &out)
            for s in set { appendBytes(s.utf8, to: &out) }
        case .ns(let set):
            out.append(Tag.ns.rawValue)
            appendVarint(set.count, to: &out)
            for n in set { KeyEncoding.appendNumber(n, to: &out) }
        case .bs(let set):
            out.append(Tag.bs.rawValue)
            appendVarint(set.count, to: &out)
            for b in set { appendBytes(b, to: &out) }
        }
    }

    // MARK: Reading

    /// Reads an item from memory the caller keeps alive for the reader's whole life.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        func corrupt(_ reason: String) -> CairnError {
            .corruption(file: "item value", offset: Int64(offset), reason: reason)
        }

        mutating func byte() throws -> UInt8 {
            guard offset < bytes.count else { throw corrupt("item ends early") }
            defer { offset += 1 }
            return bytes[offset]
        }

        /// A varint that is also a plausible count or length: at most the bytes left.
        mutating func count() throws -> Int {
            let start = offset
            guard let result = Coding.readVarint64(bytes, &offset) else {
                offset = start
                throw corrupt("truncated or overlong varint")
            }
            guard result <= UInt64(bytes.count - offset) else { throw corrupt("length \(result) exceeds the item") }
            return Int(result)
        }

        mutating func raw() throws -> [UInt8] {
            let n = try count()
            defer { offset += n }
            return Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
        }

        /// A length-prefixed UTF-8 string, checked and copied straight from the item bytes.
        ///
        /// ASCII (most names and many values) is valid UTF-8 by construction and takes the fast
        /// `String(decoding:)` path; anything else goes through `String(validating:)`, which
        /// costs several times more per string.
        mutating func string() throws -> String {
            let start = offset
            let n = try count()
            let end = offset + n
            let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<end]).assumingMemoryBound(to: UInt8.self)
            var high: UInt8 = 0
            for byte in slice { high |= byte }
            let decoded = high < 0x80 ? String(decoding: slice, as: UTF8.self) : String(validating: slice, as: UTF8.self)
            guard let s = decoded else {
                offset = start
                throw corrupt("string is not UTF-8")
            }
            offset = end
            return s
        }

        mutating func number() throws -> Number {
            guard let n = KeyEncoding.decodeNumber(bytes, &offset) else { throw corrupt("bad number") }
            return n
        }

        mutating func map(depth: Int) throws -> Item {
            let n = try count()
            var map = Item(minimumCapacity: n)
            for _ in 0..<n {
                let name = try string()
                map[name] = try value(depth: depth)
            }
            guard map.count == n else { throw corrupt("duplicate attribute name") }
            return map
        }

        /// Steps over one value, checking its structure (tags, lengths, numbers, nesting) as
        /// `value(depth:)` would, without building it (strings are not checked for UTF-8).
        mutating func skipValue(depth: Int) throws {
            switch try tag(depth: depth) {
            case .s, .b: offset += try count()
            case .n: _ = try number()
            case .boolFalse, .boolTrue, .null: break
            case .m:
                for _ in 0..<(try count()) {
                    offset += try count()
                    try skipValue(depth: depth + 1)
                }
            case .l:
                for _ in 0..<(try count()) { try skipValue(depth: depth + 1) }
            case .ss, .bs:
                for _ in 0..<(try count()) { offset += try count() }
            case .ns:
                for _ in 0..<(try count()) { _ = try number() }
            }
        }

        /// The tag of a value nested `depth` levels deep, checked.
        private mutating func tag(depth: Int) throws -> Tag {
            guard depth <= AttributeValue.maxNestingDepth else { throw corrupt("nested deeper than \(AttributeValue.maxNestingDepth) levels") }
            let tagOffset = offset
            guard let tag = Tag(rawValue: try byte()) else {
                offset = tagOffset
                throw corrupt("unknown value tag")
            }
            return tag
        }

        mutating func value(depth: Int) throws -> AttributeValue {
            switch try tag(depth: depth) {
            case .s: return .s(try string())
            case .n: return .n(try number())
            case .b: return .b(try raw())
            case .boolFalse: return .bool(false)
            case .boolTrue: return .bool(true)
            case .null: return .null
            case .m: return .m(try map(depth: depth + 1))
            case .l:
                let n = try count()
                var list: [AttributeValue] = []
                list.reserveCapacity(n)
                for _ in 0..<n { list.append(try value(depth: depth + 1)) }
                return .l(list)
            case .ss:
                let n = try count()
                return .ss(try (0..<n).map { _ in try string() })
            case .ns:
                let n = try count()
                return .ns(try (0..<n).map { _ in try number() })
            case .bs:
                let n = try count()
                return .bs(try (0..<n).map { _ in try raw() })
            }
        }
    }
}
