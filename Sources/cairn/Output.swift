#if canImport(Glibc)
import Glibc
#endif
import CairnLSM

/// Where a verb writes its results: stdout for the CLI and the shell.
final class Output {
    func line(_ text: String) {
        print(text)
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    var s = text
    s.append("\n")
    let bytes = Array(s.utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { p -> Int in
            guard let base = p.baseAddress else { return -1 }
            return write(2, base + done, p.count - done)
        }
        if n <= 0 { break }
        done += n
    }
}

/// Encoding of keys and values on the command line: text (UTF-8, with \xNN escapes for
/// bytes that are not printable) or hex.
struct ByteFormat {
    var hex: Bool

    /// Parses user input into bytes.
    func parse(_ text: String) throws -> [UInt8] {
        if !hex { return Array(text.utf8) }
        var bytes: [UInt8] = []
        var chars = Array(text.utf8)
        if chars.starts(with: Array("0x".utf8)) { chars.removeFirst(2) }
        guard chars.count % 2 == 0 else { throw CLIError("hex input '\(text)' has an odd number of digits") }
        var i = 0
        while i < chars.count {
            guard let hi = hexValue(chars[i]), let lo = hexValue(chars[i + 1]) else {
                throw CLIError("'\(text)' is not hex")
            }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        return bytes
    }

    /// Renders bytes for output.
    func render(_ bytes: some Collection<UInt8>) -> String {
        if hex { return hexString(bytes) }
        if let s = String(validating: bytes, as: UTF8.self),
           !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\\" || $0.value == 0x7f })
        {
            return s
        }
        var out = ""
        for b in bytes {
            if b >= 0x20 && b < 0x7f && b != UInt8(ascii: "\\") {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else if b == UInt8(ascii: "\\") {
                out += "\\\\"
            } else {
                let digits = Array("0123456789abcdef")
                out += "\\x" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 15)])
            }
        }
        return out
    }

    private func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
