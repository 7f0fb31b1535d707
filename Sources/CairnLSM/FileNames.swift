/// Names of the files in a database directory.
///
/// | file | name |
/// | --- | --- |
/// | write-ahead log | `000012.log` |
/// | SSTable | `000013.sst` |
/// | manifest | `MANIFEST-000005` |
/// | pointer to the live manifest | `CURRENT` |
/// | process lock | `LOCK` |
///
/// Numbers come from one counter per database (`VersionSet.nextFileNumber`) and are never
/// reused, so a number identifies a file for the database's lifetime.
public enum FileNames {
    /// What a file in the database directory is.
    public enum Kind: Equatable, Sendable {
        case log(UInt64)
        case table(UInt64)
        case manifest(UInt64)
        case current
        case lock
        case temporary
    }

    /// File numbers are below this; a larger number in a name or a manifest is not ours (in a
    /// name) or corruption (in a manifest), so counters can never overflow.
    public static let maxFileNumber: UInt64 = 1 << 62

    static func padded(_ number: UInt64) -> String {
        let digits = String(number)
        return digits.count >= 6 ? digits : String(repeating: "0", count: 6 - digits.count) + digits
    }

    /// Path of write-ahead log `number`.
    public static func log(_ dir: String, _ number: UInt64) -> String { joinPath(dir, padded(number) + ".log") }
    /// Path of SSTable `number`.
    public static func table(_ dir: String, _ number: UInt64) -> String { joinPath(dir, padded(number) + ".sst") }
    /// Path of manifest `number`.
    public static func manifest(_ dir: String, _ number: UInt64) -> String { joinPath(dir, "MANIFEST-" + padded(number)) }
    /// Path of the CURRENT file.
    public static func current(_ dir: String) -> String { joinPath(dir, "CURRENT") }
    /// Path of the LOCK file.
    public static func lock(_ dir: String) -> String { joinPath(dir, "LOCK") }

    /// Classifies a directory entry name; nil for names the engine does not own.
    public static func parse(_ name: String) -> Kind? {
        guard let kind = parseUnchecked(name) else { return nil }
        switch kind {
        case .log(let n), .table(let n), .manifest(let n):
            return n < maxFileNumber ? kind : nil
        default:
            return kind
        }
    }

    private static func parseUnchecked(_ name: String) -> Kind? {
        if name == "CURRENT" { return .current }
        if name == "LOCK" { return .lock }
        if name.hasSuffix(".tmp") { return .temporary }
        if name.hasPrefix("MANIFEST-"), let n = UInt64(name.dropFirst("MANIFEST-".count)) { return .manifest(n) }
        if name.hasSuffix(".log"), let n = UInt64(name.dropLast(4)) { return .log(n) }
        if name.hasSuffix(".sst"), let n = UInt64(name.dropLast(4)) { return .table(n) }
        return nil
    }
}
