/// The part of DynamoDB's API model (botocore's `dynamodb/2012-08-10/service-2.json`) the
/// command line needs: the request shapes Cairn accepts, to check parameters and type
/// shorthand values as aws-cli does, and the response shapes, to print members in the
/// model's order (botocore builds its response dictionaries by walking the model's members,
/// so that is the order aws-cli prints) and timestamps as aws-cli renders them.
///
/// Only members Cairn's request and response structs have are listed; a request member
/// outside this subset is reported as an unknown parameter.
indirect enum Shape: Sendable {
    case string
    case integer
    case long
    case boolean
    /// Seconds since 1970 on the wire; printed in ISO 8601 (`AWSTimestamp`).
    case timestamp
    /// Not checked.
    case any
    case structure(StructureShape)
    case list(Shape)
    /// String keys to values of the shape.
    case map(Shape)
    /// DynamoDB's AttributeValue: a structure with one member per type, recursive.
    case attributeValue

    /// The structure AttributeValue stands for, in the model's member order.
    static let attributeValueMembers = StructureShape(
        [("S", .string), ("N", .string), ("B", .string), ("SS", .list(.string)), ("NS", .list(.string)),
         ("BS", .list(.string)), ("M", .map(.attributeValue)), ("L", .list(.attributeValue)),
         ("NULL", .boolean), ("BOOL", .boolean)])

    /// The shape as a structure, if it is one.
    var structure: StructureShape? {
        switch self {
        case .structure(let s): return s
        case .attributeValue: return Shape.attributeValueMembers
        default: return nil
        }
    }
}

/// A structure's members in the model's order, and which of them are required.
struct StructureShape: Sendable {
    var members: [(String, Shape)]
    var required: [String]

    init(_ members: [(String, Shape)], required: [String] = []) {
        self.members = members
        self.required = required
    }

    /// The shape of member `name`.
    func member(_ name: String) -> Shape? {
        members.first { $0.0 == name }?.1
    }
}

// MARK: - DynamoDB shapes

/// The request and response shapes of the operations the `cairn` verbs call.
enum DynamoDBShapes {
    static let attributeMap = Shape.map(.attributeValue)
    static let names = Shape.map(.string)
    static let attributeDefinitions = Shape.list(.structure(StructureShape(
        [("AttributeName", .string), ("AttributeType", .string)], required: ["AttributeName", "AttributeType"])))
    static let keySchema = Shape.list(.structure(StructureShape(
        [("AttributeName", .string), ("KeyType", .string)], required: ["AttributeName", "KeyType"])))
    static let provisionedThroughput = Shape.structure(StructureShape(
        [("ReadCapacityUnits", .long), ("WriteCapacityUnits", .long)],
        required: ["ReadCapacityUnits", "WriteCapacityUnits"]))
    static let streamSpecification = Shape.structure(StructureShape(
        [("StreamEnabled", .boolean), ("StreamViewType", .string)], required: ["StreamEnabled"]))

    // Secondary indexes. `Consistency` (EVENTUAL or STRONG) is Cairn's extension of a global
    // index; DynamoDB's OnDemandThroughput and WarmThroughput are not accepted.
    static let projection = Shape.structure(StructureShape(
        [("ProjectionType", .string), ("NonKeyAttributes", .list(.string))]))
    static let localSecondaryIndex = Shape.structure(StructureShape(
        [("IndexName", .string), ("KeySchema", keySchema), ("Projection", projection)],
        required: ["IndexName", "KeySchema", "Projection"]))
    static let globalSecondaryIndex = Shape.structure(StructureShape(
        [("IndexName", .string), ("KeySchema", keySchema), ("Projection", projection),
         ("ProvisionedThroughput", provisionedThroughput), ("Consistency", .string)],
        required: ["IndexName", "KeySchema", "Projection"]))
    static let localSecondaryIndexes = Shape.list(localSecondaryIndex)
    static let globalSecondaryIndexes = Shape.list(globalSecondaryIndex)
    /// UpdateTable's `GlobalSecondaryIndexUpdates`: one of Update, Create, Delete per element.
    static let globalSecondaryIndexUpdates = Shape.list(.structure(StructureShape(
        [("Update", .structure(StructureShape(
            [("IndexName", .string), ("ProvisionedThroughput", provisionedThroughput)], required: ["IndexName"]))),
         ("Create", globalSecondaryIndex),
         ("Delete", .structure(StructureShape([("IndexName", .string)], required: ["IndexName"])))])))

