/// One leaf (primitive) column of a file's schema: what a `RowGroupBuilder` keeps a
/// chunk of.
struct ParquetLeaf: Sendable {
    /// The names from the root's child down to the leaf (`path_in_schema`).
    var path: [String]
    /// A primitive kind.
    var kind: ParquetColumn.Kind
    /// The OPTIONAL and REPEATED nodes on the path, the leaf included.
    var maxDefinition: UInt32
    /// The REPEATED nodes on the path.
    var maxRepetition: UInt32

    /// The path as error messages name it: `metaData.format.provider`.
    var dottedPath: String { path.joined(separator: ".") }
}

/// A nested top-level column's schema tree, with the levels each node's values get, which
/// turns a row's value into level entries of its leaves (Dremel's striping; Docs/parquet_writer.md,
/// "Nested columns").
///
/// A node present in a row defines its leaves up to `definition`; a null node defines them
/// up to `nullDefinition` (its parent's level). The k-th element (k > 0) of a list or map
/// repeats at `repetition`, the level of the node's repeated group; its first element, and
/// everything not inside a repeated group, repeats at the level its parent was given.
final class ColumnShredder {
    enum Shape {
        /// A primitive: the index of its leaf among the file's leaves.
        case leaf(Int)
        case group([ColumnShredder])
        /// A list's element node.
        case list(ColumnShredder)
        /// A map's key and value nodes.
        case map(ColumnShredder, ColumnShredder)
    }

    let shape: Shape
    let kind: ParquetColumn.Kind
    /// The node's schema path, dotted: `add.partitionValues.key_value.value`.
    let path: String
    let isOptional: Bool
    /// Definition level of the node's leaves when the node is present.
    let definition: UInt32
    /// Definition level of the node's leaves when the node is null (its parent's level).
    let nullDefinition: UInt32
    /// Repetition level of a list's or map's repeated group (else its parent's).
    let repetition: UInt32
    /// The node's leaves, among the file's.
    let leaves: Range<Int>
    /// A leaf's check of its values (nil for a list, map or struct).
    private let valueCheck: LeafValueCheck?

    /// Builds the tree of `column` under a parent at `definition` and `repetition`, appending
    /// its leaves to `leaves` and its schema elements, depth first, to `schema`.
    convenience init(
        column: ParquetColumn, parentPath: [String] = [], definition: UInt32 = 0, repetition: UInt32 = 0,
        leaves: inout [ParquetLeaf], schema: inout [Parquet.SchemaElement]
    ) {
        self.init(
            name: column.name, kind: column.kind, optional: column.isOptional, parentPath: parentPath,
            parentDefinition: definition, parentRepetition: repetition, leaves: &leaves, schema: &schema)
    }

    private init(
        name: String, kind: ParquetColumn.Kind, optional: Bool, parentPath: [String],
        parentDefinition: UInt32, parentRepetition: UInt32,
        leaves: inout [ParquetLeaf], schema: inout [Parquet.SchemaElement]
    ) {
        let path = parentPath + [name]
        let repetitionType: Parquet.Repetition = optional ? .optional : .required
        let definition = parentDefinition + (optional ? 1 : 0)
        let first = leaves.count
        var shape: Shape
        var repetition = parentRepetition
        switch kind {
        case .list(let element):
            schema.append(Parquet.SchemaElement(name: name, repetition: repetitionType, childCount: 1, logicalType: .list))
            schema.append(Parquet.SchemaElement(name: "list", repetition: .repeated, childCount: 1))
            repetition += 1
            shape = .list(ColumnShredder(
                name: "element", kind: element, optional: false, parentPath: path + ["list"],
                parentDefinition: definition + 1, parentRepetition: repetition, leaves: &leaves, schema: &schema))
        case .map(let key, let value, let valueOptional):
            schema.append(Parquet.SchemaElement(name: name, repetition: repetitionType, childCount: 1, logicalType: .map))
            schema.append(Parquet.SchemaElement(name: "key_value", repetition: .repeated, childCount: 2))
            repetition += 1
            let keyNode = ColumnShredder(
                name: "key", kind: key, optional: false, parentPath: path + ["key_value"],
                parentDefinition: definition + 1, parentRepetition: repetition, leaves: &leaves, schema: &schema)
            let valueNode = ColumnShredder(
                name: "value", kind: value, optional: valueOptional, parentPath: path + ["key_value"],
                parentDefinition: definition + 1, parentRepetition: repetition, leaves: &leaves, schema: &schema)
            shape = .map(keyNode, valueNode)
        case .group(let children):
            schema.append(Parquet.SchemaElement(name: name, repetition: repetitionType, childCount: Int32(clamping: children.count)))
            var nodes: [ColumnShredder] = []
            for child in children {
                nodes.append(ColumnShredder(
                    name: child.name, kind: child.kind, optional: child.isOptional, parentPath: path,
                    parentDefinition: definition, parentRepetition: repetition, leaves: &leaves, schema: &schema))
            }
            shape = .group(nodes)
        default:
            schema.append(ParquetColumn.leafElement(name, kind, repetitionType))
            leaves.append(ParquetLeaf(path: path, kind: kind, maxDefinition: definition, maxRepetition: parentRepetition))
            shape = .leaf(first)
        }
        self.shape = shape
        self.repetition = repetition
        self.kind = kind
        self.path = path.joined(separator: ".")
        self.isOptional = optional
        self.definition = definition
        self.nullDefinition = parentDefinition
        self.leaves = first..<leaves.count
        self.valueCheck = LeafValueCheck(kind)
    }

