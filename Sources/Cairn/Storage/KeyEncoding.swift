/// Order-preserving encoding of key attribute values (S, N, B) into CairnLSM keys, so that
/// byte order in the LSM is DynamoDB's key order: strings and binaries by their bytes, numbers
/// numerically across every sign and magnitude. Layout and invariants: Docs/key_encoding.md.
///
/// Each encoded component is self-delimiting, so a partition key followed by a sort key
/// orders first by partition key, then by sort key.
public enum KeyEncoding {
    /// Leading byte of an encoded number by sign.
    static let negativeTag: UInt8 = 0x40
    static let zeroTag: UInt8 = 0x80
    static let positiveTag: UInt8 = 0xC0

    /// Appends `value` (S, N or B) in its order-preserving form.
    ///
    /// - Throws: `ValidationException` if `value` is not a key type.
    public static func append(_ value: AttributeValue, to out: inout [UInt8]) throws {
        switch value {
        case .s(let s): appendBytes(s.utf8, to: &out)
        case .b(let b): appendBytes(b, to: &out)
        case .n(let n): appendNumber(n, to: &out)
        default:
            throw DynamoDBError.validation(
                "One or more parameter values were invalid: Key attributes must be of type S, N or B; found \(value.typeName)")
        }
    }

    /// Bytes with 0x00 escaped as 0x00 0xFF, then the terminator 0x00 0x01: a proper prefix
    /// ends sooner (0x01 sorts below 0xFF and every byte but 0x00), so order is byte order.
    static func appendBytes<Bytes: Collection<UInt8>>(_ bytes: Bytes, to out: inout [UInt8]) {
        out.reserveCapacity(out.count + bytes.count + 2)
        for byte in bytes {
            out.append(byte)
            if byte == 0 { out.append(0xFF) }
        }
        out.append(0x00)
        out.append(0x01)
    }

    /// Sign tag; for non-zero numbers an exponent byte (`exponent + 129`, complemented when
    /// negative), each digit as `d + 1` (negative: `10 - d`), then 0x00 (negative: 0xFF).
    static func appendNumber(_ n: Number, to out: inout [UInt8]) {
        if n.isZero {
            out.append(zeroTag)
            return
        }
        let biased = UInt8(n.exponent - Number.minExponent)  // 0 ... 255
        if n.isNegative {
            out.append(negativeTag)
            out.append(255 - biased)
            n.withDigits { for d in $0 { out.append(10 - d) } }
            out.append(0xFF)
        } else {
            out.append(positiveTag)
            out.append(biased)
            n.withDigits { for d in $0 { out.append(d + 1) } }
            out.append(0x00)
        }
    }

    /// Reads one component of type `typeName` ("S", "N" or "B") starting at `offset`,
    /// advancing it. Returns nil if the bytes are not a valid encoding.
    public static func decode(_ typeName: String, from bytes: [UInt8], offset: inout Int) -> AttributeValue? {
        switch typeName {
        case "S":
            guard let raw = decodeBytes(bytes, &offset) else { return nil }
            guard let s = String(validating: raw, as: UTF8.self) else { return nil }
            return .s(s)
        case "B":
            return decodeBytes(bytes, &offset).map { .b($0) }
        case "N":
            return decodeNumber(bytes, &offset).map { .n($0) }
        default:
            return nil
        }
    }

    static func decodeBytes(_ bytes: [UInt8], _ offset: inout Int) -> [UInt8]? {
        var out: [UInt8] = []
        var i = offset
        while i < bytes.count {
            let byte = bytes[i]
            if byte != 0 {
                out.append(byte)
                i += 1
                continue
            }
            guard i + 1 < bytes.count else { return nil }
            switch bytes[i + 1] {
            case 0xFF: out.append(0)
            case 0x01:
                offset = i + 2
                return out
            default: return nil
            }
            i += 2
        }
        return nil
    }

    static func decodeNumber(_ bytes: [UInt8], _ offset: inout Int) -> Number? {
        bytes.withUnsafeBytes { decodeNumber($0, &offset) }
    }

    /// Decodes a number component in place, reading the digits straight into the number's
    /// integer coefficient (no allocation).
    static func decodeNumber(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) -> Number? {
        guard offset < bytes.count else { return nil }
        let tag = bytes[offset]
        if tag == zeroTag {
            offset += 1
            return .zero
        }
        guard tag == negativeTag || tag == positiveTag, offset + 1 < bytes.count else { return nil }
        let negative = tag == negativeTag
        let biased = negative ? 255 - bytes[offset + 1] : bytes[offset + 1]
        let terminator: UInt8 = negative ? 0xFF : 0x00
        let start = offset + 2
        var end = start
        while end < bytes.count, bytes[end] != terminator {
            guard bytes[end] >= 1 && bytes[end] <= 10 else { return nil }
            end += 1
        }
        guard end < bytes.count, end > start else { return nil }
        // Only the normalized form is valid: no leading or trailing zero digit.
        let firstDigit = negative ? 10 - bytes[start] : bytes[start] - 1
        let lastDigit = negative ? 10 - bytes[end - 1] : bytes[end - 1] - 1
        guard firstDigit != 0, lastDigit != 0, end - start <= Number.maxSignificantDigits else { return nil }
        var coefficient: UInt128 = 0
        for i in start..<end { coefficient = coefficient * 10 + UInt128(negative ? 10 - bytes[i] : bytes[i] - 1) }
        guard let n = try? Number.checked(isNegative: negative, coefficient: coefficient, digitCount: end - start,
                                          exponent: Int(biased) + Number.minExponent)
        else { return nil }
        offset = end + 1
        return n
    }
}

extension KeyEncoding {
    /// Appends the encoding of a string or binary *prefix*: the escaped bytes without the
    /// terminator, which is a byte prefix of the encoding of every value starting with it
    /// (Query's `begins_with` on the sort key).
    ///
    /// - Throws: `ValidationException` if `value` is not S or B.
    static func appendPrefix(_ value: AttributeValue, to out: inout [UInt8]) throws {
        let bytes: [UInt8]
        switch value {
        case .s(let s): bytes = Array(s.utf8)
        case .b(let b): bytes = b
        default:
            throw DynamoDBError.validation(
                "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: \(value.typeName)")
        }
        appendBytes(bytes, to: &out)
        out.removeLast(2)
    }
}
