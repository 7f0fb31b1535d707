import Foundation

/// CreateTable's request.
public struct CreateTableInput: Codable, Sendable {
    /// The new table's name: 3 to 255 characters from `[a-zA-Z0-9_.-]`.
    public var tableName: String
    /// The partition (HASH) key, then optionally the sort (RANGE) key.
    public var keySchema: [KeySchemaElement]
    /// The types of the key attributes, exactly one per key schema element.
    public var attributeDefinitions: [AttributeDefinition]
    /// Defaults to PROVISIONED, as in DynamoDB, which then needs `provisionedThroughput`.
    public var billingMode: BillingMode?
    /// Required with PROVISIONED billing (each at least 1); refused with PAY_PER_REQUEST.
    public var provisionedThroughput: ProvisionedThroughput?
    /// Global secondary indexes (up to 20): any key schema, eventually consistent unless
    /// `Consistency` is STRONG.
    public var globalSecondaryIndexes: [GlobalSecondaryIndex]?
    /// Local secondary indexes (up to 5): the table's partition key and another sort key,
    /// strongly consistent; only at creation.
    public var localSecondaryIndexes: [LocalSecondaryIndex]?
    /// A change stream from the start (`StreamEnabled` true with a `StreamViewType`).
    public var streamSpecification: StreamSpecification?
    /// Whether DeleteTable is refused; false when absent.
    public var deletionProtectionEnabled: Bool?

    /// A table with this key schema. Unlike an absent `BillingMode` in JSON, which means
    /// PROVISIONED, the billing mode here defaults to PAY_PER_REQUEST.
    public init(tableName: String, keySchema: [KeySchemaElement], attributeDefinitions: [AttributeDefinition],
                billingMode: BillingMode? = .payPerRequest, provisionedThroughput: ProvisionedThroughput? = nil,
                streamSpecification: StreamSpecification? = nil, deletionProtectionEnabled: Bool? = nil,
                localSecondaryIndexes: [LocalSecondaryIndex]? = nil, globalSecondaryIndexes: [GlobalSecondaryIndex]? = nil) {
        self.tableName = tableName
        self.localSecondaryIndexes = localSecondaryIndexes
        self.globalSecondaryIndexes = globalSecondaryIndexes
        self.keySchema = keySchema
        self.attributeDefinitions = attributeDefinitions
        self.billingMode = billingMode
        self.provisionedThroughput = provisionedThroughput
        self.streamSpecification = streamSpecification
        self.deletionProtectionEnabled = deletionProtectionEnabled
    }

    /// A PAY_PER_REQUEST table with these key attributes (names and types).
    public init(tableName: String, partitionKey: (String, KeyAttribute.KeyType),
                sortKey: (String, KeyAttribute.KeyType)? = nil) {
        var schema = [KeySchemaElement(attributeName: partitionKey.0, keyType: .hash)]
        var definitions = [AttributeDefinition(attributeName: partitionKey.0, attributeType: partitionKey.1)]
        if let sortKey {
            schema.append(KeySchemaElement(attributeName: sortKey.0, keyType: .range))
            definitions.append(AttributeDefinition(attributeName: sortKey.0, attributeType: sortKey.1))
        }
        self.init(tableName: tableName, keySchema: schema, attributeDefinitions: definitions)
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", keySchema = "KeySchema", attributeDefinitions = "AttributeDefinitions"
        case billingMode = "BillingMode", provisionedThroughput = "ProvisionedThroughput"
        case globalSecondaryIndexes = "GlobalSecondaryIndexes", localSecondaryIndexes = "LocalSecondaryIndexes"
        case streamSpecification = "StreamSpecification", deletionProtectionEnabled = "DeletionProtectionEnabled"
    }
}

/// CreateTable's response.
public struct CreateTableOutput: Codable, Sendable {
    /// The new table, ACTIVE.
    public var tableDescription: TableDescription

    enum CodingKeys: String, CodingKey {
        case tableDescription = "TableDescription"
    }
}

