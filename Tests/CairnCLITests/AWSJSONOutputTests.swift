import Foundation
import Testing
@testable import cairn

/// aws-cli's JSON output: Python's json.dumps(indent=4, ensure_ascii=False), the model's member
/// order, sorted attribute maps, ISO 8601 timestamps; and Python's JSON error messages.
@Suite(.serialized) struct AWSJSONOutputTests {
    @Test func indentationAndEscapingMatchPython() throws {
        let value = JSONValue.object([
            ("a", .array([])), ("b", .object([])), ("c", .array([.number("1"), .bool(true), .null])),
            ("s", .string("é \"q\" \\ \n\t\u{1} ✓ 😀")),
        ])
        let expected = """
            {
                "a": [],
                "b": {},
                "c": [
                    1,
                    true,
                    null
                ],
                "s": "é \\"q\\" \\\\ \\n\\t\\u0001 ✓ 😀"
            }
            """
        #expect(value.pythonIndentedText == expected)
    }

    @Test func pythonAgreesOnLayout() throws {
        // The same document through Python's json module, as aws-cli prints it.
        let value = JSONValue.object([
            ("Items", .array([.object([("pk", .object([("S", .string("ü\u{7f}\u{1f}"))]))])])), ("Count", .number("1")),
        ])
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c",
            "import json,sys,collections; d=json.load(sys.stdin, object_pairs_hook=collections.OrderedDict); "
            + "sys.stdout.write(json.dumps(d, indent=4, ensure_ascii=False))"]
        let input = Pipe(), output = Pipe()
        python.standardInput = input
        python.standardOutput = output
        guard (try? python.run()) != nil else { return }  // no Python: nothing to compare with
        input.fileHandleForWriting.write(Data(value.compactText.utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)
        #expect(text == value.pythonIndentedText)
    }

    @Test func membersFollowTheModelAndMapsAreSorted() throws {
        let response = JSONValue.object([
            ("ScannedCount", .number("2")), ("Count", .number("1")),
            ("Items", .array([.object([("z", .object([("N", .string("1"))])), ("a", .object([("S", .string("x"))])),
                                       ("B", .object([("BOOL", .bool(false))]))])])),
        ])
        let arranged = AWSJSONOutput.arrange(response, DynamoDBShapes.itemsOutput)
        guard case .object(let members) = arranged, case .array(let items)? = arranged[member: "Items"],
              case .object(let item)? = items.first else {
            Issue.record("unexpected shape \(arranged)")
            return
        }
        #expect(members.map(\.0) == ["Items", "Count", "ScannedCount"])
        #expect(item.map(\.0) == ["B", "a", "z"])
        #expect(AWSJSONOutput.text(.object([]), shape: DynamoDBShapes.attributesOutput) == nil)
    }

    @Test func timestampsAsAwsCliV2() {
        let saved = getenv("TZ").map { String(cString: $0) }
        defer {
            if let saved { setenv("TZ", saved, 1) } else { unsetenv("TZ") }
            tzset()
        }
        setenv("TZ", "UTC", 1)
        tzset()
        // Python: datetime.datetime.fromtimestamp(t, dateutil.tz.tzlocal()).isoformat()
        #expect(AWSTimestamp.isoformat(1795472368.348675) == "2026-11-23T22:19:28.348675+00:00")
        #expect(AWSTimestamp.isoformat(1795472368.0) == "2026-11-23T22:19:28+00:00")
        #expect(AWSTimestamp.isoformat(1795472368.0000005) == "2026-11-23T22:19:28+00:00")
        #expect(AWSTimestamp.isoformat(1795472368.9999997) == "2026-11-23T22:19:29+00:00")
        setenv("TZ", "Asia/Kolkata", 1)
        tzset()
        #expect(AWSTimestamp.isoformat(1795472368.348675) == "2026-11-24T03:49:28.348675+05:30")
    }

    @Test func jsonErrorsArePythonsMessages() throws {
        func message(_ text: String) -> String? {
            do {
                _ = try JSONValue.parse(text)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(message("{bad") == "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)")
        #expect(message(#"{"a":1"#) == "Expecting ',' delimiter: line 1 column 7 (char 6)")
        #expect(message(#"{"a" 1}"#) == "Expecting ':' delimiter: line 1 column 6 (char 5)")
        #expect(message("") == "Expecting value: line 1 column 1 (char 0)")
        #expect(message("{}\n x") == "Extra data: line 2 column 2 (char 4)")
        #expect(message(#""abc"#) == "Unterminated string starting at: line 1 column 1 (char 0)")
        #expect(message(String(repeating: "[", count: 100_000)) != nil)
        #expect(try JSONValue.parse(#"{"a": "\u00e9\ud83d\ude00", "a": 2, "b": -1.5e3}"#)
            == .object([("a", .number("2")), ("b", .number("-1.5e3"))]))
    }
}
