import ArgumentParser
import Cairn
import Foundation
#if canImport(Glibc)
import Glibc
#endif

// `cairn dynamodbstreams VERB`: the verbs of `aws dynamodbstreams`, with its flags and JSON;
// and `cairn tail`, the change stream for a person watching it.

/// The stream verbs, in the order `help` lists them.
let streamVerbs: [any ItemVerb.Type] = [
    ListStreamsVerb.self, DescribeStreamVerb.self, GetShardIteratorVerb.self, GetRecordsVerb.self,
]

/// `cairn dynamodbstreams`: the parent of the stream verbs.
struct StreamsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dynamodbstreams", abstract: "Read change streams (the verbs of `aws dynamodbstreams`).",
        subcommands: streamVerbs.map { $0 as any ParsableCommand.Type })
}

/// The response shapes of the stream verbs (botocore's `dynamodbstreams` model), for
/// aws-cli's member order and timestamps.
enum DynamoDBStreamsShapes {
    static let listStreamsInput = Shape.structure(StructureShape(
        [("TableName", .string), ("Limit", .integer), ("ExclusiveStartStreamArn", .string)]))
    static let listStreamsOutput = Shape.structure(StructureShape(
        [("Streams", .list(.structure(StructureShape([("StreamArn", .string), ("TableName", .string), ("StreamLabel", .string)])))),
         ("LastEvaluatedStreamArn", .string)]))
    static let describeStreamInput = Shape.structure(StructureShape(
        [("StreamArn", .string), ("Limit", .integer), ("ExclusiveStartShardId", .string)], required: ["StreamArn"]))
    static let shard = Shape.structure(StructureShape(
        [("ShardId", .string),
         ("SequenceNumberRange", .structure(StructureShape(
             [("StartingSequenceNumber", .string), ("EndingSequenceNumber", .string)]))),
         ("ParentShardId", .string)]))
    static let describeStreamOutput = Shape.structure(StructureShape([("StreamDescription", .structure(StructureShape(
        [("StreamArn", .string), ("StreamLabel", .string), ("StreamStatus", .string), ("StreamViewType", .string),
         ("CreationRequestDateTime", .timestamp), ("TableName", .string), ("KeySchema", DynamoDBShapes.keySchema),
         ("Shards", .list(shard)), ("LastEvaluatedShardId", .string)])))]))
    static let getShardIteratorInput = Shape.structure(StructureShape(
        [("StreamArn", .string), ("ShardId", .string), ("ShardIteratorType", .string), ("SequenceNumber", .string)],
        required: ["StreamArn", "ShardId", "ShardIteratorType"]))
    static let getShardIteratorOutput = Shape.structure(StructureShape([("ShardIterator", .string)]))
    static let getRecordsInput = Shape.structure(StructureShape(
        [("ShardIterator", .string), ("Limit", .integer)], required: ["ShardIterator"]))
    static let record = Shape.structure(StructureShape(
        [("eventID", .string), ("eventName", .string), ("eventVersion", .string), ("eventSource", .string),
         ("awsRegion", .string),
         ("dynamodb", .structure(StructureShape(
             [("ApproximateCreationDateTime", .timestamp), ("Keys", DynamoDBShapes.attributeMap),
              ("NewImage", DynamoDBShapes.attributeMap), ("OldImage", DynamoDBShapes.attributeMap),
              ("SequenceNumber", .string), ("SizeBytes", .long), ("StreamViewType", .string)]))),
         ("userIdentity", .structure(StructureShape([("PrincipalId", .string), ("Type", .string)])))]))
    static let getRecordsOutput = Shape.structure(StructureShape(
        [("Records", .list(record)), ("NextShardIterator", .string)]))
}

/// `cairn dynamodbstreams list-streams`.
struct ListStreamsVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "list-streams", abstract: "List change streams, current and ended (DynamoDB Streams ListStreams).")
    static let operationName = "ListStreams"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "Only this table's streams.") var tableName: String?
    @Option(help: "At most this many streams (1 to 100).") var limit: Int?
    @Option(parsing: .unconditional, help: "Start after this stream.") var exclusiveStartStreamArn: String?

    var missingRequiredFlags: [String] { [] }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("TableName", tableName, flag: "--table-name")
        request.setInt("Limit", limit)
        try request.setString("ExclusiveStartStreamArn", exclusiveStartStreamArn, flag: "--exclusive-start-stream-arn")
        let input = try request.decode(ListStreamsInput.self, shape: DynamoDBStreamsShapes.listStreamsInput)
        return try AWSJSONOutput.text(try session.itemsForReading().listStreams(input), shape: DynamoDBStreamsShapes.listStreamsOutput)
    }
}

