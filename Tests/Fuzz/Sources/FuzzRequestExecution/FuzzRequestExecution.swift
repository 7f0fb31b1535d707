// Fuzz target: DynamoDB requests executed.
//
// Input: one byte choosing the operation (byte % operations.count), then the request body as
// JSON text. The body is decoded into Cairn's input struct with `JSONDecoder` (as a server
// decoding a request does) and, when it decodes, executed against an item database in a
// MemoryFileSystem: table `Tab` (pk S, sk N) with an eventual GSI, a strong GSI, an LSI, a stream
// of new and old images and Time to Live on `exp`, and table `Hash` (a B hash key only), both
// holding a few items. So validation, expressions, key conditions, projections, pagination
// keys, index queries, transactions, batches, table changes and stream reads all meet
// hostile values. Every thrown error is fine; only a crash, trap, hang or sanitizer report
// is a finding.
//
// The database lives across inputs (opening one per input would cost most of the time);
// it is built again from scratch every 2,000 inputs and after any table operation that
// succeeded, so a table's schema is the template's for every other input. The clock is
// fixed, so TTL and shard iterators do not depend on the time of the run. Every 200 inputs
// the indexes catch up and a TTL sweep runs (their code paths over what the inputs wrote).
import Cairn
import CairnLSM
import Foundation
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

/// The fixed time of the run's clock (2027-01-15).
let now: Double = 1_800_000_000

struct Operation {
    var name: String
    /// Decodes the body and runs it; false when the operation changed a table's definition.
    var run: (ItemDatabase, Data) throws -> Bool
}

func operation<Input: Decodable, Output>(
    _ name: String, _ type: Input.Type, changesTables: Bool = false, _ call: @escaping (ItemDatabase) -> (Input) throws -> Output
) -> Operation {
    Operation(name: name) { db, body in
        let request = try JSONDecoder().decode(Input.self, from: body)
        _ = try call(db)(request)
        return !changesTables
    }
}

nonisolated(unsafe) let operations: [Operation] = [
    operation("PutItem", PutItemInput.self, ItemDatabase.putItem),
    operation("GetItem", GetItemInput.self, ItemDatabase.getItem),
    operation("UpdateItem", UpdateItemInput.self, ItemDatabase.updateItem),
    operation("DeleteItem", DeleteItemInput.self, ItemDatabase.deleteItem),
    operation("Query", QueryInput.self, ItemDatabase.query),
    operation("Scan", ScanInput.self, ItemDatabase.scan),
    operation("BatchWriteItem", BatchWriteItemInput.self, ItemDatabase.batchWriteItem),
    operation("BatchGetItem", BatchGetItemInput.self, ItemDatabase.batchGetItem),
    operation("TransactWriteItems", TransactWriteItemsInput.self, ItemDatabase.transactWriteItems),
    operation("TransactGetItems", TransactGetItemsInput.self, ItemDatabase.transactGetItems),
    operation("CreateTable", CreateTableInput.self, changesTables: true, ItemDatabase.createTable),
    operation("UpdateTable", UpdateTableInput.self, changesTables: true, ItemDatabase.updateTable),
    operation("DeleteTable", DeleteTableInput.self, changesTables: true, ItemDatabase.deleteTable),
    operation("DescribeTable", DescribeTableInput.self, ItemDatabase.describeTable),
    operation("ListTables", ListTablesInput.self, ItemDatabase.listTables),
    operation("UpdateTimeToLive", UpdateTimeToLiveInput.self, changesTables: true, ItemDatabase.updateTimeToLive),
    operation("DescribeTimeToLive", DescribeTimeToLiveInput.self, ItemDatabase.describeTimeToLive),
    operation("ListStreams", ListStreamsInput.self, ItemDatabase.listStreams),
    operation("DescribeStream", DescribeStreamInput.self, ItemDatabase.describeStream),
    operation("GetShardIterator", GetShardIteratorInput.self, ItemDatabase.getShardIterator),
    operation("GetRecords", GetRecordsInput.self, ItemDatabase.getRecords),
]

func decodeJSON<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(json.utf8))
}

