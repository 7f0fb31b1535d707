/// A DynamoDB enumeration in a request: decoding an unknown name throws DynamoDB's
/// ValidationException ("Value 'X' at 'member' failed to satisfy constraint: Member must
/// satisfy enum value set: [...]") instead of a DecodingError. Names are case-sensitive.
protocol DynamoDBEnum: RawRepresentable, Codable, Sendable where RawValue == String {
    /// The member's path in DynamoDB's validation messages (`returnValues`).
    static var memberPath: String { get }
    /// The allowed names, as DynamoDB lists them in the message.
    static var allowedValues: String { get }
}

extension DynamoDBEnum {
    /// Decodes the name, refusing an unknown one with DynamoDB's ValidationException.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DynamoDBError.validation(
                "1 validation error detected: Value '\(text)' at '\(Self.memberPath)' failed to satisfy constraint: Member must satisfy enum value set: [\(Self.allowedValues)]")
        }
        self = value
    }
}

/// What a write returns about the item (DynamoDB's `ReturnValues`).
public enum ReturnValue: String, Codable, Sendable, CaseIterable, DynamoDBEnum {
    static let memberPath = "returnValues"
    static let allowedValues = "ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW"

    case none = "NONE"
    case allOld = "ALL_OLD"
    case updatedOld = "UPDATED_OLD"
    case allNew = "ALL_NEW"
    case updatedNew = "UPDATED_NEW"


    /// PutItem and DeleteItem accept only NONE and ALL_OLD.
    func checkAllOldOrNone() throws {
        guard self == .none || self == .allOld else {
            throw DynamoDBError.validation("Return values set to invalid value")
        }
    }
}

/// Whether a failed condition returns the item as it was (DynamoDB's
/// `ReturnValuesOnConditionCheckFailure`): the error's `item`.
public enum ReturnValuesOnConditionCheckFailure: String, Codable, Sendable, DynamoDBEnum {
    static let memberPath = "returnValuesOnConditionCheckFailure"
    static let allowedValues = "ALL_OLD, NONE"

    case none = "NONE"
    case allOld = "ALL_OLD"

}

/// What Query and Scan return for each matching item (DynamoDB's `Select`).
public enum Select: String, Codable, Sendable, DynamoDBEnum {
    static let memberPath = "select"
    static let allowedValues = "SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES"

    case allAttributes = "ALL_ATTRIBUTES"
    case allProjectedAttributes = "ALL_PROJECTED_ATTRIBUTES"
    case specificAttributes = "SPECIFIC_ATTRIBUTES"
    case count = "COUNT"

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
