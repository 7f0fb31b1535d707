#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one error type CairnLSM throws.
///
/// Every failure that input, file contents or the operating system can cause is reported as a
/// `CairnError`; the engine never traps on bad bytes. `corruption` always names the file and the
/// byte offset where the damage was found, so `cairn kv verify` and recovery can point at it.
public enum CairnError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stored bytes failed a check (checksum, magic number, length, ordering, format version).
    case corruption(file: String, offset: Int64, reason: String)
    /// A system call failed. `errno` is the C error number; `operation` names the call.
    case io(errno: Int32, path: String, operation: String)
    /// The caller passed something the engine cannot accept (empty range, bad option, ...).
    case invalidArgument(String)
    /// A named thing does not exist (for example a database directory opened without
    /// `createIfMissing`).
    case notFound(String)
    /// A thing exists that must not (for example a database opened with `errorIfExists`).
    case alreadyExists(String)
    /// Another process or handle holds the database lock.
    case busy(String)
    /// The database was closed, or stopped accepting writes after a background error.
    case closed(String)
    /// The file uses a format version or feature this build does not know.
    case notSupported(String)

    public var description: String {
        switch self {
        case let .corruption(file, offset, reason):
            return "corruption in \(file) at offset \(offset): \(reason)"
        case let .io(code, path, operation):
            return "I/O error: \(operation) \(path): \(String(cString: strerror(code))) (errno \(code))"
        case let .invalidArgument(message):
            return "invalid argument: \(message)"
        case let .notFound(message):
            return "not found: \(message)"
        case let .alreadyExists(message):
            return "already exists: \(message)"
        case let .busy(message):
            return "busy: \(message)"
        case let .closed(message):
            return "closed: \(message)"
        case let .notSupported(message):
            return "not supported: \(message)"
        }
    }

    /// True for `.corruption`.
    public var isCorruption: Bool {
        if case .corruption = self { return true }
        return false
    }
}
