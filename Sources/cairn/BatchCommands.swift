import ArgumentParser
import Cairn

// The batch and transaction verbs: `aws dynamodb batch-get-item`, `batch-write-item`,
// `transact-get-items` and `transact-write-items`, with aws-cli's flags. Their parameters are
// JSON (inline or file://PATH), as in aws-cli, where shorthand for these shapes is impractical.

/// `cairn batch-get-item`.
struct BatchGetItemVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "batch-get-item", abstract: "Read up to 100 items by key across tables (DynamoDB BatchGetItem).",
        discussion: #"Example: cairn batch-get-item --request-items '{"Music": {"Keys": [{"Artist": {"S": "Acme"}, "Song": {"S": "Hi"}}]}}'"#)
    static let operationName = "BatchGetItem"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "Table name to {\"Keys\": [...], \"ProjectionExpression\": ...}, as JSON or file://PATH.")
    var requestItems: String?

    var missingRequiredFlags: [String] { missingFlags([("--request-items", requestItems != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setComplex("RequestItems", requestItems, flag: "--request-items", shape: .map(DynamoDBShapes.keysAndAttributes))
        let input = try request.decode(BatchGetItemInput.self, shape: DynamoDBShapes.batchGetItemInput)
        return try AWSJSONOutput.text(try session.itemsForReading().batchGetItem(input), shape: DynamoDBShapes.batchGetItemOutput)
    }
}

/// `cairn batch-write-item`.
struct BatchWriteItemVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "batch-write-item", abstract: "Put or delete up to 25 items across tables (DynamoDB BatchWriteItem).",
        discussion: #"Example: cairn batch-write-item --request-items '{"Music": [{"PutRequest": {"Item": {"Artist": {"S": "Acme"}, "Song": {"S": "Hi"}}}}]}'"#)
    static let operationName = "BatchWriteItem"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "Table name to a list of {\"PutRequest\": ...} / {\"DeleteRequest\": ...}, as JSON or file://PATH.")
    var requestItems: String?

    var missingRequiredFlags: [String] { missingFlags([("--request-items", requestItems != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setComplex(
            "RequestItems", requestItems, flag: "--request-items", shape: .map(.list(DynamoDBShapes.writeRequest)))
        let input = try request.decode(BatchWriteItemInput.self, shape: DynamoDBShapes.batchWriteItemInput)
        return try AWSJSONOutput.text(try session.items().batchWriteItem(input), shape: DynamoDBShapes.batchWriteItemOutput)
    }
}

/// `cairn transact-get-items`.
struct TransactGetItemsVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "transact-get-items", abstract: "Read up to 100 items as of one instant (DynamoDB TransactGetItems).")
    static let operationName = "TransactGetItems"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "A list of {\"Get\": {\"TableName\": ..., \"Key\": ...}}, as JSON or file://PATH.")
    var transactItems: String?

    var missingRequiredFlags: [String] { missingFlags([("--transact-items", transactItems != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setComplex(
            "TransactItems", transactItems, flag: "--transact-items", shape: .list(DynamoDBShapes.transactGetItem))
        let input = try request.decode(TransactGetItemsInput.self, shape: DynamoDBShapes.transactGetItemsInput)
        return try AWSJSONOutput.text(try session.itemsForReading().transactGetItems(input), shape: DynamoDBShapes.transactGetItemsOutput)
    }
}

/// `cairn transact-write-items`.
struct TransactWriteItemsVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "transact-write-items",
        abstract: "Run up to 100 puts, updates, deletes and condition checks all or nothing (DynamoDB TransactWriteItems).")
    static let operationName = "TransactWriteItems"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "A list of {\"Put\"|\"Update\"|\"Delete\"|\"ConditionCheck\": {...}}, as JSON or file://PATH.")
    var transactItems: String?
    @Option(parsing: .unconditional, help: "Makes a retry within 10 minutes a no-op (1 to 36 characters).")
    var clientRequestToken: String?

    var missingRequiredFlags: [String] { missingFlags([("--transact-items", transactItems != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setComplex(
            "TransactItems", transactItems, flag: "--transact-items", shape: .list(DynamoDBShapes.transactWriteItem))
        try request.setString("ClientRequestToken", clientRequestToken, flag: "--client-request-token")
        let input = try request.decode(TransactWriteItemsInput.self, shape: DynamoDBShapes.transactWriteItemsInput)
        return try AWSJSONOutput.text(try session.items().transactWriteItems(input), shape: DynamoDBShapes.emptyOutput)
    }
}
