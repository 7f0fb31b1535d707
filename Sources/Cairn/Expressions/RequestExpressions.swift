import Foundation
import CairnLSM
import Synchronization

/// Every expression of one request, parsed, checked and with its placeholders resolved: the
/// entry point the operations layer calls before it evaluates anything.
///
/// It applies DynamoDB's validation, in DynamoDB's order, and throws the first problem as a
/// `ValidationException` (`DynamoDBError.validation`) with DynamoDB's message:
/// 1. ExpressionAttributeNames / ExpressionAttributeValues given without any expression that
///    could use them;
/// 2. the maps: empty, malformed keys (`#` or `:` and then `[A-Za-z0-9_]+`, at most 255
///    characters), invalid values (`AttributeValue.validate()`), empty or oversized names;
/// 3. each expression, in the order UpdateExpression, ConditionExpression, FilterExpression,
///    ProjectionExpression, KeyConditionExpression (DynamoDB's order for every operation):
///    empty, longer than 4 KB, syntax, then its checks (see `ExpressionValidator`), each
///    message prefixed "Invalid ConditionExpression: " (or the kind at hand);
/// 4. names, then values, defined but used by none of the expressions.
///
/// The operations layer still owns the checks that need the operation or the table: mixing
/// expressions with legacy parameters, the operation-specific wording of "values without
/// expressions" (see `init`), and the key-condition rules against the key schema.
public struct RequestExpressions: Sendable {
    /// The ConditionExpression (PutItem, UpdateItem, DeleteItem, transactions).
    public var condition: Condition?
    /// The KeyConditionExpression (Query), as a plain condition; its key rules are checked
    /// against the table's key schema by the query layer.
    public var keyCondition: Condition?
    /// The FilterExpression (Query, Scan).
    public var filter: Condition?
    /// The ProjectionExpression (GetItem, Query, Scan, BatchGetItem, TransactGetItems).
    public var projection: Projection?
    /// The UpdateExpression (UpdateItem).
    public var update: UpdateExpression?

    /// The longest expression DynamoDB accepts, in UTF-16 code units as DynamoDB counts.
    public static let maxExpressionLength = 4096
    /// The most an expression with its placeholders substituted may weigh (DynamoDB's limit
    /// on the expression tree).
    static let maxSubstitutedSize = 1 << 20
    /// The longest ExpressionAttributeNames / ExpressionAttributeValues key.
    static let maxPlaceholderLength = 255

