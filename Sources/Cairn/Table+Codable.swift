/// `Codable` values in and out of a table: each value is encoded to an item with
/// `ItemEncoder` and decoded with `ItemDecoder` (see those types for the mapping).
///
/// ```swift
/// struct Song: Codable { var artist: String; var title: String; var year: Int }
/// try songs.put(Song(artist: "Nina Simone", title: "Sinnerman", year: 1965))
/// let song = try songs.get(Song.self, key: ["artist": "Nina Simone", "title": "Sinnerman"])
/// ```
extension Table {
    /// Encodes `value` to an item and writes it, if `condition` holds.
    public func put<T: Encodable>(_ value: T, if condition: String? = nil, names: [String: String]? = nil,
                                  values: [String: AttributeValue]? = nil) throws {
        try put(try ItemEncoder().encode(value), if: condition, names: names, values: values)
    }

    /// The item with `key` decoded as `T`, or nil if there is no such item.
    public func get<T: Decodable>(_ type: T.Type, key: Item) throws -> T? {
        try get(key).map { try ItemDecoder().decode(type, from: $0) }
    }

    /// `query(_:...)` with each item decoded as `T`.
    public func query<T: Decodable>(_ type: T.Type, _ keyCondition: String, filter: String? = nil,
                                    names: [String: String]? = nil, values: [String: AttributeValue]? = nil,
                                    forward: Bool = true, limit: Int? = nil, index: String? = nil) throws -> [T] {
        let decoder = ItemDecoder()
        return try query(keyCondition, filter: filter, names: names, values: values, forward: forward, limit: limit,
                         index: index)
            .map { try decoder.decode(type, from: $0) }
    }

    /// `scan(...)` with each item decoded as `T`.
    public func scan<T: Decodable>(_ type: T.Type, filter: String? = nil, names: [String: String]? = nil,
                                   values: [String: AttributeValue]? = nil, limit: Int? = nil, index: String? = nil) throws -> [T] {
        let decoder = ItemDecoder()
        return try scan(filter: filter, names: names, values: values, limit: limit, index: index).map { try decoder.decode(type, from: $0) }
    }
}
