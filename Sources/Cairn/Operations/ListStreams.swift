import Foundation

extension ItemDatabase {
    /// Lists change streams, current and ended (DynamoDB Streams' ListStreams), in the order
    /// their tables were created, then the order each table's streams were enabled.
    ///
    /// - Throws: `ValidationException` for a Limit outside 1...100 or an
    ///   ExclusiveStartStreamArn that names no stream.
    public func listStreams(_ input: ListStreamsInput = ListStreamsInput()) throws -> ListStreamsOutput {
        let limit = input.limit ?? 100
        try Self.checkStreamLimit(input.limit, field: "limit")
        var streams = catalog.streamDescriptors()
        if let table = input.tableName { streams = streams.filter { $0.tableName == table } }
        if let start = input.exclusiveStartStreamArn {
            guard let index = streams.firstIndex(where: { $0.arn == start }) else {
                throw DynamoDBError.validation("Invalid ExclusiveStartStreamArn: \(start) is not a stream of this database")
            }
            streams = Array(streams[(index + 1)...])
        }
        let page = streams.prefix(limit)
        return ListStreamsOutput(
            streams: page.map { StreamSummary(streamArn: $0.arn, tableName: $0.tableName, streamLabel: $0.stream.label) },
            lastEvaluatedStreamArn: streams.count > limit ? page.last?.arn : nil)
    }

    /// DynamoDB's check of a Streams API `Limit` (at least 1, at most `maximum`).
    static func checkStreamLimit(_ limit: Int?, field: String, maximum: Int = 100) throws {
        guard let limit else { return }
        var violations = ConstraintViolations()
        if limit < 1 {
            violations.add(value: "'\(limit)'", field: field, constraint: "Member must have value greater than or equal to 1")
        } else if limit > maximum {
            violations.add(value: "'\(limit)'", field: field, constraint: "Member must have value less than or equal to \(maximum)")
        }
        try violations.check()
    }

    /// The stream an ARN names: ValidationException for a malformed ARN,
    /// ResourceNotFoundException for one that names no stream.
    func stream(arn: String) throws -> StreamDescriptor {
        var violations = ConstraintViolations()
        if arn.utf8.count < 37 {
            violations.add(value: "'\(arn)'", field: "streamArn", constraint: "Member must have length greater than or equal to 37")
        } else if arn.utf8.count > 1024 {
            violations.add(value: "'\(arn)'", field: "streamArn", constraint: "Member must have length less than or equal to 1024")
        }
        try violations.check()
        guard arn.hasPrefix("arn:aws:dynamodb:"), arn.contains("/stream/") else {
            throw DynamoDBError.validation("Invalid StreamArn: \(arn)")
        }
        guard let descriptor = catalog.streamDescriptor(arn: arn) else {
            throw DynamoDBError.resourceNotFound("Requested resource not found: Stream: \(arn) not found")
        }
        return descriptor
    }
}
