/// An append-only array of plain values (levels, dictionary indices, fixed-width values, bytes)
/// for the chunks' appends, which run once per value.
///
/// `Array.append` first makes sure the array's storage is not shared (copy on write), through a
/// call into the Swift runtime, on every append; a chunk's buffers are never shared, so a
/// `ColumnBuffer` append only checks for room. The storage is a class instance, so a copy of a
/// `ColumnBuffer` shares it: the chunks never copy one they go on appending to (a copy only
/// reads, as `ColumnChunkWriter` does with a chunk's levels).
///
/// Unsafe memory: the elements are reached through `ManagedBuffer` pointers only inside this
/// type, where `count` ≤ the storage's capacity always holds and every index is checked. The
/// writer only reads back what it appended, at indices from its own counts: no input value or
/// file byte chooses an index, so the subscript's precondition (Array's bounds check) cannot be
/// reached by input; it stays to guard the memory.
struct ColumnBuffer<Element: BitwiseCopyable>: RandomAccessCollection {
    /// Elements in use and room, in the storage's header.
    private struct Header {
        var count: Int
        var capacity: Int
    }

    private var storage: ManagedBuffer<Header, Element>

    init() {
        storage = Self.makeStorage(capacity: 0)
    }

    private static func makeStorage(capacity: Int) -> ManagedBuffer<Header, Element> {
        ManagedBuffer<Header, Element>.create(minimumCapacity: capacity) { _ in Header(count: 0, capacity: capacity) }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { storage.withUnsafeMutablePointerToHeader { $0.pointee.count } }

    subscript(position: Int) -> Element {
        storage.withUnsafeMutablePointers { header, elements in
            precondition(position >= 0 && position < header.pointee.count, "ColumnBuffer index out of range")
            return elements[position]
        }
    }

    @inline(__always)
    mutating func append(_ element: Element) {
        let (count, capacity) = storage.withUnsafeMutablePointerToHeader { ($0.pointee.count, $0.pointee.capacity) }
        if count == capacity { grow(toAtLeast: count + 1) }
        storage.withUnsafeMutablePointers { header, elements in
            (elements + count).initialize(to: element)
            header.pointee.count = count + 1
        }
    }

    /// Appends `elements` with one copy.
    @inline(__always)
    mutating func append(contentsOf elements: UnsafeBufferPointer<Element>) {
        guard let source = elements.baseAddress, !elements.isEmpty else { return }
        let (count, capacity) = storage.withUnsafeMutablePointerToHeader { ($0.pointee.count, $0.pointee.capacity) }
        if capacity - count < elements.count { grow(toAtLeast: count + elements.count) }
        storage.withUnsafeMutablePointers { header, target in
            (target + count).initialize(from: source, count: elements.count)
            header.pointee.count = count + elements.count
        }
    }

    /// Makes room for `capacity` elements in all.
    mutating func reserveCapacity(_ capacity: Int) {
        if capacity > storage.withUnsafeMutablePointerToHeader({ $0.pointee.capacity }) { grow(toAtLeast: capacity) }
    }

    /// Moves the elements to storage with room for `minimum` at least (twice the room so far,
    /// so appends stay amortized constant time).
    private mutating func grow(toAtLeast minimum: Int) {
        let old = storage
        let count = old.withUnsafeMutablePointerToHeader { $0.pointee.count }
        let capacity = Swift.max(minimum, 2 * old.withUnsafeMutablePointerToHeader { $0.pointee.capacity }, 16)
        let new = Self.makeStorage(capacity: capacity)
        old.withUnsafeMutablePointerToElements { source in
            new.withUnsafeMutablePointers { header, target in
                target.initialize(from: source, count: count)
                header.pointee.count = count
            }
        }
        storage = new
    }

    /// Calls `body` with the elements in use.
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutablePointers { header, elements in
            try body(UnsafeBufferPointer(start: elements, count: header.pointee.count))
        }
    }
}
