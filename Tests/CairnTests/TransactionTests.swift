import CairnLSM
import Foundation
import Synchronization
import Testing
@testable import Cairn

@Suite("TransactionTests")
struct TransactionTests {
    /// Tables `accounts` (id S) and `ledger` (account S, seq N).
    static func bank(_ fs: MemoryFileSystem = MemoryFileSystem(), accounts: Int = 4, balance: Int = 100) throws -> ItemDatabase {
        let db = try memoryDatabase(fs)
        try db.createTable(tableRequest("accounts", ("id", .s)))
        try db.createTable(tableRequest("ledger", ("account", .s), ("seq", .n)))
        for i in 0..<accounts {
            try db.putItem(PutItemInput(tableName: "accounts", item: ["id": .s("a\(i)"), "balance": .n(Number(exactly: balance))]))
        }
        return db
    }

    /// A transfer of `amount` from `from` to `to`, refused if `from` would go negative.
    static func transfer(_ from: String, _ to: String, _ amount: Int, token: String? = nil) -> TransactWriteItemsInput {
        TransactWriteItemsInput(transactItems: [
            .update(.init(
                tableName: "accounts", key: ["id": .s(from)], updateExpression: "ADD balance :minus",
                conditionExpression: "balance >= :amount",
                expressionAttributeValues: [":minus": .n(Number(exactly: -amount)), ":amount": .n(Number(exactly: amount))],
                returnValuesOnConditionCheckFailure: .allOld)),
            .update(.init(
                tableName: "accounts", key: ["id": .s(to)], updateExpression: "ADD balance :plus",
                expressionAttributeValues: [":plus": .n(Number(exactly: amount))])),
        ], clientRequestToken: token)
    }

    static func balance(_ db: ItemDatabase, _ id: String) throws -> Int? {
        guard case .n(let n)? = try db.getItem(GetItemInput(tableName: "accounts", key: ["id": .s(id)])).item?["balance"] else {
            return nil
        }
        return Int(n.description)
    }

