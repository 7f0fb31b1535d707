/// The syntax of DynamoDB's expressions: a recursive-descent parser that reads condition
/// (filter, key-condition), projection and update expressions into `RawExpression` trees, with
/// `#name` and `:value` placeholders still unresolved. `ExpressionValidator` then checks and
/// resolves them into the public syntax trees.
///
/// The grammar is DynamoDB's (the ANTLR grammar its service and DAX clients share):
///
/// ```
/// condition  := condition OR condition | condition AND condition | NOT condition     (NOT > AND > OR)
///             | operand comparator operand | operand BETWEEN operand AND operand
///             | operand IN '(' operand (',' operand)* ')' | function | '(' condition ')'
/// operand    := path | :value | function | '(' operand ')'
/// function   := name '(' operand (',' operand)* ')'
/// path       := (name | #name) ('.' (name | #name | :value) | '[' index ']')*
/// projection := path (',' path)*
/// update     := (SET set (',' set)* | REMOVE path (',' path)* | ADD path :value (',' ...)*
///                | DELETE path :value (',' ...)*)+
/// set        := path '=' (operand | arithmetic)
/// arithmetic := operand ('+' | '-') operand | '(' arithmetic ')'
/// ```
///
/// Two parentheses directly around the same condition, operand or arithmetic (`((a))`) are an
/// error of their own ("The expression has redundant parentheses;").
///
/// Syntax errors name the first token at which the text stops being the start of any valid
/// expression, with the tokens around it, as DynamoDB does. Where a redundant pair of
/// parentheses and a syntax error are both present, the one DynamoDB's parser meets first is
/// reported: its parser looks ahead over the first operand of a condition (and of a SET value)
/// before parsing it, which `predictPrimary` and `predictSetValue` reproduce.

/// A path as written: its elements with placeholders unresolved.
struct RawPath: Sendable {
    enum Element: Sendable {
        /// A name, or a `#name` placeholder (`isPlaceholder`).
        case name(String, isPlaceholder: Bool)
        /// `[digits]`: the digits as written (they may not fit an Int32).
        case index(String)
        /// `.:value`, which DynamoDB's grammar accepts but no public DynamoDB feature uses.
        case valuePlaceholder(String)
    }
    var elements: [Element]
}

/// An operand as written.
indirect enum RawOperand: Sendable {
    case path(RawPath)
    case value(String)
    case function(String, [RawOperand])
    case plus(RawOperand, RawOperand)
    case minus(RawOperand, RawOperand)
}

/// A condition as written.
indirect enum RawCondition: Sendable {
    case comparison(RawOperand, ComparisonOperator, RawOperand)
    case between(RawOperand, RawOperand, RawOperand)
    case isIn(RawOperand, [RawOperand])
    case function(String, [RawOperand])
    case and(RawCondition, RawCondition)
    case or(RawCondition, RawCondition)
    case not(RawCondition)
}

/// One clause of an update expression as written.
struct RawUpdateClause: Sendable {
    enum Kind: String, Sendable {
        case set = "SET", remove = "REMOVE", add = "ADD", delete = "DELETE"
    }
    enum Action: Sendable {
        case set(RawPath, RawOperand)
        case remove(RawPath)
        case add(RawPath, String)
        case delete(RawPath, String)

        var path: RawPath {
            switch self {
            case .set(let p, _), .remove(let p), .add(let p, _), .delete(let p, _): return p
            }
        }
    }
    var kind: Kind
    var actions: [Action]
}

/// A problem found in one expression: the message DynamoDB gives after "Invalid XExpression: ".
struct ExpressionProblem: Error, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}

/// The parser. Build one per expression; its methods consume the whole text.
struct ExpressionParser {
    typealias Kind = ExpressionLexer.Kind
    typealias Token = ExpressionLexer.Token

    let tokens: [Token]
    let scalars: [Unicode.Scalar]
    private var position = 0
    private let recognizer: Recognizer

    init(_ text: String) {
        let lexed = ExpressionLexer.tokenize(text)
        tokens = lexed.tokens
        scalars = lexed.scalars
        recognizer = Recognizer(tokens: lexed.tokens)
    }

