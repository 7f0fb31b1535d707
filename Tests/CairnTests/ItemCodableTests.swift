import Foundation
import Testing
@testable import Cairn

/// `ItemEncoder` and `ItemDecoder`: Swift `Codable` types to and from DynamoDB items.
@Suite struct ItemCodableTests {
    enum Status: String, Codable, Equatable { case active, retired }

    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case square(side: Int)
    }

    struct Inner: Codable, Equatable, Hashable {
        var name: String
        var count: Int
    }

    /// One property of every supported kind.
    struct Everything: Codable, Equatable {
        var string: String
        var int: Int
        var int8: Int8
        var int16: Int16
        var int32: Int32
        var int64: Int64
        var int128: Int128
        var uint: UInt
        var uint8: UInt8
        var uint16: UInt16
        var uint32: UInt32
        var uint64: UInt64
        var uint128: UInt128
        var double: Double
        var float: Float
        var decimal: Decimal
        var number: Number
        var bool: Bool
        var data: Data
        var bytes: [UInt8]
        var date: Date
        var url: URL
        var attribute: AttributeValue
        var tags: Set<String>
        var scores: Set<Int>
        var blobs: Set<Data>
        var members: Set<Inner>
        var emptyTags: Set<String>
        var list: [String]
        var matrix: [[Int]]
        var sparse: [Int?]
        var nested: Inner
        var nestedList: [Inner]
        var dictionary: [String: Int]
        var byID: [Int: String]
        var present: String?
        var absent: String?
        var status: Status
        var shape: Shape
    }

    static func n(_ text: String) -> AttributeValue { .n((try? Number(parsing: text)) ?? .zero) }

    static let everything = Everything(
        string: "héllo 💡", int: -42, int8: -128, int16: 32767, int32: Int32.min, int64: Int64.max,
        int128: Int128(Int64.min) * 1000, uint: 7, uint8: 255, uint16: 65535, uint32: UInt32.max, uint64: UInt64.max,
        uint128: UInt128(UInt64.max) * 100, double: 0.1, float: 0.1, decimal: Decimal(string: "-12345.6789") ?? 0,
        number: (try? Number(parsing: "1e-130")) ?? .zero, bool: true, data: Data([0, 1, 255]), bytes: [1, 2],
        date: Date(timeIntervalSince1970: 1_714_566_600.25), url: URL(string: "https://example.com/a?b=c") ?? URL(fileURLWithPath: "/"),
        attribute: .m(["raw": .ss(["x", "y"]), "nothing": .null]), tags: ["b", "a", "é"], scores: [3, -1, 20],
        blobs: [Data([2]), Data([1, 0])], members: [Inner(name: "m", count: 1)], emptyTags: [], list: ["z", "a", "z"],
        matrix: [[1, 2], [], [3]], sparse: [1, nil, 3], nested: Inner(name: "in", count: 0),
        nestedList: [Inner(name: "x", count: 1), Inner(name: "y", count: 2)], dictionary: ["one": 1, "two": 2],
        byID: [1: "a", 22: "b"], present: "here", absent: nil, status: .retired, shape: .circle(radius: 2.5))

    // MARK: - Round trips

    @Test func everyFieldTypeEncodesToTheDocumentedAttributeAndRoundTrips() throws {
        let item = try ItemEncoder().encode(Self.everything)
        try AttributeValue.m(item).validate()
        let expected: Item = [
            "string": .s("héllo 💡"), "int": -42, "int8": -128, "int16": 32767, "int32": Self.n("-2147483648"),
            "int64": Self.n("9223372036854775807"), "int128": Self.n("-9223372036854775808000"), "uint": 7, "uint8": 255,
            "uint16": 65535, "uint32": Self.n("4294967295"), "uint64": Self.n("18446744073709551615"),
            "uint128": Self.n("1844674407370955161500"), "double": Self.n("0.1"), "float": Self.n("0.1"),
            "decimal": Self.n("-12345.6789"), "number": Self.n("1e-130"), "bool": true, "data": .b([0, 1, 255]),
            "bytes": [1, 2], "date": "2024-05-01T12:30:00.250Z", "url": "https://example.com/a?b=c",
            "attribute": .m(["raw": .ss(["x", "y"]), "nothing": .null]), "tags": .ss(["a", "b", "é"]),
            "scores": .ns([Number(exactly: -1), Number(exactly: 3), Number(exactly: 20)]),
            "blobs": .bs([[1, 0], [2]]), "members": [["name": "m", "count": 1]], "list": ["z", "a", "z"],
            "matrix": [[1, 2], [], [3]], "sparse": [1, .null, 3], "nested": ["name": "in", "count": 0],
            "nestedList": [["name": "x", "count": 1], ["name": "y", "count": 2]], "dictionary": ["one": 1, "two": 2],
            "byID": ["1": "a", "22": "b"], "present": "here", "status": "retired", "shape": ["circle": ["radius": Self.n("2.5")]],
        ]
        for (name, value) in expected {
            #expect(item[name] == value, "\(name): \(String(describing: item[name]))")
        }
        #expect(item["absent"] == nil, "nil optionals are left out")
        #expect(item["emptyTags"] == nil, "empty sets are left out")
        #expect(Set(item.keys) == Set(expected.keys))
        #expect(try ItemDecoder().decode(Everything.self, from: item) == Self.everything)
    }

    @Test func encodeValueGivesAnyTypeAndDecodeReadsAnyType() throws {
        let encoder = ItemEncoder(), decoder = ItemDecoder()
        #expect(try encoder.encodeValue("x") == .s("x"))
        #expect(try encoder.encodeValue([1, 2]) == [1, 2])
        #expect(try encoder.encodeValue(Set<String>()) == .l([]), "an empty set outside a map is an empty list")
        #expect(try encoder.encodeValue([Set<String>(), ["a"]]) == .l([.l([]), .ss(["a"])]))
        #expect(try encoder.encodeValue(Optional<Int>.none) == .null)
        #expect(try encoder.encodeValue(AttributeValue.bs([[1]])) == .bs([[1]]))
        #expect(try decoder.decode(Int.self, from: AttributeValue.n(Number(exactly: 5))) == 5)
        #expect(try decoder.decode([String].self, from: AttributeValue.l(["a", "b"])) == ["a", "b"])
        #expect(try decoder.decode(String?.self, from: AttributeValue.null) == nil)
        #expect(try decoder.decode(Set<Int>.self, from: AttributeValue.l([])) == [])
    }

    @Test func nestedOptionalsDictionariesAndListsRoundTrip() throws {
        struct Leaf: Codable, Equatable { var value: Int?; var note: String? }
        struct Tree: Codable, Equatable {
            var leaves: [String: [Leaf]]
            var maybe: [String: Leaf?]
            var deep: [[[String: [Int]]]]
            var child: [Tree]?
        }
        let tree = Tree(
            leaves: ["a": [Leaf(value: 1, note: nil), Leaf(value: nil, note: "n")], "b": []],
            maybe: ["x": Leaf(value: 2, note: nil)], deep: [[["k": [1, 2]], [:]], []],
            child: [Tree(leaves: [:], maybe: [:], deep: [], child: nil)])
        let item = try ItemEncoder().encode(tree)
        try AttributeValue.m(item).validate()
        #expect(item["leaves"] == ["a": [["value": 1], ["note": "n"]], "b": []])
        #expect(item["child"] == [["leaves": [:], "maybe": [:], "deep": []]])
        #expect(try ItemDecoder().decode(Tree.self, from: item) == tree)
    }

    @Test func optionalsDecodeAsNilFromAbsentOrNull() throws {
        struct Maybe: Codable, Equatable { var a: Int?; var b: String?; var c: AttributeValue?; var d: Inner? }
        let decoder = ItemDecoder()
        #expect(try decoder.decode(Maybe.self, from: [:]) == Maybe(a: nil, b: nil, c: nil, d: nil))
        #expect(try decoder.decode(Maybe.self, from: ["a": .null, "b": .null, "c": .null, "d": .null]) == Maybe(a: nil, b: nil, c: nil, d: nil))
        #expect(try decoder.decode(Maybe.self, from: ["a": 1, "c": "x"]) == Maybe(a: 1, b: nil, c: .s("x"), d: nil))
        #expect(try ItemEncoder().encode(Maybe(a: nil, b: nil, c: nil, d: nil)) == [:])
        // An explicit encodeNil is NULL.
        struct Explicit: Encodable {
            enum CodingKeys: String, CodingKey { case gone }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encodeNil(forKey: .gone)
            }
        }
        #expect(try ItemEncoder().encode(Explicit()) == ["gone": .null])
    }

    @Test func setsBecomeDynamoDBSetsAndEmptySetsAreLeftOut() throws {
        struct Tagged: Codable, Equatable {
            var tags: Set<String>
            var ids: Set<UInt64>
            var when: Set<Date>
            var flags: Set<Bool>
            var maybe: Set<String>?
        }
        let full = Tagged(tags: ["b", "a"], ids: [UInt64.max, 0], when: [Date(timeIntervalSince1970: 0)], flags: [true], maybe: ["m"])
        let item = try ItemEncoder().encode(full)
        try AttributeValue.m(item).validate()
        #expect(item["tags"] == .ss(["a", "b"]), "sorted by UTF-8 bytes")
        #expect(item["ids"] == .ns([Number.zero, try Number(parsing: "18446744073709551615")]))
        #expect(item["when"] == .ss(["1970-01-01T00:00:00.000Z"]))
        #expect(item["flags"] == [true], "a set of booleans is a list")
        #expect(try ItemDecoder().decode(Tagged.self, from: item) == full)

        let empty = Tagged(tags: [], ids: [], when: [], flags: [], maybe: [])
        let emptyItem = try ItemEncoder().encode(empty)
        #expect(emptyItem == [:], "DynamoDB cannot store empty sets: the attributes are left out")
        let decoded = try ItemDecoder().decode(Tagged.self, from: emptyItem)
        #expect(decoded.tags.isEmpty && decoded.ids.isEmpty && decoded.when.isEmpty && decoded.flags.isEmpty)
        #expect(decoded.maybe == nil, "an optional set that is absent is nil")
        // NULL reads as an empty set; L and SS both read into sets and arrays (Soto stores [String] as SS).
        #expect(try ItemDecoder().decode(Tagged.self, from: ["tags": .null, "ids": [1, 2], "flags": [false]]).ids == [1, 2])
        struct Listed: Codable, Equatable { var names: [String] }
        #expect(try ItemDecoder().decode(Listed.self, from: ["names": .ss(["x", "y"])]) == Listed(names: ["x", "y"]))
        #expect(try ItemDecoder().decode([Data].self, from: AttributeValue.bs([[1], [2]])) == [Data([1]), Data([2])])
    }

    @Test func attributeValuesAndNumbersPassThrough() throws {
        struct Raw: Codable, Equatable { var any: AttributeValue; var list: [AttributeValue]; var amount: Number }
        let raw = Raw(any: .ns([Number(exactly: 1)]), list: [.null, .b([]), .bool(false)], amount: try Number(parsing: "-1.5e-40"))
        let item = try ItemEncoder().encode(raw)
        #expect(item == ["any": .ns([Number(exactly: 1)]), "list": [.null, .b([]), false], "amount": .n(raw.amount)])
        #expect(try ItemDecoder().decode(Raw.self, from: item) == raw)
        #expect(try ItemDecoder().decode(AttributeValue.self, from: item) == .m(item))
        // Other coders see a Number as its decimal text.
        let json = try JSONEncoder().encode(["n": raw.amount])
        #expect(String(decoding: json, as: UTF8.self) == #"{"n":"-0.00000000000000000000000000000000000000015"}"#)
        #expect(try JSONDecoder().decode([String: Number].self, from: json) == ["n": raw.amount])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Number].self, from: Data(#"["1x"]"#.utf8)) }
    }

    @Test func classesWithSuperEncoderRoundTrip() throws {
        class Base: Codable {
            var id: String
            init(id: String) { self.id = id }
        }
        final class Derived: Base {
            var extra: Int
            enum CodingKeys: String, CodingKey { case extra }
            init(id: String, extra: Int) {
                self.extra = extra
                super.init(id: id)
            }
            required init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                extra = try container.decode(Int.self, forKey: .extra)
                try super.init(from: container.superDecoder())
            }
            override func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(extra, forKey: .extra)
                try super.encode(to: container.superEncoder())
            }
        }
        let item = try ItemEncoder().encode(Derived(id: "d", extra: 3))
        #expect(item == ["extra": 3, "super": ["id": "d"]])
        let back = try ItemDecoder().decode(Derived.self, from: item)
        #expect(back.id == "d" && back.extra == 3)
    }

    @Test func userInfoReachesTheCodableMethods() throws {
        let key = try #require(CodingUserInfoKey(rawValue: "tenant"))
        struct Aware: Codable {
            var tenant: String
            init(tenant: String) { self.tenant = tenant }
            init(from decoder: any Decoder) throws { tenant = decoder.userInfo.values.first as? String ?? "" }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: ItemCodingKey.self)
                try container.encode(encoder.userInfo.values.first as? String ?? "", forKey: ItemCodingKey(stringValue: "tenant"))
            }
        }
        var encoder = ItemEncoder()
        encoder.userInfo[key] = "acme"
        #expect(try encoder.encode(Aware(tenant: "ignored")) == ["tenant": "acme"])
        var decoder = ItemDecoder()
        decoder.userInfo[key] = "globex"
        #expect(try decoder.decode(Aware.self, from: [:]).tenant == "globex")
    }

    // MARK: - Numbers

    @Test func integersAreExactAtTheEdges() throws {
        struct Ints: Codable, Equatable { var a: Int64; var b: Int64; var c: UInt64; var d: Int8; var e: UInt8; var f: Int }
        let edges = Ints(a: .min, b: .max, c: .max, d: .min, e: .max, f: 0)
        let item = try ItemEncoder().encode(edges)
        #expect(item["a"] == Self.n("-9223372036854775808"))
        #expect(item["b"] == Self.n("9223372036854775807"))
        #expect(item["c"] == Self.n("18446744073709551615"))
        #expect(try ItemDecoder().decode(Ints.self, from: item) == edges)
        // Integral values written in other forms still decode.
        #expect(try ItemDecoder().decode(Int.self, from: Self.n("1.2e3")) == 1200)
        #expect(try ItemDecoder().decode(Int.self, from: Self.n("-0.0")) == 0)
        #expect(try ItemDecoder().decode(UInt64.self, from: Self.n("18446744073709551615.000")) == .max)
        // Int128 beyond 38 significant digits cannot be stored.
        expectEncodingError(Int128.max, containing: "38 significant digits")
    }

    @Test func floatingPointUsesTheShortestRoundTrippingDecimal() throws {
        let cases: [(Double, String)] = [
            (0.1, "0.1"), (1e-7, "0.0000001"), (-2.5, "-2.5"), (1e16, "10000000000000000"), (0.30000000000000004, "0.30000000000000004"),
            (123456789.125, "123456789.125"), (-0.0, "0"), (1e125, "1" + String(repeating: "0", count: 125)), (1e-130, "1e-130"),
        ]
        for (value, text) in cases {
            let encoded = try ItemEncoder().encodeValue(value)
            #expect(encoded == Self.n(text), "\(value)")
            #expect(try ItemDecoder().decode(Double.self, from: encoded) == value, "\(value) round-trips")
        }
        for value in [0.1, Float.greatestFiniteMagnitude, Float.leastNormalMagnitude, -7.25] as [Float] {
            let encoded = try ItemEncoder().encodeValue(value)
            #expect(encoded == Self.n(value.description))
            #expect(try ItemDecoder().decode(Float.self, from: encoded) == value)
        }
        var rng = Rng(state: 17)
        for _ in 0..<2000 {
            let value = Double(bitPattern: rng.next() << 11 | rng.next() >> 42)
            guard value.isFinite, value == 0 || (abs(value) >= 1e-130 && abs(value) < 1e125) else { continue }
            #expect(try ItemDecoder().decode(Double.self, from: ItemEncoder().encodeValue(value)) == value, "\(value)")
        }
        // Doubles DynamoDB cannot hold.
        expectEncodingError(Double.nan, containing: "finite")
        expectEncodingError(Double.infinity, containing: "finite")
        expectEncodingError(-Float.infinity, containing: "finite")
        expectEncodingError(1e300, containing: "overflow")
        expectEncodingError(Double.leastNonzeroMagnitude, containing: "underflow")
    }

    @Test func decimalsAreExact() throws {
        let digits38 = try #require(Decimal(string: "12345678901234567890123456789012345678"))
        let fraction38 = try #require(Decimal(string: "-0.12345678901234567890123456789012345678"))
        for value in [digits38, fraction38, Decimal(string: "1e100") ?? 0, Decimal(0)] {
            let encoded = try ItemEncoder().encodeValue(value)
            guard case .n(let number) = encoded else { Issue.record("\(value) gave \(encoded)"); continue }
            #expect(number.description == value.description)
            #expect(try ItemDecoder().decode(Decimal.self, from: encoded) == value)
        }
        #expect(try ItemEncoder().encodeValue(digits38) == Self.n("12345678901234567890123456789012345678"))
        expectEncodingError(try #require(Decimal(string: "123456789012345678901234567890123456789")), containing: "38 significant digits")
        expectEncodingError(Decimal.nan, containing: "finite")
        // Decimal cannot hold 1e-130 exactly; decoding refuses rather than rounding.
        expectDecodingError(Decimal.self, from: Self.n("1e-130"), path: "the top-level value", containing: "exactly as Decimal")
    }

    // MARK: - Dates

    @Test func datesFollowTheStrategy() throws {
        let date = Date(timeIntervalSince1970: 1_714_566_600.25)
        func encoded(_ strategy: ItemEncoder.DateEncodingStrategy) throws -> AttributeValue {
            var encoder = ItemEncoder()
            encoder.dateEncodingStrategy = strategy
            return try encoder.encodeValue(date)
        }
        func decoded(_ value: AttributeValue, _ strategy: ItemDecoder.DateDecodingStrategy) throws -> Date {
            var decoder = ItemDecoder()
            decoder.dateDecodingStrategy = strategy
            return try decoder.decode(Date.self, from: value)
        }
        #expect(try encoded(.iso8601) == "2024-05-01T12:30:00.250Z")
        #expect(try encoded(.secondsSince1970) == Self.n("1714566600.25"))
        #expect(try encoded(.millisecondsSince1970) == Self.n("1714566600250"))
        #expect(try encoded(.deferredToDate) == Self.n("736259400.25"))
        #expect(try encoded(.custom { .s("day \(Int($0.timeIntervalSince1970) / 86400)") }) == "day 19844")
        #expect(try decoded("2024-05-01T12:30:00.250Z", .iso8601) == date)
        #expect(try decoded("2024-05-01T14:30:00.25+02:00", .iso8601) == date)
        #expect(try decoded("2024-05-01T07:00:00.25-0530", .iso8601) == date)
        #expect(try decoded("2024-05-01T12:30:00Z", .iso8601) == Date(timeIntervalSince1970: 1_714_566_600))
        #expect(try decoded(Self.n("1714566600.25"), .secondsSince1970) == date)
        #expect(try decoded(Self.n("1714566600250"), .millisecondsSince1970) == date)
        #expect(try decoded(Self.n("736259400.25"), .deferredToDate) == date)
        #expect(try decoded("x", .custom { _ in date }) == date)
        // The calendar at its edges, and before 1970.
        let edges: [(Double, String)] = [
            (-62_167_219_200, "0000-01-01T00:00:00.000Z"), (253_402_300_799.999, "9999-12-31T23:59:59.999Z"),
            (951_868_799.999, "2000-02-29T23:59:59.999Z"), (-0.001, "1969-12-31T23:59:59.999Z"), (0, "1970-01-01T00:00:00.000Z"),
            (-2_208_988_800, "1900-01-01T00:00:00.000Z"),
        ]
        for (seconds, text) in edges {
            #expect(try ItemEncoder().encodeValue(Date(timeIntervalSince1970: seconds)) == .s(text))
            #expect(try decoded(.s(text), .iso8601) == Date(timeIntervalSince1970: seconds), "\(text)")
        }
        // Fixed width: string order is time order.
        var rng = Rng(state: 3)
        let dates = (0..<300).map { _ in Date(timeIntervalSince1970: Double(Int64(rng.next() % 400_000_000_000) - 100_000_000_000) / 1000) }
        let texts = try dates.map { date -> String in
            guard case .s(let text) = try ItemEncoder().encodeValue(date) else { return "" }
            #expect(try ItemDecoder().decode(Date.self, from: .s(text)) == date, "\(text) round-trips")
            return text
        }
        let byTime = zip(dates, texts).sorted { $0.0 < $1.0 }
        for (a, b) in zip(byTime, byTime.dropFirst()) where a.0 < b.0 {
            #expect(a.1 < b.1, "\(a.1) sorts before \(b.1)")
        }
        // Errors.
        expectEncodingError(Date(timeIntervalSince1970: 253_402_300_800), containing: "years 0000-9999")
        expectEncodingError(Date(timeIntervalSince1970: -62_167_219_201), containing: "years 0000-9999")
        for bad in ["2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-05-01 12:30:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:30:00",
                    "2024-05-01T12:30:00.Z", "2024-5-01T12:30:00Z", "2024-05-01T12:30:00Z ", "", "２０２４-05-01T12:30:00Z"] {
            expectDecodingError(Date.self, from: .s(bad), path: "the top-level value", containing: "not an ISO 8601 date")
        }
        expectDecodingError(Date.self, from: 5, path: "the top-level value", containing: "Expected S (an ISO 8601 date) for Date")
    }

    // MARK: - Errors

    struct Order: Codable, Equatable {
        var id: String
        var count: Int
        var small: UInt8
        var lines: [Inner]
    }

    static let order: Item = ["id": "o1", "count": 3, "small": 200, "lines": [["name": "a", "count": 1], ["name": "b", "count": 2]]]

    func replacing(_ path: [String], with value: AttributeValue?, in item: Item) -> Item {
        guard let first = path.first else { return item }
        var item = item
        if path.count == 1 {
            item[first] = value
        } else if case .l(var list)? = item[first], let index = Int(path[1]), index < list.count {
            if path.count == 2 {
                if let value { list[index] = value } else { list.remove(at: index) }
            } else if case .m(let map) = list[index] {
                list[index] = .m(replacing(Array(path.dropFirst(2)), with: value, in: map))
            }
            item[first] = .l(list)
        } else if case .m(let map)? = item[first] {
            item[first] = .m(replacing(Array(path.dropFirst()), with: value, in: map))
        }
        return item
    }

    @Test func wrongTypesRangesAndMissingKeysThrowWithTheirPath() throws {
        #expect(try ItemDecoder().decode(Order.self, from: Self.order).lines[1].name == "b")
        let cases: [([String], AttributeValue?, String, String)] = [
            (["count"], "3", "count", "Expected N (number) for Int at count but found S"),
            (["count"], Self.n("1.5"), "count", "Number 1.5 at count is not a whole number, so it cannot be decoded as Int"),
            (["count"], Self.n("1e19"), "count", "does not fit in Int"),
            (["count"], Self.n("1e125"), "count", "does not fit in Int"),
            (["count"], nil, "", "No attribute \"count\""),
            (["count"], .null, "count", "Expected N (number) for Int at count but found NULL"),
            (["small"], 300, "small", "Number 300 at small does not fit in UInt8 (0...255)"),
            (["small"], -1, "small", "does not fit in UInt8"),
            (["id"], 5, "id", "Expected S (string) for String at id but found N"),
            (["id"], .ss(["a"]), "id", "but found SS"),
            (["lines"], .m([:]), "lines", "Expected L (list) or a set"),
            (["lines", "1"], "x", "lines[1]", "Expected M (map)"),
            (["lines", "1", "count"], Self.n("2.5"), "lines[1].count", "not a whole number"),
            (["lines", "1", "count"], .bool(true), "lines[1].count", "Expected N (number) for Int at lines[1].count but found BOOL"),
            (["lines", "0", "name"], nil, "lines[0]", "No attribute \"name\" in the map at lines[0]"),
        ]
        for (path, value, where_, message) in cases {
            let item = replacing(path, with: value, in: Self.order)
            expectDecodingError(Order.self, from: .m(item), path: where_, containing: message)
        }
        // Error kinds.
        func failure(_ item: Item) -> DecodingError? {
            guard case .failure(let error) = Result(catching: { try ItemDecoder().decode(Order.self, from: item) }) else { return nil }
            return error as? DecodingError
        }
        if case .keyNotFound(let key, _)? = failure(replacing(["id"], with: nil, in: Self.order)) { #expect(key.stringValue == "id") } else {
            Issue.record("missing key is keyNotFound")
        }
        if case .valueNotFound? = failure(replacing(["id"], with: .null, in: Self.order)) {} else { Issue.record("NULL is valueNotFound") }
        if case .typeMismatch? = failure(replacing(["id"], with: 1, in: Self.order)) {} else { Issue.record("wrong type is typeMismatch") }
        if case .dataCorrupted? = failure(replacing(["small"], with: 256, in: Self.order)) {} else { Issue.record("range is dataCorrupted") }
        // A non-map where a struct is wanted, at the top.
        expectDecodingError(Order.self, from: .l([]), path: "the top-level value", containing: "Expected M (map)")
        expectDecodingError(Float.self, from: Self.n("1e50"), path: "the top-level value", containing: "out of range for Float")
        expectDecodingError(URL.self, from: "", path: "the top-level value", containing: "not a valid URL")
        expectDecodingError(Data.self, from: .s("AAE="), path: "the top-level value", containing: "Expected B (binary) for Data")
        expectDecodingError([Int].self, from: [1, "x"], path: "[1]", containing: "Expected N (number) for Int at [1] but found S")
        expectDecodingError(Status.self, from: "gone", path: "the top-level value", containing: "Cannot initialize Status")
        // A fixed-size tuple-like decode past the end of a list.
        struct Pair: Decodable {
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                _ = try container.decode(Int.self)
                _ = try container.decode(Int.self)
            }
        }
        expectDecodingError(Pair.self, from: [1], path: "[1]", containing: "has only 1 elements")
    }

    @Test func topLevelNonMapsCannotBeItems() throws {
        func check<T: Encodable>(_ value: T, _ type: String) {
            do {
                _ = try ItemEncoder().encode(value)
                Issue.record("\(value) encoded as an item")
            } catch EncodingError.invalidValue(_, let context) {
                #expect(context.debugDescription.contains("encoded as \(type)"), "\(context.debugDescription)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        check("text", "S")
        check(42, "N")
        check([1, 2], "L")
        check(Set(["a"]), "SS")
        check(Status.active, "S")
        check(Optional<Inner>.none, "NULL")
        // Dictionaries and structs are maps.
        #expect(try ItemEncoder().encode(["a": 1]) == ["a": 1])
        #expect(try ItemEncoder().encode(Inner(name: "n", count: 2)) == ["name": "n", "count": 2])
    }

    @Test func nestingBeyondDynamoDBsLimitIsAnEncodingError() throws {
        final class Node: Codable {
            var child: Node?
            init(child: Node?) { self.child = child }
        }
        func chain(_ depth: Int) -> Node { (0..<depth).reduce(Node(child: nil)) { node, _ in Node(child: node) } }
        #expect(throws: Never.self) { try ItemEncoder().encode(chain(31)) }
        do {
            _ = try ItemEncoder().encode(chain(40))
            Issue.record("40 levels encoded")
        } catch EncodingError.invalidValue(_, let context) {
            #expect(context.debugDescription.contains("Nesting Levels have exceeded supported limits"))
        }
    }

    @Test func encodingErrorsCarryTheCodingPath() throws {
        struct Reading: Encodable { var values: [Double] }
        struct Station: Encodable { var readings: [String: Reading] }
        do {
            _ = try ItemEncoder().encode(Station(readings: ["north": Reading(values: [1, 2, .nan])]))
            Issue.record("NaN encoded")
        } catch EncodingError.invalidValue(_, let context) {
            #expect(describeCodingPath(context.codingPath) == "readings.north.values[2]")
        }
    }

    // MARK: - Never crashes

    /// Random items decoded into structs of every field type, and valid items with one
    /// attribute swapped for a random value: decoding either succeeds or throws
    /// `DecodingError`, and never traps.
    @Test func randomItemsOnlyEverThrow() throws {
        var rng = Rng(state: 2024)
        let names = ["string", "int", "uint8", "int64", "double", "float", "decimal", "number", "bool", "data", "date", "url",
                     "tags", "scores", "blobs", "list", "matrix", "sparse", "nested", "nestedList", "dictionary", "byID", "present",
                     "status", "shape", "attribute", "members", "int128", "uint128", "bytes"]
        let numbers = ["0", "1", "-1", "1.5", "255", "256", "-129", "1e19", "-9223372036854775809", "18446744073709551616", "1e125", "1e-130",
                       "99999999999999999999999999999999999999", "1e38", "0.1"]
        func value(_ depth: Int) throws -> AttributeValue {
            switch rng.below(depth > 3 ? 8 : 11) {
            case 0: return .s(["", "x", "active", "2024-05-01T12:30:00Z", "https://a", "1", "circle", "9999-99-99T99:99:99Z"][rng.below(8)])
            case 1: return .n(try Number(parsing: numbers[rng.below(numbers.count)]))
            case 2: return .b((0..<rng.below(4)).map { _ in UInt8(rng.below(256)) })
            case 3: return .bool(rng.below(2) == 0)
            case 4: return .null
            case 5: return .ss(["a", "b"])
            case 6: return .ns([Number(exactly: rng.below(300))])
            case 7: return .bs([[1]])
            case 8, 9: return .l(try (0..<rng.below(4)).map { _ in try value(depth + 1) })
            default:
                var map: Item = [:]
                for _ in 0..<rng.below(5) {
                    map[["name", "count", "circle", "radius", "square", "side", "1", "x"][rng.below(8)]] = try value(depth + 1)
                }
                return .m(map)
            }
        }
        let valid = try ItemEncoder().encode(Self.everything)
        var succeeded = 0, failed = 0
        func attempt<T: Decodable>(_ type: T.Type, _ item: Item) {
            do {
                _ = try ItemDecoder().decode(type, from: item)
                succeeded += 1
            } catch is DecodingError {
                failed += 1
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        for round in 0..<3000 {
            var item = round % 2 == 0 ? valid : [:]
            for _ in 0..<(round % 2 == 0 ? 1 : 1 + rng.below(30)) { item[names[rng.below(names.count)]] = try value(0) }
            if rng.below(10) == 0 { item[names[rng.below(names.count)]] = nil }
            attempt(Everything.self, item)
            attempt(Inner.self, item)
            attempt(Shape.self, item)
            attempt([String: [Int?]].self, item)
            attempt(Order.self, item)
            if case .m(let nested)? = item["nested"] {
                attempt(Shape.self, nested)
                attempt(Everything.self, nested)
            }
        }
        #expect(succeeded > 100 && failed > 1000, "both outcomes occur: \(succeeded) / \(failed)")
    }

    // MARK: - Helpers

    func expectEncodingError<T: Encodable>(_ value: T, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try ItemEncoder().encodeValue(value)
            Issue.record("\(value) encoded", sourceLocation: sourceLocation)
        } catch EncodingError.invalidValue(_, let context) {
            #expect(context.debugDescription.contains(fragment), "\(context.debugDescription)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    func expectDecodingError<T: Decodable>(
        _ type: T.Type, from value: AttributeValue, path: String, containing fragment: String,
        sourceLocation: SourceLocation = #_sourceLocation, _ extra: (DecodingError) -> Void = { _ in }
    ) {
        do {
            let decoded = try ItemDecoder().decode(type, from: value)
            Issue.record("decoded \(decoded) from \(value)", sourceLocation: sourceLocation)
        } catch let error as DecodingError {
            let context: DecodingError.Context
            switch error {
            case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c): context = c
            @unknown default: Issue.record("unknown \(error)", sourceLocation: sourceLocation); return
            }
            #expect(describeCodingPath(context.codingPath) == path || (path.isEmpty && context.codingPath.isEmpty), "\(context.codingPath.map(\.stringValue))",
                    sourceLocation: sourceLocation)
            #expect(context.debugDescription.contains(fragment), "\(context.debugDescription)", sourceLocation: sourceLocation)
            extra(error)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }
}