    static let createTableInput = Shape.structure(StructureShape(
        [("AttributeDefinitions", attributeDefinitions), ("TableName", .string), ("KeySchema", keySchema),
         ("LocalSecondaryIndexes", localSecondaryIndexes), ("GlobalSecondaryIndexes", globalSecondaryIndexes),
         ("BillingMode", .string), ("ProvisionedThroughput", provisionedThroughput),
         ("StreamSpecification", streamSpecification), ("DeletionProtectionEnabled", .boolean)],
        // DynamoDB's model requires only TableName; Cairn's CreateTable needs the key too.
        required: ["AttributeDefinitions", "TableName", "KeySchema"]))
    static let tableNameInput = Shape.structure(StructureShape([("TableName", .string)], required: ["TableName"]))
    static let listTablesInput = Shape.structure(StructureShape(
        [("ExclusiveStartTableName", .string), ("Limit", .integer)]))
    static let updateTableInput = Shape.structure(StructureShape(
        [("AttributeDefinitions", attributeDefinitions), ("TableName", .string), ("BillingMode", .string),
         ("ProvisionedThroughput", provisionedThroughput), ("GlobalSecondaryIndexUpdates", globalSecondaryIndexUpdates),
         ("StreamSpecification", streamSpecification), ("DeletionProtectionEnabled", .boolean)],
        required: ["TableName"]))
    static let putItemInput = Shape.structure(StructureShape(
        [("TableName", .string), ("Item", attributeMap), ("ReturnValues", .string),
         ("ConditionExpression", .string), ("ExpressionAttributeNames", names),
         ("ExpressionAttributeValues", attributeMap), ("ReturnValuesOnConditionCheckFailure", .string)],
        required: ["TableName", "Item"]))
    static let getItemInput = Shape.structure(StructureShape(
        [("TableName", .string), ("Key", attributeMap), ("ConsistentRead", .boolean),
         ("ProjectionExpression", .string), ("ExpressionAttributeNames", names)],
        required: ["TableName", "Key"]))
    static let updateItemInput = Shape.structure(StructureShape(
        [("TableName", .string), ("Key", attributeMap), ("ReturnValues", .string), ("UpdateExpression", .string),
         ("ConditionExpression", .string), ("ExpressionAttributeNames", names),
         ("ExpressionAttributeValues", attributeMap), ("ReturnValuesOnConditionCheckFailure", .string)],
        required: ["TableName", "Key"]))
    static let deleteItemInput = Shape.structure(StructureShape(
        [("TableName", .string), ("Key", attributeMap), ("ReturnValues", .string),
         ("ConditionExpression", .string), ("ExpressionAttributeNames", names),
         ("ExpressionAttributeValues", attributeMap), ("ReturnValuesOnConditionCheckFailure", .string)],
        required: ["TableName", "Key"]))
    static let queryInput = Shape.structure(StructureShape(
        [("TableName", .string), ("IndexName", .string), ("Select", .string), ("Limit", .integer),
         ("ConsistentRead", .boolean), ("ScanIndexForward", .boolean), ("ExclusiveStartKey", attributeMap),
         ("ProjectionExpression", .string), ("FilterExpression", .string), ("KeyConditionExpression", .string),
         ("ExpressionAttributeNames", names), ("ExpressionAttributeValues", attributeMap)],
        required: ["TableName"]))
    static let scanInput = Shape.structure(StructureShape(
        [("TableName", .string), ("IndexName", .string), ("Limit", .integer), ("Select", .string),
         ("ExclusiveStartKey", attributeMap), ("TotalSegments", .integer), ("Segment", .integer),
         ("ProjectionExpression", .string), ("FilterExpression", .string), ("ExpressionAttributeNames", names),
         ("ExpressionAttributeValues", attributeMap), ("ConsistentRead", .boolean)],
        required: ["TableName"]))

