import Testing
@testable import Cairn

/// DynamoDB's number rules, with the cases DynamoDB itself accepts and rejects (as recorded by
/// the Alternator project's tests against DynamoDB).
@Suite struct NumberTests {
    func n(_ s: String) throws -> Number { try Number(parsing: s) }

    func expectError(_ s: String, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try Number(parsing: s)
            Issue.record("\(s) parsed", sourceLocation: sourceLocation)
        } catch let e as DynamoDBError {
            #expect(e.name == "ValidationException", sourceLocation: sourceLocation)
            #expect(e.message.contains(fragment), "\(e.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func acceptsDynamoDBSyntaxAndNormalizes() throws {
        let cases: [(String, String)] = [
            ("3", "3"), ("-7.1234", "-7.1234"), ("-17e5", "-1700000"), ("-17.4E37", "-174" + String(repeating: "0", count: 36)),
            ("+3", "3"), (".123", "0.123"), ("0001.23", "1.23"), ("1e+5", "100000"), ("0e1000", "0"),
            ("1.0", "1"), ("01", "1"), ("-0", "0"), ("1.", "1"), ("10E-1", "1"), ("0.000", "0"), ("-0.0500", "-0.05"),
        ]
        for (input, canonical) in cases {
            #expect(try n(input).description == canonical, "\(input)")
        }
        #expect(try n("1.0") == n("1") && n("01") == n("1") && n("+1") == n("10e-1"))
        #expect(try !n("-0").isNegative && n("-0").isZero)
    }

    @Test func wholeInt64IsExactOrNil() throws {
        let cases: [(String, Int64?)] = [
            ("0", 0), ("-0", 0), ("1800000000", 1_800_000_000), ("-42", -42), ("1.8E9", 1_800_000_000),
            ("120.000", 120), ("999999999999999999", 999_999_999_999_999_999), ("1E18", nil),
            ("1000000000000000000", nil), ("1.5", nil), ("-0.5", nil), ("1E-5", nil), ("12345678901234567891", nil),
        ]
        for (text, expected) in cases {
            #expect(try Number(parsing: text).wholeInt64 == expected, "\(text)")
        }
        // Agrees with the text for every whole number it converts.
        var rng = Rng(state: 99)
        for _ in 0..<2_000 {
            let value = Int64(bitPattern: rng.next()) % 1_000_000_000_000_000_000
            let number = try Number(parsing: String(value))
            #expect(number.wholeInt64 == value)
        }
    }

    @Test func rejectsWhatDynamoDBRejects() {
        for s in ["NaN", "Infinity", "-Infinity", "-NaN", "dog", "-dog", " 1", "1 ", "", ".", "+", "-", "1e", "1e+", "1.2.3", "--1", "1x", "0x10", "1e5.5"] {
            expectError(s, containing: "cannot be converted to a numeric value")
        }
    }

    @Test func magnitudeAndPrecisionLimits() throws {
        for s in ["1e10", "1e100", "1e125", "9.99999999e125", "1e-100", "1e-130"] {
            #expect(try n(s) > .zero && n("-" + s) < .zero, "\(s)")
        }
        #expect(try n("1e125").description == "1" + String(repeating: "0", count: 125))
        #expect(try n("1e-130").description == "0." + String(repeating: "0", count: 129) + "1")
        for s in ["1e126", "11e125", "-1e126"] { expectError(s, containing: "overflow") }
        for s in ["1e-131", "0.9e-130", "-1e-131"] { expectError(s, containing: "underflow") }
        for s in ["3.1415926535897932384626433832795028841", "314159265358979323846.26433832795028841",
                  "31415926535897932384626433832795028841e30"] {
            #expect(try n(s).digits.count == 38)
        }
        for s in ["3.14159265358979323846264338327950288419", "314159265358979323846.264338327950288419",
                  "314159265358979323846264338327950288419e30"] {
            expectError(s, containing: "more than 38 significant digits")
        }
        // Trailing and leading zeros are not significant.
        #expect(try n("1000000000000000000000000000000000000000000000000000").digits == [1])
    }

    @Test func ordersNumericallyAcrossSignsAndMagnitudes() throws {
        let sorted = ["-1e125", "-12", "-11.5", "-1", "-0.5", "-1e-130", "0", "1e-130", "0.001", "0.5", "1", "1.5", "2", "10", "11", "1e125"]
        let parsed = try sorted.map(n)
        #expect(parsed == parsed.sorted())
        for (a, b) in zip(parsed, parsed.dropFirst()) { #expect(a < b && !(b < a) && a != b) }
        #expect(try Number.compare(n("2.50"), n("2.5")) == 0)
    }

    @Test func addsAndSubtractsExactly() throws {
        #expect(try Number.adding(n("1"), n("10000000000000000000000")).description == "10000000000000000000001")
        #expect(try Number.subtracting(n("10000000000000000000000"), n("1")).description == "9999999999999999999999")
        #expect(try Number.adding(n("0.1"), n("0.2")).description == "0.3")  // not 0.30000000000000004
        #expect(try Number.adding(n("-5"), n("5")).isZero)
        #expect(try Number.adding(n("-5.25"), n("2")).description == "-3.25")
        #expect(try Number.subtracting(n("2"), n("5.5")).description == "-3.5")
        #expect(try Number.adding(n("999"), n("1")).description == "1000")
        #expect(try Number.adding(n("1e-130"), n("1e-130")).description == "0." + String(repeating: "0", count: 129) + "2")
        #expect(try Number.adding(n("0"), n("-7")).description == "-7")
        // Results must still be representable.
        #expect(throws: DynamoDBError.self) { try Number.adding(n("9e125"), n("9e125")) }
        #expect(throws: DynamoDBError.self) { try Number.subtracting(n("9e125"), n("-9e125")) }
        #expect(throws: DynamoDBError.self) { try Number.adding(n("1e50"), n("1")) }
        #expect(throws: DynamoDBError.self) { try Number.adding(n("1e125"), n("1e-130")) }
    }

    /// Random sums checked against exact integer arithmetic on scaled values.
    @Test func randomSumsMatchIntegerArithmetic() throws {
        var state: UInt64 = 0x1234_5678
        func next() -> Int64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int64(bitPattern: state >> 20) % 10_000_000_000
        }
        for _ in 0..<2000 {
            let a = next(), b = next()
            let scale = Int(UInt64(bitPattern: next()) % 6)
            func text(_ v: Int64) -> String {
                // v × 10^-scale as decimal text
                scale == 0 ? String(v) : String(v) + "e-" + String(scale)
            }
            let sum = try Number.adding(n(text(a)), n(text(b)))
            #expect(sum == (try n(text(a + b))), "\(a) + \(b) at scale \(scale)")
            let difference = try Number.subtracting(n(text(a)), n(text(b)))
            #expect(difference == (try n(text(a - b))))
            #expect((Number.compare(try n(text(a)), try n(text(b)))) == (a < b ? -1 : (a == b ? 0 : 1)))
        }
    }
}

@Suite struct NumberFromIntegerTests {
    /// `Number(exactly:)` builds digits directly; it must equal parsing the decimal text.
    @Test func integersMatchTheirParsedText() throws {
        var rng = Rng(state: 99)
        var values = [0, 1, -1, 10, -10, 100, 1200, Int.max, Int.min, Int.min + 1, 9, 99, -1000000]
        for _ in 0..<2000 {
            let shift = rng.below(63)
            let v = Int(truncatingIfNeeded: rng.next()) >> shift
            values.append(v)
        }
        for v in values {
            #expect(Number(exactly: v) == (try Number(parsing: String(v))), "\(v)")
        }
    }
}
