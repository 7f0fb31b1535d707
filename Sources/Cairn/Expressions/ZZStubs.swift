// TEMPORARY: not committed. Replaced by the helpers' parser and evaluator.
public struct RequestExpressions: Sendable {
    public var condition: Condition?
    public var keyCondition: Condition?
    public var filter: Condition?
    public var projection: Projection?
    public var update: UpdateExpression?
    public init(condition: String? = nil, keyCondition: String? = nil, filter: String? = nil,
                projection: String? = nil, update: String? = nil,
                names: [String: String]? = nil, values: [String: AttributeValue]? = nil) throws {}
}
extension Condition { public func evaluate(on item: Item?) throws -> Bool { true } }
extension Projection { public func apply(to item: Item) -> Item { item } }
extension UpdateExpression { public func apply(to item: Item) throws -> Item { item } }
extension KeyCondition { public init(_ condition: Condition, partitionKey: KeyAttribute, sortKey: KeyAttribute?) throws { fatalError() } }
