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
    var schema = [KeySchemaElement(attributeName: partitionKey.0, keyType: .hash)]
    var definitions = [AttributeDefinition(attributeName: partitionKey.0, attributeType: partitionKey.1)]
    if let sortKey {
        schema.append(KeySchemaElement(attributeName: sortKey.0, keyType: .range))
        definitions.append(AttributeDefinition(attributeName: sortKey.0, attributeType: sortKey.1))
    }
    return CreateTableInput(tableName: name, keySchema: schema, attributeDefinitions: definitions)
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
