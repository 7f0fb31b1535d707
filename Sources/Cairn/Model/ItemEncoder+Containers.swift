import Foundation

// The `Encoder` behind `ItemEncoder`: containers write into reference boxes (a nested
// container may be filled after its parent handed it out), and the tree of boxes is turned
// into an `AttributeValue` once the top-level value has finished encoding.

/// What an encoder, a map entry or a list element holds until the value is assembled.
enum EncodedNode {
    /// A finished value.
    case value(AttributeValue)
    /// An empty set: left out of the map that holds it, an empty L anywhere else.
    case omitted
    /// A keyed container's entries.
    case map(MapBox)
    /// An unkeyed container's elements.
    case list(ListBox)
    /// A `superEncoder`: whatever that encoder ends up holding.
    case encoder(ValueEncoder)

    /// The assembled value; nil for `.omitted`.
    func resolved() -> AttributeValue? {
        switch self {
        case .value(let value):
            return value
        case .omitted:
            return nil
        case .map(let box):
            var map: [String: AttributeValue] = [:]
            map.reserveCapacity(box.entries.count)
            for (name, node) in box.entries {
                if let value = node.resolved() { map[name] = value }
            }
            return .m(map)
        case .list(let box):
            return .l(box.elements.map { $0.resolved() ?? .l([]) })
        case .encoder(let encoder):
            return (encoder.node ?? .value(.m([:]))).resolved()
        }
    }
}

/// A keyed container's storage, shared by the container and its parent.
final class MapBox {
    var entries: [String: EncodedNode] = [:]
}

/// An unkeyed container's storage, shared by the container and its parent.
final class ListBox {
    var elements: [EncodedNode] = []
}

/// Encodes one value: its `encode(to:)` asks for one container, whose contents become the
/// value. A value that asks for no container at all becomes an empty M.
final class ValueEncoder: Encoder {
    let context: EncodingContext
    let codingPath: [any CodingKey]
    var node: EncodedNode?

    init(context: EncodingContext, codingPath: [any CodingKey]) {
        self.context = context
        self.codingPath = codingPath
    }

