/// aws-cli's shorthand syntax for structure-valued parameters, following the grammar and error
/// messages of aws-cli's `awscli/shorthand.py` (`ShorthandParser`, Apache License 2.0, by
/// Amazon.com, Inc.) so that commands typed for `aws dynamodb` parse the same way:
///
/// ```
/// AttributeName=pk,AttributeType=S          -> {"AttributeName": "pk", "AttributeType": "S"}
/// ReadCapacityUnits=5,WriteCapacityUnits=5  -> {"ReadCapacityUnits": "5", ...}
/// a=b,c                                     -> {"a": ["b", "c"]}
/// a=[b,c],d={e=f,g=[h]}                      -> {"a": ["b", "c"], "d": {"e": "f", "g": ["h"]}}
/// pk={S=user#1},n={N=5}                     -> {"pk": {"S": "user#1"}, "n": {"N": "5"}}
/// a='x,y',b="p=q",c=x\,y                    -> quoted values and escaped commas
/// ```
///
/// The parser is purely syntactic: every scalar is a string. `Shape.typeShorthand` then
/// turns strings into numbers and booleans where the model says so, as aws-cli's
/// `BackCompatVisitor` does. Error messages are aws-cli's, with a caret under the position.
struct ShorthandParser {
    private var s: [Unicode.Scalar] = []
    private var i = 0
    private var resolveParamFiles = false
    private var depth = 0
    /// The deepest nesting of `[...]` and `{...}` accepted (hostile input cannot exhaust the stack).
    static let maxDepth = 512
    /// Loads `file://` values written after `@=` (aws-cli's `key@=file://path`).
    var loadFile: (String) throws -> String? = { _ in nil }

    init() {}

    /// Parses one shorthand value into a JSON object whose scalars are strings.
    mutating func parse(_ text: String) throws -> JSONValue {
        s = Array(text.unicodeScalars)
        i = 0
        depth = 0
        resolveParamFiles = false
        return try parameter()
    }

    // parameter = keyval *("," keyval)
    private mutating func parameter() throws -> JSONValue {
        var params: [(String, JSONValue)] = []
        let (key, value) = try keyval()
        params.append((key, value))
        var lastIndex = i
        while i < s.count {
            try expect(",", consumeWhitespace: true)
            let (key, value) = try keyval()
            if params.contains(where: { $0.0 == key }) {
                throw ShorthandParseError(message:
                    "Second instance of key \"\(key)\" encountered for input:\n\(errorLocation(lastIndex + 1))\n"
                    + "This is often because there is a preceding \",\" instead of a space.")
            }
            params.append((key, value))
            lastIndex = i
        }
        return .object(params)
    }

    // keyval = key "=" [values] / key "@=" [file-optional-values]
    private mutating func keyval() throws -> (String, JSONValue) {
        let k = key()
        resolveParamFiles = false
        if (try? expect("@", consumeWhitespace: true)) != nil { resolveParamFiles = true }
        try expect("=", consumeWhitespace: true)
        return (k, try values())
    }

    private mutating func key() -> String {
        let start = i
        while i < s.count, Self.isKeyChar(s[i]) { i += 1 }
        return string(start, i)
    }

    // values = csv-list / explicit-list / hash-literal
    private mutating func values() throws -> JSONValue {
        guard i < s.count else { return .string("") }
        switch s[i] {
        case "[": return try explicitList()
        case "{": return try hashLiteral()
        default: return try csvValue()
        }
    }

    private mutating func csvValue() throws -> JSONValue {
        let first = try firstValue()
        consumeWhitespace()
        if i >= s.count || s[i] != "," { return first }
        try expect(",", consumeWhitespace: true)
        var list = [first]
        while true {
            do {
                let current = try secondValue()
                consumeWhitespace()
                if i >= s.count {
                    list.append(current)
                    break
                }
                try expect(",", consumeWhitespace: true)
                list.append(current)
            } catch let error as ShorthandParseError {
                if i >= s.count { throw error }
                backtrack(to: ",")
                break
            }
        }
        return list.count == 1 ? first : .array(list)
    }

