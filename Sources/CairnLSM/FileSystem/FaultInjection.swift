#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MemoryFileSystem {
    /// The kinds of file-system operation that `MemoryFileSystem` counts, reports to its
    /// operation hook, and can make fail with a `FaultRule`.
    ///
    /// The *mutating* kinds (`create`, `append`, `sync`, `rename`, `remove`, `syncDirectory`)
    /// advance `operationCount` and are passed to the operation hook; the others (`open`,
    /// `read`, `lock`) can only be failed by a fault rule.
    public enum Operation: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// `newWritableFile`: creating (or truncating) a file for writing.
        case create
        /// `newRandomAccessFile`: opening an existing file for reading. (A `FaultRule` for
        /// `.open` also matches `.create`.)
        case open
        /// `RandomAccessFile.read(at:into:)`.
        case read
        /// `WritableFile.append`.
        case append
        /// `WritableFile.sync`.
        case sync
        /// `rename` (a rule's path filter matches the source or the destination).
        case rename
        /// `removeFile`.
        case remove
        /// `syncDirectory`.
        case syncDirectory
        /// `lockFile`.
        case lock

        /// True for the operations that change the file system's state and are counted and
        /// passed to the operation hook.
        public var isMutating: Bool {
            switch self {
            case .create, .append, .sync, .rename, .remove, .syncDirectory: return true
            case .open, .read, .lock: return false
            }
        }

        /// The POSIX call this operation stands for, used as `CairnError.io`'s `operation`.
        public var systemCall: String {
            switch self {
            case .create: return "open for writing"
            case .open: return "open for reading"
            case .read: return "read"
            case .append: return "write"
            case .sync: return "fdatasync"
            case .rename: return "rename"
            case .remove: return "unlink"
            case .syncDirectory: return "fsync directory"
            case .lock: return "flock"
            }
        }

        /// The case name.
        public var description: String { rawValue }
    }
}

/// A rule that makes matching `MemoryFileSystem` operations fail with
/// `CairnError.io(errno:path:operation:)`, installed with `MemoryFileSystem.injectFault(_:)`.
///
/// A rule matches an operation of kind `operation` whose path contains `pathContains` (any
/// path when nil). A rule for `.open` matches every open, for reading and for writing
/// (`.create`); a rule for `.create` matches only opens for writing. `trigger` decides which of the matches fail. A failing `append` may first
/// write `partialWriteBytes` bytes of its buffer, as a disk that fills up mid-write does.
/// Failing operations have no other effect.
public struct FaultRule: Sendable, Equatable {
    /// Which matches of a rule fail.
    public enum Trigger: Sendable, Equatable {
        /// The first match fails; the rule then retires.
        case once
        /// Every match fails.
        case always
        /// The first `n` matches succeed; every later one fails (a disk that fills up).
        case after(Int)
        /// The first `n` matches succeed, the next one fails, and the rule then retires.
        case onceAfter(Int)
    }

    /// The kind of operation the rule applies to.
    public var operation: MemoryFileSystem.Operation
    /// A substring the operation's path must contain; nil matches every path.
    public var pathContains: String?
    /// Which matches fail.
    public var trigger: Trigger
    /// The error number reported (`EIO`, `ENOSPC`, ...).
    public var errno: Int32
    /// For `append`: how many leading bytes of the failing append still reach the file (clamped
    /// to the append's size). Ignored for other operations.
    public var partialWriteBytes: Int

    /// Creates a rule; see the properties for the meaning of each argument.
    public init(
        _ operation: MemoryFileSystem.Operation, pathContains: String? = nil,
        trigger: Trigger = .once, errno: Int32 = EIO, partialWriteBytes: Int = 0
    ) {
        self.operation = operation
        self.pathContains = pathContains
        self.trigger = trigger
        self.errno = errno
        self.partialWriteBytes = partialWriteBytes
    }

    /// True if an operation of kind `op` on `paths` is one this rule counts.
    func matches(_ op: MemoryFileSystem.Operation, _ paths: [String]) -> Bool {
        guard op == operation || (operation == .open && op == .create) else { return false }
        guard let needle = pathContains, !needle.isEmpty else { return true }
        return paths.contains { $0.contains(needle) }
    }
}

/// A `FaultRule` together with how often it has matched, as kept by `MemoryFileSystem`.
struct ActiveFault: Sendable {
    /// The rule.
    let rule: FaultRule
    /// Matches seen so far.
    var matches = 0
    /// True once a one-shot rule has fired.
    var retired = false

    /// Records a match and returns whether this match must fail.
    mutating func recordMatch() -> Bool {
        guard !retired else { return false }
        let index = matches
        matches += 1
        switch rule.trigger {
        case .once:
            retired = true
            return true
        case .always:
            return true
        case .after(let n):
            return index >= n
        case .onceAfter(let n):
            if index == n { retired = true }
            return index == n
        }
    }
}