let tableT = ##"""
{"TableName":"Tab","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},
{"AttributeName":"g","AttributeType":"S"},{"AttributeName":"n","AttributeType":"N"},{"AttributeName":"b","AttributeType":"B"}],
"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
"LocalSecondaryIndexes":[{"IndexName":"byN","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"n","KeyType":"RANGE"}],
"Projection":{"ProjectionType":"KEYS_ONLY"}}],
"GlobalSecondaryIndexes":[{"IndexName":"byG","KeySchema":[{"AttributeName":"g","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
"Projection":{"ProjectionType":"ALL"}},{"IndexName":"byB","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],
"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["x","l"]}}],
"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}}
"""##

let tableH = ##"""
{"TableName":"Hash","AttributeDefinitions":[{"AttributeName":"id","AttributeType":"B"}],
"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}
"""##

/// Builds the template database: both tables, TTL on `Tab`, and a few items of every
/// attribute type (one already expired).
func makeDatabase() throws -> ItemDatabase {
    var options = ItemDatabase.Options()
    options.storage = memoryOptions(MemoryFileSystem())
    options.timeToLiveSweepInterval = 0
    options.indexUpdateInterval = 0
    options.clock = { now }
    let db = try ItemDatabase.open(databasePath, options: options)
    _ = try db.createTable(try decodeJSON(CreateTableInput.self, tableT))
    _ = try db.createTable(try decodeJSON(CreateTableInput.self, tableH))
    _ = try db.updateTimeToLive(try decodeJSON(
        UpdateTimeToLiveInput.self, ##"{"TableName":"Tab","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"exp"}}"##))
    for i in 0..<12 {
        let item = ##"""
        {"TableName":"Tab","Item":{"pk":{"S":"p\##(i % 3)"},"sk":{"N":"\##(i)"},"g":{"S":"g\##(i % 2)"},"n":{"N":"\##(100 - i).5"},
        "b":{"B":"AQI\##(i % 4)"},"x":{"S":"x\##(i)"},"l":{"L":[{"N":"1"},{"M":{"k":{"SS":["a","b"]}}}]},"m":{"M":{"a":{"N":"\##(i)"},"z":{"NULL":true}}},
        "ns":{"NS":["1","2.5"]},"bs":{"BS":["AA=="]},"t":{"BOOL":\##(i % 2 == 0)},"exp":{"N":"\##(i == 5 ? 1_700_000_000 : 1_900_000_000)"}}}
        """##
        _ = try db.putItem(try decodeJSON(PutItemInput.self, item))
        _ = try db.putItem(try decodeJSON(PutItemInput.self, ##"{"TableName":"Hash","Item":{"id":{"B":"AAA\##(i % 8)"},"v":{"S":"\##(i)"}}}"##))
    }
    try db.catchUpIndexes()
    return db
}

/// `CAIRN_FUZZ_PRINT=1` prints each input's operation and outcome (to check the seeds).
let printOutcomes = getenv("CAIRN_FUZZ_PRINT") != nil

nonisolated(unsafe) var database: ItemDatabase?
nonisolated(unsafe) var inputsSinceBuild = 0

func currentDatabase() -> ItemDatabase {
    if let database, inputsSinceBuild < 2_000 { return database }
    try? database?.close()
    // The template is built by fixed code from fixed values: a failure is a bug, not input.
    do { database = try makeDatabase() } catch { fatalError("the template database cannot be built: \(error)") }
    inputsSinceBuild = 0
    return database!
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        let db = currentDatabase()
        func index(_ name: String) -> UInt8 { UInt8(operations.firstIndex { $0.name == name }!) }
        let arn = try db.describeTable(DescribeTableInput(tableName: "Tab")).table.latestStreamArn ?? "none"
        let stream = try db.describeStream(try decodeJSON(DescribeStreamInput.self, #"{"StreamArn":"\#(arn)"}"#))
        let shard = stream.streamDescription.shards.first?.shardId ?? "none"
        let iterator = try db.getShardIterator(try decodeJSON(GetShardIteratorInput.self,
            #"{"StreamArn":"\#(arn)","ShardId":"\#(shard)","ShardIteratorType":"TRIM_HORIZON"}"#)).shardIterator ?? "none"
        let cases: [(String, String)] = [
            ("PutItem", ##"{"TableName":"Tab","Item":{"pk":{"S":"p1"},"sk":{"N":"-1.5E3"},"g":{"S":"g1"},"n":{"N":"7"},"b":{"B":"AAEC"},"l":{"L":[{"S":"x"}]}},"ConditionExpression":"attribute_not_exists(pk) OR n < :v","ExpressionAttributeValues":{":v":{"N":"3"}},"ReturnValues":"ALL_OLD"}"##),
            ("PutItem", ##"{"TableName":"Hash","Item":{"id":{"B":"AAA1"},"v":{"NS":["1","-2"]}},"ReturnValuesOnConditionCheckFailure":"ALL_OLD","ConditionExpression":"size(v) > :n","ExpressionAttributeValues":{":n":{"N":"0"}}}"##),
            ("GetItem", ##"{"TableName":"Tab","Key":{"pk":{"S":"p0"},"sk":{"N":"3"}},"ProjectionExpression":"#a, l[1].k, m.z","ExpressionAttributeNames":{"#a":"x"},"ConsistentRead":true}"##),
            ("UpdateItem", ##"{"TableName":"Tab","Key":{"pk":{"S":"p0"},"sk":{"N":"0"}},"UpdateExpression":"SET n = n + :one, l[5] = :s, m.q = if_not_exists(m.q, :one) REMOVE x ADD ns :ns DELETE bs :bs","ConditionExpression":"begins_with(g, :g)","ExpressionAttributeValues":{":one":{"N":"1"},":s":{"S":"s"},":ns":{"NS":["9"]},":bs":{"BS":["AA=="]},":g":{"S":"g"}},"ReturnValues":"UPDATED_NEW"}"##),
            ("UpdateItem", ##"{"TableName":"Tab","Key":{"pk":{"S":"p2"},"sk":{"N":"8"}},"AttributeUpdates":{"n":{"Value":{"N":"4"},"Action":"ADD"},"x":{"Action":"DELETE"}},"Expected":{"g":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"g0"}]}},"ReturnValues":"ALL_NEW"}"##),
            ("DeleteItem", ##"{"TableName":"Tab","Key":{"pk":{"S":"p1"},"sk":{"N":"4"}},"ConditionExpression":"contains(l, :x)","ExpressionAttributeValues":{":x":{"N":"1"}},"ReturnValues":"ALL_OLD"}"##),
            ("Query", ##"{"TableName":"Tab","KeyConditionExpression":"pk = :p AND sk BETWEEN :a AND :b","FilterExpression":"attribute_type(n, :t)","ExpressionAttributeValues":{":p":{"S":"p0"},":a":{"N":"0"},":b":{"N":"9"},":t":{"S":"N"}},"Limit":2,"ScanIndexForward":false,"ExclusiveStartKey":{"pk":{"S":"p0"},"sk":{"N":"3"}}}"##),
            ("Query", ##"{"TableName":"Tab","IndexName":"byN","KeyConditionExpression":"pk = :p AND n > :n","ExpressionAttributeValues":{":p":{"S":"p1"},":n":{"N":"90"}},"Select":"COUNT"}"##),
            ("Query", ##"{"TableName":"Tab","IndexName":"byG","KeyConditionExpression":"g = :g AND sk < :s","ExpressionAttributeValues":{":g":{"S":"g1"},":s":{"N":"7"}},"ProjectionExpression":"pk, sk, m","Limit":3}"##),
            ("Query", ##"{"TableName":"Tab","IndexName":"byB","KeyConditionExpression":"b = :b","ExpressionAttributeValues":{":b":{"B":"AQI1"}},"Select":"ALL_PROJECTED_ATTRIBUTES"}"##),
            ("Scan", ##"{"TableName":"Tab","FilterExpression":"size(l) > :n AND NOT attribute_exists(q)","ExpressionAttributeValues":{":n":{"N":"1"}},"Segment":1,"TotalSegments":3,"Limit":4}"##),
            ("Scan", ##"{"TableName":"Tab","IndexName":"byG","ScanFilter":{"n":{"ComparisonOperator":"GT","AttributeValueList":[{"N":"95"}]}},"ConsistentRead":false}"##),
            ("BatchWriteItem", ##"{"RequestItems":{"Tab":[{"PutRequest":{"Item":{"pk":{"S":"p9"},"sk":{"N":"1"},"g":{"S":"g9"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"p0"},"sk":{"N":"6"}}}}],"Hash":[{"DeleteRequest":{"Key":{"id":{"B":"AAA2"}}}}]},"ReturnConsumedCapacity":"TOTAL"}"##),
            ("BatchGetItem", ##"{"RequestItems":{"Tab":{"Keys":[{"pk":{"S":"p0"},"sk":{"N":"0"}},{"pk":{"S":"p1"},"sk":{"N":"1"}}],"ProjectionExpression":"pk, #n","ExpressionAttributeNames":{"#n":"n"}},"Hash":{"Keys":[{"id":{"B":"AAA3"}}]}}}"##),
            ("TransactWriteItems", ##"{"TransactItems":[{"Put":{"TableName":"Tab","Item":{"pk":{"S":"p5"},"sk":{"N":"5"}}}},{"ConditionCheck":{"TableName":"Hash","Key":{"id":{"B":"AAA0"}},"ConditionExpression":"attribute_exists(id)"}},{"Update":{"TableName":"Tab","Key":{"pk":{"S":"p1"},"sk":{"N":"1"}},"UpdateExpression":"ADD n :one","ExpressionAttributeValues":{":one":{"N":"1"}}}},{"Delete":{"TableName":"Tab","Key":{"pk":{"S":"p2"},"sk":{"N":"2"}}}}],"ClientRequestToken":"tok-1"}"##),
            ("TransactGetItems", ##"{"TransactItems":[{"Get":{"TableName":"Tab","Key":{"pk":{"S":"p0"},"sk":{"N":"0"}},"ProjectionExpression":"l[0]"}},{"Get":{"TableName":"Hash","Key":{"id":{"B":"AAA1"}}}}]}"##),
            ("CreateTable", ##"{"TableName":"New","AttributeDefinitions":[{"AttributeName":"k","AttributeType":"N"}],"KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"##),
            ("UpdateTable", ##"{"TableName":"Tab","StreamSpecification":{"StreamEnabled":false}}"##),
            ("UpdateTable", ##"{"TableName":"Hash","AttributeDefinitions":[{"AttributeName":"v","AttributeType":"S"}],"GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"byV","KeySchema":[{"AttributeName":"v","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}}]}"##),
            ("DeleteTable", ##"{"TableName":"Hash"}"##),
            ("DescribeTable", ##"{"TableName":"Tab"}"##),
            ("ListTables", ##"{"ExclusiveStartTableName":"Aaa","Limit":1}"##),
            ("UpdateTimeToLive", ##"{"TableName":"Tab","TimeToLiveSpecification":{"Enabled":false,"AttributeName":"exp"}}"##),
            ("DescribeTimeToLive", ##"{"TableName":"Tab"}"##),
            ("ListStreams", ##"{"TableName":"Tab","Limit":5}"##),
            ("DescribeStream", #"{"StreamArn":"\#(arn)","Limit":10}"#),
            ("GetShardIterator", #"{"StreamArn":"\#(arn)","ShardId":"\#(shard)","ShardIteratorType":"AFTER_SEQUENCE_NUMBER","SequenceNumber":"000000000000000000002"}"#),
            ("GetRecords", #"{"ShardIterator":"\#(iterator)","Limit":3}"#),
        ]
        return cases.enumerated().map { ("request-\($0.offset)-\($0.element.0)", [index($0.element.0)] + bytes($0.element.1)) }
    }
    _ = currentDatabase()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = input(data, size)
    guard let first = raw.first else { return 0 }
    let op = operations[Int(first) % operations.count]
    let db = currentDatabase()
    inputsSinceBuild += 1
    do {
        // A table operation that succeeded changed the schema: the next input gets a new template.
        if try !op.run(db, Data(raw.dropFirst())) { inputsSinceBuild = .max }
        if printOutcomes { print("\(op.name): done") }
    } catch {
        if printOutcomes { print("\(op.name): \(error)") }
    }
    if inputsSinceBuild % 200 == 0 {
        _ = try? db.catchUpIndexes()
        _ = try? db.sweepExpiredItems(now: now)
    }
    return 0
}