    static let writeRequest = Shape.structure(StructureShape(
        [("PutRequest", .structure(StructureShape([("Item", attributeMap)], required: ["Item"]))),
         ("DeleteRequest", .structure(StructureShape([("Key", attributeMap)], required: ["Key"])))]))
    static let batchWriteItemInput = Shape.structure(StructureShape(
        [("RequestItems", .map(.list(writeRequest)))], required: ["RequestItems"]))
    static let keysAndAttributes = Shape.structure(StructureShape(
        [("Keys", .list(attributeMap)), ("ConsistentRead", .boolean), ("ProjectionExpression", .string),
         ("ExpressionAttributeNames", names)],
        required: ["Keys"]))
    static let batchGetItemInput = Shape.structure(StructureShape(
        [("RequestItems", .map(keysAndAttributes))], required: ["RequestItems"]))
    /// The members every TransactWriteItems action has after its own.
    private static let transactActionTail: [(String, Shape)] = [
        ("ConditionExpression", .string), ("ExpressionAttributeNames", names),
        ("ExpressionAttributeValues", attributeMap), ("ReturnValuesOnConditionCheckFailure", .string),
    ]
    static let transactWriteItem = Shape.structure(StructureShape(
        [("ConditionCheck", .structure(StructureShape(
            [("Key", attributeMap), ("TableName", .string)] + transactActionTail,
            required: ["Key", "TableName", "ConditionExpression"]))),
         ("Put", .structure(StructureShape(
            [("Item", attributeMap), ("TableName", .string)] + transactActionTail, required: ["Item", "TableName"]))),
         ("Delete", .structure(StructureShape(
            [("Key", attributeMap), ("TableName", .string)] + transactActionTail, required: ["Key", "TableName"]))),
         ("Update", .structure(StructureShape(
            [("Key", attributeMap), ("UpdateExpression", .string), ("TableName", .string)] + transactActionTail,
            required: ["Key", "UpdateExpression", "TableName"])))]))
    static let transactWriteItemsInput = Shape.structure(StructureShape(
        [("TransactItems", .list(transactWriteItem)), ("ClientRequestToken", .string)], required: ["TransactItems"]))
    static let transactGetItem = Shape.structure(StructureShape(
        [("Get", .structure(StructureShape(
            [("Key", attributeMap), ("TableName", .string), ("ProjectionExpression", .string),
             ("ExpressionAttributeNames", names)],
            required: ["Key", "TableName"])))],
        required: ["Get"]))
    static let transactGetItemsInput = Shape.structure(StructureShape(
        [("TransactItems", .list(transactGetItem))], required: ["TransactItems"]))

    static let timeToLiveSpecification = Shape.structure(StructureShape(
        [("Enabled", .boolean), ("AttributeName", .string)], required: ["Enabled", "AttributeName"]))
    static let updateTimeToLiveInput = Shape.structure(StructureShape(
        [("TableName", .string), ("TimeToLiveSpecification", timeToLiveSpecification)],
        required: ["TableName", "TimeToLiveSpecification"]))

