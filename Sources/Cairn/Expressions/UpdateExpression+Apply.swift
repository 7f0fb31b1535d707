/// Applying an update expression to an item, with DynamoDB's semantics.
///
/// DynamoDB evaluates every action against the item as it was before the update, then applies
/// them all; an action never sees another's result. So `SET a = b, b = a` swaps, `REMOVE a
/// SET b = a` copies the old `a`, and list indexes always mean positions in the original list:
/// `REMOVE a[1], a[3]` removes the second and fourth elements, and `REMOVE a[1] SET a[3] = :v`
/// replaces the original fourth element.
///
/// The steps, in order (the first failure is thrown, nothing is applied):
/// 1. The value of every SET, in action order: a path operand must exist ("The provided
///    expression refers to an attribute that does not exist in the item"), `+`/`-` need two
///    numbers and `list_append` two lists ("An operand in the update expression has an
///    incorrect data type"), sums are exact (`Number`'s overflow errors), `if_not_exists(p, v)`
///    is `p`'s value when it exists and `v` otherwise.
/// 2. Every action in order, against the original item: the container the path's last element
///    lives in must exist and be a map (for a name) or a list (for an index), a top-level
///    attribute's container being the item ("The document path provided in the update
///    expression is invalid for update"); ADD and DELETE need an existing value of the
///    matching type (number with number, SS with SS, NS with NS, BS with BS; "An operand in the
///    update expression has an incorrect data type").
/// 3. The changes: SET writes (an index past the end of a list appends, several such in index
///    order); REMOVE deletes a member, an element (later elements move down) or nothing if it
///    is missing; ADD adds to a number (a missing one counts as 0) or unions into a set
///    (creating it if missing); DELETE takes elements out of a set and removes the attribute
///    when it empties (nothing happens if it is missing).
extension UpdateExpression {
    /// The item after the update, for an item that exists. `item` may also be a new item's key
    /// attributes alone (UpdateItem creating it); see `apply(to:itemExists:)` for the one
    /// difference that makes.
    ///
    /// - Throws: `DynamoDBError` (`ValidationException`) with DynamoDB's messages, described on
    ///   this extension; the item is then unchanged.
    public func apply(to item: Item) throws -> Item {
        try apply(to: item, itemExists: true)
    }

    /// The item after the update. Pass `itemExists: false` when UpdateItem creates the item
    /// (`item` then holds the key attributes): DynamoDB ignores REMOVE actions on an item that
    /// does not exist, even nested ones such as `REMOVE a.b` that fail on an existing item
    /// without `a`.
    ///
    /// - Throws: `DynamoDBError` (`ValidationException`) with DynamoDB's messages, described on
    ///   this extension; the item is then unchanged.
    public func apply(to item: Item, itemExists: Bool) throws -> Item {
        // 1. Every SET's value, from the original item.
        var setValues: [AttributeValue?] = Array(repeating: nil, count: actions.count)
        for (i, action) in actions.enumerated() {
            if case .set(_, let operand) = action {
                setValues[i] = try operand.updateValue(in: item)
            }
        }
        // 2. Every action's effect, checked against the original item.
        let root = UpdateNode()
        for (i, action) in actions.enumerated() {
            let path = action.path
            let effect: UpdateEffect
            switch action {
            case .set:
                try Self.checkContainer(of: path, in: item)
                guard let value = setValues[i] else { continue }
                effect = .write(value)
            case .remove:
                guard itemExists else { continue }
                try Self.checkContainer(of: path, in: item)
                effect = .remove
            case .add(_, let value):
                try Self.requireOperandType(value, "ADD", typeSet: "ALLOWED_FOR_ADD_OPERAND", ["N", "SS", "NS", "BS"])
                try Self.checkContainer(of: path, in: item)
                effect = .write(try Self.add(value, to: path.value(in: item)))
            case .delete(_, let value):
                try Self.requireOperandType(value, "DELETE", typeSet: "ALLOWED_FOR_DELETE_OPERAND", ["SS", "NS", "BS"])
                try Self.checkContainer(of: path, in: item)
                if let existing = path.value(in: item) {
                    effect = try Self.delete(value, from: existing).map(UpdateEffect.write) ?? .remove
                } else {
                    effect = .keep
                }
            }
            try root.insert(path, effect)
        }
        // 3. The changes.
        return root.apply(to: item)
    }