    var userInfo: [CodingUserInfoKey: Any] { context.userInfo.mapValues { $0 as Any } }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: MapBox
        if case .map(let existing)? = node {
            box = existing
        } else {
            box = MapBox()
            node = .map(box)
        }
        return KeyedEncodingContainer(ItemKeyedEncodingContainer<Key>(context: context, box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: ListBox
        if case .list(let existing)? = node {
            box = existing
        } else {
            box = ListBox()
            node = .list(box)
        }
        return ItemUnkeyedEncodingContainer(context: context, box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        ItemSingleValueEncodingContainer(encoder: self)
    }
}

// MARK: - Keyed

struct ItemKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let context: EncodingContext
    let box: MapBox
    let codingPath: [any CodingKey]

    private func set(_ value: AttributeValue, _ key: Key) { box.entries[key.stringValue] = .value(value) }
    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }
    private func setNumber<I: FixedWidthInteger>(_ value: I, _ key: Key) throws {
        set(.n(try context.number(value, codingPath: path(key))), key)
    }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.s(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(.n(try context.number(value, codingPath: path(key))), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(.n(try context.number(value, codingPath: path(key))), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(.n(Number(exactly: value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try setNumber(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try setNumber(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try setNumber(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try setNumber(value, key) }
    mutating func encode(_ value: Int128, forKey key: Key) throws { try setNumber(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try setNumber(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try setNumber(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try setNumber(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try setNumber(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try setNumber(value, key) }
    mutating func encode(_ value: UInt128, forKey key: Key) throws { try setNumber(value, key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        box.entries[key.stringValue] = try context.box(value, codingPath: path(key))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        let nested = MapBox()
        box.entries[key.stringValue] = .map(nested)
        return KeyedEncodingContainer(ItemKeyedEncodingContainer<NestedKey>(context: context, box: nested, codingPath: path(key)))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = ListBox()
        box.entries[key.stringValue] = .list(nested)
        return ItemUnkeyedEncodingContainer(context: context, box: nested, codingPath: path(key))
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: ItemCodingKey.super) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key) }

    private func superEncoder(named key: any CodingKey) -> any Encoder {
        let encoder = ValueEncoder(context: context, codingPath: codingPath + [key])
        box.entries[key.stringValue] = .encoder(encoder)
        return encoder
    }
}

// MARK: - Unkeyed

struct ItemUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let context: EncodingContext
    let box: ListBox
    let codingPath: [any CodingKey]

    var count: Int { box.elements.count }

    private var nextPath: [any CodingKey] { codingPath + [ItemCodingKey(index: count)] }
    private func append(_ value: AttributeValue) { box.elements.append(.value(value)) }
    private func appendNumber<I: FixedWidthInteger>(_ value: I) throws {
        append(.n(try context.number(value, codingPath: nextPath)))
    }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.s(value)) }
    mutating func encode(_ value: Double) throws { append(.n(try context.number(value, codingPath: nextPath))) }
    mutating func encode(_ value: Float) throws { append(.n(try context.number(value, codingPath: nextPath))) }
    mutating func encode(_ value: Int) throws { append(.n(Number(exactly: value))) }
    mutating func encode(_ value: Int8) throws { try appendNumber(value) }
    mutating func encode(_ value: Int16) throws { try appendNumber(value) }
    mutating func encode(_ value: Int32) throws { try appendNumber(value) }
    mutating func encode(_ value: Int64) throws { try appendNumber(value) }
    mutating func encode(_ value: Int128) throws { try appendNumber(value) }
    mutating func encode(_ value: UInt) throws { try appendNumber(value) }
    mutating func encode(_ value: UInt8) throws { try appendNumber(value) }
    mutating func encode(_ value: UInt16) throws { try appendNumber(value) }
    mutating func encode(_ value: UInt32) throws { try appendNumber(value) }
    mutating func encode(_ value: UInt64) throws { try appendNumber(value) }
    mutating func encode(_ value: UInt128) throws { try appendNumber(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        box.elements.append(try context.box(value, codingPath: nextPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = MapBox()
        let path = nextPath
        box.elements.append(.map(nested))
        return KeyedEncodingContainer(ItemKeyedEncodingContainer<NestedKey>(context: context, box: nested, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = ListBox()
        let path = nextPath
        box.elements.append(.list(nested))
        return ItemUnkeyedEncodingContainer(context: context, box: nested, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let encoder = ValueEncoder(context: context, codingPath: nextPath)
        box.elements.append(.encoder(encoder))
        return encoder
    }
}

// MARK: - Single value

struct ItemSingleValueEncodingContainer: SingleValueEncodingContainer {
    let encoder: ValueEncoder

    var codingPath: [any CodingKey] { encoder.codingPath }

    private func set(_ value: AttributeValue) { encoder.node = .value(value) }
    private func setNumber<I: FixedWidthInteger>(_ value: I) throws {
        set(.n(try encoder.context.number(value, codingPath: codingPath)))
    }

    mutating func encodeNil() throws { set(.null) }
    mutating func encode(_ value: Bool) throws { set(.bool(value)) }
    mutating func encode(_ value: String) throws { set(.s(value)) }
    mutating func encode(_ value: Double) throws { set(.n(try encoder.context.number(value, codingPath: codingPath))) }
    mutating func encode(_ value: Float) throws { set(.n(try encoder.context.number(value, codingPath: codingPath))) }
    mutating func encode(_ value: Int) throws { set(.n(Number(exactly: value))) }
    mutating func encode(_ value: Int8) throws { try setNumber(value) }
    mutating func encode(_ value: Int16) throws { try setNumber(value) }
    mutating func encode(_ value: Int32) throws { try setNumber(value) }
    mutating func encode(_ value: Int64) throws { try setNumber(value) }
    mutating func encode(_ value: Int128) throws { try setNumber(value) }
    mutating func encode(_ value: UInt) throws { try setNumber(value) }
    mutating func encode(_ value: UInt8) throws { try setNumber(value) }
    mutating func encode(_ value: UInt16) throws { try setNumber(value) }
    mutating func encode(_ value: UInt32) throws { try setNumber(value) }
    mutating func encode(_ value: UInt64) throws { try setNumber(value) }
    mutating func encode(_ value: UInt128) throws { try setNumber(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        encoder.node = try encoder.context.box(value, codingPath: codingPath)
    }
}