    static let provisionedThroughputDescription = Shape.structure(StructureShape(
        [("LastIncreaseDateTime", .timestamp), ("LastDecreaseDateTime", .timestamp),
         ("NumberOfDecreasesToday", .long), ("ReadCapacityUnits", .long), ("WriteCapacityUnits", .long)]))
    static let localSecondaryIndexDescription = Shape.structure(StructureShape(
        [("IndexName", .string), ("KeySchema", keySchema), ("Projection", projection),
         ("IndexSizeBytes", .long), ("ItemCount", .long), ("IndexArn", .string)]))
    /// botocore's GlobalSecondaryIndexDescription, then Cairn's `Consistency`.
    static let globalSecondaryIndexDescription = Shape.structure(StructureShape(
        [("IndexName", .string), ("KeySchema", keySchema), ("Projection", projection),
         ("IndexStatus", .string), ("Backfilling", .boolean), ("ProvisionedThroughput", provisionedThroughputDescription),
         ("IndexSizeBytes", .long), ("ItemCount", .long), ("IndexArn", .string), ("Consistency", .string)]))
    static let tableDescription = Shape.structure(StructureShape(
        [("AttributeDefinitions", attributeDefinitions), ("TableName", .string), ("KeySchema", keySchema),
         ("TableStatus", .string), ("CreationDateTime", .timestamp),
         ("ProvisionedThroughput", provisionedThroughputDescription),
         ("TableSizeBytes", .long), ("ItemCount", .long), ("TableArn", .string), ("TableId", .string),
         ("BillingModeSummary", .structure(StructureShape(
             [("BillingMode", .string), ("LastUpdateToPayPerRequestDateTime", .timestamp)]))),
         ("LocalSecondaryIndexes", .list(localSecondaryIndexDescription)),
         ("GlobalSecondaryIndexes", .list(globalSecondaryIndexDescription)),
         ("StreamSpecification", streamSpecification), ("LatestStreamLabel", .string), ("LatestStreamArn", .string),
         ("DeletionProtectionEnabled", .boolean)]))
    static let tableDescriptionOutput = Shape.structure(StructureShape([("TableDescription", tableDescription)]))
    static let describeTableOutput = Shape.structure(StructureShape([("Table", tableDescription)]))
    static let listTablesOutput = Shape.structure(StructureShape(
        [("TableNames", .list(.string)), ("LastEvaluatedTableName", .string), ("NextToken", .string)]))
    static let attributesOutput = Shape.structure(StructureShape([("Attributes", attributeMap)]))
    static let getItemOutput = Shape.structure(StructureShape([("Item", attributeMap)]))
    static let batchWriteItemOutput = Shape.structure(StructureShape(
        [("UnprocessedItems", .map(.list(writeRequest)))]))
    static let batchGetItemOutput = Shape.structure(StructureShape(
        [("Responses", .map(.list(attributeMap))), ("UnprocessedKeys", .map(keysAndAttributes))]))
    static let transactGetItemsOutput = Shape.structure(StructureShape(
        [("Responses", .list(.structure(StructureShape([("Item", attributeMap)]))))]))
    static let updateTimeToLiveOutput = Shape.structure(StructureShape(
        [("TimeToLiveSpecification", timeToLiveSpecification)]))
    static let describeTimeToLiveOutput = Shape.structure(StructureShape(
        [("TimeToLiveDescription", .structure(StructureShape([("TimeToLiveStatus", .string), ("AttributeName", .string)])))]))
    /// TransactWriteItems' response: no members Cairn fills, so aws-cli prints nothing.
    static let emptyOutput = Shape.structure(StructureShape([]))
    /// Query's and Scan's response; `NextToken` is what aws-cli adds when it stops paginating
    /// early (`--max-items`).
    static let itemsOutput = Shape.structure(StructureShape(
        [("Items", .list(attributeMap)), ("Count", .integer), ("ScannedCount", .integer),
         ("LastEvaluatedKey", attributeMap), ("NextToken", .string)]))
}

// MARK: - Checking parameters (botocore's ParamValidator)

/// The problems botocore's parameter validation finds in a request, worded as it words them
/// ("Missing required parameter in input: \"Key\"", "Unknown parameter in Item.pk: \"X\", must
/// be one of: S, N, ...", "Invalid type for parameter Limit, value: a, type: <class 'str'>,
/// valid types: <class 'int'>").
struct ParameterValidation {
    private(set) var problems: [String] = []

