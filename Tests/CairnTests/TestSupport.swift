import Testing
@testable import Cairn
/// A small seeded generator (an LCG) for reproducible random tests.
struct Rng {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 11
    }
    /// A value in 0..<n.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

import CairnLSM

/// Opens an item database on an in-memory file system.
func memoryDatabase(_ fs: MemoryFileSystem = MemoryFileSystem(), path: String = "/db") throws -> ItemDatabase {
    var options = ItemDatabase.Options()
    options.storage.fileSystem = fs
    return try ItemDatabase.open(path, options: options)
}

/// A CreateTable request with PAY_PER_REQUEST billing.
func tableRequest(_ name: String, _ partitionKey: (String, KeyAttribute.KeyType),
                  _ sortKey: (String, KeyAttribute.KeyType)? = nil) -> CreateTableInput {
    CreateTableInput(tableName: name, partitionKey: partitionKey, sortKey: sortKey)
}

/// Runs `body`, which must throw a DynamoDBError named `name`; returns its message.
@discardableResult
func dynamoError(_ name: String = "ValidationException", _ body: () throws -> Void) -> String? {
    do {
        try body()
        Issue.record("expected \(name), but nothing was thrown")
        return nil
    } catch let error as DynamoDBError {
        #expect(error.name == name, "\(error)")
        return error.message
    } catch {
        Issue.record("expected \(name), got \(error)")
        return nil
    }
}

/// Opens the item database in every crash image in turn (with `options` on that image's file
/// system) and runs `check` on it, which returns a problem or nil. Returns the number of images
/// that failed (a problem, or an error), recording the first three. An image whose table was
/// not yet durably created (ResourceNotFoundException) is skipped when `allowMissingTable`.
func checkEveryCrashImage(
    _ images: [MemoryFileSystem], options: ItemDatabase.Options, allowMissingTable: Bool = true,
    _ check: (ItemDatabase) throws -> String?
) -> Int {
    var failures = 0
    for image in images {
        var reopen = options
        reopen.storage.fileSystem = image
        do {
            let recovered = try ItemDatabase.open("/db", options: reopen)
            defer { try? recovered.close() }
            if let problem = try check(recovered) {
                failures += 1
                if failures <= 3 { Issue.record(Comment(rawValue: problem)) }
            }
        } catch let error as DynamoDBError where allowMissingTable && error.name == "ResourceNotFoundException" {
            continue
        } catch {
            failures += 1
            if failures <= 3 { Issue.record("\(error)") }
        }
    }
    return failures
}
