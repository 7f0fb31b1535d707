/// DynamoDB's `TimeToLiveSpecification`: whether TTL is on, and the attribute it reads.
public struct TimeToLiveSpecification: Codable, Sendable, Equatable {
    /// True to enable TTL, false to disable it.
    public var enabled: Bool
    /// The top-level Number attribute holding each item's expiry, in seconds since 1970.
    public var attributeName: String

    /// A specification.
    public init(enabled: Bool, attributeName: String) {
        self.enabled = enabled
        self.attributeName = attributeName
    }

    enum CodingKeys: String, CodingKey {
        case enabled = "Enabled", attributeName = "AttributeName"
    }
}

/// UpdateTimeToLive's request.
public struct UpdateTimeToLiveInput: Codable, Sendable, Equatable {
    /// The table.
    public var tableName: String
    /// The new setting.
    public var timeToLiveSpecification: TimeToLiveSpecification

    /// A request setting `tableName`'s TTL.
    public init(tableName: String, timeToLiveSpecification: TimeToLiveSpecification) {
        self.tableName = tableName
        self.timeToLiveSpecification = timeToLiveSpecification
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", timeToLiveSpecification = "TimeToLiveSpecification"
    }
}

/// UpdateTimeToLive's response: the setting now in force.
public struct UpdateTimeToLiveOutput: Codable, Sendable, Equatable {
    /// The specification as given.
    public var timeToLiveSpecification: TimeToLiveSpecification

    enum CodingKeys: String, CodingKey {
        case timeToLiveSpecification = "TimeToLiveSpecification"
    }
}

/// DescribeTimeToLive's request.
public struct DescribeTimeToLiveInput: Codable, Sendable, Equatable {
    /// The table.
    public var tableName: String

    /// A request describing `tableName`'s TTL.
    public init(tableName: String) { self.tableName = tableName }

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName"
    }
}

/// DescribeTimeToLive's response.
public struct DescribeTimeToLiveOutput: Codable, Sendable, Equatable {
    /// DynamoDB's `TimeToLiveDescription`.
    public struct Description: Codable, Sendable, Equatable {
        /// ENABLED or DISABLED (Cairn applies a change at once, so never ENABLING/DISABLING).
        public var timeToLiveStatus: String
        /// The TTL attribute, while enabled.
        public var attributeName: String?

        enum CodingKeys: String, CodingKey {
            case timeToLiveStatus = "TimeToLiveStatus", attributeName = "AttributeName"
        }
    }

    /// The table's TTL setting.
    public var timeToLiveDescription: Description

    enum CodingKeys: String, CodingKey {
        case timeToLiveDescription = "TimeToLiveDescription"
    }
}

extension ItemDatabase {
    /// How far in the past an expiry may lie and still be honoured: DynamoDB ignores TTL
    /// values more than five years old (here 5 × 365 days).
    static let timeToLiveHorizon: Double = 5 * 365 * 86_400

    /// Enables or disables Time to Live on a table (DynamoDB's UpdateTimeToLive). The change
    /// is durable and in force when this returns: the sweeper deletes expired items of the
    /// table from its next pass (`Options.timeToLiveSweepInterval`).
    ///
    /// - Throws: `ValidationException` when TTL is already in the requested state (or enabled
    ///   on another attribute) or the attribute name is not 1 to 255 bytes;
    ///   `ResourceNotFoundException`.
    @discardableResult
    public func updateTimeToLive(_ input: UpdateTimeToLiveInput) throws -> UpdateTimeToLiveOutput {
        let spec = input.timeToLiveSpecification
        var violations = ConstraintViolations()
        let length = spec.attributeName.utf8.count
        if length < 1 || length > 255 {
            violations.add(
                value: "'\(spec.attributeName)'", field: "timeToLiveSpecification.attributeName",
                constraint: length < 1 ? "Member must have length greater than or equal to 1"
                    : "Member must have length less than or equal to 255")
        }
        try violations.check()
        let definition = try catalog.change(input.tableName) { current in
            let attribute = current.settings.timeToLiveAttribute
            switch (spec.enabled, attribute) {
            case (true, nil):
                break
            case (true, spec.attributeName?):
                throw DynamoDBError.validation("TimeToLive is already enabled")
            case (true, let other?):
                throw DynamoDBError.validation(
                    "TimeToLive is active on a different AttributeName: current AttributeName is \(other)")
            case (false, nil):
                throw DynamoDBError.validation("TimeToLive is already disabled")
            case (false, let other?) where other != spec.attributeName:
                throw DynamoDBError.validation(
                    "TimeToLive is active on a different AttributeName: current AttributeName is \(other)")
            case (false, _):
                break
            }
            return current.changing { $0.timeToLiveAttribute = spec.enabled ? spec.attributeName : nil }
        } also: { old, new, batch in
            // Disabling drops the expiry index with the setting, in one write: a marker never
            // survives into a later enabling that would trust an index missing the writes
            // made while TTL was off. (Enabling: the sweeper backfills the index.)
            if new.settings.timeToLiveAttribute == nil {
                batch.deleteRange(ExpiryIndex.prefix(old.number), ExpiryIndex.end(old.number))
                batch.delete(ExpiryIndex.markerKey(old.number))
            }
        }
        if spec.enabled {
            // An empty table's index is complete at once; otherwise the sweeper backfills it.
            _ = try backfillExpiryIndex(definition, onlyIfEmpty: true)
        }
        timeToLiveSweeper?.wake()
        return UpdateTimeToLiveOutput(timeToLiveSpecification: spec)
    }

    /// A table's Time to Live setting (DynamoDB's DescribeTimeToLive).
    ///
    /// - Throws: `ResourceNotFoundException`.
    public func describeTimeToLive(_ input: DescribeTimeToLiveInput) throws -> DescribeTimeToLiveOutput {
        let attribute = try catalog.table(input.tableName).settings.timeToLiveAttribute
        return DescribeTimeToLiveOutput(timeToLiveDescription: .init(
            timeToLiveStatus: attribute == nil ? "DISABLED" : "ENABLED", attributeName: attribute))
    }

    /// True if `item` has expired at `now` under TTL attribute `attribute`: the attribute is a
    /// top-level Number of seconds since 1970, before `now` and at most five years before.
    static func hasExpired(_ item: Item, attribute: String, now: Double) -> Bool {
        guard let expiry = timeToLiveValue(item, attribute: attribute) else { return false }
        return expiry < now && expiry >= now - timeToLiveHorizon
    }

    /// The TTL value of `item` under `attribute`: a top-level Number, nil otherwise.
    static func timeToLiveValue(_ item: Item, attribute: String) -> Double? {
        guard case .n(let number)? = item[attribute] else { return nil }
        // Whole seconds (the usual case) convert without formatting the number as text;
        // both ways round to the nearest Double.
        if let whole = number.wholeInt64 { return Double(whole) }
        return Double(number.description)
    }
}
