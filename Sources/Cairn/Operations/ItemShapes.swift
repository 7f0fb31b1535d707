/// What a write returns about the item (DynamoDB's `ReturnValues`).
public enum ReturnValue: String, Codable, Sendable, CaseIterable {
    case none = "NONE"
    case allOld = "ALL_OLD"
    case updatedOld = "UPDATED_OLD"
    case allNew = "ALL_NEW"
    case updatedNew = "UPDATED_NEW"

    /// Decodes the name, refusing an unknown one with DynamoDB's ValidationException.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = ReturnValue(rawValue: text) else {
            throw DynamoDBError.validation(
                "1 validation error detected: Value '\(text)' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]")
        }
        self = value
    }

    /// PutItem and DeleteItem accept only NONE and ALL_OLD.
    func checkAllOldOrNone() throws {
        guard self == .none || self == .allOld else {
            throw DynamoDBError.validation("Return values set to invalid value")
        }
    }
}

/// Whether a failed condition returns the item as it was (DynamoDB's
/// `ReturnValuesOnConditionCheckFailure`): the error's `item`.
public enum ReturnValuesOnConditionCheckFailure: String, Codable, Sendable {
    case none = "NONE"
    case allOld = "ALL_OLD"

    /// Decodes the name, refusing an unknown one with DynamoDB's ValidationException.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = ReturnValuesOnConditionCheckFailure(rawValue: text) else {
            throw DynamoDBError.validation(
                "1 validation error detected: Value '\(text)' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]")
        }
        self = value
    }
}

/// What Query and Scan return for each matching item (DynamoDB's `Select`).
public enum Select: String, Codable, Sendable {
    case allAttributes = "ALL_ATTRIBUTES"
    case allProjectedAttributes = "ALL_PROJECTED_ATTRIBUTES"
    case specificAttributes = "SPECIFIC_ATTRIBUTES"
    case count = "COUNT"

    /// Decodes the name, refusing an unknown one with DynamoDB's ValidationException.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Select(rawValue: text) else {
            throw DynamoDBError.validation(
                "1 validation error detected: Value '\(text)' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]")
        }
        self = value
    }
}

extension ItemDatabase {
    /// Checks every attribute of an item from a request (sets, nesting, sizes).
    static func validateItem(_ item: Item, sizeMessage: String = "Item size has exceeded the maximum allowed size") throws {
        for (name, value) in item {
            guard !name.isEmpty else {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: An AttributeValue may not contain an empty attribute name")
            }
            try value.validate()
        }
        guard ItemSize.of(item) <= ItemSize.maxItemBytes else {
            throw DynamoDBError.validation(sizeMessage)
        }
    }

    /// DynamoDB's operation-specific refusal of ExpressionAttributeValues that no expression of
    /// the request can use, e.g. ": ConditionExpression is null" (wording as dynalite records
    /// it from DynamoDB).
    static func checkValuesHaveAnExpression(_ values: [String: AttributeValue]?, _ expressions: [(String, String?)]) throws {
        guard values != nil, expressions.allSatisfy({ $0.1 == nil }) else { return }
        let names = expressions.map(\.0)
        let missing = names.count == 1 ? "\(names[0]) is null" : names.joined(separator: " and ") + " are null"
        throw DynamoDBError.validation("ExpressionAttributeValues can only be specified when using expressions: \(missing)")
    }
}
