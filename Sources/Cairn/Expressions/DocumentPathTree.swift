/// The check that the paths of a projection or an update expression neither overlap (`a` and
/// `a.b`, or the same path twice) nor conflict (`a.b` and `a[0]`), with DynamoDB's messages.
///
/// DynamoDB inserts the paths one by one into a tree (in reverse order of the text) and reports
/// the first that clashes as "path one". "Path two" is the path it finds by walking down from
/// the clash, always taking the first child of each node in the iteration order of the Java
/// hash map that holds the children. That is not always the path that clashed (DynamoDB's own
/// quirk), so `PathTree` keeps the children in that same order to name the same path two.
struct PathTree {
    private final class Node {
        /// Children as a Java `HashMap` orders them: by bucket, then insertion.
        var children: [(element: PathElement, node: Node?, hash: Int32, order: Int)] = []
        var capacity = 16
        var inserted = 0

        func index(of element: PathElement) -> Int? {
            children.firstIndex { $0.element == element }
        }

        func add(_ element: PathElement, _ node: Node?) {
            children.append((element, node, PathTree.javaHash(element), inserted))
            inserted += 1
            // HashMap doubles its table when it holds more than three quarters of its capacity.
            while children.count > capacity * 3 / 4 { capacity *= 2 }
        }

        /// The child a Java HashMap iterates first.
        var first: (element: PathElement, node: Node?)? {
            func bucket(_ h: Int32) -> Int {
                let spread = h ^ Int32(bitPattern: UInt32(bitPattern: h) >> 16)
                return Int(spread) & (capacity - 1)
            }
            guard let best = children.min(by: { (bucket($0.hash), $0.order) < (bucket($1.hash), $1.order) }) else {
                return nil
            }
            return (best.element, best.node)
        }
    }

    private let root = Node()

    /// Adds `path`, or throws "Two document paths overlap/conflict with each other".
    func insert(_ path: DocumentPath) throws {
        let elements = path.elements
        var node = root
        var depth = 0
        while depth < elements.count {
            let element = elements[depth]
            if let i = node.index(of: element) {
                if let child = node.children[i].node, depth + 1 < elements.count {
                    node = child
                    depth += 1
                    continue
                }
                throw ExpressionProblem(
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: \(Self.describe(elements)), path two: \(Self.describe(leaf(elements, depth, node)))")
            }
            if let first = node.first, Self.isIndex(first.element) != Self.isIndex(element) {
                throw ExpressionProblem(
                    "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: \(Self.describe(elements)), path two: \(Self.describe(leaf(elements, depth, node)))")
            }
            node.add(element, Self.chain(elements[(depth + 1)...]))
            return
        }
    }

    private static func chain(_ rest: ArraySlice<PathElement>) -> Node? {
        guard let head = rest.first else { return nil }
        let node = Node()
        node.add(head, chain(rest.dropFirst()))
        return node
    }

    /// The path from the root through `path[0..<depth]`, then down first children to a leaf.
    private func leaf(_ path: [PathElement], _ depth: Int, _ start: Node) -> [PathElement] {
        var result = Array(path[0..<depth])
        var node: Node? = start
        while let current = node, let first = current.first {
            result.append(first.element)
            guard let next = first.node, !next.children.isEmpty else { break }
            node = next
        }
        return result
    }

    private static func isIndex(_ element: PathElement) -> Bool {
        if case .index = element { return true }
        return false
    }

    /// A path as DynamoDB prints it in these messages: `[a, b, [3]]`.
    static func describe(_ elements: [PathElement]) -> String {
        "[" + elements.map { element -> String in
            switch element {
            case .name(let name): return name
            case .index(let i): return "[\(i)]"
            }
        }.joined(separator: ", ") + "]"
    }

    /// The hash DynamoDB's path elements have in Java: commons-lang `HashCodeBuilder(8191, 127)`
    /// over the name's `String.hashCode()` or over the index.
    static func javaHash(_ element: PathElement) -> Int32 {
        let seed = Int32(8191) &* 127
        switch element {
        case .name(let name):
            var h: Int32 = 0
            for unit in name.utf16 { h = h &* 31 &+ Int32(unit) }
            return seed &+ h
        case .index(let i):
            return seed &+ Int32(truncatingIfNeeded: i)
        }
    }
}