    // MARK: Checks

    static func invalidPath() -> DynamoDBError {
        .validation("The document path provided in the update expression is invalid for update")
    }

    static func incorrectDataType() -> DynamoDBError {
        .validation("An operand in the update expression has an incorrect data type")
    }

    /// Throws unless the container `path`'s last element would live in exists in `item` with
    /// the right type: the item itself for a top-level attribute, a map for a member name, a
    /// list for an index.
    static func checkContainer(of path: DocumentPath, in item: Item) throws {
        guard case .name? = path.elements.first, let last = path.elements.last else { throw invalidPath() }
        if path.elements.count == 1 { return }
        switch (last, path.parent.value(in: item)) {
        case (.name, .m?), (.index, .l?): return
        default: throw invalidPath()
        }
    }

    /// The parser's check of an ADD or DELETE value's type, for trees built without it.
    static func requireOperandType(_ value: AttributeValue, _ clause: String, typeSet: String, _ types: Set<String>) throws {
        guard types.contains(value.typeName) else {
            throw DynamoDBError.validation(
                "Incorrect operand type for operator or function; operator: \(clause), operand type: \(value.operandTypeWord), typeSet: \(typeSet)")
        }
    }


    // MARK: ADD and DELETE

    /// ADD's result: `value` itself when nothing is there, else the exact sum of two numbers
    /// or the union of two sets of one type (existing elements first, then the new ones).
    static func add(_ value: AttributeValue, to existing: AttributeValue?) throws -> AttributeValue {
        guard let existing else { return value }
        switch (existing, value) {
        case (.n(let x), .n(let y)):
            return .n(try Number.adding(x, y))
        case (.ss(let x), .ss(let y)):
            var seen = Set(x.map { Array($0.utf8) })
            return .ss(x + y.filter { seen.insert(Array($0.utf8)).inserted })
        case (.ns(let x), .ns(let y)):
            var seen = Set(x)
            return .ns(x + y.filter { seen.insert($0).inserted })
        case (.bs(let x), .bs(let y)):
            var seen = Set(x)
            return .bs(x + y.filter { seen.insert($0).inserted })
        default:
            throw incorrectDataType()
        }
    }

    /// DELETE's result: `existing` without the elements of `value` (a set of the same type),
    /// or nil when nothing is left.
    static func delete(_ value: AttributeValue, from existing: AttributeValue) throws -> AttributeValue? {
        switch (existing, value) {
        case (.ss(let x), .ss(let y)):
            let gone = Set(y.map { Array($0.utf8) })
            let rest = x.filter { !gone.contains(Array($0.utf8)) }
            if rest.isEmpty { return nil }
            return .ss(rest)
        case (.ns(let x), .ns(let y)):
            let gone = Set(y)
            let rest = x.filter { !gone.contains($0) }
            if rest.isEmpty { return nil }
            return .ns(rest)
        case (.bs(let x), .bs(let y)):
            let gone = Set(y)
            let rest = x.filter { !gone.contains($0) }
            if rest.isEmpty { return nil }
            return .bs(rest)
        default:
            throw incorrectDataType()
        }
    }
}

extension Operand {
    /// The operand's value on the right of a SET, read from the original item.
    ///
    /// - Throws: `ValidationException`: a path that does not exist, a non-number in `+`/`-`, a
    ///   non-list in `list_append`, `Number` overflow, or `size()` (condition-only).
    func updateValue(in item: Item) throws -> AttributeValue {
        switch self {
        case .path(let path):
            guard let value = path.value(in: item) else {
                throw DynamoDBError.validation("The provided expression refers to an attribute that does not exist in the item")
            }
            return value
        case .value(let value):
            return value
        case .ifNotExists(let path, let fallback):
            if let value = path.value(in: item) { return value }
            return try fallback.updateValue(in: item)
        case .listAppend(let a, let b):
            guard case .l(let x) = try a.updateValue(in: item) else { throw UpdateExpression.incorrectDataType() }
            guard case .l(let y) = try b.updateValue(in: item) else { throw UpdateExpression.incorrectDataType() }
            return .l(x + y)
        case .plus(let a, let b), .minus(let a, let b):
            guard case .n(let x) = try a.updateValue(in: item) else { throw UpdateExpression.incorrectDataType() }
            guard case .n(let y) = try b.updateValue(in: item) else { throw UpdateExpression.incorrectDataType() }
            if case .plus = self { return .n(try Number.adding(x, y)) }
            return .n(try Number.subtracting(x, y))
        case .size:
            throw DynamoDBError.validation("The function is not allowed in an update expression; function: size")
        }
    }
}

