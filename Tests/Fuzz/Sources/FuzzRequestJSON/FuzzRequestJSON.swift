// Fuzz target: DynamoDB JSON request decoding.
//
// Input: one byte choosing the operation (byte % operations.count), then the request body
// as JSON text. The body is decoded twice:
// - straight into Cairn's input struct with `JSONDecoder` (the Codable shapes, AttributeValue's
//   DynamoDB JSON), as a server decoding a request body does;
// - the way `cairn item VERB --cli-input-json` does (AWSRequest.swift, JSONValue.swift and
//   AWSShapes.swift of the `cairn` executable, compiled into this target through symlinks):
//   the order-keeping JSON parser, botocore's parameter validation against the model's shape,
//   then the input struct.
// A body the JSON parser accepts must also print (`compactText`) as JSON that parses to the
// same value (checked; a mismatch traps). Every thrown error is fine.
import Cairn
import CairnLSM
import Foundation
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

struct Operation {
    var name: String
    var direct: (Data) throws -> Void
    var viaCLI: (AWSRequest) throws -> Void
}

func operation<Input: Decodable>(_ name: String, _ type: Input.Type, _ shape: Shape) -> Operation {
    Operation(
        name: name,
        direct: { _ = try JSONDecoder().decode(Input.self, from: $0) },
        viaCLI: { _ = try $0.decode(Input.self, shape: shape) })
}