    /// Checks `value` against `shape`; `name` is the member path ("" at the top).
    mutating func check(_ value: JSONValue, _ shape: Shape, _ name: String) {
        let label = name.isEmpty ? "input" : name
        func invalidType(_ valid: String) {
            problems.append("Invalid type for parameter \(label), value: \(Self.show(value)), type: \(value.pythonTypeName), valid types: \(valid)")
        }
        switch shape {
        case .any:
            return
        case .string:
            if case .string = value { return }
            invalidType("<class 'str'>")
        case .integer, .long:
            if case .number(let text) = value, Int64(text) != nil { return }
            invalidType("<class 'int'>")
        case .boolean:
            if case .bool = value { return }
            invalidType("<class 'bool'>")
        case .timestamp:
            if case .number = value { return }
            if case .string = value { return }
            invalidType("<class 'datetime.datetime'>, <class 'str'>")
        case .list(let element):
            guard case .array(let elements) = value else { return invalidType("<class 'list'>, <class 'tuple'>") }
            for (k, e) in elements.enumerated() { check(e, element, "\(name)[\(k)]") }
        case .map(let valueShape):
            guard case .object(let members) = value else { return invalidType("<class 'dict'>") }
            for (key, v) in members { check(v, valueShape, name.isEmpty ? key : "\(name).\(key)") }
        case .structure, .attributeValue:
            guard case .object(let members) = value, let structure = shape.structure else {
                return invalidType("<class 'dict'>")
            }
            for required in structure.required where !members.contains(where: { $0.0 == required }) {
                problems.append("Missing required parameter in \(label): \"\(required)\"")
            }
            for (key, v) in members {
                guard let memberShape = structure.member(key) else {
                    problems.append("Unknown parameter in \(label): \"\(key)\", must be one of: "
                        + structure.members.map(\.0).joined(separator: ", "))
                    continue
                }
                check(v, memberShape, name.isEmpty ? key : "\(name).\(key)")
            }
        }
    }

    /// A value as Python's `str()` shows it in botocore's messages (strings unquoted).
    static func show(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .null: return "None"
        case .bool(let b): return b ? "True" : "False"
        default: return value.compactText
        }
    }
}

// MARK: - Typing shorthand values (aws-cli's BackCompatVisitor)

extension Shape {
    /// Gives the strings a shorthand parse produced the types the model says: integers and
    /// booleans (`true`/`false`) become JSON numbers and booleans, and a single value where a
    /// list belongs becomes a one-element list, as aws-cli's `BackCompatVisitor` does.
    ///
    /// - Throws: `ParameterError`-ready text when a value the model types as an integer is not one.
    func typeShorthand(_ value: JSONValue, path: String) throws(ShorthandTypeError) -> JSONValue {
        switch self {
        case .integer, .long:
            guard case .string(let text) = value else { return value }
            let trimmed = text.trimmingSpaces
            guard Int64(trimmed) != nil else {
                throw ShorthandTypeError(message: "invalid literal for int() with base 10: '\(text)' (at \(path))")
            }
            return .number(trimmed)
        case .boolean:
            guard case .string(let text) = value else { return value }
            switch text.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return value
            }
        case .list(let element):
            let elements: [JSONValue]
            if case .array(let list) = value { elements = list } else { elements = [value] }
            var typed: [JSONValue] = []
            for (k, e) in elements.enumerated() { typed.append(try element.typeShorthand(e, path: "\(path)[\(k)]")) }
            return .array(typed)
        case .map(let valueShape):
            guard case .object(let members) = value else { return value }
            var typed: [(String, JSONValue)] = []
            for (key, v) in members { typed.append((key, try valueShape.typeShorthand(v, path: "\(path).\(key)"))) }
            return .object(typed)
        case .structure, .attributeValue:
            guard case .object(let members) = value, let structure = structure else { return value }
            var typed: [(String, JSONValue)] = []
            for (key, v) in members {
                let memberPath = path.isEmpty ? key : "\(path).\(key)"
                typed.append((key, try structure.member(key)?.typeShorthand(v, path: memberPath) ?? v))
            }
            return .object(typed)
        case .string, .timestamp, .any:
            return value
        }
    }
}

/// A shorthand value the model types as an integer is not one.
struct ShorthandTypeError: Error {
    var message: String
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !" \t\n\r".unicodeScalars.contains($0) }),
              let last = scalars.lastIndex(where: { !" \t\n\r".unicodeScalars.contains($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
