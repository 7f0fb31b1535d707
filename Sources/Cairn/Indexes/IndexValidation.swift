/// DynamoDB's rules for the secondary indexes of CreateTable and UpdateTable.
enum IndexValidation {
    /// Local secondary indexes a table may have.
    static let maxLocalIndexes = 5
    /// Global secondary indexes a table may have.
    static let maxGlobalIndexes = 20
    /// Attributes INCLUDE may name, over all the indexes of a table.
    static let maxProjectedAttributes = 100

    /// The names of the key attributes `lsis` and `gsis` use.
    static func keyNames(_ lsis: [LocalSecondaryIndex], _ gsis: [GlobalSecondaryIndex]) -> [String] {
        (lsis.flatMap(\.keySchema) + gsis.flatMap(\.keySchema)).map(\.attributeName)
    }

    /// Builds the definitions of a new table's indexes (or UpdateTable's one new index),
    /// checking them the way DynamoDB does. `existing` are the table's other indexes.
    static func definitions(
        table: (partition: KeyAttribute, sort: KeyAttribute?), local lsis: [LocalSecondaryIndex],
        global gsis: [GlobalSecondaryIndex], attributes: [AttributeDefinition], existing: [IndexDefinition] = [],
        firstOrdinal: UInt16, status: IndexDefinition.Status, billingMode: BillingMode
    ) throws -> [IndexDefinition] {
        if lsis.count > maxLocalIndexes {
            throw DynamoDBError.validation(
                "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of \(maxLocalIndexes)")
        }
        if gsis.count + existing.filter({ $0.kind == .global }).count > maxGlobalIndexes {
            throw DynamoDBError.validation(
                "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of \(maxGlobalIndexes)")
        }
        var types: [String: KeyAttribute.KeyType] = [:]
        for definition in attributes {
            types[definition.attributeName] = KeyAttribute.KeyType(rawValue: definition.attributeType)
        }
        var names = Set(existing.map(\.name))
        var result: [IndexDefinition] = []
        var ordinal = firstOrdinal
        func make(
            name: String, kind: IndexDefinition.Kind, schema: [KeySchemaElement], projection: IndexProjection,
            consistency: IndexConsistency, throughput: ProvisionedThroughput?
        ) throws {
            try TableNameRule.validate(name, field: kind == .local ? "localSecondaryIndexes.member.indexName"
                                                                    : "globalSecondaryIndexes.member.indexName")
            guard names.insert(name).inserted else {
                throw DynamoDBError.validation("One or more parameter values were invalid: Duplicate index name: \(name)")
            }
            guard let first = schema.first, schema.count <= 2, first.keyType == .hash,
                  schema.count == 1 || schema[1].keyType == .range,
                  schema.count == 1 || schema[0].attributeName != schema[1].attributeName
            else {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: Invalid KeySchema for index: \(name): the first element must be HASH and an optional second RANGE, with distinct names")
            }
            func attribute(_ element: KeySchemaElement) throws -> KeyAttribute {
                guard let type = types[element.attributeName] else {
                    throw DynamoDBError.validation(
                        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [\(schema.map(\.attributeName).joined(separator: ", "))], AttributeDefinitions: [\(attributes.map(\.attributeName).joined(separator: ", "))]")
                }
                return KeyAttribute(name: element.attributeName, type: type, isPartitionKey: element.keyType == .hash)
            }
            let partition = try attribute(first)
            let sort = schema.count == 2 ? try attribute(schema[1]) : nil
            if kind == .local {
                guard let tableSort = table.sort else {
                    throw DynamoDBError.validation(
                        "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
                }
                guard partition.name == table.partition.name else {
                    throw DynamoDBError.validation(
                        "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: \(name). index hash key: \(partition.name), table hash key: \(table.partition.name)")
                }
                guard sort != nil else {
                    throw DynamoDBError.validation(
                        "One or more parameter values were invalid: Index KeySchema for index: \(name) must have a range key")
                }
                _ = tableSort
            }
            guard let type = projection.projectionType else {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: Unknown ProjectionType: null")
            }
            let nonKey = projection.nonKeyAttributes ?? []
            switch type {
            case .include:
                guard projection.nonKeyAttributes != nil, !nonKey.isEmpty else {
                    throw DynamoDBError.validation(
                        "One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
                }
                if Set(nonKey).count != nonKey.count {
                    throw DynamoDBError.validation(
                        "One or more parameter values were invalid: Duplicate NonKeyAttributes in index: \(name)")
                }
            case .all, .keysOnly:
                if projection.nonKeyAttributes != nil {
                    throw DynamoDBError.validation(
                        "One or more parameter values were invalid: ProjectionType is \(type.rawValue), but NonKeyAttributes is specified")
                }
            }
            if billingMode == .payPerRequest, throughput != nil {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: \(name) when BillingMode is PAY_PER_REQUEST")
            }
            if billingMode == .provisioned, kind == .global, throughput == nil {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: \(name)")
            }
            result.append(IndexDefinition(
                name: name, kind: kind, ordinal: ordinal, partitionKey: partition, sortKey: sort, projectionType: type,
                nonKeyAttributes: type == .include ? nonKey : [], consistency: consistency,
                status: kind == .local ? .active : status,
                readCapacityUnits: throughput?.readCapacityUnits ?? 0, writeCapacityUnits: throughput?.writeCapacityUnits ?? 0))
            ordinal &+= 1
        }
        for lsi in lsis {
            try make(name: lsi.indexName, kind: .local, schema: lsi.keySchema, projection: lsi.projection,
                     consistency: .strong, throughput: nil)
        }
        for gsi in gsis {
            try make(name: gsi.indexName, kind: .global, schema: gsi.keySchema, projection: gsi.projection,
                     consistency: gsi.consistency ?? .eventual, throughput: gsi.provisionedThroughput)
        }
        let projected = (existing + result).reduce(0) { $0 + $1.nonKeyAttributes.count }
        if projected > maxProjectedAttributes {
            throw DynamoDBError.validation(
                "One or more parameter values were invalid: The number of projected attributes in all indexes of the table exceeds the limit of \(maxProjectedAttributes): \(projected)")
        }
        return result
    }
}