nonisolated(unsafe) let operations: [Operation] = [
    operation("PutItem", PutItemInput.self, DynamoDBShapes.putItemInput),
    operation("GetItem", GetItemInput.self, DynamoDBShapes.getItemInput),
    operation("UpdateItem", UpdateItemInput.self, DynamoDBShapes.updateItemInput),
    operation("DeleteItem", DeleteItemInput.self, DynamoDBShapes.deleteItemInput),
    operation("Query", QueryInput.self, DynamoDBShapes.queryInput),
    operation("Scan", ScanInput.self, DynamoDBShapes.scanInput),
    operation("BatchWriteItem", BatchWriteItemInput.self, DynamoDBShapes.batchWriteItemInput),
    operation("BatchGetItem", BatchGetItemInput.self, DynamoDBShapes.batchGetItemInput),
    operation("TransactWriteItems", TransactWriteItemsInput.self, DynamoDBShapes.transactWriteItemsInput),
    operation("TransactGetItems", TransactGetItemsInput.self, DynamoDBShapes.transactGetItemsInput),
    operation("CreateTable", CreateTableInput.self, DynamoDBShapes.createTableInput),
    operation("UpdateTable", UpdateTableInput.self, DynamoDBShapes.updateTableInput),
    operation("DeleteTable", DeleteTableInput.self, DynamoDBShapes.tableNameInput),
    operation("DescribeTable", DescribeTableInput.self, DynamoDBShapes.tableNameInput),
    operation("ListTables", ListTablesInput.self, DynamoDBShapes.listTablesInput),
    operation("UpdateTimeToLive", UpdateTimeToLiveInput.self, DynamoDBShapes.updateTimeToLiveInput),
    operation("DescribeTimeToLive", DescribeTimeToLiveInput.self, DynamoDBShapes.tableNameInput),
    // The Streams shapes live in StreamCommands.swift, which is not compiled here: unchecked.
    operation("ListStreams", ListStreamsInput.self, .any),
    operation("DescribeStream", DescribeStreamInput.self, .any),
    operation("GetShardIterator", GetShardIteratorInput.self, .any),
    operation("GetRecords", GetRecordsInput.self, .any),
]

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        func index(_ name: String) -> UInt8 { UInt8(operations.firstIndex { $0.name == name }!) }
        let cases: [(String, String)] = [
            ("PutItem", ##"{"TableName":"Songs","Item":{"pk":{"S":"a#1"},"n":{"N":"-1.5E3"},"b":{"B":"AAEC"},"ok":{"BOOL":true},"z":{"NULL":true},"l":{"L":[{"S":"x"},{"M":{"k":{"SS":["a","b"]}}}]},"ns":{"NS":["1","2"]},"bs":{"BS":["AQ=="]}},"ConditionExpression":"attribute_not_exists(pk)","ReturnValues":"ALL_OLD"}"##),
            ("GetItem", ##"{"TableName":"Songs","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ProjectionExpression":"#a, b.c[0]","ExpressionAttributeNames":{"#a":"a"},"ConsistentRead":true}"##),
            ("UpdateItem", ##"{"TableName":"T","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET n = n + :one REMOVE x","ExpressionAttributeValues":{":one":{"N":"1"}},"ReturnValues":"UPDATED_NEW"}"##),
            ("DeleteItem", ##"{"TableName":"T","Key":{"pk":{"S":"a"}},"ReturnValues":"ALL_OLD"}"##),
            ("Query", ##"{"TableName":"T","IndexName":"byN","KeyConditionExpression":"pk = :p AND sk > :s","ExpressionAttributeValues":{":p":{"S":"a"},":s":{"N":"0"}},"Limit":10,"ScanIndexForward":false,"ExclusiveStartKey":{"pk":{"S":"a"},"sk":{"N":"3"}},"Select":"COUNT"}"##),
            ("Scan", ##"{"TableName":"T","FilterExpression":"size(l) > :n","ExpressionAttributeValues":{":n":{"N":"2"}},"Segment":0,"TotalSegments":4}"##),
            ("BatchWriteItem", ##"{"RequestItems":{"T":[{"PutRequest":{"Item":{"pk":{"S":"a"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"b"}}}}]}}"##),
            ("BatchGetItem", ##"{"RequestItems":{"T":{"Keys":[{"pk":{"S":"a"}}],"ProjectionExpression":"pk"}}}"##),
            ("TransactWriteItems", ##"{"TransactItems":[{"Put":{"TableName":"T","Item":{"pk":{"S":"a"}}}},{"ConditionCheck":{"TableName":"T","Key":{"pk":{"S":"b"}},"ConditionExpression":"attribute_exists(pk)"}},{"Update":{"TableName":"T","Key":{"pk":{"S":"c"}},"UpdateExpression":"ADD n :one","ExpressionAttributeValues":{":one":{"N":"1"}}}},{"Delete":{"TableName":"T","Key":{"pk":{"S":"d"}}}}],"ClientRequestToken":"tok-1"}"##),
            ("TransactGetItems", ##"{"TransactItems":[{"Get":{"TableName":"T","Key":{"pk":{"S":"a"}}}}]}"##),
            ("CreateTable", ##"{"TableName":"T","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"},"GlobalSecondaryIndexes":[{"IndexName":"g","KeySchema":[{"AttributeName":"sk","KeyType":"HASH"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["x"]}}]}"##),
            ("UpdateTable", ##"{"TableName":"T","StreamSpecification":{"StreamEnabled":false}}"##),
            ("ListTables", ##"{"ExclusiveStartTableName":"A","Limit":5}"##),
            ("UpdateTimeToLive", ##"{"TableName":"T","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"exp"}}"##),
            ("GetRecords", ##"{"ShardIterator":"abc","Limit":100}"##),
            ("GetShardIterator", ##"{"StreamArn":"arn:aws:dynamodb:local:000000000000:table/T/stream/x","ShardId":"s-1","ShardIteratorType":"AFTER_SEQUENCE_NUMBER","SequenceNumber":"000100"}"##),
        ]
        return cases.map { ("request-\($0.0)", [index($0.0)] + bytes($0.1)) }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = input(data, size)
    guard let first = raw.first else { return 0 }
    let op = operations[Int(first) % operations.count]
    let body = Array(raw.dropFirst())
    try? op.direct(Data(body))

    let json = text(body[...])
    // `--cli-input-json file://...` reads a file: not what this target is about.
    if json.hasPrefix("file") { return 0 }
    if let request = try? AWSRequest(cliInputJSON: json) { try? op.viaCLI(request) }
    if let value = try? JSONValue.parse(json) {
        let printed = value.compactText
        guard let again = try? JSONValue.parse(printed) else { fatalError("compactText of a parsed value does not parse: \(printed)") }
        if again != value { fatalError("compactText of a parsed value parses to another value: \(printed)") }
    }
    return 0
}
