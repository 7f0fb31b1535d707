import Testing
@testable import Cairn

@Suite struct KeyAttributeTests {
    let pk = KeyAttribute(name: "pk", type: .s, isPartitionKey: true)
    let sk = KeyAttribute(name: "sk", type: .b, isPartitionKey: false)
    let nk = KeyAttribute(name: "n", type: .n, isPartitionKey: false)

    func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let e as DynamoDBError {
            return e.name == "ValidationException" ? e.message : "\(e)"
        } catch {
            return "\(error)"
        }
    }

    @Test func keyValuesFollowDynamoDBsRules() throws {
        try pk.validate(.s(String(repeating: "é", count: 1024)))  // 2048 bytes: the limit
        #expect(message { try pk.validate(.s(String(repeating: "é", count: 1024) + "x")) }?
            .contains("Size of hashkey has exceeded the maximum size limit of 2048 bytes") == true)
        try sk.validate(.b([UInt8](repeating: 1, count: 1024)))
        #expect(message { try sk.validate(.b([UInt8](repeating: 1, count: 1025))) }?
            .contains("Aggregated size of all range keys has exceeded the size limit of 1024 bytes") == true)
        #expect(message { try pk.validate(.s("")) }?.contains("cannot contain an empty string value. Key: pk") == true)
        #expect(message { try sk.validate(.b([])) }?.contains("cannot contain an empty binary value. Key: sk") == true)
        #expect(message { try pk.validate(.n(.zero)) }?.contains("Type mismatch for key pk expected: S actual: N") == true)
        #expect(message { try nk.validate(.bool(true)) }?.contains("expected: N actual: BOOL") == true)
        try nk.validate(.n(try Number(parsing: "-1e-130")))
    }
}