    /// Throws unless `value` fits the node (nothing is added: `write` checks a whole row
    /// before it adds any of it). Adds to `bound` at least what adding it would add to its
    /// leaves' buffered bytes: per entry its PLAIN bytes, 4 of dictionary index and 2 of levels.
    func check(_ value: ParquetValue, bound: inout Int) throws {
        if case .null = value {
            guard isOptional else { throw ExportError.encoding("column \(path) is REQUIRED and got a null") }
            bound += 2 * leaves.count
            return
        }
        switch (shape, value) {
        case (.leaf, _):
            guard let size = valueCheck?.acceptedSize(value) else {
                throw LeafValueCheck.describeRefusal(value, kind: kind, column: path)
            }
            bound += size + 4 + 2
        case (.group(let children), .group(let values)):
            guard values.count == children.count else {
                throw ExportError.encoding("column \(path) is a struct of \(children.count) children and got \(values.count) values")
            }
            for (child, childValue) in zip(children, values) { try child.check(childValue, bound: &bound) }
        case (.list(let element), .list(let elements)):
            if elements.isEmpty { bound += 2 * leaves.count }
            for elementValue in elements { try element.check(elementValue, bound: &bound) }
        case (.map(let key, let valueNode), .map(let entries)):
            if entries.isEmpty { bound += 2 * leaves.count }
            for entry in entries {
                try key.check(entry.key, bound: &bound)
                try valueNode.check(entry.value, bound: &bound)
            }
            try Self.checkUniqueKeys(entries, path: path)
        default:
            throw ExportError.encoding("column \(path) (\(kind.name)) got \(value)")
        }
    }

    private static func checkUniqueKeys(_ entries: [ParquetMapEntry], path: String) throws {
        guard entries.count > 1 else { return }
        if entries.count <= 8 {
            for i in 1..<entries.count {
                for j in 0..<i where entries[i].key == entries[j].key {
                    throw ExportError.encoding("column \(path) got the key \(entries[i].key) twice")
                }
            }
            return
        }
        var seen = Set<ParquetValue>(minimumCapacity: entries.count)
        for entry in entries where !seen.insert(entry.key).inserted {
            throw ExportError.encoding("column \(path) got the key \(entry.key) twice")
        }
    }

    /// Adds `value`, which `check` accepted, as level entries (and values) of the node's
    /// leaves, the first of them at repetition level `repetitionLevel`.
    func shred(_ value: ParquetValue, repetitionLevel: UInt32, into chunks: inout RowGroupBuilder) {
        switch (shape, value) {
        case (_, .null):
            for leaf in leaves { chunks.appendNull(leaf: leaf, definition: nullDefinition, repetition: repetitionLevel) }
        case (.leaf(let leaf), _):
            chunks.appendValue(value, leaf: leaf, repetition: repetitionLevel)
        case (.group(let children), .group(let values)):
            for (child, childValue) in zip(children, values) {
                child.shred(childValue, repetitionLevel: repetitionLevel, into: &chunks)
            }
        case (.list(let element), .list(let elements)):
            guard !elements.isEmpty else {
                // An empty list: its repeated group is not defined.
                for leaf in leaves { chunks.appendNull(leaf: leaf, definition: definition, repetition: repetitionLevel) }
                return
            }
            var level = repetitionLevel
            for elementValue in elements {
                element.shred(elementValue, repetitionLevel: level, into: &chunks)
                level = repetition
            }
        case (.map(let key, let valueNode), .map(let entries)):
            guard !entries.isEmpty else {
                for leaf in leaves { chunks.appendNull(leaf: leaf, definition: definition, repetition: repetitionLevel) }
                return
            }
            var level = repetitionLevel
            for entry in entries {
                key.shred(entry.key, repetitionLevel: level, into: &chunks)
                valueNode.shred(entry.value, repetitionLevel: level, into: &chunks)
                level = repetition
            }
        default:
            return  // `check` refuses these
        }
    }
}