/// `cairn dynamodbstreams describe-stream`.
struct DescribeStreamVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "describe-stream", abstract: "Describe a change stream and its shards (DynamoDB Streams DescribeStream).")
    static let operationName = "DescribeStream"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "The stream's ARN.") var streamArn: String?
    @Option(help: "At most this many shards (1 to 100).") var limit: Int?
    @Option(parsing: .unconditional, help: "Start after this shard.") var exclusiveStartShardId: String?

    var missingRequiredFlags: [String] { missingFlags([("--stream-arn", streamArn != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("StreamArn", streamArn, flag: "--stream-arn")
        request.setInt("Limit", limit)
        try request.setString("ExclusiveStartShardId", exclusiveStartShardId, flag: "--exclusive-start-shard-id")
        let input = try request.decode(DescribeStreamInput.self, shape: DynamoDBStreamsShapes.describeStreamInput)
        return try AWSJSONOutput.text(try session.itemsForReading().describeStream(input), shape: DynamoDBStreamsShapes.describeStreamOutput)
    }
}

/// `cairn dynamodbstreams get-shard-iterator`.
struct GetShardIteratorVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "get-shard-iterator", abstract: "Get an iterator into a shard (DynamoDB Streams GetShardIterator).")
    static let operationName = "GetShardIterator"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "The stream's ARN.") var streamArn: String?
    @Option(parsing: .unconditional, help: "The shard's ID.") var shardId: String?
    @Option(help: "TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER.") var shardIteratorType: String?
    @Option(parsing: .unconditional, help: "With AT_ and AFTER_SEQUENCE_NUMBER.") var sequenceNumber: String?

    var missingRequiredFlags: [String] {
        missingFlags([("--stream-arn", streamArn != nil), ("--shard-id", shardId != nil),
                      ("--shard-iterator-type", shardIteratorType != nil)])
    }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("StreamArn", streamArn, flag: "--stream-arn")
        try request.setString("ShardId", shardId, flag: "--shard-id")
        try request.setString("ShardIteratorType", shardIteratorType, flag: "--shard-iterator-type")
        try request.setString("SequenceNumber", sequenceNumber, flag: "--sequence-number")
        let input = try request.decode(GetShardIteratorInput.self, shape: DynamoDBStreamsShapes.getShardIteratorInput)
        return try AWSJSONOutput.text(
            try session.itemsForReading().getShardIterator(input), shape: DynamoDBStreamsShapes.getShardIteratorOutput)
    }
}

/// `cairn dynamodbstreams get-records`.
struct GetRecordsVerb: ItemVerb {
    static let configuration = CommandConfiguration(
        commandName: "get-records", abstract: "Read records from a shard (DynamoDB Streams GetRecords).")
    static let operationName = "GetRecords"
    @OptionGroup var options: ItemOptions
    @Option(parsing: .unconditional, help: "From get-shard-iterator or a previous NextShardIterator.") var shardIterator: String?
    @Option(help: "At most this many records (1 to 1,000).") var limit: Int?

    var missingRequiredFlags: [String] { missingFlags([("--shard-iterator", shardIterator != nil)]) }

    func perform(_ session: Session) throws -> String? {
        var request = try AWSRequest(cliInputJSON: options.cliInputJSON)
        try request.setString("ShardIterator", shardIterator, flag: "--shard-iterator")
        request.setInt("Limit", limit)
        let input = try request.decode(GetRecordsInput.self, shape: DynamoDBStreamsShapes.getRecordsInput)
        return try AWSJSONOutput.text(try session.itemsForReading().getRecords(input), shape: DynamoDBStreamsShapes.getRecordsOutput)
    }
}

/// `cairn tail`: a table's change stream, one JSON record a line (DynamoDB Streams' record
/// shape), in commit order across its shards. It opens the database read-only, taking no
/// lock, so it can watch a database other `cairn` processes write; with `--follow` it reopens
/// it every 200 ms and prints what committed since (an in-process Swift reader waits on
/// `ItemDatabase.changes` instead).
struct TailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print a table's change stream, one JSON record a line (--follow waits for more).")
    @Option(name: .long, help: "Database directory.") var db: String = ItemDatabase.defaultPath
    @Option(name: .long, help: "The table.") var tableName: String
    @Option(name: .long, help: "trim-horizon (every record kept) or latest (only new ones).") var from: String = "trim-horizon"
    @Flag(name: .long, help: "Keep waiting for new records.") var follow = false

    func run() throws {
        guard from == "trim-horizon" || from == "latest" else {
            throw ValidationError("--from must be trim-horizon or latest")
        }
        var position: UInt64?  // the last sequence number printed; nil before the first open
        var failures = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        while true {
            do {
                var options = ItemDatabase.Options()
                options.readOnly = true
                options.storage.createIfMissing = false
                let items = try ItemDatabase.open(db, options: options)
                defer { try? items.close() }
                if position == nil {
                    position = from == "latest" ? items.storage.latestSequenceNumber : 0
                    guard try items.describeTable(DescribeTableInput(tableName: tableName)).table.latestStreamArn != nil else {
                        throw CLIError("table \(tableName) has no stream: enable one with update-table --stream-specification")
                    }
                }
                while true {
                    let page = try items.streamRecords(of: tableName, after: position ?? 0)
                    guard !page.isEmpty else { break }
                    var lines = ""
                    for record in page { lines += String(decoding: try encoder.encode(record), as: UTF8.self) + "\n" }
                    // One unbuffered write per page, so a pipe sees records as they come.
                    _ = lines.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
                    position = UInt64(page.last?.dynamodb.sequenceNumber ?? "") ?? position
                }
                failures = 0
            } catch let error as CLIError {
                throw reportAndExit(error)
            } catch let error as DynamoDBError {
                throw reportAndExit(CLIError("\(error.name): \(error.message)"))
            } catch {
                // Following: another process may be mid-compaction or mid-open; try again, and
                // give up only if it keeps failing.
                failures += 1
                if !follow || failures >= 50 { throw reportAndExit(error) }
            }
            guard follow else { return }
            usleep(200_000)
        }
    }
}
