/// An error as DynamoDB reports it: the exception's name (`ValidationException`,
/// `ConditionalCheckFailedException`, ...) and its message, so programs written against
/// DynamoDB can match on the same names and texts.
public struct DynamoDBError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The exception name, as in DynamoDB's `__type` (without the namespace prefix).
    public var name: String
    /// The human-readable message.
    public var message: String

    public init(name: String, message: String) {
        self.name = name
        self.message = message
    }

    /// A `ValidationException` with `message`.
    public static func validation(_ message: String) -> DynamoDBError {
        DynamoDBError(name: "ValidationException", message: message)
    }

    public var description: String { "\(name): \(message)" }
}