    /// How deeply the parser may recurse on this text: parentheses and the operators that nest.
    var nestingEstimate: Int {
        tokens.reduce(0) { count, token in
            switch token.kind {
            case .leftParen, .keywordNot, .keywordAnd, .keywordOr: return count + 1
            default: return count
            }
        }
    }

    // MARK: Entry points

    /// Parses a whole condition, filter or key-condition expression.
    mutating func parseCondition() throws -> RawCondition {
        let (condition, _) = try parseOr()
        try expect(.end)
        return condition
    }

    /// Parses a whole projection expression.
    mutating func parseProjection() throws -> [RawPath] {
        var paths = [try parsePath()]
        while kind(position) == .comma {
            position += 1
            paths.append(try parsePath())
        }
        try expect(.end)
        return paths
    }

    /// Parses a whole update expression into its clauses, in the order written.
    mutating func parseUpdate() throws -> [RawUpdateClause] {
        var clauses: [RawUpdateClause] = []
        guard kind(position).isClauseKeyword else { throw syntaxError(at: position) }
        while kind(position).isClauseKeyword {
            clauses.append(try parseClause())
        }
        try expect(.end)
        return clauses
    }

    // MARK: Conditions

    private mutating func parseOr() throws -> (RawCondition, grouped: Bool) {
        var (left, grouped) = try parseAnd()
        while kind(position) == .keywordOr {
            position += 1
            let (right, _) = try parseAnd()
            left = .or(left, right)
            grouped = false
        }
        return (left, grouped)
    }

    private mutating func parseAnd() throws -> (RawCondition, grouped: Bool) {
        var (left, grouped) = try parseUnary()
        while kind(position) == .keywordAnd {
            position += 1
            let (right, _) = try parseUnary()
            left = .and(left, right)
            grouped = false
        }
        return (left, grouped)
    }

