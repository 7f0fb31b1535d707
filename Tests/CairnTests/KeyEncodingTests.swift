import Testing
@testable import Cairn

@Suite struct KeyEncodingTests {
    func encode(_ values: AttributeValue...) throws -> [UInt8] {
        var out: [UInt8] = []
        for v in values { try KeyEncoding.append(v, to: &out) }
        return out
    }

    func lexLess(_ a: [UInt8], _ b: [UInt8]) -> Bool { a.lexicographicallyPrecedes(b) }

    func randomNumber(_ rng: inout Rng) throws -> Number {
        if rng.below(20) == 0 { return .zero }
        let digits = 1 + rng.below(38)
        var text = rng.below(2) == 0 ? "-" : ""
        text += String(1 + rng.below(9))
        for _ in 1..<digits { text += String(rng.below(10)) }
        // The normalized exponent (value = 0.digits × 10^target): around zero, anywhere, or at
        // either limit. The integer text times 10^(target - digits) has exactly that.
        let target = [rng.below(10) - 5, rng.below(250) - 124, Number.minExponent, Number.maxExponent][rng.below(4)]
        return try Number(parsing: text + "e" + String(target - digits))
    }

    @Test func numbersEncodeInNumericOrder() throws {
        var rng = Rng(state: 42)
        var numbers: [Number] = try ["0", "1", "-1", "0.1", "0.12", "-0.1", "-0.12", "1e125", "-1e125", "1e-130", "-1e-130",
                                      "9.9999999999999999999999999999999999999e125", "10", "9", "100", "-10", "-9"].map { try Number(parsing: $0) }
        for _ in 0..<3000 { numbers.append(try randomNumber(&rng)) }
        #expect(numbers.contains { $0.exponent == Number.minExponent } && numbers.contains { $0.exponent == Number.maxExponent })
        let encoded = try numbers.map { try encode(.n($0)) }
        for _ in 0..<20000 {
            let i = rng.below(numbers.count), j = rng.below(numbers.count)
            let numeric = Number.compare(numbers[i], numbers[j])
            let bytes = lexLess(encoded[i], encoded[j]) ? -1 : (encoded[i] == encoded[j] ? 0 : 1)
            #expect(numeric == bytes, "\(numbers[i]) vs \(numbers[j])")
        }
        for (n, e) in zip(numbers, encoded) {
            var offset = 0
            #expect(KeyEncoding.decode("N", from: e, offset: &offset) == .n(n))
            #expect(offset == e.count)
        }
    }

    @Test func bytesAndStringsEncodeInByteOrderAndRoundTrip() throws {
        var rng = Rng(state: 7)
        var values: [[UInt8]] = [[], [0], [0, 0], [0, 1], [1], [0xFF], [0xFF, 0], [0, 0xFF], [1, 0], [1, 0, 0]]
        for _ in 0..<500 { values.append((0..<rng.below(6)).map { _ in [0, 1, 0xFF, 0x41, 0x42][rng.below(5)] }) }
        let encoded = try values.map { try encode(.b($0)) }
        for i in values.indices {
            for j in values.indices where i < j || i % 7 == 0 {
                #expect(lexLess(values[i], values[j]) == lexLess(encoded[i], encoded[j]), "\(values[i]) vs \(values[j])")
            }
            var offset = 0
            #expect(KeyEncoding.decode("B", from: encoded[i], offset: &offset) == .b(values[i]))
            #expect(offset == encoded[i].count)
        }
        var offset = 0
        #expect(KeyEncoding.decode("S", from: try encode(.s("héllo")), offset: &offset) == .s("héllo"))
    }

    /// A partition key followed by a sort key orders by partition key first: a longer
    /// partition key never interleaves with a shorter one's sort keys.
    @Test func compositeKeysOrderByPartitionThenSort() throws {
        let partitions: [AttributeValue] = [.s("a"), .s("a\u{0}"), .s("ab"), .s("b")]
        let sorts: [AttributeValue] = try ["-5", "0", "3", "20"].map { .n(try Number(parsing: $0)) } + []
        var keys: [(Int, Int, [UInt8])] = []
        for (i, p) in partitions.enumerated() {
            for (j, s) in sorts.enumerated() { keys.append((i, j, try encode(p, s))) }
        }
        let sorted = keys.sorted { lexLess($0.2, $1.2) }
        #expect(sorted.map { [$0.0, $0.1] } == keys.map { [$0.0, $0.1] })
        var offset = 0
        let key = try encode(.s("ab"), .n(try Number(parsing: "-2.5")))
        #expect(KeyEncoding.decode("S", from: key, offset: &offset) == .s("ab"))
        #expect(KeyEncoding.decode("N", from: key, offset: &offset) == .n(try Number(parsing: "-2.5")))
        #expect(offset == key.count)
    }

    @Test func onlyKeyTypesAndValidBytes() throws {
        #expect(throws: DynamoDBError.self) { _ = try encode(.bool(true)) }
        var offset = 0
        #expect(KeyEncoding.decode("N", from: [0x55], offset: &offset) == nil)
        offset = 0
        #expect(KeyEncoding.decode("S", from: [0x41, 0x00], offset: &offset) == nil)
        offset = 0
        #expect(KeyEncoding.decode("S", from: [0xC3, 0x00, 0x01], offset: &offset) == nil, "invalid UTF-8")
        offset = 0
        #expect(KeyEncoding.decode("N", from: [0xC0, 10, 11, 0], offset: &offset) == nil, "digit byte out of range")
        offset = 0
        #expect(KeyEncoding.decode("N", from: [0xC0, 0x82, 0x01, 0x02, 0x00], offset: &offset) == nil, "leading zero digit")
        offset = 0
        #expect(KeyEncoding.decode("N", from: [0x40, 0x7D, 0x09, 0x0A, 0xFF], offset: &offset) == nil, "trailing zero digit")
        offset = 0
        #expect(KeyEncoding.decode("N", from: [0xC0, 0x82, 0x00], offset: &offset) == nil, "no digits")
    }
}