extension ItemDatabase {
    /// Creates a table (DynamoDB's CreateTable). The table is ACTIVE at once and its
    /// definition is durable when this returns.
    ///
    /// - Throws: `ValidationException` for a bad name, key schema, index, billing or stream
    ///   settings; `ResourceInUseException` if the table exists.
    @discardableResult
    public func createTable(_ input: CreateTableInput) throws -> CreateTableOutput {
        try TableNameRule.validate(input.tableName)
        if input.localSecondaryIndexes?.isEmpty == true {
            throw DynamoDBError.validation("One or more parameter values were invalid: List of LocalSecondaryIndexes is empty")
        }
        if input.globalSecondaryIndexes?.isEmpty == true {
            throw DynamoDBError.validation("One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty")
        }
        if let spec = input.streamSpecification {
            if spec.streamEnabled && spec.streamViewType == nil {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: Table is being created with a stream enabled, UpdateViewType is required")
            }
            if !spec.streamEnabled && spec.streamViewType != nil {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: Table is being created with a stream disabled, UpdateViewType should not be specified")
            }
        }
        let lsis = input.localSecondaryIndexes ?? [], gsis = input.globalSecondaryIndexes ?? []
        let (partitionKey, sortKey) = try Self.keyAttributes(
            input.keySchema, input.attributeDefinitions, indexKeyNames: IndexValidation.keyNames(lsis, gsis))
        let billingMode = input.billingMode ?? .provisioned
        let throughput = try Self.checkThroughput(billingMode, input.provisionedThroughput)
        let indexes = try IndexValidation.definitions(
            table: (partitionKey, sortKey), local: lsis, global: gsis, attributes: input.attributeDefinitions,
            firstOrdinal: 0, status: .active, billingMode: billingMode)
        let now = currentTime()
        var stream: StreamState?
        if let spec = input.streamSpecification, spec.streamEnabled, let viewType = spec.streamViewType {
            stream = StreamState(
                ordinal: 0, label: StreamKeys.label(at: now), viewType: viewType, enabled: true,
                lanes: options.streamLanes, createdAt: now, startSequence: lsm.latestSequenceNumber + 1)
        }
        let definition = try catalog.create(input.tableName, now: now) { number in
            TableDefinition(
                number: number, name: input.tableName, uuid: UUID().uuidString.lowercased(),
                partitionKey: partitionKey, sortKey: sortKey,
                settings: TableDefinition.Settings(
                    billingMode: billingMode, readCapacityUnits: throughput.readCapacityUnits,
                    writeCapacityUnits: throughput.writeCapacityUnits,
                    payPerRequestSince: billingMode == .payPerRequest ? now : nil,
                    deletionProtectionEnabled: input.deletionProtectionEnabled ?? false,
                    stream: stream, indexes: indexes.isEmpty ? nil : indexes,
                    nextIndexOrdinal: indexes.isEmpty ? nil : UInt16(indexes.count)),
                creationDateTime: now)
        }
        return CreateTableOutput(tableDescription: definition.description())
    }

