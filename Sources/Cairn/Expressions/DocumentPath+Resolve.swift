/// Reading the value a document path points at.
///
/// A path resolves step by step: a `.name` step needs a map (the item itself for the first
/// step) holding that member, an `.index` step needs a list long enough. When any step is
/// missing or meets a value of the wrong type, the path has no value; DynamoDB treats that as
/// "the attribute does not exist", never as an error.
extension DocumentPath {
    /// The value at this path in `item`, or nil when any step is missing or of the wrong type
    /// (or the path is empty or does not start with a name).
    public func value(in item: Item) -> AttributeValue? {
        guard case .name(let first)? = elements.first, var current = item[first] else { return nil }
        var i = 1
        while i < elements.count {
            guard let next = Self.step(current, elements[i]) else { return nil }
            current = next
            i += 1
        }
        return current
    }

    /// The value at this path in `item`; nil when there is no item (no item has no attributes).
    public func value(in item: Item?) -> AttributeValue? {
        guard let item else { return nil }
        return value(in: item)
    }

    /// The path without its last element: the path of the container the last element is in
    /// (empty for a top-level attribute).
    var parent: DocumentPath {
        DocumentPath(Array(elements.dropLast()))
    }

    /// One step down from `value`: a map member or a list element, if there is one.
    static func step(_ value: AttributeValue, _ element: PathElement) -> AttributeValue? {
        switch (element, value) {
        case (.name(let name), .m(let map)):
            return map[name]
        case (.index(let index), .l(let list)):
            // No ternary with `nil` here: AttributeValue is ExpressibleByNilLiteral, so
            // `cond ? list[index] : nil` would produce `.null`, not a missing value.
            guard index >= 0 && index < list.count else { return nil }
            return list[index]
        default:
            return nil
        }
    }
}
