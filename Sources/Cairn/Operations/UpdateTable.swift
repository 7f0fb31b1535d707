import Foundation

/// UpdateTable's request: billing mode, provisioned throughput, deletion protection, the change
/// stream, and global secondary indexes created or deleted online.
public struct UpdateTableInput: Codable, Sendable {
    /// The table to change.
    public var tableName: String
    /// The new billing mode; unchanged when absent. Switching to PROVISIONED needs
    /// `provisionedThroughput`.
    public var billingMode: BillingMode?
    /// The new capacities (PROVISIONED only); a PROVISIONED table keeps its own when absent.
    public var provisionedThroughput: ProvisionedThroughput?
    /// Turns deletion protection on or off; unchanged when absent.
    public var deletionProtectionEnabled: Bool?
    /// The types of the key attributes of an index being created (others are ignored).
    public var attributeDefinitions: [AttributeDefinition]?
    /// One index change: Create (backfilled online), Delete, or Update (throughput).
    public var globalSecondaryIndexUpdates: [GlobalSecondaryIndexUpdate]?
    /// Enables (a new stream) or disables the table's change stream.
    public var streamSpecification: StreamSpecification?

    /// A request changing any of these settings of `tableName` (at least one is needed).
    public init(tableName: String, billingMode: BillingMode? = nil, provisionedThroughput: ProvisionedThroughput? = nil,
                deletionProtectionEnabled: Bool? = nil, streamSpecification: StreamSpecification? = nil,
                attributeDefinitions: [AttributeDefinition]? = nil,
                globalSecondaryIndexUpdates: [GlobalSecondaryIndexUpdate]? = nil) {
        self.tableName = tableName
        self.attributeDefinitions = attributeDefinitions
        self.globalSecondaryIndexUpdates = globalSecondaryIndexUpdates
        self.billingMode = billingMode
        self.provisionedThroughput = provisionedThroughput
        self.deletionProtectionEnabled = deletionProtectionEnabled
        self.streamSpecification = streamSpecification
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", billingMode = "BillingMode", provisionedThroughput = "ProvisionedThroughput"
        case deletionProtectionEnabled = "DeletionProtectionEnabled", attributeDefinitions = "AttributeDefinitions"
        case globalSecondaryIndexUpdates = "GlobalSecondaryIndexUpdates", streamSpecification = "StreamSpecification"
    }
}

/// UpdateTable's response.
public struct UpdateTableOutput: Codable, Sendable {
    /// The table with the new settings.
    public var tableDescription: TableDescription

    enum CodingKeys: String, CodingKey {
        case tableDescription = "TableDescription"
    }
}

