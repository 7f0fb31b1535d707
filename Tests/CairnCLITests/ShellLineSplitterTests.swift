import Testing
@testable import cairn

/// The shell's word splitting, checked against what `sh` makes of the same lines.
@Suite struct ShellLineSplitterTests {
    func split(_ line: String) throws -> [String] { try ShellLineSplitter.split(line) }

    @Test func whitespaceSeparates() throws {
        #expect(try split("  put-item   --table-name\tT  ") == ["put-item", "--table-name", "T"])
        #expect(try split("") == [])
        #expect(try split("   ") == [])
    }

    @Test func singleQuotesAreLiteral() throws {
        #expect(try split(#"--item '{"pk": {"S": "a b"}}'"#) == ["--item", #"{"pk": {"S": "a b"}}"#])
        #expect(try split(#"'a\nb' '\'"#) == [#"a\nb"#, "\\"])
        #expect(try split("''") == [""])
        #expect(try split("a'b c'd") == ["ab cd"])
    }

    @Test func doubleQuotesKeepMostBackslashes() throws {
        #expect(try split(#""{\"pk\": 1}""#) == [#"{"pk": 1}"#])
        #expect(try split(#""a\nb""#) == [#"a\nb"#])
        #expect(try split(#""a\\b""#) == [#"a\b"#])
        #expect(try split(#""it's""#) == ["it's"])
    }

    @Test func backslashOutsideQuotes() throws {
        #expect(try split(#"a\ b c"#) == ["a b", "c"])
        #expect(try split(#"\'x"#) == ["'x"])
        #expect(try split("end\\") == ["end\\"])
    }

    @Test func comments() throws {
        #expect(try split("# a comment") == [])
        #expect(try split("scan --table-name T # trailing") == ["scan", "--table-name", "T"])
        #expect(try split("a#b '#c'") == ["a#b", "#c"])
    }

    @Test func unterminatedQuotesAreErrors() {
        #expect(throws: ShellLineSplitter.UnterminatedQuote(quote: "'")) { try split("put-item --item '{") }
        #expect(throws: ShellLineSplitter.UnterminatedQuote(quote: "\"")) { try split("\"abc") }
    }
}