/// What an action does at its path once everything is checked.
private enum UpdateEffect {
    /// Store this value (replace, add a member, or append past the end of a list).
    case write(AttributeValue)
    /// Delete the member or element (nothing if it is missing).
    case remove
    /// Leave the place as it is (DELETE from a missing set).
    case keep
}

/// The actions as a tree over the item's structure, so that every effect is placed by the
/// original item's positions and a list is rebuilt once however many of its elements change.
private final class UpdateNode {
    var effect: UpdateEffect?
    /// The action's path, for messages.
    var path: DocumentPath?
    var names: [String: UpdateNode] = [:]
    var indexes: [Int: UpdateNode] = [:]

    /// Adds the action at `path`; throws DynamoDB's overlap error when another action's path
    /// contains it or lies inside it (the parser rejects these; this guards trees built by
    /// hand). Conflicts (`a.b` with `a[0]`) cannot reach here: every action's container was
    /// checked against the same original item, which cannot be a map and a list at once.
    func insert(_ path: DocumentPath, _ effect: UpdateEffect) throws {
        var node = self
        for element in path.elements {
            if node.effect != nil, let other = node.path { throw Self.overlap(path, other) }
            let next: UpdateNode
            switch element {
            case .name(let name):
                next = node.names[name] ?? UpdateNode()
                node.names[name] = next
            case .index(let index):
                next = node.indexes[index] ?? UpdateNode()
                node.indexes[index] = next
            }
            node = next
        }
        if let other = node.anyPath { throw Self.overlap(path, other) }
        node.effect = effect
        node.path = path
    }

    /// The path of some action at or under this node.
    private var anyPath: DocumentPath? {
        if let path { return path }
        for child in names.values { if let p = child.anyPath { return p } }
        for child in indexes.values { if let p = child.anyPath { return p } }
        return nil
    }

    private static func describe(_ path: DocumentPath) -> String {
        "[" + path.elements.map { element -> String in
            switch element {
            case .name(let name): return name
            case .index(let i): return "[\(i)]"
            }
        }.joined(separator: ", ") + "]"
    }

    private static func overlap(_ one: DocumentPath, _ two: DocumentPath) -> DynamoDBError {
        .validation("Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: \(describe(one)), path two: \(describe(two))")
    }

    /// The item with every effect under this (root) node applied.
    func apply(to item: Item) -> Item {
        var result = item
        for (name, child) in names {
            result[name] = child.applied(to: result[name])
        }
        return result
    }

    /// The new value at this node's place, given the old one (nil: missing, or removed).
    private func applied(to value: AttributeValue?) -> AttributeValue? {
        if let effect {
            switch effect {
            case .write(let new): return new
            case .remove: return nil
            case .keep: return value
            }
        }
        switch value {
        case .m(var map)?:
            for (name, child) in names {
                map[name] = child.applied(to: map[name])
            }
            return .m(map)
        case .l(let list)?:
            var out: [AttributeValue] = []
            out.reserveCapacity(list.count)
            for (i, element) in list.enumerated() {
                if let child = indexes[i] {
                    if let new = child.applied(to: element) { out.append(new) }
                } else {
                    out.append(element)
                }
            }
            // Writes past the end append, in index order.
            for index in indexes.keys.sorted() where index >= list.count {
                if let new = indexes[index]?.applied(to: nil) { out.append(new) }
            }
            return .l(out)
        default:
            return value
        }
    }
}
