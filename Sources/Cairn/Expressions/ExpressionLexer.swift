/// The lexer of DynamoDB's expression language, shared by condition, filter, key-condition,
/// projection and update expressions (DynamoDB uses one grammar for all of them, so a keyword
/// of one kind, such as SET, is a keyword in every kind).
///
/// Token rules, as in DynamoDB's grammar (longest match wins; on equal length the earlier rule):
/// - whitespace `[ \t\r\n]+` separates tokens and is otherwise ignored (any other space, such as
///   a no-break space, is an unknown character);
/// - punctuation `, ( ) . [ ]` and operators `= <> < <= > >= + -`;
/// - keywords, case-insensitive: `IN BETWEEN NOT AND OR SET ADD DELETE REMOVE`;
/// - an index `0 | [1-9][0-9]*` (so `01` is two tokens, `0` and `1`);
/// - a name `[A-Za-z][A-Za-z0-9_]*` (a leading `_` or digit is not part of a name);
/// - a name placeholder `#[A-Za-z0-9_]+` and a value placeholder `:[A-Za-z0-9_]+`;
/// - any other character is a token of its own, which no rule accepts (a syntax error).
///
/// Function names are names followed by `(`; they are case-sensitive (`SIZE(a)` is an invalid
/// function), unlike keywords. Characters are Unicode scalars; DynamoDB's lexer reads UTF-16,
/// so a character outside the Basic Multilingual Plane is one unknown token here and two there
/// (only the text of such a syntax error's message can differ).
struct ExpressionLexer {
    /// The kinds of tokens.
    enum Kind: Equatable, Sendable {
        case comma, leftParen, rightParen, dot, leftBracket, rightBracket
        case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual, plus, minus
        case keywordIn, keywordBetween, keywordNot, keywordAnd, keywordOr
        case keywordSet, keywordAdd, keywordDelete, keywordRemove
        /// A list index, `0` or digits without a leading zero.
        case index
        /// A bare name: an attribute name or a function name.
        case name
        /// `#name`, resolved through ExpressionAttributeNames.
        case nameRef
        /// `:value`, resolved through ExpressionAttributeValues.
        case valueRef
        /// A character no rule accepts.
        case unknown
        /// The end of the expression.
        case end

        /// True for the comparison operators.
        var isComparator: Bool {
            switch self {
            case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: return true
            default: return false
            }
        }

        /// True for the keywords that start an update clause.
        var isClauseKeyword: Bool {
            switch self {
            case .keywordSet, .keywordAdd, .keywordDelete, .keywordRemove: return true
            default: return false
            }
        }
    }

    /// One token: its kind, its text and where it is (offsets in the expression's Unicode scalars).
    struct Token: Sendable {
        var kind: Kind
        var text: String
        var start: Int
        var end: Int
    }

    /// Splits `expression` into tokens; the last token is always `.end`. Never fails: characters
    /// that fit no rule become `.unknown` tokens, which the parser reports as syntax errors.
    static func tokenize(_ expression: String) -> (tokens: [Token], scalars: [Unicode.Scalar]) {
        let scalars = Array(expression.unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        func add(_ kind: Kind, _ start: Int, _ end: Int) {
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars[start..<end])
            tokens.append(Token(kind: kind, text: text, start: start, end: end))
        }
        while i < scalars.count {
            let c = scalars[i].value
            let next: UInt32? = i + 1 < scalars.count ? scalars[i + 1].value : nil
            switch c {
            case 0x20, 0x09, 0x0A, 0x0D:
                i += 1
            case 0x2C: add(.comma, i, i + 1); i += 1
            case 0x28: add(.leftParen, i, i + 1); i += 1
            case 0x29: add(.rightParen, i, i + 1); i += 1
            case 0x2E: add(.dot, i, i + 1); i += 1
            case 0x5B: add(.leftBracket, i, i + 1); i += 1
            case 0x5D: add(.rightBracket, i, i + 1); i += 1
            case 0x3D: add(.equal, i, i + 1); i += 1
            case 0x2B: add(.plus, i, i + 1); i += 1
            case 0x2D: add(.minus, i, i + 1); i += 1
            case 0x3C:  // <, <=, <>
                if next == 0x3D { add(.lessOrEqual, i, i + 2); i += 2 }
                else if next == 0x3E { add(.notEqual, i, i + 2); i += 2 }
                else { add(.less, i, i + 1); i += 1 }
            case 0x3E:  // >, >=
                if next == 0x3D { add(.greaterOrEqual, i, i + 2); i += 2 }
                else { add(.greater, i, i + 1); i += 1 }
            case 0x30:  // "0" alone is an index; "01" is "0" then "1"
                add(.index, i, i + 1); i += 1
            case 0x31...0x39:
                var j = i + 1
                while j < scalars.count, isDigit(scalars[j].value) { j += 1 }
                add(.index, i, j); i = j
            case 0x23, 0x3A:  // # or : followed by at least one name character
                var j = i + 1
                while j < scalars.count, isNameCharacter(scalars[j].value) { j += 1 }
                if j > i + 1 {
                    add(c == 0x23 ? .nameRef : .valueRef, i, j)
                    i = j
                } else {
                    add(.unknown, i, i + 1); i += 1
                }
            default:
                if isLetter(c) {
                    var j = i + 1
                    while j < scalars.count, isNameCharacter(scalars[j].value) { j += 1 }
                    var text = ""
                    text.unicodeScalars.append(contentsOf: scalars[i..<j])
                    tokens.append(Token(kind: keyword(text) ?? .name, text: text, start: i, end: j))
                    i = j
                } else {
                    add(.unknown, i, i + 1); i += 1
                }
            }
        }
        tokens.append(Token(kind: .end, text: "<EOF>", start: scalars.count, end: scalars.count))
        return (tokens, scalars)
    }

    /// The keyword a name spells, in any case, or nil.
    static func keyword(_ text: String) -> Kind? {
        guard text.utf8.count <= 7 else { return nil }
        switch text.uppercased() {
        case "IN": return .keywordIn
        case "BETWEEN": return .keywordBetween
        case "NOT": return .keywordNot
        case "AND": return .keywordAnd
        case "OR": return .keywordOr
        case "SET": return .keywordSet
        case "ADD": return .keywordAdd
        case "DELETE": return .keywordDelete
        case "REMOVE": return .keywordRemove
        default: return nil
        }
    }

    static func isDigit(_ c: UInt32) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isLetter(_ c: UInt32) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
    static func isNameCharacter(_ c: UInt32) -> Bool { isLetter(c) || isDigit(c) || c == 0x5F }

    /// True if `key` is a well-formed placeholder: `prefix` (`#` or `:`) and one or more
    /// `[A-Za-z0-9_]`, nothing else.
    static func isPlaceholder(_ key: String, prefix: Unicode.Scalar) -> Bool {
        let scalars = Array(key.unicodeScalars)
        guard scalars.count >= 2, scalars[0] == prefix else { return false }
        return scalars.dropFirst().allSatisfy { isNameCharacter($0.value) }
    }
}