    @Test func allActionsCommitTogetherAcrossTables() throws {
        let db = try Self.bank()
        try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
            .conditionCheck(.init(tableName: "accounts", key: ["id": .s("a2")], conditionExpression: "attribute_exists(id)")),
            .update(.init(tableName: "accounts", key: ["id": .s("a0")], updateExpression: "SET balance = balance - :x",
                          expressionAttributeValues: [":x": .n(30)])),
            .put(.init(tableName: "ledger", item: ["account": .s("a0"), "seq": .n(1), "amount": .n(-30)],
                       conditionExpression: "attribute_not_exists(account)")),
            .delete(.init(tableName: "accounts", key: ["id": .s("a3")])),
        ]))
        #expect(try Self.balance(db, "a0") == 70)
        #expect(try Self.balance(db, "a3") == nil)
        #expect(try db.getItem(GetItemInput(tableName: "ledger", key: ["account": .s("a0"), "seq": .n(1)])).item?["amount"] == .n(-30))
    }

    @Test func aFailedConditionCancelsEverythingWithReasonsInOrder() throws {
        let db = try Self.bank()
        let error = try #require(throwsDynamoDBError {
            try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
                .put(.init(tableName: "ledger", item: ["account": .s("a1"), "seq": .n(1)])),
                .update(.init(tableName: "accounts", key: ["id": .s("a0")], updateExpression: "ADD balance :m",
                              conditionExpression: "balance >= :n",
                              expressionAttributeValues: [":m": .n(-500), ":n": .n(500)],
                              returnValuesOnConditionCheckFailure: .allOld)),
                .conditionCheck(.init(tableName: "accounts", key: ["id": .s("zz")], conditionExpression: "attribute_exists(id)")),
            ]))
        })
        #expect(error.name == "TransactionCanceledException")
        #expect(error.message == "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, ConditionalCheckFailed]")
        #expect(error.cancellationReasons == [
            .none,
            CancellationReason(code: "ConditionalCheckFailed", message: "The conditional request failed",
                               item: ["id": .s("a0"), "balance": .n(100)]),
            CancellationReason(code: "ConditionalCheckFailed", message: "The conditional request failed"),
        ])
        // Nothing was written: not even the unconditional put.
        #expect(try db.getItem(GetItemInput(tableName: "ledger", key: ["account": .s("a1"), "seq": .n(1)])).item == nil)
        #expect(try Self.balance(db, "a0") == 100)
    }

    @Test func anUpdateThatCannotApplyIsAValidationErrorReason() throws {
        let db = try Self.bank()
        try db.putItem(PutItemInput(tableName: "accounts", item: ["id": .s("s"), "balance": .s("text")]))
        let error = try #require(throwsDynamoDBError {
            try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
                .update(.init(tableName: "accounts", key: ["id": .s("a0")], updateExpression: "ADD balance :one",
                              expressionAttributeValues: [":one": .n(1)])),
                .update(.init(tableName: "accounts", key: ["id": .s("s")], updateExpression: "ADD balance :one",
                              expressionAttributeValues: [":one": .n(1)])),
            ]))
        })
        #expect(error.name == "TransactionCanceledException")
        #expect(error.cancellationReasons?.map(\.code) == ["None", "ValidationError"])
        #expect(error.cancellationReasons?[1].message?.contains("An operand in the update expression has an incorrect data type") == true)
        #expect(try Self.balance(db, "a0") == 100)
    }

    @Test func malformedTransactionsAreValidationErrors() throws {
        let db = try Self.bank()
        let check = TransactWriteItem.conditionCheck(.init(
            tableName: "accounts", key: ["id": .s("a0")], conditionExpression: "attribute_exists(id)"))
        #expect(dynamoError { try db.transactWriteItems(TransactWriteItemsInput(transactItems: [])) }
            == "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
        let many = (0..<101).map { i in
            TransactWriteItem.put(.init(tableName: "ledger", item: ["account": .s("x"), "seq": .n(Number(exactly: i))]))
        }
        #expect(dynamoError { try db.transactWriteItems(TransactWriteItemsInput(transactItems: many)) }?
            .hasSuffix("Member must have length less than or equal to 100") == true)
        try db.transactWriteItems(TransactWriteItemsInput(transactItems: Array(many.prefix(100))))  // 100 is fine
        #expect(dynamoError {
            try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
                check, .delete(.init(tableName: "accounts", key: ["id": .s("a0")])),
            ]))
        } == "Transaction request cannot include multiple operations on one item")
        var both = check
        both.delete = .init(tableName: "accounts", key: ["id": .s("a1")])
        #expect(dynamoError { try db.transactWriteItems(TransactWriteItemsInput(transactItems: [both])) }
            == "TransactItems can only contain one of Check, Put, Update or Delete")
        #expect(dynamoError { try db.transactWriteItems(TransactWriteItemsInput(transactItems: [TransactWriteItem()])) }
            == "TransactItems can only contain one of Check, Put, Update or Delete")
        dynamoError("ResourceNotFoundException") {
            try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
                .delete(.init(tableName: "nope", key: ["id": .s("a0")])),
            ]))
        }
        // An invalid item is a plain ValidationException, before anything runs.
        #expect(dynamoError {
            try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
                check, .put(.init(tableName: "ledger", item: ["account": .s(""), "seq": .n(1)])),
            ]))
        }?.contains("empty string value") == true)
        #expect(try Self.balance(db, "a0") == 100)
    }

    @Test func aClientRequestTokenMakesARetryANoOp() throws {
        let fs = MemoryFileSystem()
        var db = try Self.bank(fs)
        try db.transactWriteItems(Self.transfer("a0", "a1", 10, token: "token-1"))
        try db.transactWriteItems(Self.transfer("a0", "a1", 10, token: "token-1"))  // a retry: not run again
        #expect(try Self.balance(db, "a0") == 90)
        #expect(try Self.balance(db, "a1") == 110)
        #expect(dynamoError("IdempotentParameterMismatchException") {
            try db.transactWriteItems(Self.transfer("a0", "a1", 20, token: "token-1"))
        } != nil)
        // A cancelled transaction records nothing: its token can run the request later.
        #expect(throwsDynamoDBError { try db.transactWriteItems(Self.transfer("a2", "a3", 1_000, token: "token-2")) }?.name
            == "TransactionCanceledException")
        try db.putItem(PutItemInput(tableName: "accounts", item: ["id": .s("a2"), "balance": .n(5_000)]))
        try db.transactWriteItems(Self.transfer("a2", "a3", 1_000, token: "token-2"))
        #expect(try Self.balance(db, "a3") == 1_100)
        #expect(dynamoError {
            try db.transactWriteItems(Self.transfer("a0", "a1", 1, token: String(repeating: "t", count: 37)))
        }?.contains("Member must have length less than or equal to 36") == true)

        // The record is durable with the transaction: a crash and reopen still knows the token.
        try db.close()
        db = try memoryDatabase(fs.crashClone())
        try db.transactWriteItems(Self.transfer("a0", "a1", 10, token: "token-1"))
        #expect(try Self.balance(db, "a0") == 90)

        // After 10 minutes the token counts as new, and the sweeper's cleanup removes it.
        let token = try IdempotencyToken("token-1", request: Self.transfer("a0", "a1", 10, token: "token-1"))
        let now = db.currentTime()
        #expect(try token.alreadyCommitted(in: db.storage, now: now))
        #expect(try !token.alreadyCommitted(in: db.storage, now: now + ItemDatabase.idempotencyWindow + 1))
        #expect(try db.expireIdempotencyRecords(now: now) == 0)
        #expect(try db.expireIdempotencyRecords(now: now + ItemDatabase.idempotencyWindow + 1) == 2)
        try db.transactWriteItems(Self.transfer("a0", "a1", 10, token: "token-1"))
        #expect(try Self.balance(db, "a0") == 80)
    }

    @Test func tokensIgnoreTheOrderOfMapMembers() throws {
        let a = try IdempotencyToken("t", request: ["x": 1, "y": 2, "z": 3])
        let b = try IdempotencyToken("t", request: ["z": 3, "y": 2, "x": 1])
        let c = try IdempotencyToken("t", request: ["z": 3, "y": 2, "x": 4])
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint != c.fingerprint)
    }

    @Test func transactGetItemsReadsInOrderWithProjections() throws {
        let db = try Self.bank()
        let output = try db.transactGetItems(TransactGetItemsInput(transactItems: [
            TransactGetItem(get: .init(tableName: "accounts", key: ["id": .s("a1")])),
            TransactGetItem(get: .init(tableName: "accounts", key: ["id": .s("missing")])),
            TransactGetItem(get: .init(tableName: "accounts", key: ["id": .s("a0")], projectionExpression: "#b",
                                       expressionAttributeNames: ["#b": "balance"])),
        ]))
        #expect(output.responses.map(\.item) == [["id": .s("a1"), "balance": .n(100)], nil, ["balance": .n(100)]])
        let json = String(decoding: try JSONEncoder().encode(output), as: UTF8.self)
        #expect(json.contains("{}"))  // a missing item is an empty response, as in DynamoDB
        #expect(dynamoError {
            _ = try db.transactGetItems(TransactGetItemsInput(transactItems: [
                TransactGetItem(get: .init(tableName: "accounts", key: ["id": .s("a1")])),
                TransactGetItem(get: .init(tableName: "accounts", key: ["id": .s("a1")])),
            ]))
        } == "Transaction request cannot include multiple operations on one item")
        #expect(dynamoError { _ = try db.transactGetItems(TransactGetItemsInput(transactItems: [])) }?
            .contains("Member must have length greater than or equal to 1") == true)
    }

    @Test func aCrashAtAnyWriteOrSyncLeavesAllOrNothing() throws {
        let fs = MemoryFileSystem()
        let db = try Self.bank(fs, accounts: 3)
        try db.putItem(PutItemInput(tableName: "ledger", item: ["account": .s("old"), "seq": .n(0)]))
        final class Clones: Sendable {
            let list = CairnMutex<[(MemoryFileSystem, durable: Bool)]>([])
        }
        let clones = Clones()
        fs.setOperationHook { _, _, _ in
            let durable = fs.crashClone()
            let everything = fs.processCrashClone()
            clones.list.withLock { $0 += [(durable, true), (everything, false)] }
        }
        try db.transactWriteItems(TransactWriteItemsInput(transactItems: [
            .update(.init(tableName: "accounts", key: ["id": .s("a0")], updateExpression: "ADD balance :m",
                          expressionAttributeValues: [":m": .n(-40)])),
            .update(.init(tableName: "accounts", key: ["id": .s("a1")], updateExpression: "ADD balance :p",
                          expressionAttributeValues: [":p": .n(40)])),
            .put(.init(tableName: "ledger", item: ["account": .s("a0"), "seq": .n(1), "amount": .n(40)])),
            .delete(.init(tableName: "ledger", key: ["account": .s("old"), "seq": .n(0)])),
        ]))
        fs.setOperationHook(nil)
        let states = clones.list.withLock { $0 } + [(fs.crashClone(), true)]
        #expect(states.count >= 3)
        var committed = 0
        for (image, _) in states {
            let reopened = try memoryDatabase(image)
            let a0 = try Self.balance(reopened, "a0"), a1 = try Self.balance(reopened, "a1")
            let entry = try reopened.getItem(GetItemInput(tableName: "ledger", key: ["account": .s("a0"), "seq": .n(1)])).item
            let old = try reopened.getItem(GetItemInput(tableName: "ledger", key: ["account": .s("old"), "seq": .n(0)])).item
            if a0 == 60 {
                #expect(a1 == 140 && entry != nil && old == nil)
                committed += 1
            } else {
                #expect(a0 == 100 && a1 == 100 && entry == nil && old != nil)
            }
            try reopened.close()
        }
        #expect(committed >= 1)
        #expect(committed < states.count)  // images from before the commit are among them
        // Acknowledged means durable: the state after the call returned has it.
        let last = try memoryDatabase(fs.crashClone())
        #expect(try Self.balance(last, "a0") == 60)
    }

    @Test func concurrentTransfersConserveTheTotal() async throws {
        let accounts = 8
        let db = try Self.bank(accounts: accounts, balance: 100)
        let total = accounts * 100
        try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var rng = Rng(state: UInt64(worker + 1))
                    var cancelled = 0
                    for step in 0..<150 {
                        let from = rng.below(accounts), to = (from + 1 + rng.below(accounts - 1)) % accounts
                        switch step % 3 {
                        case 0, 1:
                            do {
                                try db.transactWriteItems(Self.transfer("a\(from)", "a\(to)", 1 + rng.below(60)))
                            } catch let error as DynamoDBError where error.name == "TransactionCanceledException" {
                                cancelled += 1
                            }
                        default:
                            // A single-item write racing the transactions: an optimistic
                            // read-modify-write that must not lose or invent money.
                            guard let seen = try Self.balance(db, "a\(from)") else { continue }
                            do {
                                try db.putItem(PutItemInput(
                                    tableName: "accounts", item: ["id": .s("a\(from)"), "balance": .n(Number(exactly: seen))],
                                    conditionExpression: "balance = :seen", expressionAttributeValues: [":seen": .n(Number(exactly: seen))]))
                            } catch let error as DynamoDBError where error.name == "ConditionalCheckFailedException" {}
                        }
                        if step % 10 == 0 {
                            let snapshot = try db.transactGetItems(TransactGetItemsInput(transactItems: (0..<accounts).map {
                                TransactGetItem(get: .init(tableName: "accounts", key: ["id": .s("a\($0)")]))
                            }))
                            let sum = snapshot.responses.reduce(0) { sum, r in
                                guard case .n(let n)? = r.item?["balance"] else { return sum }
                                return sum + (Int(n.description) ?? 0)
                            }
                            if sum != total { throw DynamoDBError.internalError("a transactional read saw a total of \(sum)") }
                        }
                    }
                    return cancelled
                }
            }
            var cancelled = 0
            for try await c in group { cancelled += c }
            #expect(cancelled > 0)  // some transfers hit the balance condition
        }
        var sum = 0
        for i in 0..<accounts {
            let balance = try #require(try Self.balance(db, "a\(i)"))
            #expect(balance >= 0)
            sum += balance
        }
        #expect(sum == total)
    }
}

/// Runs `body`, which must throw a DynamoDBError; returns it.
func throwsDynamoDBError(_ body: () throws -> Void) -> DynamoDBError? {
    do {
        try body()
        Issue.record("expected a DynamoDBError, nothing was thrown")
    } catch let error as DynamoDBError {
        return error
    } catch {
        Issue.record("expected a DynamoDBError, got \(error)")
    }
    return nil
}
