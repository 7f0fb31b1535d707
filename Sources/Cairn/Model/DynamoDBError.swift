/// An error as DynamoDB reports it: the exception's name (`ValidationException`,
/// `ConditionalCheckFailedException`, ...) and its message, so programs written against
/// DynamoDB can match on the same names and texts.
public struct DynamoDBError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The exception name, as in DynamoDB's `__type` (without the namespace prefix).
    public var name: String
    /// The human-readable message.
    public var message: String
    /// The item as it was when a condition failed, for a request that asked for it with
    /// `ReturnValuesOnConditionCheckFailure: ALL_OLD` (DynamoDB's error field `Item`).
    public var item: Item?
    /// Why each action of a cancelled transaction failed, in request order
    /// (TransactionCanceledException's `CancellationReasons`); nil for other errors.
    public var cancellationReasons: [CancellationReason]?

    /// An error with this exception name and message, the item a failed condition returns,
    /// and a cancelled transaction's reasons.
    public init(name: String, message: String, item: Item? = nil, cancellationReasons: [CancellationReason]? = nil) {
        self.name = name
        self.message = message
        self.item = item
        self.cancellationReasons = cancellationReasons
    }

    /// A `ValidationException` with `message`.
    public static func validation(_ message: String) -> DynamoDBError {
        DynamoDBError(name: "ValidationException", message: message)
    }

    /// A `ResourceNotFoundException`: the table (or index) does not exist.
    public static func resourceNotFound(_ message: String = "Requested resource not found") -> DynamoDBError {
        DynamoDBError(name: "ResourceNotFoundException", message: message)
    }

    /// A `LimitExceededException`, e.g. a second online index change at once.
    public static func limitExceeded(_ message: String) -> DynamoDBError {
        DynamoDBError(name: "LimitExceededException", message: message)
    }

    /// An `ItemCollectionSizeLimitExceededException`: a partition of a table with local
    /// secondary indexes would exceed the item-collection size limit.
    public static func itemCollectionSizeLimitExceeded() -> DynamoDBError {
        DynamoDBError(
            name: "ItemCollectionSizeLimitExceededException",
            message: "Item collection size limit exceeded. The size of the item collection exceeds the limit for a table with local secondary indexes")
    }

    /// A `ResourceInUseException`, e.g. creating a table that exists.
    public static func resourceInUse(_ message: String) -> DynamoDBError {
        DynamoDBError(name: "ResourceInUseException", message: message)
    }

    /// A `ConditionalCheckFailedException`, carrying the current item when it was asked for.
    public static func conditionalCheckFailed(item: Item? = nil) -> DynamoDBError {
        DynamoDBError(name: "ConditionalCheckFailedException", message: "The conditional request failed", item: item)
    }

    /// A `TransactionCanceledException` listing each action's reason, as DynamoDB words it:
    /// "Transaction cancelled, please refer cancellation reasons for specific reasons
    /// [ConditionalCheckFailed, None]".
    public static func transactionCanceled(_ reasons: [CancellationReason]) -> DynamoDBError {
        let codes = reasons.map { $0.code ?? "None" }.joined(separator: ", ")
        return DynamoDBError(
            name: "TransactionCanceledException",
            message: "Transaction cancelled, please refer cancellation reasons for specific reasons [\(codes)]",
            cancellationReasons: reasons)
    }

    /// An `IdempotentParameterMismatchException`: a ClientRequestToken reused within its
    /// 10 minutes for a different request.
    public static func idempotentParameterMismatch() -> DynamoDBError {
        DynamoDBError(
            name: "IdempotentParameterMismatchException",
            message: "Request with the same client token was used with different parameters")
    }

    /// An `InternalServerError`: the storage engine failed (I/O, corruption); `message` says how.
    public static func internalError(_ message: String) -> DynamoDBError {
        DynamoDBError(name: "InternalServerError", message: message)
    }

    /// `Name: message`, e.g. `ValidationException: ...`.
    public var description: String { "\(name): \(message)" }
}

/// Why one action of a cancelled transaction failed (DynamoDB's `CancellationReason`): code
/// "None" for actions that did not fail, "ConditionalCheckFailed" with "The conditional request
/// failed", "ValidationError" with the validation message, or "ItemCollectionSizeLimitExceeded"
/// for a write that would grow an item collection past its limit.
public struct CancellationReason: Codable, Sendable, Equatable {
    /// "None", "ConditionalCheckFailed", "ValidationError" or "ItemCollectionSizeLimitExceeded".
    public var code: String?
    /// The reason's message; nil for "None".
    public var message: String?
    /// The item as it was, for a failed condition whose action asked for ALL_OLD.
    public var item: Item?

    /// A reason with this code, message and item.
    public init(code: String?, message: String? = nil, item: Item? = nil) {
        self.code = code
        self.message = message
        self.item = item
    }

    /// The reason of an action that did not fail.
    public static let none = CancellationReason(code: "None")

    enum CodingKeys: String, CodingKey {
        case code = "Code", message = "Message", item = "Item"
    }
}

/// Collects the constraint violations DynamoDB's request validation reports together, as in
/// "2 validation errors detected: Value 'ab' at 'tableName' failed to satisfy constraint: ...;
/// Value ... ".
struct ConstraintViolations {
    private var messages: [String] = []

    /// Records that `value` at `field` broke `constraint` (the text after "Member must ...").
    mutating func add(value: String, field: String, constraint: String) {
        messages.append("Value \(value) at '\(field)' failed to satisfy constraint: \(constraint)")
    }

    /// Throws one ValidationException listing every violation, if there is any.
    func check() throws {
        guard !messages.isEmpty else { return }
        let count = messages.count == 1 ? "1 validation error" : "\(messages.count) validation errors"
        throw DynamoDBError.validation("\(count) detected: " + messages.joined(separator: "; "))
    }
}
