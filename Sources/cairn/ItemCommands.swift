import ArgumentParser
import Cairn
import Foundation

// The `aws dynamodb` verbs, one small command each, with aws-cli's flag names. Each builds
// its request with `AWSRequest` (flags over `--cli-input-json`), calls `ItemDatabase`, and
// prints the response with `AWSJSONOutput`. Flags aws-cli has but Cairn's request structs do
// not (--return-consumed-capacity, --expected, --attributes-to-get, ...) are not accepted.

/// The item verbs, in the order `help` lists them.
let itemVerbs: [any ItemVerb.Type] = [
    CreateTableVerb.self, DeleteTableVerb.self, DescribeTableVerb.self, ListTablesVerb.self, UpdateTableVerb.self,
    PutItemVerb.self, GetItemVerb.self, UpdateItemVerb.self, DeleteItemVerb.self, QueryVerb.self, ScanVerb.self,
    BatchGetItemVerb.self, BatchWriteItemVerb.self, TransactGetItemsVerb.self, TransactWriteItemsVerb.self,
    UpdateTimeToLiveVerb.self, DescribeTimeToLiveVerb.self,
]

/// A parent command holding only the item verbs, so the shell can parse a line as one of them.
struct ItemVerbsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn", subcommands: itemVerbs.map { $0 as any ParsableCommand.Type })
}

/// A response encoded as JSON, to be arranged and printed.
func responseJSON(_ output: some Encodable) throws -> JSONValue {
    try JSONValue.parse(String(decoding: try JSONEncoder().encode(output), as: UTF8.self))
}

/// The names of the flags in `flags` whose value is missing.
func missingFlags(_ flags: [(String, Bool)]) -> [String] {
    flags.filter { !$0.1 }.map(\.0)
}

// MARK: - Tables

