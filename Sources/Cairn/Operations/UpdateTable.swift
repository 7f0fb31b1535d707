import Foundation

/// UpdateTable's request. Cairn applies the billing mode, provisioned throughput and deletion
/// protection; index and stream changes are refused until those features exist.
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
    /// Not supported yet: refused.
    public var attributeDefinitions: [AttributeDefinition]?
    /// Not supported yet: refused.
    public var globalSecondaryIndexUpdates: [SecondaryIndexUpdate]?
    /// Only `StreamEnabled: false` is accepted until change streams exist.
    public var streamSpecification: StreamSpecification?

    /// A request changing any of these settings of `tableName` (at least one is needed).
    public init(tableName: String, billingMode: BillingMode? = nil, provisionedThroughput: ProvisionedThroughput? = nil,
                deletionProtectionEnabled: Bool? = nil, streamSpecification: StreamSpecification? = nil) {
        self.tableName = tableName
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

/// An index change in UpdateTable (recognized only to refuse it while indexes are unsupported).
public struct SecondaryIndexUpdate: Codable, Sendable, Hashable {
    /// Creating an index.
    public var create: SecondaryIndexRequest?
    /// Changing an index's throughput.
    public var update: SecondaryIndexRequest?
    /// Deleting an index.
    public var delete: SecondaryIndexRequest?

    enum CodingKeys: String, CodingKey {
        case create = "Create", update = "Update", delete = "Delete"
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
    /// - Throws: `ResourceNotFoundException`; `ValidationException` for an update with nothing
    ///   to change, bad throughput or stream settings (enabling an enabled stream, disabling
    ///   none), or index changes.
    @discardableResult
    public func updateTable(_ input: UpdateTableInput) throws -> UpdateTableOutput {
        if input.globalSecondaryIndexUpdates != nil || input.attributeDefinitions != nil {
            throw DynamoDBError.validation(
                "Secondary indexes are not supported yet: remove GlobalSecondaryIndexUpdates and AttributeDefinitions from the request")
        }
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
        guard catalog.lookup(input.tableName) != nil else {
            throw DynamoDBError.resourceNotFound("Requested resource not found: Table: \(input.tableName) not found")
        }
        guard input.billingMode != nil || input.provisionedThroughput != nil || input.deletionProtectionEnabled != nil
                || input.streamSpecification != nil else {
            throw DynamoDBError.validation(
                "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
        }
        // A stream starts or ends between two writes: no write that read the old setting is
        // still in flight when the change commits, so the stream holds exactly the changes
        // committed after it was enabled.
        let definition = input.streamSpecification == nil
            ? try changeTable(input)
            : try locks.withAllLocks { try changeTable(input) }
        return UpdateTableOutput(tableDescription: definition.description())
    }

    /// UpdateTable's change of the definition, under the catalog's lock.
    private func changeTable(_ input: UpdateTableInput) throws -> TableDefinition {
        try catalog.change(input.tableName, now: currentTime()) { current in try current.changing { settings in
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
        } }
    }
}