extension ItemDatabase {
    /// Changes a table's billing mode, throughput, deletion protection or change stream
    /// (DynamoDB's UpdateTable). The change is durable when this returns. Enabling a stream
    /// starts a new one (a new ARN and label, empty); disabling ends it, and its records stay
    /// readable.
    ///
    /// A global secondary index created here starts CREATING, with Backfilling true: writes
    /// keep it up to date at once, and the index updater indexes the existing items in the
    /// background, then makes it ACTIVE (`catchUpIndexes()` waits for that). Deleting an index
    /// removes its entries with one range deletion.
    ///
    /// - Throws: `ResourceNotFoundException`; `ValidationException` for an update with nothing
    ///   to change, bad throughput, stream or index settings (enabling an enabled stream,
    ///   disabling none, an index that exists or does not); `LimitExceededException` for more
    ///   than one index change at once.
    @discardableResult
    public func updateTable(_ input: UpdateTableInput) throws -> UpdateTableOutput {
        if let spec = input.streamSpecification {
            if spec.streamEnabled && spec.streamViewType == nil {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required")
            }
            if !spec.streamEnabled && spec.streamViewType != nil {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified")
            }
        }
        _ = try catalog.table(named: input.tableName)
        guard input.billingMode != nil || input.provisionedThroughput != nil || input.deletionProtectionEnabled != nil
                || input.streamSpecification != nil || input.globalSecondaryIndexUpdates != nil else {
            throw DynamoDBError.validation(
                "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
        }
        // A stream starts or ends between two writes: no write that read the old setting is
        // still in flight when the change commits, so the stream holds exactly the changes
        // committed after it was enabled.
        // So does an index: every write committed after it is created logs its change for
        // it, and none is left writing entries of an index already deleted. The index
        // updater's lock comes first, so no pass runs meanwhile either.
        let definition: TableDefinition
        let previous = catalog.lookup(input.tableName)
        if input.globalSecondaryIndexUpdates != nil {
            definition = try indexUpkeep.withLock { _ in try locks.withAllLocks { try changeTable(input) } }
            indexUpdater?.wake()
        } else if input.streamSpecification != nil {
            definition = try locks.withAllLocks { try changeTable(input) }
        } else {
            definition = try changeTable(input)
        }
        var description = try describe(definition)
        // A deleted index is reported once more, DELETING, as DynamoDB reports it.
        if let name = input.globalSecondaryIndexUpdates?.first?.delete?.indexName,
           let previous, let deleted = previous.index(named: name) {
            description.globalSecondaryIndexes =
                (description.globalSecondaryIndexes ?? []) + [previous.description(ofGlobal: deleted, status: "DELETING")]
        }
        return UpdateTableOutput(tableDescription: description)
    }

    /// UpdateTable's change of the definition, under the catalog's lock.
    private func changeTable(_ input: UpdateTableInput) throws -> TableDefinition {
        var deleted: IndexDefinition?
        return try catalog.change(input.tableName, now: currentTime()) { current in try current.changing { settings in
            if let updates = input.globalSecondaryIndexUpdates {
                deleted = try changeIndexes(updates, attributes: input.attributeDefinitions ?? [], of: current, in: &settings)
            }
            if let spec = input.streamSpecification {
                if spec.streamEnabled, let viewType = spec.streamViewType {
                    guard settings.stream?.enabled != true else {
                        throw DynamoDBError.validation("Table already has an enabled stream: TableName: \(input.tableName)")
                    }
                    let now = currentTime()
                    var label = StreamKeys.label(at: now)
                    if let previous = settings.stream, previous.label >= label {
                        // Two streams of one table enabled within a millisecond: keep labels
                        // (and so ARNs) distinct and increasing.
                        label = StreamKeys.label(at: max(now, previous.createdAt) + 0.001)
                    }
                    settings.stream = StreamState(
                        ordinal: settings.stream.map { $0.ordinal &+ 1 } ?? 0, label: label, viewType: viewType,
                        enabled: true, lanes: options.streamLanes, createdAt: now,
                        startSequence: lsm.latestSequenceNumber + 1)
                } else {
                    guard settings.stream?.enabled == true else {
                        throw DynamoDBError.validation("Table has no stream to disable: TableName: \(input.tableName)")
                    }
                    settings.stream?.enabled = false
                }
            }
            let mode = input.billingMode ?? settings.billingMode
            if input.billingMode != nil || input.provisionedThroughput != nil {
                let kept = mode == settings.billingMode && mode == .provisioned
                    ? ProvisionedThroughput(readCapacityUnits: settings.readCapacityUnits,
                                            writeCapacityUnits: settings.writeCapacityUnits)
                    : nil
                let throughput = try Self.checkThroughput(mode, input.provisionedThroughput ?? kept)
                if mode == .payPerRequest, settings.billingMode != .payPerRequest {
                    settings.payPerRequestSince = Date().timeIntervalSince1970
                }
                settings.billingMode = mode
                settings.readCapacityUnits = throughput.readCapacityUnits
                settings.writeCapacityUnits = throughput.writeCapacityUnits
            }
            if let protection = input.deletionProtectionEnabled {
                settings.deletionProtectionEnabled = protection
            }
        } } also: { old, new, batch in
            if let deleted {
                // Changes happen with every item lock and the updater's lock held: a log no
                // index reads any more holds nothing left to apply.
                if old.hasLogKeptIndexes && !new.hasLogKeptIndexes { IndexKeys.deleteLog(of: old.number, in: &batch) }
                batch.deleteRange(
                    IndexKeys.indexPrefix(table: old.number, ordinal: deleted.ordinal),
                    IndexKeys.indexEnd(table: old.number, ordinal: deleted.ordinal))
                batch.delete(IndexKeys.backfillPositionKey(table: old.number, ordinal: deleted.ordinal))
            }
        }
    }

    /// Applies GlobalSecondaryIndexUpdates to `settings`; returns the index deleted, if any.
    private func changeIndexes(
        _ updates: [GlobalSecondaryIndexUpdate], attributes: [AttributeDefinition], of table: TableDefinition,
        in settings: inout TableDefinition.Settings
    ) throws -> IndexDefinition? {
        guard updates.count == 1, let update = updates.first else {
            if updates.isEmpty {
                throw DynamoDBError.validation("One or more parameter values were invalid: GlobalSecondaryIndexUpdates is empty")
            }
            throw DynamoDBError.limitExceeded(
                "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
        }
        let members = [update.create != nil, update.delete != nil, update.update != nil].filter { $0 }.count
        guard members == 1 else {
            throw DynamoDBError.validation(
                "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Create, Update or Delete must be specified, and only one")
        }
        var indexes = settings.indexes ?? []
        if let create = update.create {
            if indexes.contains(where: { $0.status == .creating }) {
                throw DynamoDBError.limitExceeded(
                    "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
            }
            if indexes.contains(where: { $0.name == create.indexName }) {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: Index with name: \(create.indexName) already exists")
            }
            // The key attributes' types: the request's definitions, then the table's.
            var known = attributes
            for attribute in table.keyAttributes + indexes.flatMap(\.keyAttributes)
            where !known.contains(where: { $0.attributeName == attribute.name }) {
                known.append(AttributeDefinition(attributeName: attribute.name, attributeType: attribute.type))
            }
            for definition in attributes where KeyAttribute.KeyType(rawValue: definition.attributeType) == nil {
                throw DynamoDBError.validation(
                    "1 validation error detected: Value '\(definition.attributeType)' at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]")
            }
            let ordinal = settings.nextIndexOrdinal ?? UInt16(indexes.count)
            indexes += try IndexValidation.definitions(
                table: (table.partitionKey, table.sortKey), local: [], global: [create], attributes: known,
                existing: indexes, firstOrdinal: ordinal, status: .creating, billingMode: settings.billingMode)
            settings.nextIndexOrdinal = ordinal &+ 1
            settings.indexes = indexes
            return nil
        }
        let name = update.delete?.indexName ?? update.update?.indexName ?? ""
        guard let position = indexes.firstIndex(where: { $0.name == name && $0.kind == .global }) else {
            throw DynamoDBError.resourceNotFound("Requested resource not found: Index: \(name) not found")
        }
        if let change = update.update {
            let throughput = try Self.checkThroughput(settings.billingMode, change.provisionedThroughput)
            indexes[position].readCapacityUnits = throughput.readCapacityUnits
            indexes[position].writeCapacityUnits = throughput.writeCapacityUnits
            settings.indexes = indexes
            return nil
        }
        let removed = indexes.remove(at: position)
        settings.indexes = indexes.isEmpty ? nil : indexes
        return removed
    }
}
