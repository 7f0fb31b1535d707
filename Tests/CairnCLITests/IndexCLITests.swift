import Foundation
import Testing

/// Secondary indexes through the built `cairn` binary, as an `aws dynamodb` user would drive
/// them: create-table's `--local-secondary-indexes` / `--global-secondary-indexes` (JSON,
/// `file://` and shorthand), update-table's `--global-secondary-index-updates`, `query` and
/// `scan` with `--index-name`, describe-table's index descriptions, and `cairn verify`.
///
/// Every command is a new process. An EVENTUAL global index is updated by a background
/// thread, so its reads come after `cairn verify`, which applies the pending index work.
@Suite struct IndexCLITests {
    let cli = ItemCLITests()

    /// The local index of the JSON tests: the table's partition key, sorted by Album,
    /// projecting Title.
    static let albumIndexJSON = #"""
        [{"IndexName": "ByAlbum",
          "KeySchema": [{"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "Album", "KeyType": "RANGE"}],
          "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["Title"]}}]
        """#
    /// The global index of the JSON tests: by Released (N), projecting Title, eventual.
    static let releasedIndexJSON = #"""
        [{"IndexName": "ByReleased",
          "KeySchema": [{"AttributeName": "Released", "KeyType": "HASH"}],
          "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["Title"]}}]
        """#

    static let musicDefinitions = [
        "--attribute-definitions", "AttributeName=Artist,AttributeType=S", "AttributeName=Song,AttributeType=S",
        "AttributeName=Album,AttributeType=S", "AttributeName=Released,AttributeType=N",
        "--key-schema", "AttributeName=Artist,KeyType=HASH", "AttributeName=Song,KeyType=RANGE",
    ]

    /// The `S` values of attribute `name` of the response's Items, in order (nil where absent).
    static func values(_ run: ItemCLITests.Run, _ name: String) throws -> [String?] {
        let items = try #require(try run.json()["Items"] as? [[String: Any]], "no Items in \(run.stdout)")
        return items.map { ($0[name] as? [String: String])?["S"] }
    }

    /// The attribute names of each of the response's Items.
    static func attributeNames(_ run: ItemCLITests.Run) throws -> [[String]] {
        let items = try #require(try run.json()["Items"] as? [[String: Any]], "no Items in \(run.stdout)")
        return items.map { $0.keys.sorted() }
    }

    /// One index's description from describe-table's output, by name.
    static func index(_ description: [String: Any], _ member: String, _ name: String) throws -> [String: Any] {
        let indexes = try #require(description[member] as? [[String: Any]], "no \(member) in \(description)")
        return try #require(indexes.first { $0["IndexName"] as? String == name }, "no index \(name) in \(indexes)")
    }

    func put(_ db: [String], _ item: String) throws {
        let run = try cli.cairn(["put-item", "--table-name", "Music", "--item", item] + db)
        #expect(run.status == 0, "\(run.stderr)")
    }

    /// Items of artist A (three with an Album, one without) and of artist C.
    func putSongs(_ db: [String]) throws {
        try put(db, #"{"Artist": {"S": "A"}, "Song": {"S": "s1"}, "Album": {"S": "Zeta"}, "Released": {"N": "2001"}, "Title": {"S": "One"}, "Extra": {"S": "e"}}"#)
        try put(db, #"{"Artist": {"S": "A"}, "Song": {"S": "s2"}, "Album": {"S": "Beta"}, "Released": {"N": "2001"}}"#)
        try put(db, #"{"Artist": {"S": "A"}, "Song": {"S": "s3"}, "Album": {"S": "Mu"}, "Released": {"N": "1999"}}"#)
        try put(db, #"{"Artist": {"S": "A"}, "Song": {"S": "s5"}}"#)
        try put(db, #"{"Artist": {"S": "C"}, "Song": {"S": "s4"}, "Released": {"N": "2001"}, "Title": {"S": "Four"}}"#)
    }

    @Test func jsonIndexesAreQueriedDescribedAndVerified() throws {
        let scratch = ItemCLITests.Scratch()
        let db = ["--db", scratch.db]
        let gsiFile = scratch.path + "/gsi.json"
        try Self.releasedIndexJSON.write(toFile: gsiFile, atomically: true, encoding: .utf8)
        let created = try cli.cairn(["create-table", "--table-name", "Music"] + Self.musicDefinitions + [
            "--local-secondary-indexes", Self.albumIndexJSON,
            "--global-secondary-indexes", "file://" + gsiFile,
            "--billing-mode", "PAY_PER_REQUEST",
        ] + db)
        #expect(created.status == 0, "\(created.stderr)")
        let table = try #require(try created.json()["TableDescription"] as? [String: Any])
        let lsi = try Self.index(table, "LocalSecondaryIndexes", "ByAlbum")
        #expect(lsi["KeySchema"] as? [[String: String]]
            == [["AttributeName": "Artist", "KeyType": "HASH"], ["AttributeName": "Album", "KeyType": "RANGE"]])
        #expect(lsi["Projection"] as? NSDictionary == ["ProjectionType": "INCLUDE", "NonKeyAttributes": ["Title"]] as NSDictionary)
        #expect(lsi["IndexArn"] as? String == "arn:aws:dynamodb:local:000000000000:table/Music/index/ByAlbum")
        let gsi = try Self.index(table, "GlobalSecondaryIndexes", "ByReleased")
        #expect(gsi["IndexStatus"] as? String == "ACTIVE")
        #expect(gsi["Consistency"] as? String == "EVENTUAL")
        #expect(gsi["KeySchema"] as? [[String: String]] == [["AttributeName": "Released", "KeyType": "HASH"]])

        // aws-cli's layout: the index lists where the model puts them, and each index's
        // members in the model's order (Cairn's Consistency last).
        let text = created.stdout
        func position(_ s: String, after start: String.Index? = nil) -> String.Index? {
            text.range(of: s, range: (start ?? text.startIndex)..<text.endIndex)?.lowerBound
        }
        let tableOrder = ["\"BillingModeSummary\"", "\"LocalSecondaryIndexes\"", "\"GlobalSecondaryIndexes\"",
                          "\"DeletionProtectionEnabled\""].map { position($0) }
        #expect(tableOrder.allSatisfy { $0 != nil } && tableOrder.compactMap { $0 } == tableOrder.compactMap { $0 }.sorted())
        let gsiStart = try #require(position("\"GlobalSecondaryIndexes\""))
        let gsiOrder = ["\"IndexName\"", "\"KeySchema\"", "\"Projection\"", "\"IndexStatus\"", "\"ProvisionedThroughput\"",
                        "\"IndexSizeBytes\"", "\"ItemCount\"", "\"IndexArn\"", "\"Consistency\""].map { position($0, after: gsiStart) }
        #expect(gsiOrder.allSatisfy { $0 != nil } && gsiOrder.compactMap { $0 } == gsiOrder.compactMap { $0 }.sorted(),
                "\(text)")

        try putSongs(db)

        // The local index: artist A's songs in Album order, s5 (no Album) left out, Title
        // projected and Extra not.
        let byAlbum = ["query", "--table-name", "Music", "--index-name", "ByAlbum",
                       "--key-condition-expression", "Artist = :a", "--expression-attribute-values", #"{":a": {"S": "A"}}"#] + db
        let albums = try cli.cairn(byAlbum)
        #expect(albums.status == 0, "\(albums.stderr)")
        #expect(try Self.values(albums, "Song") == ["s2", "s3", "s1"])
        #expect(try Self.attributeNames(albums) == [["Album", "Artist", "Song"], ["Album", "Artist", "Song"],
                                                    ["Album", "Artist", "Song", "Title"]])
        let backwards = try cli.cairn(byAlbum + ["--no-scan-index-forward"])
        #expect(try Self.values(backwards, "Song") == ["s1", "s3", "s2"])
        // Pages of one entry each: every request resumes from the index's LastEvaluatedKey.
        let paged = try cli.cairn(byAlbum + ["--page-size", "1"])
        #expect(paged.status == 0, "\(paged.stderr)")
        #expect(try Self.values(paged, "Song") == ["s2", "s3", "s1"])
        let onePage = try cli.cairn(byAlbum + ["--limit", "2"])
        let lastKey = try #require(try onePage.json()["LastEvaluatedKey"] as? [String: [String: String]])
        #expect(lastKey == ["Artist": ["S": "A"], "Song": ["S": "s3"], "Album": ["S": "Mu"]])
        let ranged = try cli.cairn(["query", "--table-name", "Music", "--index-name", "ByAlbum",
                                    "--key-condition-expression", "Artist = :a AND Album BETWEEN :x AND :y",
                                    "--expression-attribute-values", #"{":a": {"S": "A"}, ":x": {"S": "C"}, ":y": {"S": "Zz"}}"#] + db)
        #expect(try Self.values(ranged, "Song") == ["s3", "s1"])
        // Asking a local index for an attribute it does not project fetches the item.
        let fetched = try cli.cairn(byAlbum + ["--projection-expression", "Song, Extra"])
        #expect(try Self.values(fetched, "Extra") == [nil, nil, "e"])

        // verify applies the eventual index's pending work and checks both indexes.
        let verified = try cli.cairn(["verify"] + db)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stderr.isEmpty, "\(verified.stderr)")
        let lines = verified.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("storage OK: ") == true, "\(verified.stdout)")
        #expect(lines.dropFirst() == [
            "table Music, index ByAlbum: OK, 3 entries expected, 3 stored, 0 missing, 0 extra, 0 wrong",
            "table Music, index ByReleased: OK, 4 entries expected, 4 stored, 0 missing, 0 extra, 0 wrong",
        ])

        // The global index: every artist's songs of 2001, with the projected Title only.
        let released = try cli.cairn(["query", "--table-name", "Music", "--index-name", "ByReleased",
                                      "--key-condition-expression", "Released = :r",
                                      "--expression-attribute-values", #"{":r": {"N": "2001"}}"#] + db)
        #expect(released.status == 0, "\(released.stderr)")
        #expect(Set(try Self.values(released, "Song").compactMap { $0 }) == ["s1", "s2", "s4"])
        #expect(try Self.attributeNames(released).allSatisfy { Set($0).isSubset(of: ["Artist", "Song", "Released", "Title"]) })
        #expect(try Self.values(released, "Title").compactMap { $0 }.sorted() == ["Four", "One"])
        #expect((try released.json()["Count"] as? Int) == 3)
        let releasedPaged = try cli.cairn(["query", "--table-name", "Music", "--index-name", "ByReleased", "--page-size", "2",
                                           "--key-condition-expression", "Released = :r",
                                           "--expression-attribute-values", #"{":r": {"N": "2001"}}"#] + db)
        #expect(try Self.values(releasedPaged, "Song") == (try Self.values(released, "Song")))

        // Scan of an index reads its entries only (the sparse index has no s5).
        let scanned = try cli.cairn(["scan", "--table-name", "Music", "--index-name", "ByReleased"] + db)
        #expect(scanned.status == 0, "\(scanned.stderr)")
        #expect(Set(try Self.values(scanned, "Song").compactMap { $0 }) == ["s1", "s2", "s3", "s4"])
        let scannedLocal = try cli.cairn(["scan", "--table-name", "Music", "--index-name", "ByAlbum", "--select", "COUNT"] + db)
        #expect((try scannedLocal.json()["Count"] as? Int) == 3)

        // The index counts in describe-table.
        let described = try cli.cairn(["describe-table", "--table-name", "Music"] + db)
        #expect(described.status == 0, "\(described.stderr)")
        let tableNow = try #require(try described.json()["Table"] as? [String: Any])
        #expect(try Self.index(tableNow, "LocalSecondaryIndexes", "ByAlbum")["ItemCount"] as? Int == 3)
        #expect(try Self.index(tableNow, "GlobalSecondaryIndexes", "ByReleased")["ItemCount"] as? Int == 4)

        // DynamoDB's refusals, as aws-cli prints them.
        let consistent = try cli.cairn(["query", "--table-name", "Music", "--index-name", "ByReleased", "--consistent-read",
                                        "--key-condition-expression", "Released = :r",
                                        "--expression-attribute-values", #"{":r": {"N": "2001"}}"#] + db)
        #expect(consistent.status == 254)
        #expect(consistent.stderr.contains(
            "(ValidationException) when calling the Query operation: Consistent reads are not supported on global secondary indexes"))
        let missing = try cli.cairn(["scan", "--table-name", "Music", "--index-name", "Nope"] + db)
        #expect(missing.status == 254)
        #expect(missing.stderr.contains(
            "(ValidationException) when calling the Scan operation: The table does not have the specified index: Nope"))
    }

    @Test func shorthandIndexesEqualTheirJSONForm() throws {
        let scratch = ItemCLITests.Scratch()
        let db = ["--db", scratch.db]
        let lsiJSON = #"[{"IndexName": "ByAlbum", "KeySchema": [{"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "Album", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}]"#
        let gsiJSON = #"""
            [{"IndexName": "ByReleased", "KeySchema": [{"AttributeName": "Released", "KeyType": "HASH"}, {"AttributeName": "Song", "KeyType": "RANGE"}],
              "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["Title"]},
              "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 4}, "Consistency": "STRONG"},
             {"IndexName": "ByAlbumAll", "KeySchema": [{"AttributeName": "Album", "KeyType": "HASH"}],
              "Projection": {"ProjectionType": "ALL"}, "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 2}}]
            """#
        let common = Self.musicDefinitions + ["--provisioned-throughput", "ReadCapacityUnits=5,WriteCapacityUnits=5"] + db
        let viaJSON = try cli.cairn(["create-table", "--table-name", "ViaJSON", "--local-secondary-indexes", lsiJSON,
                                     "--global-secondary-indexes", gsiJSON] + common)
        #expect(viaJSON.status == 0, "\(viaJSON.stderr)")
        // aws-cli's shorthand: one structure per word; a scalar where a list belongs
        // (NonKeyAttributes=Title) is a one-element list; numbers typed by the model.
        let viaShorthand = try cli.cairn(["create-table", "--table-name", "Music", "--local-secondary-indexes",
            "IndexName=ByAlbum,KeySchema=[{AttributeName=Artist,KeyType=HASH},{AttributeName=Album,KeyType=RANGE}],Projection={ProjectionType=KEYS_ONLY}",
            "--global-secondary-indexes",
            "IndexName=ByReleased,KeySchema=[{AttributeName=Released,KeyType=HASH},{AttributeName=Song,KeyType=RANGE}],Projection={ProjectionType=INCLUDE,NonKeyAttributes=Title},ProvisionedThroughput={ReadCapacityUnits=3,WriteCapacityUnits=4},Consistency=STRONG",
            "IndexName=ByAlbumAll,KeySchema=[{AttributeName=Album,KeyType=HASH}],Projection={ProjectionType=ALL},ProvisionedThroughput={ReadCapacityUnits=1,WriteCapacityUnits=2}",
        ] + common)
        #expect(viaShorthand.status == 0, "\(viaShorthand.stderr)")

        func indexes(_ run: ItemCLITests.Run) throws -> [String: NSArray] {
            let table = try #require(try run.json()["TableDescription"] as? [String: Any])
            var out: [String: NSArray] = [:]
            for member in ["LocalSecondaryIndexes", "GlobalSecondaryIndexes"] {
                let list = try #require(table[member] as? [[String: Any]], "no \(member)")
                out[member] = list.map { index -> NSDictionary in
                    var index = index
                    index["IndexArn"] = nil  // names the table
                    return index as NSDictionary
                } as NSArray
            }
            return out
        }
        let shorthandIndexes = try indexes(viaShorthand)
        #expect(shorthandIndexes == (try indexes(viaJSON)))
        let strong = try Self.index(try #require(try viaShorthand.json()["TableDescription"] as? [String: Any]),
                                    "GlobalSecondaryIndexes", "ByReleased")
        #expect(strong["Consistency"] as? String == "STRONG")
        #expect(strong["ProvisionedThroughput"] as? [String: Int]
            == ["NumberOfDecreasesToday": 0, "ReadCapacityUnits": 3, "WriteCapacityUnits": 4])

        try putSongs(db)
        // A STRONG global index is written with the item: the next process reads it at once,
        // with ConsistentRead, sorted by its sort key.
        let strongRead = try cli.cairn(["query", "--table-name", "Music", "--index-name", "ByReleased", "--consistent-read",
                                        "--key-condition-expression", "Released = :r",
                                        "--expression-attribute-values", #"{":r": {"N": "2001"}}"#] + db)
        #expect(strongRead.status == 0, "\(strongRead.stderr)")
        #expect(try Self.values(strongRead, "Song") == ["s1", "s2", "s4"])
        // A KEYS_ONLY local index returns the keys only.
        let keysOnly = try cli.cairn(["query", "--table-name", "Music", "--index-name", "ByAlbum",
                                      "--key-condition-expression", "Artist = :a",
                                      "--expression-attribute-values", #"{":a": {"S": "A"}}"#] + db)
        #expect(try Self.attributeNames(keysOnly) == Array(repeating: ["Album", "Artist", "Song"], count: 3))

        let verified = try cli.cairn(["verify"] + db)
        #expect(verified.status == 0, "\(verified.stderr)")
        let lines = verified.stdout.split(separator: "\n").dropFirst()
        #expect(lines.count == 6, "\(verified.stdout)")  // three indexes of each table
        #expect(lines.allSatisfy { $0.contains(": OK, ") && $0.hasSuffix(" 0 missing, 0 extra, 0 wrong") })
        #expect(lines.contains("table Music, index ByAlbumAll: OK, 3 entries expected, 3 stored, 0 missing, 0 extra, 0 wrong"))
        let global = try cli.cairn(["query", "--table-name", "Music", "--index-name", "ByAlbumAll",
                                    "--key-condition-expression", "Album = :a",
                                    "--expression-attribute-values", #"{":a": {"S": "Zeta"}}"#] + db)
        #expect(try Self.values(global, "Extra") == ["e"])

        // Bad index flags fail as aws-cli's do, before anything is created.
        let unknown = try cli.cairn(["create-table", "--table-name", "Bad", "--global-secondary-indexes",
            #"[{"IndexName": "Gsi", "KeySchema": [{"AttributeName": "Album", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}, "Bogus": 1}]"#,
        ] + common)
        #expect(unknown.status == 252)
        #expect(unknown.stderr.contains(#"Unknown parameter in GlobalSecondaryIndexes[0]: "Bogus", must be one of: IndexName, KeySchema, Projection, ProvisionedThroughput, Consistency"#),
                "\(unknown.stderr)")
        let missingProjection = try cli.cairn(["create-table", "--table-name", "Bad", "--local-secondary-indexes",
            "IndexName=Lsi,KeySchema=[{AttributeName=Artist,KeyType=HASH},{AttributeName=Album,KeyType=RANGE}]"] + common)
        #expect(missingProjection.status == 252)
        #expect(missingProjection.stderr.contains(#"Missing required parameter in LocalSecondaryIndexes[0]: "Projection""#),
                "\(missingProjection.stderr)")
        let badShorthand = try cli.cairn(["create-table", "--table-name", "Bad", "--local-secondary-indexes",
                                          "IndexName=Lsi,KeySchema=[{AttributeName=Artist"] + common)
        #expect(badShorthand.status == 252)
        #expect(badShorthand.stderr.hasPrefix("\nError parsing parameter '--local-secondary-indexes': "))
        let badNumber = try cli.cairn(["create-table", "--table-name", "Bad", "--global-secondary-indexes",
            "IndexName=Gsi,KeySchema=[{AttributeName=Album,KeyType=HASH}],Projection={ProjectionType=ALL},ProvisionedThroughput={ReadCapacityUnits=x,WriteCapacityUnits=1}"] + common)
        #expect(badNumber.status == 252)
        #expect(badNumber.stderr.contains("invalid literal for int() with base 10: 'x'"))
        let tables = try cli.cairn(["list-tables"] + db)
        #expect(tables.stdout == "{\n    \"TableNames\": [\n        \"Music\",\n        \"ViaJSON\"\n    ]\n}\n")
    }

    @Test func updateTableCreatesAndDeletesAGlobalIndex() throws {
        let scratch = ItemCLITests.Scratch()
        let db = ["--db", scratch.db]
        let created = try cli.cairn(["create-table", "--table-name", "Music", "--attribute-definitions",
                                     "AttributeName=Artist,AttributeType=S", "AttributeName=Song,AttributeType=S",
                                     "--key-schema", "AttributeName=Artist,KeyType=HASH", "AttributeName=Song,KeyType=RANGE",
                                     "--billing-mode", "PAY_PER_REQUEST"] + db)
        #expect(created.status == 0, "\(created.stderr)")
        let table = try #require(try created.json()["TableDescription"] as? [String: Any])
        #expect(table["GlobalSecondaryIndexes"] == nil)
        for (n, genre) in ["rock", "jazz", "rock"].enumerated() {
            try put(db, #"{"Artist": {"S": "A"}, "Song": {"S": "s\#(n)"}, "Genre": {"S": "\#(genre)"}}"#)
        }

        // Create (JSON): the response shows the index CREATING, backfilling the items there.
        let create = try cli.cairn(["update-table", "--table-name", "Music",
                                    "--attribute-definitions", "AttributeName=Genre,AttributeType=S",
                                    "--global-secondary-index-updates",
                                    #"[{"Create": {"IndexName": "ByGenre", "KeySchema": [{"AttributeName": "Genre", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}}]"#,
        ] + db)
        #expect(create.status == 0, "\(create.stderr)")
        let creating = try Self.index(try #require(try create.json()["TableDescription"] as? [String: Any]),
                                      "GlobalSecondaryIndexes", "ByGenre")
        #expect(creating["IndexStatus"] as? String == "CREATING")
        #expect(creating["Backfilling"] as? Bool == true)

        // verify finishes the backfill, then checks the index.
        let verified = try cli.cairn(["verify"] + db)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.hasSuffix(
            "\ntable Music, index ByGenre: OK, 3 entries expected, 3 stored, 0 missing, 0 extra, 0 wrong\n"), "\(verified.stdout)")
        let described = try cli.cairn(["describe-table", "--table-name", "Music"] + db)
        let active = try Self.index(try #require(try described.json()["Table"] as? [String: Any]), "GlobalSecondaryIndexes", "ByGenre")
        #expect(active["IndexStatus"] as? String == "ACTIVE")
        #expect(active["Backfilling"] == nil)
        #expect(active["ItemCount"] as? Int == 3)
        let rock = try cli.cairn(["query", "--table-name", "Music", "--index-name", "ByGenre",
                                  "--key-condition-expression", "Genre = :g",
                                  "--expression-attribute-values", #"{":g": {"S": "rock"}}"#] + db)
        #expect(rock.status == 0, "\(rock.stderr)")
        #expect(try Self.values(rock, "Song") == ["s0", "s2"])

        // A second index in shorthand, and Update of its throughput (recorded).
        let second = try cli.cairn(["update-table", "--table-name", "Music",
                                    "--attribute-definitions", "AttributeName=Song,AttributeType=S",
                                    "--global-secondary-index-updates",
                                    "Create={IndexName=BySong,KeySchema=[{AttributeName=Song,KeyType=HASH}],Projection={ProjectionType=KEYS_ONLY}}",
        ] + db)
        #expect(second.status == 0, "\(second.stderr)")
        let names = try #require((try second.json()["TableDescription"] as? [String: Any])?["GlobalSecondaryIndexes"] as? [[String: Any]])
        #expect(names.map { $0["IndexName"] as? String } == ["ByGenre", "BySong"])

        // Delete (shorthand): DELETING in the answer, as DynamoDB reports it, then gone from
        // the description and from reads.
        let delete = try cli.cairn(["update-table", "--table-name", "Music",
                                    "--global-secondary-index-updates", "Delete={IndexName=ByGenre}"] + db)
        #expect(delete.status == 0, "\(delete.stderr)")
        let after = try #require(try delete.json()["TableDescription"] as? [String: Any])
        let left = try #require(after["GlobalSecondaryIndexes"] as? [[String: Any]])
        #expect(left.map { $0["IndexName"] as? String } == ["BySong", "ByGenre"])
        #expect(left.map { $0["IndexStatus"] as? String } == ["ACTIVE", "DELETING"])
        let describedAfter = try cli.cairn(["describe-table", "--table-name", "Music"] + db)
        let remaining = try #require((try describedAfter.json()["Table"] as? [String: Any])?["GlobalSecondaryIndexes"] as? [[String: Any]])
        #expect(remaining.map { $0["IndexName"] as? String } == ["BySong"])
        let gone = try cli.cairn(["query", "--table-name", "Music", "--index-name", "ByGenre",
                                  "--key-condition-expression", "Genre = :g",
                                  "--expression-attribute-values", #"{":g": {"S": "rock"}}"#] + db)
        #expect(gone.status == 254)
        #expect(gone.stderr.contains("The table does not have the specified index: ByGenre"))
        let finalCheck = try cli.cairn(["verify"] + db)
        #expect(finalCheck.status == 0, "\(finalCheck.stderr)")
        #expect(!finalCheck.stdout.contains("ByGenre"))
        #expect(finalCheck.stdout.contains("table Music, index BySong: OK, 3 entries expected, 3 stored"))

        // Deleting it again is DynamoDB's error.
        let again = try cli.cairn(["update-table", "--table-name", "Music",
                                   "--global-secondary-index-updates", "Delete={IndexName=ByGenre}"] + db)
        #expect(again.status == 254, "\(again.stderr)")
        #expect(again.stderr.contains("when calling the UpdateTable operation"))
    }

    @Test func verifyReportsADamagedIndexAndNeverCreatesADatabase() throws {
        let scratch = ItemCLITests.Scratch()
        let db = ["--db", scratch.db]

        // No database: one line, non-zero, nothing created.
        let none = try cli.cairn(["verify"] + db)
        #expect(none.status != 0)
        #expect(none.stdout.isEmpty)
        #expect(none.stderr.hasPrefix("error: ") && none.stderr.contains("no database at"), "\(none.stderr)")
        #expect(none.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: scratch.db))

        // A table without indexes.
        let keys = ["--key-schema", "AttributeName=Artist,KeyType=HASH", "AttributeName=Song,KeyType=RANGE",
                    "--billing-mode", "PAY_PER_REQUEST", "--attribute-definitions",
                    "AttributeName=Artist,AttributeType=S", "AttributeName=Song,AttributeType=S"]
        #expect(try cli.cairn(["create-table", "--table-name", "Music"] + keys + db).status == 0)
        let plain = try cli.cairn(["verify"] + db)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.hasPrefix("storage OK: ") && plain.stdout.hasSuffix("\nno secondary indexes\n"), "\(plain.stdout)")

        // A local index whose entry is deleted under it (with the kv verbs, which write raw
        // keys): verify names it and fails.
        let indexed = try cli.cairn(["create-table", "--table-name", "Indexed"] + keys + [
            "AttributeName=Album,AttributeType=S", "--local-secondary-indexes", Self.albumIndexJSON] + db)
        #expect(indexed.status == 0, "\(indexed.stderr)")
        let item = #"{"Artist": {"S": "A"}, "Song": {"S": "s1"}, "Album": {"S": "Zeta"}}"#
        #expect(try cli.cairn(["put-item", "--table-name", "Indexed", "--item", item] + db).status == 0)
        #expect(try cli.cairn(["verify"] + db).status == 0)
        let raw = try cli.cairn(["kv", "scan", "--hex"] + db)
        // Index entries are the keys under 0x04 (Docs/index_format.md).
        let entries = raw.stdout.split(separator: "\n").compactMap { $0.split(separator: "\t").first }.filter { $0.hasPrefix("04") }
        #expect(entries.count == 1, "\(raw.stdout)")
        let entry = try #require(entries.first)
        #expect(try cli.cairn(["kv", "delete", "--hex", String(entry)] + db).status == 0)
        let damaged = try cli.cairn(["verify"] + db)
        #expect(damaged.status == 1)
        #expect(damaged.stdout.contains(
            "table Indexed, index ByAlbum: INCONSISTENT, 1 entries expected, 0 stored, 1 missing, 0 extra, 0 wrong"), "\(damaged.stdout)")
        #expect(damaged.stderr == "error: 1 of 1 secondary indexes differ from their tables: Indexed/ByAlbum\n")
    }

    @Test func theShellRunsTheIndexVerbs() throws {
        let scratch = ItemCLITests.Scratch()
        let lines = [
            "create-table --table-name Music --attribute-definitions AttributeName=Artist,AttributeType=S AttributeName=Song,AttributeType=S AttributeName=Released,AttributeType=N --key-schema AttributeName=Artist,KeyType=HASH AttributeName=Song,KeyType=RANGE --billing-mode PAY_PER_REQUEST --global-secondary-indexes 'IndexName=ByReleased,KeySchema=[{AttributeName=Released,KeyType=HASH}],Projection={ProjectionType=ALL}'",
            #"put-item --table-name Music --item '{"Artist": {"S": "A"}, "Song": {"S": "s1"}, "Released": {"N": "2001"}}'"#,
            #"put-item --table-name Music --item '{"Artist": {"S": "B"}, "Song": {"S": "s2"}, "Released": {"N": "1999"}}'"#,
            "verify",
            #"query --table-name Music --index-name ByReleased --key-condition-expression 'Released = :r' --expression-attribute-values '{":r": {"N": "1999"}}' --select COUNT"#,
            "help verify",
            "exit",
        ]
        let run = try cli.cairn(["shell", "--db", scratch.db], stdin: lines.joined(separator: "\n") + "\n")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("\ntable Music, index ByReleased: OK, 2 entries expected, 2 stored, 0 missing, 0 extra, 0 wrong\n"),
                "\(run.stdout)")
        #expect(run.stdout.contains("{\n    \"Count\": 1,\n    \"ScannedCount\": 1\n}\n"), "\(run.stdout)")
        #expect(run.stdout.contains("USAGE: verify"), "\(run.stdout)")

        // The shell lists verify; the same database then verifies from the command line.
        let help = try cli.cairn(["shell", "--db", scratch.db], stdin: "help\n")
        #expect(help.stdout.contains("\n  verify "))
        let verified = try cli.cairn(["verify", "--db", scratch.db])
        #expect(verified.status == 0, "\(verified.stderr)")

        // Read-only, verify cannot apply index work: it says so and the line fails.
        let readOnly = try cli.cairn(["shell", "--read-only", "--db", scratch.db], stdin: "verify\n")
        #expect(readOnly.status == 1)
        #expect(readOnly.stderr.contains("error: verify applies pending index work and needs the database open for writing"))
    }
}
