import Foundation

// The `Decoder` behind `ItemDecoder`: value types over the attribute being decoded. Every
// accessor checks the DynamoDB type before it looks inside, so no item can make it trap.

/// Decodes one value; it is also its own single-value container.
struct ValueDecoder: Decoder, SingleValueDecodingContainer {
    let value: AttributeValue
    let context: DecodingContext
    let codingPath: [any CodingKey]

    var userInfo: [CodingUserInfoKey: Any] { context.userInfo.mapValues { $0 as Any } }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .m(let map) = value else { throw context.mismatch("M (map)", [String: Any].self, value, codingPath) }
        return KeyedDecodingContainer(ItemKeyedDecodingContainer<Key>(map: map, context: context, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        ItemUnkeyedDecodingContainer(elements: try context.elements(value, codingPath), context: context, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try context.bool(value, codingPath) }
    func decode(_ type: String.Type) throws -> String { try context.string(value, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try context.float(value, as: type, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try context.float(value, as: type, codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try context.integer(value, as: type, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try context.integer(value, as: type, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try context.integer(value, as: type, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try context.integer(value, as: type, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try context.integer(value, as: type, codingPath) }
    func decode(_ type: Int128.Type) throws -> Int128 { try context.integer(value, as: type, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try context.integer(value, as: type, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try context.integer(value, as: type, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try context.integer(value, as: type, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try context.integer(value, as: type, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try context.integer(value, as: type, codingPath) }
    func decode(_ type: UInt128.Type) throws -> UInt128 { try context.integer(value, as: type, codingPath) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try context.unbox(value, as: type, codingPath: codingPath) }
}

// MARK: - Keyed

struct ItemKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let map: [String: AttributeValue]
    let context: DecodingContext
    let codingPath: [any CodingKey]

    var allKeys: [Key] { map.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { map[key.stringValue] != nil }

    private func value(_ key: Key) throws -> AttributeValue {
        guard let value = map[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "No attribute \"\(key.stringValue)\" in the map at \(describeCodingPath(codingPath))"))
        }
        return value
    }

    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    func decodeNil(forKey key: Key) throws -> Bool { try value(key) == .null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try context.bool(value(key), path(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try context.string(value(key), path(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try context.float(value(key), as: type, path(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try context.float(value(key), as: type, path(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try context.integer(value(key), as: type, path(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try context.integer(value(key), as: type, path(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try context.integer(value(key), as: type, path(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try context.integer(value(key), as: type, path(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try context.integer(value(key), as: type, path(key)) }
    func decode(_ type: Int128.Type, forKey key: Key) throws -> Int128 { try context.integer(value(key), as: type, path(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try context.integer(value(key), as: type, path(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try context.integer(value(key), as: type, path(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try context.integer(value(key), as: type, path(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try context.integer(value(key), as: type, path(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try context.integer(value(key), as: type, path(key)) }
    func decode(_ type: UInt128.Type, forKey key: Key) throws -> UInt128 { try context.integer(value(key), as: type, path(key)) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let found = map[key.stringValue]
        // Empty sets are left out when encoding (DynamoDB cannot store them).
        if let setType = T.self as? any DecodableItemSet.Type, found == nil || found == .null,
            let empty = setType.emptyItemSet as? T
        {
            return empty
        }
        return try context.unbox(value(key), as: type, codingPath: path(key))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try ValueDecoder(value: value(key), context: context, codingPath: path(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(value: value(key), context: context, codingPath: path(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        ValueDecoder(value: map[ItemCodingKey.super.stringValue] ?? .null, context: context, codingPath: codingPath + [ItemCodingKey.super])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder(value: map[key.stringValue] ?? .null, context: context, codingPath: path(key))
    }
}

// MARK: - Unkeyed

struct ItemUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let elements: [AttributeValue]
    let context: DecodingContext
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(elements: [AttributeValue], context: DecodingContext, codingPath: [any CodingKey]) {
        self.elements = elements
        self.context = context
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    /// The current element and its coding path; the index advances only once it decoded.
    private func current(_ type: Any.Type) throws -> (AttributeValue, [any CodingKey]) {
        let path = codingPath + [ItemCodingKey(index: currentIndex)]
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                type,
                .init(codingPath: path,
                      debugDescription: "The list at \(describeCodingPath(codingPath)) has only \(elements.count) elements; expected another \(type)"))
        }
        return (elements[currentIndex], path)
    }

    private mutating func next<T>(_ type: T.Type, _ decode: (DecodingContext, AttributeValue, [any CodingKey]) throws -> T) throws -> T {
        let (value, path) = try current(type)
        let result = try decode(context, value, path)
        currentIndex += 1
        return result
    }

    mutating func decodeNil() throws -> Bool {
        guard try current(Any?.self).0 == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next(type) { try $0.bool($1, $2) } }
    mutating func decode(_ type: String.Type) throws -> String { try next(type) { try $0.string($1, $2) } }
    mutating func decode(_ type: Double.Type) throws -> Double { try next(type) { try $0.float($1, as: type, $2) } }
    mutating func decode(_ type: Float.Type) throws -> Float { try next(type) { try $0.float($1, as: type, $2) } }
    mutating func decode(_ type: Int.Type) throws -> Int { try next(type) { try $0.integer($1, as: type, $2) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next(type) { try $0.integer($1, as: type, $2) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next(type) { try $0.integer($1, as: type, $2) } }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next(type) { try $0.integer($1, as: type, $2) } }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next(type) { try $0.integer($1, as: type, $2) } }
    mutating func decode(_ type: Int128.Type) throws -> Int128 { try next(type) { try $0.integer($1, as: type, $2) } }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next(type) { try $0.integer($1, as: type, $2) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next(type) { try $0.integer($1, as: type, $2) } }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next(type) { try $0.integer($1, as: type, $2) } }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next(type) { try $0.integer($1, as: type, $2) } }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next(type) { try $0.integer($1, as: type, $2) } }
    mutating func decode(_ type: UInt128.Type) throws -> UInt128 { try next(type) { try $0.integer($1, as: type, $2) } }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try next(type) { try $0.unbox($1, as: type, codingPath: $2) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next(KeyedDecodingContainer<NestedKey>.self) {
            try ValueDecoder(value: $1, context: $0, codingPath: $2).container(keyedBy: type)
        }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next((any UnkeyedDecodingContainer).self) {
            try ValueDecoder(value: $1, context: $0, codingPath: $2).unkeyedContainer()
        }
    }

    mutating func superDecoder() throws -> any Decoder {
        try next((any Decoder).self) { ValueDecoder(value: $1, context: $0, codingPath: $2) }
    }
}