/// `cairn create-table`.
struct CreateTableVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "create-table", abstract: "Create a table (DynamoDB CreateTable).",
        discussion: """
            Example: cairn create-table --table-name Music \\
              --attribute-definitions AttributeName=Artist,AttributeType=S AttributeName=Song,AttributeType=S \\
              --key-schema AttributeName=Artist,KeyType=HASH AttributeName=Song,KeyType=RANGE \\
              --billing-mode PAY_PER_REQUEST
            """)
    static let operationName = "CreateTable"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "The table's name.") var tableName: String?
    @Option(parsing: .upToNextOption, help: "Key attributes: AttributeName=NAME,AttributeType=S|N|B ... or JSON.")
    var attributeDefinitions: [String] = []
    @Option(parsing: .upToNextOption, help: "AttributeName=NAME,KeyType=HASH [AttributeName=NAME,KeyType=RANGE] or JSON.")
    var keySchema: [String] = []
    @Option(parsing: .unconditional, help: "PROVISIONED (DynamoDB's default) or PAY_PER_REQUEST.") var billingMode: String?
    @Option(parsing: .unconditional, help: "ReadCapacityUnits=N,WriteCapacityUnits=N or JSON.") var provisionedThroughput: String?
    @Flag(inversion: .prefixedNo, help: "Refuse DeleteTable until turned off.") var deletionProtectionEnabled: Bool?
    @Option(parsing: .unconditional, help: "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES (or KEYS_ONLY, NEW_IMAGE, OLD_IMAGE), or StreamEnabled=false.") var streamSpecification: String?
    @Option(parsing: .upToNextOption, help:
        "Local secondary indexes: one shorthand structure per word, IndexName=NAME,KeySchema=[{AttributeName=PK,KeyType=HASH},{AttributeName=A,KeyType=RANGE}],Projection={ProjectionType=ALL|KEYS_ONLY|INCLUDE,NonKeyAttributes=[A,B]} ..., or JSON.")
    var localSecondaryIndexes: [String] = []
    @Option(parsing: .upToNextOption, help:
        "Global secondary indexes: IndexName=NAME,KeySchema=[{AttributeName=A,KeyType=HASH}],Projection={ProjectionType=ALL},ProvisionedThroughput={ReadCapacityUnits=N,WriteCapacityUnits=N},Consistency=EVENTUAL|STRONG ..., or JSON. Consistency is Cairn's: STRONG writes the index in the item's own batch.")
    var globalSecondaryIndexes: [String] = []

    var missingRequiredFlags: [String] { missingFlags([("--table-name", tableName != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setList("AttributeDefinitions", attributeDefinitions, flag: "--attribute-definitions",
                            shape: DynamoDBShapes.attributeDefinitions)
        try request.setString("TableName", tableName, flag: "--table-name")
        try request.setList("KeySchema", keySchema, flag: "--key-schema", shape: DynamoDBShapes.keySchema)
        try request.setList("LocalSecondaryIndexes", localSecondaryIndexes, flag: "--local-secondary-indexes",
                            shape: DynamoDBShapes.localSecondaryIndexes)
        try request.setList("GlobalSecondaryIndexes", globalSecondaryIndexes, flag: "--global-secondary-indexes",
                            shape: DynamoDBShapes.globalSecondaryIndexes)
        try request.setString("BillingMode", billingMode, flag: "--billing-mode")
        try request.setComplex("ProvisionedThroughput", provisionedThroughput, flag: "--provisioned-throughput",
                               shape: DynamoDBShapes.provisionedThroughput)
        try request.setComplex("StreamSpecification", streamSpecification, flag: "--stream-specification",
                               shape: DynamoDBShapes.streamSpecification)
        request.setBool("DeletionProtectionEnabled", deletionProtectionEnabled)
        let input = try request.decode(CreateTableInput.self, shape: DynamoDBShapes.createTableInput)
        let output = try session.items().createTable(input)
        return try AWSJSONOutput.text(output, shape: DynamoDBShapes.tableDescriptionOutput)
    }
}

/// `cairn delete-table`.
struct DeleteTableVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "delete-table", abstract: "Delete a table and all its items (DynamoDB DeleteTable).")
    static let operationName = "DeleteTable"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "The table's name.") var tableName: String?

    var missingRequiredFlags: [String] { missingFlags([("--table-name", tableName != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("TableName", tableName, flag: "--table-name")
        let input = try request.decode(DeleteTableInput.self, shape: DynamoDBShapes.tableNameInput)
        return try AWSJSONOutput.text(try session.items().deleteTable(input), shape: DynamoDBShapes.tableDescriptionOutput)
    }
}

/// `cairn describe-table`.
struct DescribeTableVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "describe-table", abstract: "Describe a table, with its exact item count and size (DynamoDB DescribeTable).")
    static let operationName = "DescribeTable"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "The table's name.") var tableName: String?

    var missingRequiredFlags: [String] { missingFlags([("--table-name", tableName != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("TableName", tableName, flag: "--table-name")
        let input = try request.decode(DescribeTableInput.self, shape: DynamoDBShapes.tableNameInput)
        return try AWSJSONOutput.text(try session.itemsForReading().describeTable(input), shape: DynamoDBShapes.describeTableOutput)
    }
}

/// `cairn update-time-to-live`.
struct UpdateTimeToLiveVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "update-time-to-live",
        abstract: "Enable or disable Time to Live on a table (DynamoDB UpdateTimeToLive).",
        discussion: "Example: cairn update-time-to-live --table-name Sessions --time-to-live-specification Enabled=true,AttributeName=expires")
    static let operationName = "UpdateTimeToLive"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "The table's name.") var tableName: String?
    @Option(parsing: .unconditional, help: "Enabled=true|false,AttributeName=NAME or JSON.") var timeToLiveSpecification: String?

    var missingRequiredFlags: [String] {
        missingFlags([("--table-name", tableName != nil), ("--time-to-live-specification", timeToLiveSpecification != nil)])
    }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("TableName", tableName, flag: "--table-name")
        try request.setComplex("TimeToLiveSpecification", timeToLiveSpecification, flag: "--time-to-live-specification",
                               shape: DynamoDBShapes.timeToLiveSpecification)
        let input = try request.decode(UpdateTimeToLiveInput.self, shape: DynamoDBShapes.updateTimeToLiveInput)
        return try AWSJSONOutput.text(try session.items().updateTimeToLive(input), shape: DynamoDBShapes.updateTimeToLiveOutput)
    }
}