    private mutating func value() throws -> JSONValue {
        let consumed = consumeWord(first: Self.isStartChar, follow: Self.isFirstFollowChar)
        guard !consumed.isEmpty else { return .string("") }
        return .string(try resolve(Self.rstrip(consumed.replacingOccurrences(of: "\\,", with: ","))))
    }

    // explicit-list = "[" [value *("," value)] "]"
    private mutating func explicitList() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        try expect("[", consumeWhitespace: true)
        var values: [JSONValue] = []
        while current != "]" {
            values.append(try explicitValues())
            consumeWhitespace()
            if current != "]" {
                try expect(",")
                consumeWhitespace()
            }
        }
        try expect("]")
        return .array(values)
    }

    private mutating func explicitValues() throws -> JSONValue {
        switch current {
        case "[": return try explicitList()
        case "{": return try hashLiteral()
        default: return try firstValue()
        }
    }

    private mutating func hashLiteral() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        try expect("{", consumeWhitespace: true)
        var members: [(String, JSONValue)] = []
        while current != "}" {
            let k = key()
            resolveParamFiles = false
            if (try? expect("@", consumeWhitespace: true)) != nil { resolveParamFiles = true }
            try expect("=", consumeWhitespace: true)
            let v = try explicitValues()
            consumeWhitespace()
            if current != "}" {
                try expect(",")
                consumeWhitespace()
            }
            if let index = members.firstIndex(where: { $0.0 == k }) { members[index].1 = v } else { members.append((k, v)) }
        }
        try expect("}")
        return .object(members)
    }

    private mutating func enter() throws {
        depth += 1
        if depth > Self.maxDepth {
            throw ShorthandParseError(message: "Nesting deeper than \(Self.maxDepth) levels for input:\n\(errorLocation(i))")
        }
    }

    private mutating func firstValue() throws -> JSONValue {
        switch current {
        case "'": return .string(try resolve(try quoted("'")))
        case "\"": return .string(try resolve(try quoted("\"")))
        default: return try value()
        }
    }

    private mutating func secondValue() throws -> JSONValue {
        switch current {
        case "'": return .string(try resolve(try quoted("'")))
        case "\"": return .string(try resolve(try quoted("\"")))
        default:
            let consumed = consumeWord(first: Self.isStartChar, follow: Self.isSecondFollowChar)
            guard !consumed.isEmpty else {
                throw ShorthandParseError(message: syntaxMessage(expected: "<second>", actual: "<none>", at: i))
            }
            return .string(try resolve(Self.rstrip(consumed.replacingOccurrences(of: "\\,", with: ","))))
        }
    }

    /// A quoted value: `'...'` or `"..."`, where `\'` (or `\"`) is the quote and `\\` a
    /// backslash. As with aws-cli's regular expression, if the text ends inside an escaped
    /// quote, the last `\q` closes the value.
    private mutating func quoted(_ q: Unicode.Scalar) throws -> String {
        let start = i
        var p = i + 1
        var escapedQuotes: [Int] = []
        var end: Int?
        while p < s.count {
            if s[p] == "\\", p + 1 < s.count, s[p + 1] == q {
                escapedQuotes.append(p + 1)
                p += 2
            } else if s[p] == q {
                end = p
                break
            } else {
                p += 1
            }
        }
        if end == nil, let last = escapedQuotes.last { end = last }
        guard let close = end else {
            throw ShorthandParseError(message: syntaxMessage(
                expected: q == "'" ? "<singled quoted>" : "<double quoted>", actual: "<none>", at: start))
        }
        i = close + 1
        let inner = string(start + 1, close)
        return inner.replacingOccurrences(of: "\\" + String(q), with: String(q))
            .replacingOccurrences(of: "\\\\", with: "\\")
    }

    private mutating func resolve(_ value: String) throws -> String {
        guard resolveParamFiles else { return value }
        return try loadFile(value) ?? value
    }

    private mutating func expect(_ c: Unicode.Scalar, consumeWhitespace consume: Bool = false) throws {
        if consume { consumeWhitespace() }
        guard i < s.count else {
            throw ShorthandParseError(message: syntaxMessage(expected: String(c), actual: "EOF", at: i))
        }
        guard s[i] == c else {
            throw ShorthandParseError(message: syntaxMessage(expected: String(c), actual: String(s[i]), at: i))
        }
        i += 1
        if consume { consumeWhitespace() }
    }

    /// Consumes the longest word whose first character passes `first` and the rest
    /// `follow`, where `\,` counts as one character of the word.
    private mutating func consumeWord(first: (Unicode.Scalar) -> Bool, follow: (Unicode.Scalar) -> Bool) -> String {
        let start = i
        var p = i
        while p < s.count {
            if s[p] == "\\", p + 1 < s.count, s[p + 1] == "," {
                p += 2
            } else if p == start ? first(s[p]) : follow(s[p]) {
                p += 1
            } else {
                break
            }
        }
        i = p
        return string(start, p)
    }

    private var current: Unicode.Scalar? { i < s.count ? s[i] : nil }

    private mutating func consumeWhitespace() {
        while i < s.count, Self.isWhitespace(s[i]) { i += 1 }
    }

    private mutating func backtrack(to c: Unicode.Scalar) {
        while i > 0, i >= s.count || s[i] != c { i -= 1 }
    }

    private func string(_ from: Int, _ to: Int) -> String {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: s[from..<max(from, to)])
        return String(out)
    }

    private func syntaxMessage(expected: String, actual: String, at index: Int) -> String {
        "Expected: '\(expected)', received: '\(actual)' for input:\n\(errorLocation(index))"
    }

    /// The input with a caret under `index` (on the right line when the input has several).
    private func errorLocation(_ index: Int) -> String {
        var consumed = string(0, s.count)
        var remaining = ""
        var spaces = index
        let before = s[..<min(index, s.count)]
        if let lastNewline = before.lastIndex(of: "\n") { spaces = index - lastNewline - 1 }
        if index < s.count, let nextNewline = s[index...].firstIndex(of: "\n") {
            consumed = string(0, nextNewline)
            remaining = string(nextNewline, s.count)
        }
        return consumed + "\n" + String(repeating: " ", count: max(0, spaces)) + "^" + remaining
    }

    // Character classes of aws-cli's regular expressions.

    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{b}" || c == "\u{c}"
    }

    /// `[a-zA-Z0-9-_.#/:]`
    static func isKeyChar(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || "-_.#/:".unicodeScalars.contains(c)
    }

    /// `_START_WORD`: anything printable but space, quotes, `,`, `=`, `[` and `{`.
    static func isStartChar(_ c: Unicode.Scalar) -> Bool {
        c.value > 0x20 && !"\"',=[{".unicodeScalars.contains(c)
    }

    /// `_FIRST_FOLLOW_CHARS`: whitespace and anything but quotes, `,`, `]` and `}`.
    static func isFirstFollowChar(_ c: Unicode.Scalar) -> Bool {
        isWhitespace(c) || (c.value > 0x20 && !"\"',]}".unicodeScalars.contains(c))
    }

    /// `_SECOND_FOLLOW_CHARS`: whitespace and anything but quotes, `,` and `=`.
    static func isSecondFollowChar(_ c: Unicode.Scalar) -> Bool {
        isWhitespace(c) || (c.value > 0x20 && !"\"',=".unicodeScalars.contains(c))
    }

    static func rstrip(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        while let last = scalars.last, isWhitespace(last) { scalars.removeLast() }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }
}

/// Shorthand that does not parse; the message is aws-cli's.
struct ShorthandParseError: Error, Equatable {
    var message: String
}

extension String {
    /// Every occurrence of `target` replaced by `replacement` (without Foundation).
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