    private mutating func parseUnary() throws -> (RawCondition, grouped: Bool) {
        if kind(position) == .keywordNot {
            position += 1
            let (operand, _) = try parseUnary()
            return (.not(operand), false)
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws -> (RawCondition, grouped: Bool) {
        switch try predictPrimary(position) {
        case .group:
            position += 1
            let (inner, innerGrouped) = try parseOr()
            try expect(.rightParen)
            if innerGrouped { throw Self.redundantParentheses }
            return (inner, true)
        case .function:
            let (name, arguments) = try parseFunction()
            return (.function(name, arguments), false)
        case .operandFirst:
            let (left, _) = try parseOperand()
            let operatorKind = kind(position)
            if let comparison = Self.comparisonOperator(operatorKind) {
                position += 1
                let (right, _) = try parseOperand()
                return (.comparison(left, comparison, right), false)
            }
            switch operatorKind {
            case .keywordBetween:
                position += 1
                let (low, _) = try parseOperand()
                try expect(.keywordAnd)
                let (high, _) = try parseOperand()
                return (.between(left, low, high), false)
            case .keywordIn:
                position += 1
                try expect(.leftParen)
                let candidates = try parseOperandList()
                return (.isIn(left, candidates), false)
            default:
                throw syntaxError(at: position)
            }
        }
    }

    private static func comparisonOperator(_ kind: Kind) -> ComparisonOperator? {
        switch kind {
        case .equal: return .equal
        case .notEqual: return .notEqual
        case .less: return .less
        case .lessOrEqual: return .lessOrEqual
        case .greater: return .greater
        case .greaterOrEqual: return .greaterOrEqual
        default: return nil
        }
    }

    // MARK: Operands and paths

    private mutating func parseOperand() throws -> (RawOperand, parenthesized: Bool) {
        switch kind(position) {
        case .name where kind(position + 1) == .leftParen:
            let (name, arguments) = try parseFunction()
            return (.function(name, arguments), false)
        case .name, .nameRef:
            return (.path(try parsePath()), false)
        case .valueRef:
            position += 1
            return (.value(tokens[position - 1].text), false)
        case .leftParen:
            position += 1
            let (inner, innerParenthesized) = try parseOperand()
            try expect(.rightParen)
            if innerParenthesized { throw Self.redundantParentheses }
            return (inner, true)
        default:
            throw syntaxError(at: position)
        }
    }

    /// `name(operand, ...)`, at a name followed by `(`.
    private mutating func parseFunction() throws -> (String, [RawOperand]) {
        let name = tokens[position].text
        position += 2
        return (name, try parseOperandList())
    }

    /// `operand (',' operand)* ')'`, after the opening parenthesis.
    private mutating func parseOperandList() throws -> [RawOperand] {
        var operands = [try parseOperand().0]
        while kind(position) == .comma {
            position += 1
            operands.append(try parseOperand().0)
        }
        try expect(.rightParen)
        return operands
    }

    private mutating func parsePath() throws -> RawPath {
        var elements: [RawPath.Element] = []
        switch kind(position) {
        case .name: elements.append(.name(tokens[position].text, isPlaceholder: false))
        case .nameRef: elements.append(.name(tokens[position].text, isPlaceholder: true))
        default: throw syntaxError(at: position)
        }
        position += 1
        while true {
            switch kind(position) {
            case .dot:
                let token = token(position + 1)
                switch token.kind {
                case .name: elements.append(.name(token.text, isPlaceholder: false))
                case .nameRef: elements.append(.name(token.text, isPlaceholder: true))
                case .valueRef: elements.append(.valuePlaceholder(token.text))
                default: throw syntaxError(at: position + 1)
                }
                position += 2
            case .leftBracket:
                guard kind(position + 1) == .index else { throw syntaxError(at: position + 1) }
                guard kind(position + 2) == .rightBracket else { throw syntaxError(at: position + 2) }
                elements.append(.index(tokens[position + 1].text))
                position += 3
            default:
                return RawPath(elements: elements)
            }
        }
    }

    // MARK: Update expressions

    private mutating func parseClause() throws -> RawUpdateClause {
        let clauseKind: RawUpdateClause.Kind
        switch kind(position) {
        case .keywordSet: clauseKind = .set
        case .keywordRemove: clauseKind = .remove
        case .keywordAdd: clauseKind = .add
        default: clauseKind = .delete
        }
        position += 1
        var actions = [try parseAction(clauseKind)]
        while kind(position) == .comma {
            position += 1
            actions.append(try parseAction(clauseKind))
        }
        return RawUpdateClause(kind: clauseKind, actions: actions)
    }

    private mutating func parseAction(_ clause: RawUpdateClause.Kind) throws -> RawUpdateClause.Action {
        let path = try parsePath()
        switch clause {
        case .set:
            try expect(.equal)
            return .set(path, try parseSetValue())
        case .remove:
            return .remove(path)
        case .add, .delete:
            guard kind(position) == .valueRef else { throw syntaxError(at: position) }
            position += 1
            let value = tokens[position - 1].text
            return clause == .add ? .add(path, value) : .delete(path, value)
        }
    }

    private mutating func parseSetValue() throws -> RawOperand {
        switch try predictSetValue(position) {
        case 0: return try parseOperand().0
        default: return try parseArithmetic().0
        }
    }

    private mutating func parseArithmetic() throws -> (RawOperand, grouped: Bool) {
        switch try predictArithmetic(position) {
        case 0:
            let (left, _) = try parseOperand()
            let isPlus = kind(position) == .plus
            guard isPlus || kind(position) == .minus else { throw syntaxError(at: position) }
            position += 1
            let (right, _) = try parseOperand()
            return (isPlus ? .plus(left, right) : .minus(left, right), false)
        default:
            position += 1
            let (inner, innerGrouped) = try parseArithmetic()
            try expect(.rightParen)
            if innerGrouped { throw Self.redundantParentheses }
            return (inner, true)
        }
    }

    // MARK: Prediction (DynamoDB's parser's lookahead)

    private enum PrimaryAlternative { case operandFirst, function, group }

    /// The alternatives of a condition at `start` (after any NOT): an operand followed by a
    /// comparator, BETWEEN or IN; a function; a parenthesized condition. Decided the way
    /// DynamoDB's (ANTLR) parser decides it, with the same lookahead, so that a syntax error
    /// found by looking ahead comes before a redundant-parentheses error inside the operand.
    private func predictPrimary(_ start: Int) throws -> PrimaryAlternative {
        // 1-3. an operand followed by a comparator, IN or BETWEEN: three alternatives of
        // DynamoDB's grammar, which part only at the token after the operand (so when they
        // die, they die together, and no single one of them outlives the others).
        let operandFirst: Recognizer.Outcome
        let operand = recognizer.operand(start)
        if let end = operand.ends.first {
            let next = kind(end)
            operandFirst = next.isComparator || next == .keywordBetween || next == .keywordIn
                ? .survives : .dies(at: end, finished: false)
        } else {
            operandFirst = .dies(at: operand.dead, finished: false)
        }
        var outcomes = [operandFirst, operandFirst, operandFirst]
        // 4. a function used as a condition.
        if kind(start) == .name && kind(start + 1) == .leftParen {
            outcomes.append(recognizer.finish(recognizer.function(start), follow: Recognizer.conditionFollow))
        } else {
            outcomes.append(.dies(at: start, finished: false))
        }
        // 5. a parenthesized condition.
        if kind(start) == .leftParen {
            let inner = recognizer.condition(start + 1)
            let closed = recognizer.expect(.rightParen, after: inner)
            outcomes.append(recognizer.finish(closed, follow: Recognizer.conditionFollow))
        } else {
            outcomes.append(.dies(at: start, finished: false))
        }
        switch Recognizer.decide(outcomes) {
        case .alternative(0...2): return .operandFirst
        case .alternative(3): return .function
        case .alternative: return .group
        case .error(let at): throw syntaxError(at: at)
        }
    }

    /// A SET value: 0 for a lone operand, 1 for arithmetic.
    private func predictSetValue(_ start: Int) throws -> Int {
        let outcomes = [
            recognizer.finish(recognizer.operand(start), follow: Recognizer.setValueFollow),
            recognizer.finish(recognizer.arithmetic(start), follow: Recognizer.setValueFollow),
        ]
        switch Recognizer.decide(outcomes) {
        case .alternative(let n): return n
        case .error(let at): throw syntaxError(at: at)
        }
    }

    /// Arithmetic: 0 for `operand ± operand`, 1 for `( arithmetic )`.
    private func predictArithmetic(_ start: Int) throws -> Int {
        let follow = Recognizer.arithmeticFollow
        var outcomes = [recognizer.finish(recognizer.sum(start), follow: follow)]
        if kind(start) == .leftParen {
            let closed = recognizer.expect(.rightParen, after: recognizer.arithmetic(start + 1))
            outcomes.append(recognizer.finish(closed, follow: follow))
        } else {
            outcomes.append(.dies(at: start, finished: false))
        }
        switch Recognizer.decide(outcomes) {
        case .alternative(let n): return n
        case .error(let at): throw syntaxError(at: at)
        }
    }

    // MARK: Tokens and errors

    private func kind(_ index: Int) -> Kind {
        index < tokens.count ? tokens[index].kind : .end
    }

    private func token(_ index: Int) -> Token {
        tokens[min(index, tokens.count - 1)]
    }

    private mutating func expect(_ expected: Kind) throws {
        guard kind(position) == expected else { throw syntaxError(at: position) }
        position += 1
    }

    static let redundantParentheses = ExpressionProblem("The expression has redundant parentheses;")

    /// DynamoDB's syntax error: the offending token, and the text from the token before it to
    /// the token after it (the end of the text prints as nothing; whitespace is kept as written).
    func syntaxError(at index: Int) -> ExpressionProblem {
        let index = min(max(index, 0), tokens.count - 1)
        let current = tokens[index]
        let left = index > 0 ? tokens[index - 1].start : 0
        let right: Int
        if current.kind == .end || index + 1 >= tokens.count || tokens[index + 1].kind == .end {
            right = scalars.count
        } else {
            right = tokens[index + 1].end
        }
        var near = ""
        near.unicodeScalars.append(contentsOf: scalars[left..<max(left, right)])
        return ExpressionProblem("Syntax error; token: \"\(current.text)\", near: \"\(near)\"")
    }
}

/// Recognizes the expression grammar without building anything: for a rule at a position, the
/// positions where it can end and the furthest token at which an attempt failed. The parser's
/// predictions use it to look ahead as DynamoDB's parser does. Results are memoized, so the
/// ambiguous parentheses of conditions cost linear time.
final class Recognizer {
    typealias Kind = ExpressionLexer.Kind

    /// Where a rule starting at some position can end (positions after its last token), and
    /// the furthest token index at which some attempt could not go on (-1 if none failed).
    struct Reach {
        var ends: [Int]
        var dead: Int
        static func failed(at index: Int) -> Reach { Reach(ends: [], dead: index) }
    }

    /// How one alternative of a decision fares.
    enum Outcome: Equatable {
        /// It can consume the token where the decision is made.
        case survives
        /// It cannot consume the token at `at`; `finished` if it had completed and the token
        /// cannot follow it.
        case dies(at: Int, finished: Bool)
    }

    enum Decision: Equatable {
        case alternative(Int)
        case error(at: Int)
    }

    static let conditionFollow: Set<Kind> = [.keywordAnd, .keywordOr, .rightParen, .end]
    static let setValueFollow: Set<Kind> = [.comma, .keywordSet, .keywordAdd, .keywordDelete, .keywordRemove, .end]
    static let arithmeticFollow: Set<Kind> = setValueFollow.union([.rightParen])

    private let kinds: [Kind]
    private var operandMemo: [Int: Reach] = [:]
    private var conditionMemo: [Int: Reach] = [:]
    private var unaryMemo: [Int: Reach] = [:]
    private var arithmeticMemo: [Int: Reach] = [:]

    init(tokens: [ExpressionLexer.Token]) {
        kinds = tokens.map(\.kind)
    }

    private func kind(_ index: Int) -> Kind {
        index < kinds.count ? kinds[index] : .end
    }

    /// ANTLR's choice: the alternative that outlives all others; if several die at the same
    /// furthest token, the first of them that had completed (its error comes later, from the
    /// rule after it), else a syntax error at that token.
    static func decide(_ outcomes: [Outcome]) -> Decision {
        if let survivor = outcomes.firstIndex(of: .survives) { return .alternative(survivor) }
        var furthest = -1
        for case .dies(let at, _) in outcomes { furthest = max(furthest, at) }
        var atFurthest: [(Int, Bool)] = []
        for (n, outcome) in outcomes.enumerated() {
            if case .dies(let at, let finished) = outcome, at == furthest { atFurthest.append((n, finished)) }
        }
        if atFurthest.count == 1, let only = atFurthest.first { return .alternative(only.0) }
        if let finished = atFurthest.first(where: { $0.1 }) { return .alternative(finished.0) }
        return .error(at: furthest)
    }

    /// The outcome of an alternative that ends where `reach` ends and must then be followed by
    /// one of `follow`.
    func finish(_ reach: Reach, follow: Set<Kind>) -> Outcome {
        if reach.ends.contains(where: { follow.contains(kind($0)) }) { return .survives }
        let furthest = max(reach.dead, reach.ends.max() ?? -1)
        return .dies(at: furthest, finished: reach.ends.contains(furthest))
    }

    /// `reach` followed by one token of kind `expected`.
    func expect(_ expected: Kind, after reach: Reach) -> Reach {
        var result = Reach(ends: [], dead: reach.dead)
        for end in reach.ends {
            if kind(end) == expected { result.ends.append(end + 1) } else { result.dead = max(result.dead, end) }
        }
        return result
    }

    func path(_ start: Int) -> Reach {
        guard kind(start) == .name || kind(start) == .nameRef else { return .failed(at: start) }
        var i = start + 1
        while true {
            switch kind(i) {
            case .dot:
                let next = kind(i + 1)
                guard next == .name || next == .nameRef || next == .valueRef else { return .failed(at: i + 1) }
                i += 2
            case .leftBracket:
                guard kind(i + 1) == .index else { return .failed(at: i + 1) }
                guard kind(i + 2) == .rightBracket else { return .failed(at: i + 2) }
                i += 3
            default:
                return Reach(ends: [i], dead: -1)
            }
        }
    }

    /// An operand: at most one end (the operand grammar is deterministic).
    func operand(_ start: Int) -> Reach {
        if let known = operandMemo[start] { return known }
        let result: Reach
        switch kind(start) {
        case .name where kind(start + 1) == .leftParen: result = function(start)
        case .name, .nameRef: result = path(start)
        case .valueRef: result = Reach(ends: [start + 1], dead: -1)
        case .leftParen: result = expect(.rightParen, after: operand(start + 1))
        default: result = .failed(at: start)
        }
        operandMemo[start] = result
        return result
    }

    /// `name ( operand, ... )` at a name followed by `(`.
    func function(_ start: Int) -> Reach {
        operandList(start + 2)
    }

    /// `operand (',' operand)* ')'`.
    func operandList(_ start: Int) -> Reach {
        var dead = -1
        var i = start
        while true {
            let item = operand(i)
            dead = max(dead, item.dead)
            guard let end = item.ends.first else { return Reach(ends: [], dead: dead) }
            switch kind(end) {
            case .comma: i = end + 1
            case .rightParen: return Reach(ends: [end + 1], dead: dead)
            default: return Reach(ends: [], dead: max(dead, end))
            }
        }
    }

    /// A condition: every position where one can end.
    func condition(_ start: Int) -> Reach {
        if let known = conditionMemo[start] { return known }
        var result = Reach(ends: [], dead: -1)
        var pending = [start]
        var seen: Set<Int> = [start]
        while let from = pending.popLast() {
            let term = unary(from)
            result.dead = max(result.dead, term.dead)
            for end in term.ends {
                result.ends.append(end)
                let next = kind(end)
                if (next == .keywordAnd || next == .keywordOr), seen.insert(end + 1).inserted {
                    pending.append(end + 1)
                }
            }
        }
        result.ends = Array(Set(result.ends)).sorted()
        conditionMemo[start] = result
        return result
    }

    /// NOT* followed by a primary condition.
    func unary(_ start: Int) -> Reach {
        var first = start
        while kind(first) == .keywordNot { first += 1 }
        if let known = unaryMemo[first] { return known }
        var result = Reach(ends: [], dead: -1)
        // operand followed by a comparator, BETWEEN or IN
        let left = operand(first)
        result.dead = max(result.dead, left.dead)
        if let end = left.ends.first {
            let next = kind(end)
            var rest: Reach
            if next.isComparator {
                rest = operand(end + 1)
            } else if next == .keywordBetween {
                rest = operand(end + 1)
                rest = expect(.keywordAnd, after: rest)
                if let afterAnd = rest.ends.first {
                    let high = operand(afterAnd)
                    rest = Reach(ends: high.ends, dead: max(rest.dead, high.dead))
                }
            } else if next == .keywordIn {
                if kind(end + 1) == .leftParen {
                    rest = operandList(end + 2)
                } else {
                    rest = .failed(at: end + 1)
                }
            } else {
                rest = .failed(at: end)
            }
            result.ends += rest.ends
            result.dead = max(result.dead, rest.dead)
        }
        // a function as a condition
        if kind(first) == .name && kind(first + 1) == .leftParen {
            let call = function(first)
            result.ends += call.ends
            result.dead = max(result.dead, call.dead)
        }
        // a parenthesized condition
        if kind(first) == .leftParen {
            let group = expect(.rightParen, after: condition(first + 1))
            result.ends += group.ends
            result.dead = max(result.dead, group.dead)
        }
        result.ends = Array(Set(result.ends)).sorted()
        unaryMemo[first] = result
        return result
    }

    /// `operand ± operand`.
    func sum(_ start: Int) -> Reach {
        let left = operand(start)
        guard let end = left.ends.first else { return left }
        guard kind(end) == .plus || kind(end) == .minus else { return .failed(at: max(end, left.dead)) }
        let right = operand(end + 1)
        return Reach(ends: right.ends, dead: max(left.dead, right.dead))
    }

    /// `operand ± operand | ( arithmetic )`.
    func arithmetic(_ start: Int) -> Reach {
        if let known = arithmeticMemo[start] { return known }
        var result = sum(start)
        if kind(start) == .leftParen {
            let group = expect(.rightParen, after: arithmetic(start + 1))
            result.ends += group.ends
            result.dead = max(result.dead, group.dead)
        }
        arithmeticMemo[start] = result
        return result
    }
}