/// `cairn describe-time-to-live`.
struct DescribeTimeToLiveVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "describe-time-to-live", abstract: "Show a table's Time to Live setting (DynamoDB DescribeTimeToLive).")
    static let operationName = "DescribeTimeToLive"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "The table's name.") var tableName: String?

    var missingRequiredFlags: [String] { missingFlags([("--table-name", tableName != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("TableName", tableName, flag: "--table-name")
        let input = try request.decode(DescribeTimeToLiveInput.self, shape: DynamoDBShapes.tableNameInput)
        return try AWSJSONOutput.text(try session.itemsForReading().describeTimeToLive(input), shape: DynamoDBShapes.describeTimeToLiveOutput)
    }
}

/// `cairn list-tables`.
struct ListTablesVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "list-tables", abstract: "List table names (DynamoDB ListTables; follows pages like aws-cli).")
    static let operationName = "ListTables"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "Start after this name (one page, no automatic pagination).")
    var exclusiveStartTableName: String?
    @Option(help: "At most N names in one page (one page, no automatic pagination).") var limit: Int?
    @OptionGroup var paging: PaginationOptions

    var missingRequiredFlags: [String] { [] }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("ExclusiveStartTableName", exclusiveStartTableName, flag: "--exclusive-start-table-name")
        request.setInt("Limit", limit)
        let items = try session.itemsForReading()
        let manual = request["Limit"] != nil || request["ExclusiveStartTableName"] != nil
        let response = try Paginator.tableNames.run(request, paging, manualPaging: manual) { request in
            try responseJSON(try items.listTables(try request.decode(ListTablesInput.self, shape: DynamoDBShapes.listTablesInput)))
        }
        return AWSJSONOutput.text(response, shape: DynamoDBShapes.listTablesOutput)
    }
}

