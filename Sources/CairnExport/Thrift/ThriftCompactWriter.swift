/// Writes Thrift's compact protocol (thrift-compact-protocol.md in the Apache Thrift
/// repository), the encoding of Parquet's footer and page headers.
///
/// Structs are written field by field in ascending id order: `structBegin`, then the fields,
/// then `structEnd` (the stop byte). A field header carries the delta from the previous
/// field's id when it is 1...15 (one byte), else the type byte and the id as a zigzag varint.
/// Integers are zigzag varints, binaries and strings a varint length and the bytes, a bool
/// field's value is its header's type (1 true, 2 false), and a list header gives the element
/// type and the count (in the header byte up to 14).
struct ThriftCompactWriter {
    /// Compact protocol type ids.
    enum FieldType: UInt8 {
        case boolTrue = 1, boolFalse = 2, i8 = 3, i16 = 4, i32 = 5, i64 = 6, double = 7
        case binary = 8, list = 9, set = 10, map = 11, `struct` = 12
    }

    /// The bytes written so far.
    private(set) var bytes: [UInt8] = []
    /// The id of the last field written in each open struct, innermost last.
    private var lastFieldIDs: [Int16] = [0]

    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    // MARK: Structs

    /// Opens a nested struct (the value of a struct field or a list element): its field ids
    /// count from 0 again.
    mutating func structBegin() {
        lastFieldIDs.append(0)
    }

    /// Closes the innermost struct with the stop byte.
    mutating func structEnd() {
        bytes.append(0)
        lastFieldIDs.removeLast()
    }

    /// A field header for field `id` of `type` (ids must ascend within a struct).
    mutating func fieldHeader(_ id: Int16, _ type: FieldType) {
        let last = lastFieldIDs[lastFieldIDs.count - 1]
        let delta = Int(id) - Int(last)
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            appendVarint(zigzag(Int64(id)))
        }
        lastFieldIDs[lastFieldIDs.count - 1] = id
    }

    /// A struct field: the header; the caller writes the struct's fields and `structEnd`.
    mutating func structField(_ id: Int16) {
        fieldHeader(id, .struct)
        structBegin()
    }

    // MARK: Scalar fields

    mutating func bool(_ id: Int16, _ value: Bool) {
        fieldHeader(id, value ? .boolTrue : .boolFalse)
    }

    mutating func i8(_ id: Int16, _ value: Int8) {
        fieldHeader(id, .i8)
        bytes.append(UInt8(bitPattern: value))
    }

    mutating func i16(_ id: Int16, _ value: Int16) {
        fieldHeader(id, .i16)
        appendVarint(zigzag(Int64(value)))
    }

    mutating func i32(_ id: Int16, _ value: Int32) {
        fieldHeader(id, .i32)
        appendVarint(zigzag(Int64(value)))
    }

    mutating func i64(_ id: Int16, _ value: Int64) {
        fieldHeader(id, .i64)
        appendVarint(zigzag(value))
    }

    mutating func binary(_ id: Int16, _ value: [UInt8]) {
        fieldHeader(id, .binary)
        appendBinary(value)
    }

    mutating func string(_ id: Int16, _ value: String) {
        binary(id, Array(value.utf8))
    }

    // MARK: Lists

    /// A list field's header: `count` elements of `elementType` follow (for struct elements,
    /// each is `structBegin` ... `structEnd`).
    mutating func listField(_ id: Int16, _ elementType: FieldType, count: Int) {
        fieldHeader(id, .list)
        listHeader(elementType, count: count)
    }

    mutating func listHeader(_ elementType: FieldType, count: Int) {
        if count < 15 {
            bytes.append(UInt8(count) << 4 | elementType.rawValue)
        } else {
            bytes.append(0xF0 | elementType.rawValue)
            appendVarint(UInt64(count))
        }
    }

    /// A list element of type i32.
    mutating func i32Element(_ value: Int32) {
        appendVarint(zigzag(Int64(value)))
    }

    /// A list element of type binary (or string).
    mutating func binaryElement(_ value: [UInt8]) {
        appendBinary(value)
    }

    // MARK: Encoding

    private mutating func appendBinary(_ value: [UInt8]) {
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    private func zigzag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    private mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }
}
