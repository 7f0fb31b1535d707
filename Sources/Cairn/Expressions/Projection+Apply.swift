/// Applying a projection expression to an item, as GetItem, Query and Scan return items.
///
/// Each path selects a part of the item; the result holds the selected parts in the same
/// nesting as the item, and nothing else:
/// - `a.b` returns `{a: {b: …}}`; `a.b, a.c` merge into one map `{a: {b: …, c: …}}`;
/// - `a[2]` returns `{a: [third element]}`: a list keeps only the selected elements, in index
///   order (so `a[2], a[0]` returns `{a: [first, third]}`), and `a[0].x, a[0].y` merge into one
///   element;
/// - a path that is missing (or passes through a value of the wrong type, or an index past the
///   end of a list) contributes nothing: no empty map or list is left in its place.
///
/// Overlapping paths (`a` with `a.b`) are rejected by the parser; should a tree hold them, the
/// shorter path wins and the whole value is returned.
extension Projection {
    /// The parts of `item` the projection selects.
    public func apply(to item: Item) -> Item {
        var result: Item = [:]
        // The common case: only top-level attributes.
        if paths.allSatisfy({ $0.elements.count == 1 }) {
            for path in paths {
                if case .name(let name)? = path.elements.first, let value = item[name] { result[name] = value }
            }
            return result
        }
        let root = ProjectionNode()
        for path in paths { root.insert(path.elements[...]) }
        for (name, child) in root.names {
            if let value = item[name], let projected = child.project(value) { result[name] = projected }
        }
        return result
    }
}

/// The projection's paths as a tree: a node is either taken whole or narrowed to some map
/// members and list elements.
private final class ProjectionNode {
    var whole = false
    var names: [String: ProjectionNode] = [:]
    var indexes: [Int: ProjectionNode] = [:]

    func insert(_ elements: ArraySlice<PathElement>) {
        guard let first = elements.first else {
            whole = true
            return
        }
        let child: ProjectionNode
        switch first {
        case .name(let name):
            child = names[name] ?? ProjectionNode()
            names[name] = child
        case .index(let index):
            child = indexes[index] ?? ProjectionNode()
            indexes[index] = child
        }
        child.insert(elements.dropFirst())
    }

    /// The selected parts of `value`, or nil when nothing selected is there.
    func project(_ value: AttributeValue) -> AttributeValue? {
        if whole { return value }
        switch value {
        case .m(let map) where !names.isEmpty:
            var out: [String: AttributeValue] = [:]
            for (name, child) in names {
                if let member = map[name], let projected = child.project(member) { out[name] = projected }
            }
            if out.isEmpty { return nil }
            return .m(out)
        case .l(let list) where !indexes.isEmpty:
            var out: [AttributeValue] = []
            for index in indexes.keys.sorted() where index >= 0 && index < list.count {
                if let child = indexes[index], let projected = child.project(list[index]) { out.append(projected) }
            }
            if out.isEmpty { return nil }
            return .l(out)
        default:
            return nil
        }
    }
}