    /// Parses every expression of one request and resolves placeholders; throws DynamoDBError.
    ///
    /// When `values` is given but no condition, key-condition, filter or update expression is,
    /// the message is "ExpressionAttributeValues can only be specified when using expressions"
    /// without DynamoDB's operation-specific ending (such as ": ConditionExpression is null");
    /// an operation that wants that ending checks for it before calling this.
    public init(condition: String? = nil, keyCondition: String? = nil, filter: String? = nil,
                projection: String? = nil, update: String? = nil,
                names: [String: String]? = nil, values: [String: AttributeValue]? = nil) throws {
        let anyExpression = condition != nil || keyCondition != nil || filter != nil || projection != nil || update != nil
        if names != nil && !anyExpression {
            throw DynamoDBError.validation("ExpressionAttributeNames can only be specified when using expressions")
        }
        if values != nil && condition == nil && keyCondition == nil && filter == nil && update == nil {
            throw DynamoDBError.validation("ExpressionAttributeValues can only be specified when using expressions")
        }
        if let names { try Self.checkKeys(Array(names.keys), map: "ExpressionAttributeNames", prefix: "#") }
        if let values {
            try Self.checkKeys(Array(values.keys), map: "ExpressionAttributeValues", prefix: ":")
            try Self.checkInJavaOrder(Array(values.keys)) { key in
                do {
                    try values[key]?.validate()
                } catch let error as DynamoDBError {
                    throw DynamoDBError.validation("ExpressionAttributeValues contains invalid value: \(error.message) for key \(key)")
                }
            }
        }
        if let names {
            try Self.checkInJavaOrder(Array(names.keys)) { key in
                let name = names[key] ?? ""
                if name.isEmpty {
                    throw DynamoDBError.validation("ExpressionAttributeNames contains invalid value: Empty attribute name for key \(key)")
                }
                if name.utf8.count > 65535 {
                    throw DynamoDBError.validation(
                        "ExpressionAttributeNames contains invalid value: Attribute name is too large, must be less than 65536 bytes for key \(key)")
                }
            }
        }

        let nameMap = names ?? [:]
        let valueMap = values ?? [:]
        var usedNames: Set<String> = []
        var usedValues: Set<String> = []
        func analyze(_ text: String?, _ kind: ExpressionKind) throws -> Analysis.Tree? {
            guard let text else { return nil }
            let analysis = try Self.analyze(text, kind, names: nameMap, values: valueMap)
            usedNames.formUnion(analysis.nameUses.keys)
            usedValues.formUnion(analysis.valueUses.keys)
            return analysis.tree
        }
        if case .update(let u)? = try analyze(update, .update) { self.update = u }
        if case .condition(let c)? = try analyze(condition, .condition) { self.condition = c }
        if case .condition(let c)? = try analyze(filter, .filter) { self.filter = c }
        if case .projection(let p)? = try analyze(projection, .projection) { self.projection = p }
        if case .condition(let c)? = try analyze(keyCondition, .keyCondition) { self.keyCondition = c }

        let unusedNames = nameMap.keys.filter { !usedNames.contains($0) }
        if !unusedNames.isEmpty {
            throw DynamoDBError.validation(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {\(Self.javaOrder(unusedNames).joined(separator: ", "))}")
        }
        let unusedValues = valueMap.keys.filter { !usedValues.contains($0) }
        if !unusedValues.isEmpty {
            throw DynamoDBError.validation(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {\(Self.javaOrder(unusedValues).joined(separator: ", "))}")
        }
    }

    // MARK: One expression

    /// The kinds of expressions, named as in DynamoDB's messages.
    enum ExpressionKind: String, Sendable {
        case condition = "ConditionExpression"
        case keyCondition = "KeyConditionExpression"
        case filter = "FilterExpression"
        case projection = "ProjectionExpression"
        case update = "UpdateExpression"

        /// Which grammar parses it: kinds that share a grammar share cache entries.
        var grammar: Int {
            switch self {
            case .condition, .keyCondition, .filter: return 0
            case .projection: return 1
            case .update: return 2
            }
        }
    }

    /// One expression, checked: its tree and the placeholders it used (with their counts).
    struct Analysis: Sendable {
        enum Tree: Sendable {
            case condition(Condition)
            case projection(Projection)
            case update(UpdateExpression)
        }
        var tree: Tree
        var nameUses: [String: Int]
        var valueUses: [String: Int]
    }

    /// Parses and checks one expression; throws DynamoDB's "Invalid <kind>: ..." error.
    static func analyze(_ text: String, _ kind: ExpressionKind, names: [String: String],
                        values: [String: AttributeValue]) throws -> Analysis {
        let key = RawExpressionCache.Key(grammar: kind.grammar, text: text)
        let result: Result<Analysis, ExpressionProblem>
        if let (raw, nesting) = rawCache.lookup(key) {
            // Parsed before: only the placeholders are resolved again.
            let work: @Sendable () -> Result<Analysis, ExpressionProblem> = {
                resolve(raw, textLength: text.utf16.count, names: names, values: values)
            }
            result = nesting > 48 ? LargeStack.run(work) : work()
        } else {
            // Deeply nested text is parsed on a thread with a large stack: the parser recurses
            // once per parenthesis or NOT, and the 4 KB of text allow thousands of them.
            let nesting = ExpressionParser(text).nestingEstimate
            let work: @Sendable () -> Result<Analysis, ExpressionProblem> = {
                parseAndResolve(text, kind, key: key, nesting: nesting, names: names, values: values)
            }
            result = nesting > 48 ? LargeStack.run(work) : work()
        }
        switch result {
        case .success(let analysis): return analysis
        case .failure(let problem): throw DynamoDBError.validation("Invalid \(kind.rawValue): \(problem.message)")
        }
    }

    /// Expression texts parsed before, shared by every database in the process.
    static let rawCache = RawExpressionCache()

    private static func parseAndResolve(_ text: String, _ kind: ExpressionKind,
                                        key: RawExpressionCache.Key, nesting: Int, names: [String: String],
                                        values: [String: AttributeValue]) -> Result<Analysis, ExpressionProblem> {
        do {
            let length = text.utf16.count
            if length == 0 { throw ExpressionProblem("The expression can not be empty;") }
            if length > maxExpressionLength {
                // DynamoDB adds the size for condition-like expressions only.
                switch kind {
                case .update, .projection:
                    throw ExpressionProblem("Expression size has exceeded the maximum allowed size;")
                default:
                    throw ExpressionProblem("Expression size has exceeded the maximum allowed size; expression size: \(length)")
                }
            }
            var parser = ExpressionParser(text)
            let raw: RawExpressionCache.Entry
            switch kind {
            case .projection:
                let paths = try parser.parseProjection()
                for path in paths { try ExpressionValidator.walk(path) }
                raw = .projection(paths)
            case .update:
                let clauses = try parser.parseUpdate()
                try ExpressionValidator.walk(clauses)
                raw = .update(clauses)
            case .condition, .filter, .keyCondition:
                let condition = try parser.parseCondition()
                try ExpressionValidator.walk(condition)
                raw = .condition(condition)
            }
            rawCache.insert(key, raw, nesting: nesting)
            return resolve(raw, textLength: length, names: names, values: values)
        } catch let problem as ExpressionProblem {
            return .failure(problem)
        } catch {
            return .failure(ExpressionProblem("\(error)"))
        }
    }

    /// Checks a parsed expression against the placeholder maps and builds its syntax tree.
    private static func resolve(_ raw: RawExpressionCache.Entry, textLength: Int, names: [String: String],
                                values: [String: AttributeValue]) -> Result<Analysis, ExpressionProblem> {
        do {
            var validator = ExpressionValidator(names: names, values: values)
            let tree: Analysis.Tree
            switch raw {
            case .projection(let paths): tree = .projection(try validator.check(projection: paths))
            case .update(let clauses): tree = .update(try validator.check(update: clauses))
            case .condition(let condition): tree = .condition(try validator.check(condition))
            }
            // DynamoDB's limit on the expression with every placeholder substituted (value
            // sizes computed as item sizes).
            var size = textLength
            for (key, count) in validator.nameUses { size += count * (names[key]?.utf8.count ?? 0) }
            for (key, count) in validator.valueUses { size += count * (values[key].map(ItemSize.of) ?? 0) }
            if size > maxSubstitutedSize {
                throw ExpressionProblem("Expression size has exceeded the maximum allowed size;")
            }
            return .success(Analysis(tree: tree, nameUses: validator.nameUses, valueUses: validator.valueUses))
        } catch let problem as ExpressionProblem {
            return .failure(problem)
        } catch {
            return .failure(ExpressionProblem("\(error)"))
        }
    }

    // MARK: Placeholder maps

    /// DynamoDB's checks of the keys of one placeholder map.
    private static func checkKeys(_ keys: [String], map: String, prefix: Unicode.Scalar) throws {
        guard !keys.isEmpty else { throw DynamoDBError.validation("\(map) must not be empty") }
        try checkInJavaOrder(keys) { key in
            let problem: String
            if key.isEmpty {
                problem = "The expression attribute map contains an empty key;"
            } else if key.utf16.count > maxPlaceholderLength {
                // DynamoDB gives the size for names only.
                problem = prefix == "#"
                    ? "The expression attribute map contains a key that is too long; size of key: \(key.utf16.count)"
                    : "The expression attribute map contains a key that is too long;"
            } else if !ExpressionLexer.isPlaceholder(key, prefix: prefix) {
                problem = "Syntax error; key: \"\(key)\""
            } else {
                return
            }
            throw DynamoDBError.validation("\(map) contains invalid key: \(problem)")
        }
    }

    /// Runs `check` on every key; when one fails, throws what the first failing key in Java
    /// HashSet order (`javaOrder`) throws, the one DynamoDB reports. Sorts only on failure.
    private static func checkInJavaOrder(_ keys: [String], _ check: (String) throws -> Void) throws {
        guard keys.contains(where: { (try? check($0)) == nil }) else { return }
        for key in javaOrder(keys) { try check(key) }
    }

    /// Keys in the order a Java `HashSet` of them iterates, which is the order DynamoDB lists
    /// several unused keys in (keys in the same bucket, which DynamoDB lists in the order it
    /// received them, are sorted here).
    static func javaOrder(_ keys: [String]) -> [String] {
        var capacity = 16
        while Double(keys.count) / 0.75 + 1 > Double(capacity) { capacity *= 2 }
        func bucket(_ key: String) -> Int {
            var h: Int32 = 0
            for unit in key.utf16 { h = h &* 31 &+ Int32(unit) }
            let spread = h ^ Int32(bitPattern: UInt32(bitPattern: h) >> 16)
            return Int(spread) & (capacity - 1)
        }
        return keys.sorted { (bucket($0), $0) < (bucket($1), $1) }
    }
}

/// Runs work on a thread with a large stack and waits for it.
/// The raw (placeholders unresolved) trees of expression texts that parsed and passed their
/// structural checks, so a request repeating an expression, such as the same Query with new
/// values, skips lexing and parsing. Bounded: when full it starts over.
final class RawExpressionCache: Sendable {
    enum Entry: Sendable {
        case condition(RawCondition)
        case projection([RawPath])
        case update([RawUpdateClause])
    }

    struct Key: Hashable, Sendable {
        var grammar: Int
        var text: String
    }

    static let capacity = 1024
    private let entries = CairnMutex<[Key: (entry: Entry, nesting: Int)]>([:])

    func lookup(_ key: Key) -> (Entry, Int)? {
        entries.withLock { $0[key] }.map { ($0.entry, $0.nesting) }
    }

    func insert(_ key: Key, _ entry: Entry, nesting: Int) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = (entry, nesting)
        }
    }
}

enum LargeStack {
    /// A result handed from the worker thread to the waiting one; the semaphore orders the
    /// write before the read.
    private final class Box<T: Sendable>: @unchecked Sendable {
        var value: T?
    }

    static let stackSize = 256 << 20

    static func run<T: Sendable>(_ work: @escaping @Sendable () -> Result<T, ExpressionProblem>) -> Result<T, ExpressionProblem> {
        let box = Box<Result<T, ExpressionProblem>>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.value = work()
            done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        done.wait()
        return box.value ?? .failure(ExpressionProblem("The expression could not be parsed;"))
    }
}