/// `cairn update-table`.
struct UpdateTableVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "update-table",
        abstract: "Change a table's billing mode, throughput, stream, global secondary indexes or deletion protection (DynamoDB UpdateTable).",
        discussion: """
            Create a global secondary index (backfilled in the background; CREATING until done), then delete it:
              cairn update-table --table-name Music --attribute-definitions AttributeName=Genre,AttributeType=S \\
                --global-secondary-index-updates 'Create={IndexName=ByGenre,KeySchema=[{AttributeName=Genre,KeyType=HASH}],Projection={ProjectionType=ALL}}'
              cairn update-table --table-name Music --global-secondary-index-updates 'Delete={IndexName=ByGenre}'
            """)
    static let operationName = "UpdateTable"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "The table's name.") var tableName: String?
    @Option(parsing: .unconditional, help: "PROVISIONED or PAY_PER_REQUEST.") var billingMode: String?
    @Option(parsing: .unconditional, help: "ReadCapacityUnits=N,WriteCapacityUnits=N or JSON.") var provisionedThroughput: String?
    @Flag(inversion: .prefixedNo, help: "Turn deletion protection on or off.") var deletionProtectionEnabled: Bool?
    @Option(parsing: .upToNextOption, help: "The key attributes of an index being created: AttributeName=NAME,AttributeType=S|N|B ... or JSON.")
    var attributeDefinitions: [String] = []
    @Option(parsing: .upToNextOption, help:
        "One shorthand structure per word: Create={IndexName=NAME,KeySchema=[...],Projection={...}}, Delete={IndexName=NAME} or Update={IndexName=NAME,ProvisionedThroughput={...}}; or JSON.")
    var globalSecondaryIndexUpdates: [String] = []
    @Option(parsing: .unconditional, help: "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES (or KEYS_ONLY, NEW_IMAGE, OLD_IMAGE), or StreamEnabled=false.") var streamSpecification: String?

    var missingRequiredFlags: [String] { missingFlags([("--table-name", tableName != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setList("AttributeDefinitions", attributeDefinitions, flag: "--attribute-definitions",
                            shape: DynamoDBShapes.attributeDefinitions)
        try request.setString("TableName", tableName, flag: "--table-name")
        try request.setString("BillingMode", billingMode, flag: "--billing-mode")
        try request.setComplex("ProvisionedThroughput", provisionedThroughput, flag: "--provisioned-throughput",
                               shape: DynamoDBShapes.provisionedThroughput)
        try request.setList("GlobalSecondaryIndexUpdates", globalSecondaryIndexUpdates,
                            flag: "--global-secondary-index-updates", shape: DynamoDBShapes.globalSecondaryIndexUpdates)
        try request.setComplex("StreamSpecification", streamSpecification, flag: "--stream-specification",
                               shape: DynamoDBShapes.streamSpecification)
        request.setBool("DeletionProtectionEnabled", deletionProtectionEnabled)
        let input = try request.decode(UpdateTableInput.self, shape: DynamoDBShapes.updateTableInput)
        return try AWSJSONOutput.text(try session.items().updateTable(input), shape: DynamoDBShapes.tableDescriptionOutput)
    }
}

// MARK: - Items

/// Flags the write verbs share: condition, expression maps, return values.
struct ItemWriteOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Write only if this condition holds.") var conditionExpression: String?
    @Option(parsing: .unconditional, help: "#name=attribute substitutions (JSON or shorthand).")
    var expressionAttributeNames: String?
    @Option(parsing: .unconditional, help: ":value substitutions as DynamoDB JSON (or shorthand).")
    var expressionAttributeValues: String?
    @Option(parsing: .unconditional, help: "NONE, ALL_OLD (and for update-item UPDATED_OLD, ALL_NEW, UPDATED_NEW).")
    var returnValues: String?
    @Option(parsing: .unconditional, help: "NONE or ALL_OLD.") var returnValuesOnConditionCheckFailure: String?

    /// Sets the members these flags stand for.
    func apply(to request: inout AWSRequest) throws {
        try request.setString("ReturnValues", returnValues, flag: "--return-values")
        try request.setString("ConditionExpression", conditionExpression, flag: "--condition-expression")
        try request.setComplex("ExpressionAttributeNames", expressionAttributeNames,
                               flag: "--expression-attribute-names", shape: DynamoDBShapes.names)
        try request.setComplex("ExpressionAttributeValues", expressionAttributeValues,
                               flag: "--expression-attribute-values", shape: DynamoDBShapes.attributeMap)
        try request.setString("ReturnValuesOnConditionCheckFailure", returnValuesOnConditionCheckFailure,
                              flag: "--return-values-on-condition-check-failure")
    }
}

/// `cairn put-item`.
struct PutItemVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "put-item", abstract: "Create or replace an item (DynamoDB PutItem).",
        discussion: #"Example: cairn put-item --table-name Music --item '{"Artist": {"S": "Acme"}, "Song": {"S": "Hi"}}'"#)
    static let operationName = "PutItem"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "The table's name.") var tableName: String?
    @Option(parsing: .unconditional, help: "The item as DynamoDB JSON, or file://PATH.") var item: String?
    @OptionGroup var write: ItemWriteOptions

    var missingRequiredFlags: [String] { missingFlags([("--table-name", tableName != nil), ("--item", item != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("TableName", tableName, flag: "--table-name")
        try request.setComplex("Item", item, flag: "--item", shape: DynamoDBShapes.attributeMap)
        try write.apply(to: &request)
        let input = try request.decode(PutItemInput.self, shape: DynamoDBShapes.putItemInput)
        return try AWSJSONOutput.text(try session.items().putItem(input), shape: DynamoDBShapes.attributesOutput)
    }
}

/// `cairn get-item`.
struct GetItemVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "get-item", abstract: "Read an item by its key (DynamoDB GetItem); prints nothing if there is none.")
    static let operationName = "GetItem"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "The table's name.") var tableName: String?
    @Option(parsing: .unconditional, help: "The key as DynamoDB JSON, or file://PATH.") var key: String?
    @Option(parsing: .unconditional, help: "The attributes to return.") var projectionExpression: String?
    @Option(parsing: .unconditional, help: "#name=attribute substitutions.") var expressionAttributeNames: String?
    @Flag(inversion: .prefixedNo, help: "Accepted; every Cairn read is strongly consistent.") var consistentRead: Bool?

    var missingRequiredFlags: [String] { missingFlags([("--table-name", tableName != nil), ("--key", key != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("TableName", tableName, flag: "--table-name")
        try request.setComplex("Key", key, flag: "--key", shape: DynamoDBShapes.attributeMap)
        request.setBool("ConsistentRead", consistentRead)
        try request.setString("ProjectionExpression", projectionExpression, flag: "--projection-expression")
        try request.setComplex("ExpressionAttributeNames", expressionAttributeNames,
                               flag: "--expression-attribute-names", shape: DynamoDBShapes.names)
        let input = try request.decode(GetItemInput.self, shape: DynamoDBShapes.getItemInput)
        return try AWSJSONOutput.text(try session.itemsForReading().getItem(input), shape: DynamoDBShapes.getItemOutput)
    }
}

/// `cairn update-item`.
struct UpdateItemVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "update-item", abstract: "Change (or create) an item's attributes (DynamoDB UpdateItem).")
    static let operationName = "UpdateItem"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "The table's name.") var tableName: String?
    @Option(parsing: .unconditional, help: "The key as DynamoDB JSON, or file://PATH.") var key: String?
    @Option(parsing: .unconditional, help: "SET, REMOVE, ADD and DELETE clauses.") var updateExpression: String?
    @OptionGroup var write: ItemWriteOptions

    var missingRequiredFlags: [String] { missingFlags([("--table-name", tableName != nil), ("--key", key != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("TableName", tableName, flag: "--table-name")
        try request.setComplex("Key", key, flag: "--key", shape: DynamoDBShapes.attributeMap)
        try request.setString("UpdateExpression", updateExpression, flag: "--update-expression")
        try write.apply(to: &request)
        let input = try request.decode(UpdateItemInput.self, shape: DynamoDBShapes.updateItemInput)
        return try AWSJSONOutput.text(try session.items().updateItem(input), shape: DynamoDBShapes.attributesOutput)
    }
}

/// `cairn delete-item`.
struct DeleteItemVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "delete-item", abstract: "Delete an item by its key (DynamoDB DeleteItem).")
    static let operationName = "DeleteItem"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "The table's name.") var tableName: String?
    @Option(parsing: .unconditional, help: "The key as DynamoDB JSON, or file://PATH.") var key: String?
    @OptionGroup var write: ItemWriteOptions

    var missingRequiredFlags: [String] { missingFlags([("--table-name", tableName != nil), ("--key", key != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("TableName", tableName, flag: "--table-name")
        try request.setComplex("Key", key, flag: "--key", shape: DynamoDBShapes.attributeMap)
        try write.apply(to: &request)
        let input = try request.decode(DeleteItemInput.self, shape: DynamoDBShapes.deleteItemInput)
        return try AWSJSONOutput.text(try session.items().deleteItem(input), shape: DynamoDBShapes.attributesOutput)
    }
}

// MARK: - Query and Scan

/// Flags Query and Scan share.
struct ItemReadOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Read this local or global secondary index instead of the table.") var indexName: String?
    @Option(parsing: .unconditional, help: "Keep only items for which this holds (applied after reading).")
    var filterExpression: String?
    @Option(parsing: .unconditional, help: "The attributes to return.") var projectionExpression: String?
    @Option(parsing: .unconditional, help: "#name=attribute substitutions.") var expressionAttributeNames: String?
    @Option(parsing: .unconditional, help: ":value substitutions as DynamoDB JSON.") var expressionAttributeValues: String?
    @Option(parsing: .unconditional, help: "ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES (with --index-name), SPECIFIC_ATTRIBUTES or COUNT.") var select: String?
    @Flag(inversion: .prefixedNo, help: "Strongly consistent read: always so on a table or a local or STRONG global index; refused on an EVENTUAL global index, as DynamoDB does.")
    var consistentRead: Bool?
    @Option(help: "Read at most N items per request; turns automatic pagination off.") var limit: Int?
    @Option(parsing: .unconditional, help: "Start after this key (DynamoDB JSON); turns automatic pagination off.")
    var exclusiveStartKey: String?

    /// Sets the members these flags stand for.
    func apply(to request: inout AWSRequest) throws {
        try request.setString("IndexName", indexName, flag: "--index-name")
        try request.setString("Select", select, flag: "--select")
        request.setInt("Limit", limit)
        request.setBool("ConsistentRead", consistentRead)
        try request.setComplex("ExclusiveStartKey", exclusiveStartKey, flag: "--exclusive-start-key",
                               shape: DynamoDBShapes.attributeMap)
        try request.setString("ProjectionExpression", projectionExpression, flag: "--projection-expression")
        try request.setString("FilterExpression", filterExpression, flag: "--filter-expression")
        try request.setComplex("ExpressionAttributeNames", expressionAttributeNames,
                               flag: "--expression-attribute-names", shape: DynamoDBShapes.names)
        try request.setComplex("ExpressionAttributeValues", expressionAttributeValues,
                               flag: "--expression-attribute-values", shape: DynamoDBShapes.attributeMap)
    }
}

/// `cairn query`.
struct QueryVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Read one partition in sort-key order (DynamoDB Query; follows pages like aws-cli).")
    static let operationName = "Query"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "The table's name.") var tableName: String?
    @Option(parsing: .unconditional, help: "pk = :v [AND a condition on the sort key].") var keyConditionExpression: String?
    @OptionGroup var read: ItemReadOptions
    @Flag(inversion: .prefixedNo, help: "Ascending sort-key order (default) or, with --no-scan-index-forward, descending.")
    var scanIndexForward: Bool?
    @OptionGroup var paging: PaginationOptions

    var missingRequiredFlags: [String] { missingFlags([("--table-name", tableName != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("TableName", tableName, flag: "--table-name")
        try read.apply(to: &request)
        request.setBool("ScanIndexForward", scanIndexForward)
        try request.setString("KeyConditionExpression", keyConditionExpression, flag: "--key-condition-expression")
        let items = try session.itemsForReading()
        let manual = request["Limit"] != nil || request["ExclusiveStartKey"] != nil
        let response = try Paginator.items.run(request, paging, manualPaging: manual) { request in
            try responseJSON(try items.query(try request.decode(QueryInput.self, shape: DynamoDBShapes.queryInput)))
        }
        return AWSJSONOutput.text(response, shape: DynamoDBShapes.itemsOutput)
    }
}

/// `cairn scan`.
struct ScanVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "scan", abstract: "Read every item of a table (DynamoDB Scan; follows pages like aws-cli).")
    static let operationName = "Scan"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "The table's name.") var tableName: String?
    @OptionGroup var read: ItemReadOptions
    @Option(help: "This worker's segment of a parallel scan (0 ..< --total-segments).") var segment: Int?
    @Option(help: "The number of segments of a parallel scan.") var totalSegments: Int?
    @OptionGroup var paging: PaginationOptions

    var missingRequiredFlags: [String] { missingFlags([("--table-name", tableName != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("TableName", tableName, flag: "--table-name")
        try read.apply(to: &request)
        request.setInt("TotalSegments", totalSegments)
        request.setInt("Segment", segment)
        let items = try session.itemsForReading()
        let manual = request["Limit"] != nil || request["ExclusiveStartKey"] != nil
        let response = try Paginator.items.run(request, paging, manualPaging: manual) { request in
            try responseJSON(try items.scan(try request.decode(ScanInput.self, shape: DynamoDBShapes.scanInput)))
        }
        return AWSJSONOutput.text(response, shape: DynamoDBShapes.itemsOutput)
    }
}