    /// Checks a key schema against the attribute definitions the way DynamoDB does; with
    /// indexes, `indexKeyNames` are the attributes their key schemas use.
    static func keyAttributes(
        _ schema: [KeySchemaElement], _ definitions: [AttributeDefinition], indexKeyNames: [String] = []
    ) throws -> (KeyAttribute, KeyAttribute?) {
        var violations = ConstraintViolations()
        if schema.isEmpty {
            violations.add(value: "[]", field: "keySchema", constraint: "Member must have length greater than or equal to 1")
        } else if schema.count > 2 {
            violations.add(value: "[\(schema.map(\.attributeName).joined(separator: ", "))]", field: "keySchema",
                           constraint: "Member must have length less than or equal to 2")
        }
        for (i, definition) in definitions.enumerated() where KeyAttribute.KeyType(rawValue: definition.attributeType) == nil {
            violations.add(value: "'\(definition.attributeType)'", field: "attributeDefinitions.\(i + 1).member.attributeType",
                           constraint: "Member must satisfy enum value set: [B, N, S]")
        }
        try violations.check()
        guard schema[0].keyType == .hash else {
            throw DynamoDBError.validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
        }
        if schema.count == 2 {
            guard schema[1].keyType == .range else {
                throw DynamoDBError.validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
            }
            guard schema[0].attributeName != schema[1].attributeName else {
                throw DynamoDBError.validation(
                    "Both the Hash Key and the Range Key element in the KeySchema have the same name")
            }
        }
        var types: [String: KeyAttribute.KeyType] = [:]
        for definition in definitions {
            guard types[definition.attributeName] == nil else {
                throw DynamoDBError.validation(
                    "Cannot have two attributes with the same name: duplicate AttributeName \(definition.attributeName) in AttributeDefinitions")
            }
            types[definition.attributeName] = KeyAttribute.KeyType(rawValue: definition.attributeType)
        }
        let missing = schema.map(\.attributeName).filter { types[$0] == nil }
        guard missing.isEmpty else {
            throw DynamoDBError.validation(
                "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [\(missing.joined(separator: ", "))], AttributeDefinitions: [\(definitions.map(\.attributeName).joined(separator: ", "))]")
        }
        if indexKeyNames.isEmpty {
            guard definitions.count == schema.count else {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
            }
        } else {
            let used = Set(schema.map(\.attributeName) + indexKeyNames)
            if definitions.contains(where: { !used.contains($0.attributeName) }) {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [\(definitions.map(\.attributeName).joined(separator: ", "))], keys used: [\(used.sorted().joined(separator: ", "))]")
            }
        }
        func attribute(_ element: KeySchemaElement) -> KeyAttribute {
            KeyAttribute(name: element.attributeName, type: types[element.attributeName] ?? .s,
                         isPartitionKey: element.keyType == .hash)
        }
        return (attribute(schema[0]), schema.count == 2 ? attribute(schema[1]) : nil)
    }

    /// Checks the throughput settings against the billing mode; returns the capacities to keep.
    static func checkThroughput(_ mode: BillingMode, _ throughput: ProvisionedThroughput?) throws -> ProvisionedThroughput {
        switch mode {
        case .payPerRequest:
            guard throughput == nil else {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
            }
            return ProvisionedThroughput(readCapacityUnits: 0, writeCapacityUnits: 0)
        case .provisioned:
            guard let throughput else {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
            }
            var violations = ConstraintViolations()
            if throughput.readCapacityUnits < 1 {
                violations.add(value: "'\(throughput.readCapacityUnits)'", field: "provisionedThroughput.readCapacityUnits",
                               constraint: "Member must have value greater than or equal to 1")
            }
            if throughput.writeCapacityUnits < 1 {
                violations.add(value: "'\(throughput.writeCapacityUnits)'", field: "provisionedThroughput.writeCapacityUnits",
                               constraint: "Member must have value greater than or equal to 1")
            }
            try violations.check()
            return throughput
        }
    }
}

/// DynamoDB's rule for table names: 3 to 255 characters from `[a-zA-Z0-9_.-]`.
enum TableNameRule {
    static func validate(_ name: String, field: String = "tableName") throws {
        var violations = ConstraintViolations()
        check(name, field: field, into: &violations)
        try violations.check()
    }

    static func check(_ name: String, field: String, into violations: inout ConstraintViolations) {
        let count = name.unicodeScalars.count
        if count < 3 {
            violations.add(value: "'\(name)'", field: field, constraint: "Member must have length greater than or equal to 3")
        }
        if count > 255 {
            violations.add(value: "'\(name)'", field: field, constraint: "Member must have length less than or equal to 255")
        }
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
        }
        if !allowed {
            violations.add(value: "'\(name)'", field: field,
                           constraint: "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
        }
    }
}
