/// A JSON document as the command line reads and writes it: objects keep their members in the
/// order they were written (as Python's `json` with `object_pairs_hook=OrderedDict`, which
/// aws-cli uses), and numbers keep their text, so nothing is rounded on the way through.
indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number exactly as written (`5`, `-1.5e3`).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in their order; a repeated name keeps its first position and its last value.
    case object([(String, JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value of member `name` of an object (nil for other values).
    subscript(member name: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == name }?.1
    }

    /// Python's name for the value's type, as botocore's validation messages show it.
    var pythonTypeName: String {
        switch self {
        case .null: return "<class 'NoneType'>"
        case .bool: return "<class 'bool'>"
        case .number(let text): return text.contains(where: { ".eE".contains($0) }) ? "<class 'float'>" : "<class 'int'>"
        case .string: return "<class 'str'>"
        case .array: return "<class 'list'>"
        case .object: return "<class 'dict'>"
        }
    }
}

// MARK: - Parsing

/// A JSON syntax error, worded as Python's `json` module words it (aws-cli shows that text):
/// "Expecting ',' delimiter: line 1 column 7 (char 6)".
struct JSONSyntaxError: Error, Equatable {
    var message: String
}

extension JSONValue {
    /// Parses a whole JSON text (surrounding whitespace allowed).
    static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(Array(text.unicodeScalars))
        return try parser.parseDocument()
    }
}

/// A recursive-descent JSON parser over Unicode scalars (positions count code points, as
/// Python's do). Nesting is bounded so hostile input cannot exhaust the stack.
private struct JSONParser {
    let s: [Unicode.Scalar]
    var i = 0
    var depth = 0
    static let maxDepth = 512

    init(_ s: [Unicode.Scalar]) { self.s = s }

    mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        skipSpace()
        let value = try parseValue()
        skipSpace()
        if i < s.count { throw error("Extra data", at: i) }
        return value
    }

    func error(_ message: String, at position: Int) -> JSONSyntaxError {
        var line = 1
        var lineStart = 0
        for k in 0..<min(position, s.count) where s[k] == "\n" {
            line += 1
            lineStart = k + 1
        }
        return JSONSyntaxError(message: "\(message): line \(line) column \(position - lineStart + 1) (char \(position))")
    }

    mutating func skipSpace() {
        while i < s.count, s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" { i += 1 }
    }

    func starts(with word: String) -> Bool {
        let w = Array(word.unicodeScalars)
        return i + w.count <= s.count && Array(s[i..<(i + w.count)]) == w
    }

    mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        guard i < s.count else { throw error("Expecting value", at: i) }
        switch s[i] {
        case "{": return try parseObject()
        case "[": return try parseArray()
        case "\"": return .string(try parseString())
        case "t" where starts(with: "true"):
            i += 4
            return .bool(true)
        case "f" where starts(with: "false"):
            i += 5
            return .bool(false)
        case "n" where starts(with: "null"):
            i += 4
            return .null
        case "-", "0"..."9":
            return try parseNumber()
        default:
            throw error("Expecting value", at: i)
        }
    }

    mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maxDepth { throw error("Nesting too deep", at: i) }
    }

    mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        i += 1
        var members: [(String, JSONValue)] = []
        var index: [String: Int] = [:]
        skipSpace()
        if i < s.count, s[i] == "}" {
            i += 1
            return .object(members)
        }
        while true {
            guard i < s.count, s[i] == "\"" else {
                throw error("Expecting property name enclosed in double quotes", at: i)
            }
            let name = try parseString()
            skipSpace()
            guard i < s.count, s[i] == ":" else { throw error("Expecting ':' delimiter", at: i) }
            i += 1
            skipSpace()
            let value = try parseValue()
            if let k = index[name] {
                members[k].1 = value
            } else {
                index[name] = members.count
                members.append((name, value))
            }
            skipSpace()
            guard i < s.count else { throw error("Expecting ',' delimiter", at: i) }
            if s[i] == "}" {
                i += 1
                return .object(members)
            }
            guard s[i] == "," else { throw error("Expecting ',' delimiter", at: i) }
            i += 1
            skipSpace()
        }
    }

    mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        i += 1
        var elements: [JSONValue] = []
        skipSpace()
        if i < s.count, s[i] == "]" {
            i += 1
            return .array(elements)
        }
        while true {
            skipSpace()
            elements.append(try parseValue())
            skipSpace()
            guard i < s.count else { throw error("Expecting ',' delimiter", at: i) }
            if s[i] == "]" {
                i += 1
                return .array(elements)
            }
            guard s[i] == "," else { throw error("Expecting ',' delimiter", at: i) }
            i += 1
        }
    }

    mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
        let start = i
        if s[i] == "-" { i += 1 }
        func digits(_ p: inout Int) -> Int {
            let from = p
            while p < s.count, ("0"..."9").contains(s[p]) { p += 1 }
            return p - from
        }
        guard i < s.count, ("0"..."9").contains(s[i]) else { throw error("Expecting value", at: start) }
        if s[i] == "0" { i += 1 } else { _ = digits(&i) }
        if i < s.count, s[i] == "." {
            var p = i + 1
            if digits(&p) > 0 { i = p }
        }
        if i < s.count, s[i] == "e" || s[i] == "E" {
            var p = i + 1
            if p < s.count, s[p] == "+" || s[p] == "-" { p += 1 }
            if digits(&p) > 0 { i = p }
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: s[start..<i])
        return .number(text)
    }

    mutating func parseString() throws(JSONSyntaxError) -> String {
        let start = i
        i += 1
        var out = String.UnicodeScalarView()
        while true {
            guard i < s.count else { throw error("Unterminated string starting at", at: start) }
            let c = s[i]
            if c == "\"" {
                i += 1
                return String(out)
            }
            if c.value < 0x20 { throw error("Invalid control character at", at: i) }
            if c != "\\" {
                out.append(c)
                i += 1
                continue
            }
            guard i + 1 < s.count else { throw error("Unterminated string starting at", at: start) }
            let e = s[i + 1]
            switch e {
            case "\"": out.append("\"")
            case "\\": out.append("\\")
            case "/": out.append("/")
            case "b": out.append("\u{8}")
            case "f": out.append("\u{c}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "u":
                guard var unit = hex4(at: i + 2) else { throw error("Invalid \\uXXXX escape", at: i + 1) }
                i += 6
                if (0xD800..<0xDC00).contains(unit), i + 1 < s.count, s[i] == "\\", s[i + 1] == "u",
                   let low = hex4(at: i + 2), (0xDC00..<0xE000).contains(low) {
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                // A lone surrogate cannot be held in a Swift string: it becomes U+FFFD.
                out.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                continue
            default:
                throw error("Invalid \\escape", at: i)
            }
            i += 2
        }
    }

    func hex4(at p: Int) -> UInt32? {
        guard p + 4 <= s.count else { return nil }
        var v: UInt32 = 0
        for k in p..<(p + 4) {
            guard let d = UInt32(String(s[k]), radix: 16) else { return nil }
            v = v << 4 | d
        }
        return v
    }
}

// MARK: - Writing

extension JSONValue {
    /// Compact JSON (for handing a request to `JSONDecoder`); non-ASCII characters stay as
    /// they are.
    var compactText: String {
        var out = ""
        writeCompact(&out)
        return out
    }

    private func writeCompact(_ out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let text): Self.writeString(text, &out)
        case .array(let elements):
            out += "["
            for (k, e) in elements.enumerated() {
                if k > 0 { out += "," }
                e.writeCompact(&out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (k, m) in members.enumerated() {
                if k > 0 { out += "," }
                Self.writeString(m.0, &out)
                out += ":"
                m.1.writeCompact(&out)
            }
            out += "}"
        }
    }

    /// The text Python's `json.dumps(value, indent=4, ensure_ascii=False)` gives, which is what
    /// aws-cli prints: four spaces per level, `", "`-free item separators with newlines,
    /// `": "` after names, `[]` and `{}` for empty containers, non-ASCII characters unescaped.
    var pythonIndentedText: String {
        var out = ""
        writeIndented(&out, level: 0)
        return out
    }

    private func writeIndented(_ out: inout String, level: Int) {
        switch self {
        case .array(let elements) where !elements.isEmpty:
            out += "[\n"
            for (k, e) in elements.enumerated() {
                out += String(repeating: " ", count: 4 * (level + 1))
                e.writeIndented(&out, level: level + 1)
                out += k + 1 < elements.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: 4 * level) + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            for (k, m) in members.enumerated() {
                out += String(repeating: " ", count: 4 * (level + 1))
                Self.writeString(m.0, &out)
                out += ": "
                m.1.writeIndented(&out, level: level + 1)
                out += k + 1 < members.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: 4 * level) + "}"
        default:
            writeCompact(&out)
        }
    }

    /// A JSON string literal escaped as Python does with `ensure_ascii=False`: `"`, `\`, and
    /// control characters below U+0020 (short forms where JSON has them, else `\u00XX`).
    static func writeString(_ text: String, _ out: inout String) {
        out += "\""
        for c in text.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{c}": out += "\\f"
            default:
                if c.value < 0x20 {
                    let hex = String(c.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
    }
}
