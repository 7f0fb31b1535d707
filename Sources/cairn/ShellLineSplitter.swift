/// Splits a shell line into words the way a POSIX shell does, so a DynamoDB JSON value can be
/// typed in single quotes exactly as on the command line:
///
/// - spaces and tabs separate words;
/// - `'...'` keeps everything literally (no escapes inside);
/// - `"..."` keeps everything but `\"`, `\\`, `\$` and `` \` ``, which lose their backslash
///   (any other backslash stays, as in sh);
/// - outside quotes a backslash keeps the next character literally;
/// - quoted parts join the word they touch (`a'b c'd` is one word), and `''` is an empty word;
/// - an unquoted `#` at the start of a word begins a comment that runs to the end of the line.
///
/// Variables, globs and other shell expansions are not performed.
enum ShellLineSplitter {
    /// An unterminated quote, with a description for the user.
    struct UnterminatedQuote: Error, Equatable, CustomStringConvertible {
        var quote: Character
        var description: String { "unterminated \(quote) quote" }
    }

    /// The words of `line`.
    static func split(_ line: String) throws(UnterminatedQuote) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var chars = line.makeIterator()
        while let c = chars.next() {
            switch quote {
            case "'"?:
                if c == "'" { quote = nil } else { current.append(c) }
            case "\""?:
                if c == "\"" {
                    quote = nil
                } else if c == "\\" {
                    guard let next = chars.next() else {
                        current.append(c)
                        continue
                    }
                    if next == "\"" || next == "\\" || next == "$" || next == "`" {
                        current.append(next)
                    } else if next != "\n" {
                        current.append(c)
                        current.append(next)
                    }
                } else {
                    current.append(c)
                }
            default:
                switch c {
                case " ", "\t", "\n", "\r\n", "\r":
                    if inWord {
                        words.append(current)
                        current = ""
                        inWord = false
                    }
                case "'", "\"":
                    quote = c
                    inWord = true
                case "\\":
                    inWord = true
                    if let next = chars.next() {
                        if next != "\n" { current.append(next) }
                    } else {
                        current.append(c)
                    }
                case "#" where !inWord:
                    return words
                default:
                    current.append(c)
                    inWord = true
                }
            }
        }
        if let quote { throw UnterminatedQuote(quote: quote) }
        if inWord { words.append(current) }
        return words
    }
}
