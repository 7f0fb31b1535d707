/// A DynamoDB number (type `N`): an exact decimal with at most 38 significant digits and a
/// magnitude between 1E-130 and 9.99…E+125, or zero. Never converted through `Double`.
///
/// Stored normalized: `digits` are the significant digits (no leading or trailing zeros, 1 to
/// 38 of them, each 0...9) and the value is `0.d₁d₂…dₙ × 10^exponent`, negated when
/// `isNegative`. Zero has no digits (and is never negative). So "1", "1.0", "01", "+1" and
/// "10E-1" all parse to the same `Number`, and `==` is numeric equality.
public struct Number: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The most significant digits a number may have.
    public static let maxSignificantDigits = 38
    /// Exponent bounds in the normalized `0.d… × 10^exponent` form: 1E-130 is 0.1 × 10^-129
    /// and anything below 1E+126 has an exponent of at most 126.
    static let minExponent = -129
    static let maxExponent = 126

    /// True for numbers below zero.
    public private(set) var isNegative: Bool
    /// The significant digits read as one integer (at most 38 digits, below 2^127), so a
    /// number needs no heap storage; 0 for zero.
    private var coefficient: UInt128
    /// How many significant digits `coefficient` has (0 for zero).
    private var digitCount: UInt8
    /// Decimal exponent of the normalized form `0.digits × 10^exponent` (0 for zero).
    public private(set) var exponent: Int

    /// Zero.
    public static let zero = Number(isNegative: false, coefficient: 0, digitCount: 0, exponent: 0)

    private init(isNegative: Bool, coefficient: UInt128, digitCount: Int, exponent: Int) {
        self.isNegative = isNegative
        self.coefficient = coefficient
        self.digitCount = UInt8(truncatingIfNeeded: digitCount)
        self.exponent = exponent
    }

    private init(isNegative: Bool, digits: [UInt8], exponent: Int) {
        var coefficient: UInt128 = 0
        for d in digits { coefficient = coefficient &* 10 &+ UInt128(d) }
        self.init(isNegative: isNegative, coefficient: coefficient, digitCount: digits.count, exponent: exponent)
    }

    /// Significant digits, most significant first; empty for zero.
    public var digits: [UInt8] {
        withDigits { Array($0) }
    }

    /// The number of significant digits (0 for zero).
    public var significantDigitCount: Int { Int(digitCount) }

    /// Calls `body` with the significant digits, most significant first, in temporary memory.
    func withDigits<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let count = Int(digitCount)
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buffer in
            // Two 64-bit halves of at most 19 digits each: cheap divisions.
            let tenTo19: UInt128 = 10_000_000_000_000_000_000
            var low = UInt64(truncatingIfNeeded: coefficient % tenTo19)
            var high = UInt64(truncatingIfNeeded: coefficient / tenTo19)
            var i = count - 1
            var taken = 0
            while i >= 0 {
                if taken < 19 {
                    buffer[i] = UInt8(truncatingIfNeeded: low % 10)
                    low /= 10
                } else {
                    buffer[i] = UInt8(truncatingIfNeeded: high % 10)
                    high /= 10
                }
                taken += 1
                i -= 1
            }
            return try body(UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// The number equal to `value`, built from its decimal digits without parsing text (at
    /// most 19 digits, exponent at most 19: always within DynamoDB's limits).
    init(integer value: Int) {
        guard value != 0 else {
            self = .zero
            return
        }
        var magnitude = value.magnitude
        var exponent = 0
        var probe = magnitude
        while probe > 0 {
            exponent += 1
            probe /= 10
        }
        while magnitude % 10 == 0 { magnitude /= 10 }  // trailing zeros are not significant
        var count = 0
        probe = magnitude
        while probe > 0 {
            count += 1
            probe /= 10
        }
        self.init(isNegative: value < 0, coefficient: UInt128(magnitude), digitCount: count, exponent: exponent)
    }

    /// True for zero.
    public var isZero: Bool { digitCount == 0 }

    /// The number as an `Int64` when it is a whole number in Int64's range with at most 18
    /// digits, nil otherwise (a fraction, or larger): a cheap exact conversion for the common
    /// case, such as TTL timestamps.
    var wholeInt64: Int64? {
        if digitCount == 0 { return 0 }
        // value = coefficient × 10^(exponent − digitCount); whole when that power is ≥ 0.
        let scale = exponent - Int(digitCount)
        guard scale >= 0, exponent <= 18 else { return nil }
        var magnitude = UInt64(truncatingIfNeeded: coefficient)
        for _ in 0..<scale { magnitude *= 10 }  // at most 18 digits in all: no overflow
        return isNegative ? -Int64(magnitude) : Int64(magnitude)
    }

    /// Parses DynamoDB's number syntax: an optional sign, digits with an optional decimal
    /// point (at least one digit overall), and an optional exponent `e`/`E` with an optional
    /// sign. No spaces, `NaN` or `Infinity`.
    ///
    /// - Throws: `ValidationException` with DynamoDB's messages: not numeric, more than 38
    ///   significant digits, overflow (magnitude 1E+126 or more) or underflow (below 1E-130).
    public init(parsing text: String) throws {
        let bytes = Array(text.utf8)
        var i = 0
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var all: [UInt8] = []  // every mantissa digit, in order
        var pointPosition: Int? = nil  // digits before the point
        var sawDigit = false
        while i < bytes.count {
            let c = bytes[i]
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                all.append(c - UInt8(ascii: "0"))
                sawDigit = true
            } else if c == UInt8(ascii: "."), pointPosition == nil {
                pointPosition = all.count
            } else {
                break
            }
            i += 1
        }
        guard sawDigit else { throw Number.notNumeric(text) }
        var exponentValue = 0
        if i < bytes.count {
            guard bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") else { throw Number.notNumeric(text) }
            i += 1
            var exponentNegative = false
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var sawExponentDigit = false
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9") {
                // Saturate: anything this large overflows (or is zero) anyway.
                if exponentValue < 1_000_000_000 { exponentValue = exponentValue * 10 + Int(bytes[i] - UInt8(ascii: "0")) }
                sawExponentDigit = true
                i += 1
            }
            guard sawExponentDigit, i == bytes.count else { throw Number.notNumeric(text) }
            if exponentNegative { exponentValue = -exponentValue }
        }
        // value = 0.all × 10^(pointPosition + exponentValue); trim leading and trailing zeros.
        var exponent = (pointPosition ?? all.count) + exponentValue
        var start = 0
        while start < all.count && all[start] == 0 {
            start += 1
            exponent -= 1
        }
        var end = all.count
        while end > start && all[end - 1] == 0 { end -= 1 }
        if start == end {
            self = .zero
            return
        }
        self = try Number.checked(isNegative: negative, digits: Array(all[start..<end]), exponent: exponent)
    }

    /// A normalized number, or DynamoDB's precision, overflow or underflow error.
    static func checked(isNegative: Bool, digits: [UInt8], exponent: Int) throws -> Number {
        if digits.isEmpty { return .zero }
        try checkRange(exponent: exponent, digitCount: digits.count)
        return Number(isNegative: isNegative, digits: digits, exponent: exponent)
    }

    /// `checked` for digits already read as an integer (`digitCount` of them, the first and
    /// last non-zero).
    static func checked(isNegative: Bool, coefficient: UInt128, digitCount: Int, exponent: Int) throws -> Number {
        if digitCount == 0 { return .zero }
        try checkRange(exponent: exponent, digitCount: digitCount)
        return Number(isNegative: isNegative, coefficient: coefficient, digitCount: digitCount, exponent: exponent)
    }

    /// DynamoDB's overflow, underflow and precision errors, in the order it reports them.
    private static func checkRange(exponent: Int, digitCount: Int) throws {
        guard exponent <= maxExponent else {
            throw DynamoDBError.validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range")
        }
        guard exponent >= minExponent else {
            throw DynamoDBError.validation(
                "Number underflow. Attempting to store a number with magnitude smaller than supported range")
        }
        guard digitCount <= maxSignificantDigits else {
            throw DynamoDBError.validation("Attempting to store more than 38 significant digits in a Number")
        }
    }

    private static func notNumeric(_ text: String) -> DynamoDBError {
        .validation("The parameter cannot be converted to a numeric value: \(text)")
    }

    /// The number in plain decimal notation without an exponent: "100", "-0.25", "0".
    public var description: String {
        var out: [UInt8] = []
        appendText(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `description`'s ASCII bytes to `out` (for writers that build bytes, such as
    /// DynamoDB JSON).
    public func appendText(to out: inout [UInt8]) {
        let zero = UInt8(ascii: "0")
        if isZero {
            out.append(zero)
            return
        }
        out.reserveCapacity(out.count + digits.count + max(0, -exponent) + max(0, exponent - digits.count) + 3)
        if isNegative { out.append(UInt8(ascii: "-")) }
        if exponent <= 0 {
            out.append(zero)
            out.append(UInt8(ascii: "."))
            for _ in 0..<(-exponent) { out.append(zero) }
            for digit in digits { out.append(digit + zero) }
        } else if exponent >= digits.count {
            for digit in digits { out.append(digit + zero) }
            for _ in 0..<(exponent - digits.count) { out.append(zero) }
        } else {
            for (i, digit) in digits.enumerated() {
                if i == exponent { out.append(UInt8(ascii: ".")) }
                out.append(digit + zero)
            }
        }
    }

    /// Numeric order.
    public static func < (a: Number, b: Number) -> Bool { compare(a, b) < 0 }

    /// -1, 0 or 1 as `a` is less than, equal to or greater than `b`.
    public static func compare(_ a: Number, _ b: Number) -> Int {
        let signA = a.isZero ? 0 : (a.isNegative ? -1 : 1)
        let signB = b.isZero ? 0 : (b.isNegative ? -1 : 1)
        if signA != signB { return signA < signB ? -1 : 1 }
        if signA == 0 { return 0 }
        let magnitude = compareMagnitude(a, b)
        return signA > 0 ? magnitude : -magnitude
    }

    /// Compares absolute values of two non-zero numbers.
    private static func compareMagnitude(_ a: Number, _ b: Number) -> Int {
        if a.exponent != b.exponent { return a.exponent < b.exponent ? -1 : 1 }
        // Same exponent: compare 0.d₁d₂… by scaling the shorter coefficient to the longer's
        // digit count (at most 38 digits, so it stays below 2^127).
        var x = a.coefficient, y = b.coefficient
        if a.digitCount < b.digitCount { x *= power10(Int(b.digitCount - a.digitCount)) }
        if b.digitCount < a.digitCount { y *= power10(Int(a.digitCount - b.digitCount)) }
        return x == y ? 0 : (x < y ? -1 : 1)
    }

    private static func power10(_ n: Int) -> UInt128 {
        var p: UInt128 = 1
        for _ in 0..<n { p *= 10 }
        return p
    }

    /// The number with the opposite sign.
    public static prefix func - (a: Number) -> Number {
        a.isZero ? a : Number(isNegative: !a.isNegative, coefficient: a.coefficient, digitCount: Int(a.digitCount), exponent: a.exponent)
    }

    /// The exact sum. Throws DynamoDB's error when the result needs more than 38 significant
    /// digits (DynamoDB reports that as an overflow too) or leaves the magnitude range.
    public static func adding(_ a: Number, _ b: Number) throws -> Number {
        if a.isZero { return b }
        if b.isZero { return a }
        // Align both on the smallest power of ten either uses: value = Σ d × 10^(exp - k).
        let lowA = a.exponent - a.significantDigitCount, lowB = b.exponent - b.significantDigitCount
        let low = min(lowA, lowB)
        let high = max(a.exponent, b.exponent)
        // Operands 10^255 apart cannot give a representable sum; refuse before allocating.
        guard high - low <= 2 * (maxExponent - minExponent) + 2 * maxSignificantDigits else {
            throw DynamoDBError.validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range")
        }
        let width = high - low + 1  // one extra digit for a carry
        func spread(_ n: Number) -> [Int] {
            var out = [Int](repeating: 0, count: width)  // out[0] is the least significant
            let nLow = n.exponent - n.significantDigitCount
            for (i, d) in n.digits.reversed().enumerated() { out[nLow - low + i] = Int(d) }
            return out
        }
        let x = spread(a), y = spread(b)
        var result = [Int](repeating: 0, count: width)
        let negative: Bool
        if a.isNegative == b.isNegative {
            var carry = 0
            for i in 0..<width {
                let s = x[i] + y[i] + carry
                result[i] = s % 10
                carry = s / 10
            }
            negative = a.isNegative
        } else {
            // Subtract the smaller magnitude from the larger.
            let aLarger = compareMagnitude(a, b) >= 0
            let (big, small) = aLarger ? (x, y) : (y, x)
            var borrow = 0
            for i in 0..<width {
                var d = big[i] - small[i] - borrow
                borrow = 0
                if d < 0 {
                    d += 10
                    borrow = 1
                }
                result[i] = d
            }
            negative = aLarger ? a.isNegative : b.isNegative
        }
        // result[i] is the digit of 10^(low + i); normalize.
        var top = width - 1
        while top >= 0 && result[top] == 0 { top -= 1 }
        if top < 0 { return .zero }
        var bottom = 0
        while result[bottom] == 0 { bottom += 1 }
        let digits = (bottom...top).reversed().map { UInt8(result[$0]) }
        // DynamoDB reports a sum that needs more than 38 digits as an overflow.
        guard digits.count <= maxSignificantDigits else {
            throw DynamoDBError.validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range")
        }
        return try checked(isNegative: negative, digits: digits, exponent: low + top + 1)
    }

    /// The exact difference `a - b` (see `adding`).
    public static func subtracting(_ a: Number, _ b: Number) throws -> Number {
        try adding(a, -b)
    }
}

// MARK: - Fixed-point form (exports to DECIMAL columns)

extension Number {
    /// Digits after the decimal point of the number's plain form (0 for an integer).
    public var fractionDigitCount: Int { max(0, significantDigitCount - exponent) }

    /// Digits before the decimal point of the number's plain form (0 below 1).
    public var integerDigitCount: Int { max(0, exponent) }

    /// The number times 10^`scale` when that is an integer of at most 38 digits (what a
    /// DECIMAL(38, scale) column stores), else nil.
    public func unscaled(scale: Int) -> Int128? {
        if isZero { return 0 }
        let shift = exponent - significantDigitCount + scale
        guard shift >= 0, significantDigitCount + shift <= Self.maxSignificantDigits else { return nil }
        var magnitude = coefficient
        for _ in 0..<shift { magnitude *= 10 }
        let value = Int128(magnitude)
        return isNegative ? -value : value
    }
}
