import Foundation
import Synchronization
import Testing

/// Drives the built `cairn` executable with `aws dynamodb`-style verbs, as a user would.
@Suite struct ItemCLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String

        /// stdout parsed as JSON.
        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
            return try #require(object as? [String: Any], "stdout is not a JSON object: \(stdout)")
        }
    }

    static let binary: String = {
        // Beside the test binary: the build this run uses (sanitized with it, or a --scratch-path).
        let beside = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("cairn").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for candidate in [".build/debug/cairn", ".build/release/cairn"] {
            let path = root.appendingPathComponent(candidate).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return root.appendingPathComponent(".build/debug/cairn").path
    }()

    /// A database directory removed when the test ends.
    final class Scratch {
        let path: String
        init() {
            path = NSTemporaryDirectory() + "cairn-cli-test-" + UUID().uuidString
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        var db: String { path + "/db" }
    }

    func cairn(_ args: [String], stdin: String = "", timeZone: String = "UTC") throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = args
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = timeZone
        process.environment = environment
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Drain stderr on another thread: a long error message must not fill its pipe while
        // this thread waits for stdout to end.
        let errorData = Mutex(Data())
        let drained = DispatchSemaphore(value: 0)
        let errorHandle = error.fileHandleForReading
        DispatchQueue.global().async {
            let data = errorHandle.readDataToEndOfFile()
            errorData.withLock { $0 = data }
            drained.signal()
        }
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        let err = errorData.withLock { $0 }
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                   stderr: String(decoding: err, as: UTF8.self))
    }

    /// Creates table `name` keyed by `pk` (S) and `sk` (N) with the shorthand syntax.
    func createMusic(_ db: String, _ name: String = "Music") throws -> Run {
        try cairn(["create-table", "--db", db, "--table-name", name,
                   "--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=N",
                   "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
                   "--provisioned-throughput", "ReadCapacityUnits=5,WriteCapacityUnits=7"])
    }

    @Test func createTableWithShorthandPrintsTheDescription() throws {
        let dir = Scratch()
        let run = try createMusic(dir.db)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        let description = try #require(try run.json()["TableDescription"] as? [String: Any])
        #expect(description["TableName"] as? String == "Music")
        #expect(description["TableStatus"] as? String == "ACTIVE")
        let definitions = try #require(description["AttributeDefinitions"] as? [[String: String]])
        #expect(definitions == [["AttributeName": "pk", "AttributeType": "S"], ["AttributeName": "sk", "AttributeType": "N"]])
        let schema = try #require(description["KeySchema"] as? [[String: String]])
        #expect(schema == [["AttributeName": "pk", "KeyType": "HASH"], ["AttributeName": "sk", "KeyType": "RANGE"]])
        let throughput = try #require(description["ProvisionedThroughput"] as? [String: Int])
        #expect(throughput == ["NumberOfDecreasesToday": 0, "ReadCapacityUnits": 5, "WriteCapacityUnits": 7])
        // aws-cli v2's timestamp: ISO 8601, local zone (TZ=UTC here), microseconds.
        let created = try #require(description["CreationDateTime"] as? String)
        #expect(created.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$"#, options: .regularExpression) != nil,
                "\(created)")
        // Members in the model's order, laid out as aws-cli (4 spaces, "Key": value).
        #expect(run.stdout.hasPrefix("{\n    \"TableDescription\": {\n        \"AttributeDefinitions\": [\n            {\n"
            + "                \"AttributeName\": \"pk\",\n                \"AttributeType\": \"S\"\n            },\n"))
        let order = ["\"AttributeDefinitions\"", "\"TableName\"", "\"KeySchema\"", "\"TableStatus\"", "\"CreationDateTime\"",
                     "\"ProvisionedThroughput\"", "\"TableSizeBytes\"", "\"ItemCount\"", "\"TableArn\"", "\"TableId\"",
                     "\"BillingModeSummary\"", "\"DeletionProtectionEnabled\""]
        let positions = order.map { run.stdout.range(of: $0)?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())

        let again = try createMusic(dir.db)
        #expect(again.status == 254)
        #expect(again.stdout.isEmpty)
        #expect(again.stderr.hasPrefix("\nAn error occurred (ResourceInUseException) when calling the CreateTable operation: "))
    }

    @Test func createTableWithJSONAndFile() throws {
        let dir = Scratch()
        let definitions = dir.path + "/definitions.json"
        try #"[{"AttributeName": "id", "AttributeType": "S"}]"#.write(toFile: definitions, atomically: true, encoding: .utf8)
        let run = try cairn(["create-table", "--db", dir.db, "--table-name", "Things",
                             "--attribute-definitions", "file://" + definitions,
                             "--key-schema", #"[{"AttributeName": "id", "KeyType": "HASH"}]"#,
                             "--billing-mode", "PAY_PER_REQUEST", "--deletion-protection-enabled"])
        #expect(run.status == 0, "\(run.stderr)")
        let description = try #require(try run.json()["TableDescription"] as? [String: Any])
        #expect(description["DeletionProtectionEnabled"] as? Bool == true)
        let billing = try #require(description["BillingModeSummary"] as? [String: Any])
        #expect(billing["BillingMode"] as? String == "PAY_PER_REQUEST")
        #expect(billing["LastUpdateToPayPerRequestDateTime"] is String)

        // --cli-input-json, with a flag overriding one of its members.
        let input = #"{"TableName": "Ignored", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "B"}], "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}"#
        let fromJSON = try cairn(["create-table", "--db", dir.db, "--cli-input-json", input, "--table-name", "Blobs"])
        #expect(fromJSON.status == 0, "\(fromJSON.stderr)")
        let tables = try cairn(["list-tables", "--db", dir.db])
        #expect(tables.stdout == "{\n    \"TableNames\": [\n        \"Blobs\",\n        \"Things\"\n    ]\n}\n")

        // Deletion protection, then update-table turning it off, then delete-table.
        let refused = try cairn(["delete-table", "--db", dir.db, "--table-name", "Things"])
        #expect(refused.status == 254)
        #expect(refused.stderr.contains("(ValidationException) when calling the DeleteTable operation: Resource cannot be deleted"))
        let update = try cairn(["update-table", "--db", dir.db, "--table-name", "Things", "--no-deletion-protection-enabled"])
        #expect(update.status == 0, "\(update.stderr)")
        #expect((try update.json()["TableDescription"] as? [String: Any])?["DeletionProtectionEnabled"] as? Bool == false)
        let deleted = try cairn(["delete-table", "--db", dir.db, "--table-name", "Things"])
        #expect(deleted.status == 0)
        #expect((try deleted.json()["TableDescription"] as? [String: Any])?["TableStatus"] as? String == "DELETING")
        #expect(try cairn(["list-tables", "--db", dir.db]).stdout.contains("Things") == false)
        let gone = try cairn(["describe-table", "--db", dir.db, "--table-name", "Things"])
        #expect(gone.status == 254)
        #expect(gone.stderr == "\nAn error occurred (ResourceNotFoundException) when calling the DescribeTable operation: Requested resource not found: Table: Things not found\n")
    }

    @Test func putAndGetItemsFromFiles() throws {
        let dir = Scratch()
        #expect(try createMusic(dir.db).status == 0)
        // A large item, far over what a command line holds comfortably, read with file://.
        let big = String(repeating: "x", count: 300_000)
        let itemFile = dir.path + "/item.json"
        try #"{"sk": {"N": "1.50"}, "pk": {"S": "Ünïcode ✓"}, "blob": {"B": "AAEC"}, "big": {"S": "\#(big)"}, "list": {"L": [{"N": "-0"}, {"NULL": true}]}}"#
            .write(toFile: itemFile, atomically: true, encoding: .utf8)
        let put = try cairn(["put-item", "--db", dir.db, "--table-name", "Music", "--item", "file://" + itemFile])
        #expect(put.status == 0, "\(put.stderr)")
        #expect(put.stdout.isEmpty, "put-item without ReturnValues prints nothing, as aws-cli")

        let keyFile = dir.path + "/key.json"
        try #"{"pk": {"S": "Ünïcode ✓"}, "sk": {"N": "1.5"}}"#.write(toFile: keyFile, atomically: true, encoding: .utf8)
        let get = try cairn(["get-item", "--db", dir.db, "--table-name", "Music", "--key", "file://" + keyFile])
        #expect(get.status == 0, "\(get.stderr)")
        // Attributes sorted by name, numbers as strings, non-ASCII unescaped.
        let expected = """
            {
                "Item": {
                    "big": {
                        "S": "\(big)"
                    },
                    "blob": {
                        "B": "AAEC"
                    },
                    "list": {
                        "L": [
                            {
                                "N": "0"
                            },
                            {
                                "NULL": true
                            }
                        ]
                    },
                    "pk": {
                        "S": "Ünïcode ✓"
                    },
                    "sk": {
                        "N": "1.5"
                    }
                }
            }

            """
        #expect(get.stdout == expected)

        // Shorthand keys work too; a missing item prints nothing.
        let missing = try cairn(["get-item", "--db", dir.db, "--table-name", "Music", "--key", "pk={S=nobody},sk={N=1}"])
        #expect(missing.status == 0 && missing.stdout.isEmpty && missing.stderr.isEmpty)

        // ReturnValues ALL_OLD prints the replaced item; delete-item with ALL_OLD the deleted one.
        let replace = try cairn(["put-item", "--db", dir.db, "--table-name", "Music", "--return-values", "ALL_OLD",
                                 "--item", #"{"pk": {"S": "Ünïcode ✓"}, "sk": {"N": "1.5"}, "v": {"N": "2"}}"#])
        #expect(replace.status == 0)
        #expect((try replace.json()["Attributes"] as? [String: Any])?["big"] != nil)
        let delete = try cairn(["delete-item", "--db", dir.db, "--table-name", "Music", "--key", "file://" + keyFile,
                                "--return-values", "ALL_OLD"])
        #expect(delete.status == 0)
        #expect(delete.stdout.contains(#""v": {"#) && delete.stdout.contains(#""N": "2""#))
        #expect(try cairn(["get-item", "--db", dir.db, "--table-name", "Music", "--key", "file://" + keyFile]).stdout.isEmpty)
    }

    @Test func describeTableCountsItemsAndScanPaginates() throws {
        let dir = Scratch()
        #expect(try createMusic(dir.db).status == 0)
        for i in 1...5 {
            let run = try cairn(["put-item", "--db", dir.db, "--table-name", "Music", "--item",
                                 "pk={S=artist\(i % 2)},sk={N=\(i)},n={N=\(i * 10)}"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let describe = try cairn(["describe-table", "--db", dir.db, "--table-name", "Music"])
        let table = try #require(try describe.json()["Table"] as? [String: Any])
        #expect(table["ItemCount"] as? Int == 5)
        #expect((table["TableSizeBytes"] as? Int ?? 0) > 0)
        #expect(table["TableArn"] as? String == "arn:aws:dynamodb:local:000000000000:table/Music")

        // Default: aws-cli follows LastEvaluatedKey and merges the pages.
        let all = try cairn(["scan", "--db", dir.db, "--table-name", "Music", "--page-size", "2"])
        let merged = try all.json()
        #expect((merged["Items"] as? [Any])?.count == 5)
        #expect(merged["Count"] as? Int == 5 && merged["ScannedCount"] as? Int == 5)
        #expect(merged["LastEvaluatedKey"] == nil && merged["NextToken"] == nil)
        // --limit turns pagination off: one page with its LastEvaluatedKey.
        let page = try cairn(["scan", "--db", dir.db, "--table-name", "Music", "--limit", "2"]).json()
        #expect((page["Items"] as? [Any])?.count == 2 && page["LastEvaluatedKey"] != nil)
        // --max-items stops early with a NextToken; --starting-token resumes after it.
        let first = try cairn(["scan", "--db", dir.db, "--table-name", "Music", "--page-size", "2", "--max-items", "3"]).json()
        let firstItems = try #require(first["Items"] as? [[String: Any]])
        #expect(firstItems.count == 3)
        let token = try #require(first["NextToken"] as? String)
        let rest = try cairn(["scan", "--db", dir.db, "--table-name", "Music", "--page-size", "2", "--starting-token", token]).json()
        let restItems = try #require(rest["Items"] as? [[String: Any]])
        #expect(restItems.count == 2)
        let allItems = try #require(merged["Items"] as? [[String: Any]])
        func sortKeys(_ items: [[String: Any]]) -> [String] { items.compactMap { ($0["sk"] as? [String: String])?["N"] } }
        #expect(sortKeys(firstItems) + sortKeys(restItems) == sortKeys(allItems))
        let count = try cairn(["scan", "--db", dir.db, "--table-name", "Music", "--select", "COUNT"])
        #expect(count.stdout == "{\n    \"Count\": 5,\n    \"ScannedCount\": 5\n}\n")
        let conflicting = try cairn(["scan", "--db", dir.db, "--table-name", "Music", "--limit", "1", "--max-items", "1"])
        #expect(conflicting.status == 252)
        #expect(conflicting.stderr.contains("Cannot specify --no-paginate along with pagination arguments: --max-items"))
        // Parallel scan segments partition the table.
        var segmented = 0
        for segment in 0..<3 {
            let part = try cairn(["scan", "--db", dir.db, "--table-name", "Music", "--segment", "\(segment)", "--total-segments", "3"])
            segmented += try part.json()["Count"] as? Int ?? -1
        }
        #expect(segmented == 5)
    }

    @Test func errorsLookLikeAwsCli() throws {
        let dir = Scratch()
        #expect(try createMusic(dir.db).status == 0)
        let noTable = try cairn(["put-item", "--db", dir.db, "--table-name", "Nope", "--item", #"{"pk": {"S": "a"}}"#])
        #expect(noTable.status == 254)
        #expect(noTable.stdout.isEmpty)
        #expect(noTable.stderr == "\nAn error occurred (ResourceNotFoundException) when calling the PutItem operation: Requested resource not found\n")

        let badJSON = try cairn(["put-item", "--db", dir.db, "--table-name", "Music", "--item", "{bad"])
        #expect(badJSON.status == 252)
        #expect(badJSON.stderr == "\nError parsing parameter '--item': Invalid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)\nJSON received: {bad\n")

        let badShorthand = try cairn(["create-table", "--db", dir.db, "--table-name", "T2x",
                                      "--attribute-definitions", "AttributeName=pk,AttributeType=S",
                                      "--key-schema", "AttributeName=pk,KeyType=HASH",
                                      "--provisioned-throughput", "ReadCapacityUnits=5,WriteCapacityUnits=x"])
        #expect(badShorthand.status == 252)
        #expect(badShorthand.stderr.hasPrefix("\nError parsing parameter '--provisioned-throughput': invalid literal for int()"))

        let unknownMember = try cairn(["create-table", "--db", dir.db, "--table-name", "T2x",
                                       "--attribute-definitions", "AttributeName=pk,AttributeType=S,Foo=1",
                                       "--key-schema", "AttributeName=pk,KeyType=HASH"])
        #expect(unknownMember.status == 252)
        #expect(unknownMember.stderr == "\nParameter validation failed:\nUnknown parameter in AttributeDefinitions[0]: \"Foo\", must be one of: AttributeName, AttributeType\n")

        let wrongType = try cairn(["put-item", "--db", dir.db, "--table-name", "Music", "--item", #"{"pk": "a"}"#])
        #expect(wrongType.status == 252)
        #expect(wrongType.stderr.contains("Invalid type for parameter Item.pk, value: a, type: <class 'str'>, valid types: <class 'dict'>"))

        let missingFile = try cairn(["put-item", "--db", dir.db, "--table-name", "Music", "--item", "file://" + dir.path + "/nope.json"])
        #expect(missingFile.status == 252)
        #expect(missingFile.stderr.contains("Error parsing parameter '--item': Unable to load paramfile file://"))

        let missingFlag = try cairn(["get-item", "--db", dir.db, "--table-name", "Music"])
        #expect(missingFlag.status == 252)
        #expect(missingFlag.stderr.contains("the following arguments are required: --key"))
        let unknownFlag = try cairn(["get-item", "--db", dir.db, "--bogus", "1"])
        #expect(unknownFlag.status == 252)

        let serviceValidation = try cairn(["put-item", "--db", dir.db, "--table-name", "Music", "--return-values", "ALL_NEW",
                                           "--item", #"{"pk": {"S": "a"}, "sk": {"N": "1"}}"#])
        #expect(serviceValidation.status == 254)
        #expect(serviceValidation.stderr == "\nAn error occurred (ValidationException) when calling the PutItem operation: Return values set to invalid value\n")
        let badKey = try cairn(["get-item", "--db", dir.db, "--table-name", "Music", "--key", #"{"pk": {"S": "a"}}"#])
        #expect(badKey.status == 254)
        #expect(badKey.stderr.hasPrefix("\nAn error occurred (ValidationException) when calling the GetItem operation: "))

        // Hostile input never crashes the tool.
        for junk in [String(repeating: "[", count: 100_000), String(repeating: "{\"a\":", count: 20_000),
                     "a=" + String(repeating: "{b=", count: 30_000), "\u{0}", "", "   ", "[]", "{}", "null", "1e999999"] {
            let run = try cairn(["put-item", "--db", dir.db, "--table-name", "Music", "--item", junk])
            #expect([252, 254].contains(run.status), "\(junk.prefix(20)): \(run.status) \(run.stderr.prefix(200))")
        }
        for token in ["!!!", "e30=", "bnVsbA=="] {
            let run = try cairn(["scan", "--db", dir.db, "--table-name", "Music", "--starting-token", token])
            #expect([0, 252].contains(run.status), "\(token): \(run.stderr)")
        }
    }

    @Test func batchAndTransactionVerbs() throws {
        let dir = Scratch()
        #expect(try createMusic(dir.db).status == 0)
        let write = try cairn(["batch-write-item", "--db", dir.db, "--request-items", """
            {"Music": [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "10"}}}},
                       {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "1"}, "n": {"N": "5"}}}}]}
            """])
        #expect(write.status == 0, "\(write.stderr)")
        #expect(write.stdout == "{\n    \"UnprocessedItems\": {}\n}\n")

        let get = try cairn(["batch-get-item", "--db", dir.db, "--request-items",
                             #"{"Music": {"Keys": [{"pk": {"S": "a"}, "sk": {"N": "1"}}], "ProjectionExpression": "n"}}"#])
        #expect(get.status == 0, "\(get.stderr)")
        let responses = try #require(get.json()["Responses"] as? [String: Any])
        #expect((responses["Music"] as? [[String: Any]])?.first?["n"] as? [String: String] == ["N": "10"])

        let file = dir.path + "/transfer.json"
        try """
            [{"Update": {"TableName": "Music", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                         "UpdateExpression": "ADD n :m", "ConditionExpression": "n >= :x",
                         "ExpressionAttributeValues": {":m": {"N": "-7"}, ":x": {"N": "7"}}}},
             {"Update": {"TableName": "Music", "Key": {"pk": {"S": "b"}, "sk": {"N": "1"}},
                         "UpdateExpression": "ADD n :p", "ExpressionAttributeValues": {":p": {"N": "7"}}}}]
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let first = try cairn(["transact-write-items", "--db", dir.db, "--transact-items", "file://" + file,
                               "--client-request-token", "t1"])
        #expect(first.status == 0 && first.stdout.isEmpty, "\(first.stderr)")
        let retry = try cairn(["transact-write-items", "--db", dir.db, "--transact-items", "file://" + file,
                               "--client-request-token", "t1"])
        #expect(retry.status == 0, "\(retry.stderr)")
        let again = try cairn(["transact-write-items", "--db", dir.db, "--transact-items", "file://" + file])
        #expect(again.status == 254)
        #expect(again.stderr == "\nAn error occurred (TransactionCanceledException) when calling the TransactWriteItems operation: Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]\n")

        let read = try cairn(["transact-get-items", "--db", dir.db, "--transact-items", """
            [{"Get": {"TableName": "Music", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}},
             {"Get": {"TableName": "Music", "Key": {"pk": {"S": "b"}, "sk": {"N": "1"}}, "ProjectionExpression": "n"}},
             {"Get": {"TableName": "Music", "Key": {"pk": {"S": "zz"}, "sk": {"N": "1"}}}}]
            """])
        #expect(read.status == 0, "\(read.stderr)")
        let items = try #require(read.json()["Responses"] as? [[String: Any]])
        #expect(items.count == 3)
        #expect((items[0]["Item"] as? [String: Any])?["n"] as? [String: String] == ["N": "3"])  // the retry did not run twice
        #expect((items[1]["Item"] as? [String: Any])?["n"] as? [String: String] == ["N": "12"])
        #expect(items[2].isEmpty)

        let bad = try cairn(["batch-write-item", "--db", dir.db, "--request-items", #"{"Music": [{"PutRequest": {"Itm": {}}}]}"#])
        #expect(bad.status == 252)
        #expect(bad.stderr.contains("Missing required parameter in RequestItems.Music[0].PutRequest: \"Item\""))

        // The shell runs the same verbs.
        let shell = try cairn(["shell", "--db", dir.db], stdin: """
            transact-get-items --transact-items '[{"Get": {"TableName": "Music", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}}]'

            """)
        #expect(shell.status == 0, "\(shell.stderr)")
        #expect(shell.stdout.contains("\"Responses\""))
    }

    @Test func timeToLiveVerbs() throws {
        let dir = Scratch()
        #expect(try createMusic(dir.db).status == 0)
        let describeOff = try cairn(["describe-time-to-live", "--db", dir.db, "--table-name", "Music"])
        #expect(describeOff.status == 0, "\(describeOff.stderr)")
        #expect(describeOff.stdout == "{\n    \"TimeToLiveDescription\": {\n        \"TimeToLiveStatus\": \"DISABLED\"\n    }\n}\n")
        let enable = try cairn(["update-time-to-live", "--db", dir.db, "--table-name", "Music",
                                "--time-to-live-specification", "Enabled=true,AttributeName=expires"])
        #expect(enable.status == 0, "\(enable.stderr)")
        #expect(enable.stdout == "{\n    \"TimeToLiveSpecification\": {\n        \"Enabled\": true,\n        \"AttributeName\": \"expires\"\n    }\n}\n")
        let describeOn = try cairn(["describe-time-to-live", "--db", dir.db, "--table-name", "Music"])
        #expect(try describeOn.json()["TimeToLiveDescription"] as? [String: String]
            == ["TimeToLiveStatus": "ENABLED", "AttributeName": "expires"])
        let again = try cairn(["update-time-to-live", "--db", dir.db, "--table-name", "Music",
                               "--time-to-live-specification", #"{"Enabled": true, "AttributeName": "expires"}"#])
        #expect(again.status == 254)
        #expect(again.stderr == "\nAn error occurred (ValidationException) when calling the UpdateTimeToLive operation: TimeToLive is already enabled\n")
    }

    @Test func kvAndItemDatabasesShareTheDirectoryOnlyOneWay() throws {
        let dir = Scratch()
        // kv verbs work on a directory the item layer created.
        #expect(try createMusic(dir.db).status == 0)
        let stats = try cairn(["kv", "stats", "--db", dir.db])
        #expect(stats.status == 0, "\(stats.stderr)")
        let scan = try cairn(["kv", "scan", "--db", dir.db])
        #expect(scan.status == 0 && scan.stdout.contains("CAIRNITM"))
        #expect(try cairn(["list-tables", "--db", dir.db]).stdout.contains("Music"))

        // Item verbs on a plain key-value database refuse it clearly.
        let plain = dir.path + "/plain"
        #expect(try cairn(["kv", "put", "--db", plain, "k", "v"]).status == 0)
        let refused = try cairn(["list-tables", "--db", plain])
        #expect(refused.status == 255)
        #expect(refused.stderr.contains("Cannot open \(plain) as a Cairn item database"))
        #expect(refused.stderr.contains("plain key-value database"))
        #expect(try cairn(["kv", "get", "--db", plain, "k"]).stdout == "v\n")
        // The shell on it says so once and still runs kv verbs.
        let shell = try cairn(["--db", plain], stdin: "kv get k\nexit\n")
        #expect(shell.status == 0)
        #expect(shell.stdout == "v\n")
        #expect(shell.stderr.contains("plain key-value database"))
    }

    @Test func shellRunsTheSameVerbs() throws {
        let dir = Scratch()
        let script = #"""
            # a comment line
            create-table --table-name Shell --attribute-definitions AttributeName=pk,AttributeType=S --key-schema AttributeName=pk,KeyType=HASH --billing-mode PAY_PER_REQUEST
            put-item --table-name Shell --item '{"pk": {"S": "a b"}, "note": {"S": "it'\''s"}}'
            get-item --table-name Shell --key "{\"pk\": {\"S\": \"a b\"}}"
            put-item --table-name Nope --item '{"pk": {"S": "x"}}'
            list-tables
            kv put rawkey rawvalue
            kv get rawkey
            put x y
            help
            get-item --help
            put-item --item '{
            exit
            """#
        let run = try cairn(["--db", dir.db], stdin: script)
        #expect(run.status == 1, "a failed line makes a piped shell exit non-zero")
        #expect(run.stdout.contains("\"TableName\": \"Shell\""))
        #expect(run.stdout.contains("""
            {
                "Item": {
                    "note": {
                        "S": "it's"
                    },
                    "pk": {
                        "S": "a b"
                    }
                }
            }
            """))
        #expect(run.stdout.contains("{\n    \"TableNames\": [\n        \"Shell\"\n    ]\n}\n"))
        #expect(run.stderr.contains("\nAn error occurred (ResourceNotFoundException) when calling the PutItem operation: Requested resource not found\n"))
        #expect(run.stdout.contains("rawvalue\n"))
        #expect(run.stderr.contains("the key-value verbs are under kv: kv put x y"))
        #expect(run.stdout.contains("create-table") && run.stdout.contains("kv VERB"))
        #expect(run.stdout.contains("--projection-expression"), "get-item --help shows the verb's flags")
        #expect(run.stderr.contains("unterminated ' quote"))
        // The shell's writes are durable and visible to the one-shot command line.
        let get = try cairn(["get-item", "--db", dir.db, "--table-name", "Shell", "--key", "pk={S=a b}"])
        #expect(get.stdout.contains("it's"))
    }

    // MARK: - Needs the expression parser and evaluator (placeholders on this branch)

    @Test
    func conditionsUpdatesAndQueriesAfterExpressionsLand() throws {
        let dir = Scratch()
        #expect(try createMusic(dir.db).status == 0)
        for i in 1...4 {
            #expect(try cairn(["put-item", "--db", dir.db, "--table-name", "Music", "--item",
                               "pk={S=a},sk={N=\(i)},n={N=\(i * 10)}"]).status == 0)
        }
        // A failed condition: aws-cli's ConditionalCheckFailedException line, exit 254.
        let failed = try cairn(["put-item", "--db", dir.db, "--table-name", "Music",
                                "--item", #"{"pk": {"S": "a"}, "sk": {"N": "1"}}"#,
                                "--condition-expression", "attribute_not_exists(pk)"])
        #expect(failed.status == 254)
        #expect(failed.stderr == "\nAn error occurred (ConditionalCheckFailedException) when calling the PutItem operation: The conditional request failed\n")

        // update-item with names, values and ReturnValues.
        let update = try cairn(["update-item", "--db", dir.db, "--table-name", "Music", "--key", "pk={S=a},sk={N=2}",
                                "--update-expression", "SET #n = #n + :d, tag = :t",
                                "--expression-attribute-names", ##"{"#n": "n"}"##,
                                "--expression-attribute-values", #"{":d": {"N": "5"}, ":t": {"S": "x"}}"#,
                                "--return-values", "UPDATED_NEW"])
        #expect(update.status == 0, "\(update.stderr)")
        #expect(update.stdout == "{\n    \"Attributes\": {\n        \"n\": {\n            \"N\": \"25\"\n        },\n        \"tag\": {\n            \"S\": \"x\"\n        }\n    }\n}\n")

        // query with a key condition, a filter, descending order and a projection.
        let query = try cairn(["query", "--db", dir.db, "--table-name", "Music",
                               "--key-condition-expression", "pk = :p AND sk >= :lo",
                               "--filter-expression", "n > :min", "--projection-expression", "sk",
                               "--expression-attribute-values", #"{":p": {"S": "a"}, ":lo": {"N": "2"}, ":min": {"N": "20"}}"#,
                               "--no-scan-index-forward"])
        #expect(query.status == 0, "\(query.stderr)")
        #expect(query.stdout == """
            {
                "Items": [
                    {
                        "sk": {
                            "N": "4"
                        }
                    },
                    {
                        "sk": {
                            "N": "3"
                        }
                    },
                    {
                        "sk": {
                            "N": "2"
                        }
                    }
                ],
                "Count": 3,
                "ScannedCount": 3
            }

            """)
        // query pages with --limit: one page with LastEvaluatedKey; --max-items resumes.
        let page = try cairn(["query", "--db", dir.db, "--table-name", "Music", "--key-condition-expression", "pk = :p",
                              "--expression-attribute-values", #"{":p": {"S": "a"}}"#, "--limit", "2"]).json()
        #expect((page["Items"] as? [Any])?.count == 2 && page["LastEvaluatedKey"] != nil)

        // The same in the shell, with the expression quoted.
        let shell = try cairn(["--db", dir.db], stdin: """
            query --table-name Music --key-condition-expression 'pk = :p AND sk = :s' --expression-attribute-values '{":p": {"S": "a"}, ":s": {"N": "1"}}'
            delete-item --table-name Music --key 'pk={S=a},sk={N=1}' --condition-expression 'n = :v' --expression-attribute-values '{":v": {"N": "999"}}'
            """)
        #expect(shell.stdout.contains("\"Count\": 1"))
        #expect(shell.stderr.contains("(ConditionalCheckFailedException) when calling the DeleteItem operation"))
    }
}
