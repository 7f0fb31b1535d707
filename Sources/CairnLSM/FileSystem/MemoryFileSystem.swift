import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An in-memory `FileSystem` for tests that models what survives a power loss, modelled on
/// Pebble's strict memory file system.
///
/// **Durability model.**
/// - Every file has its *current* bytes (what reads see) and its *durable* bytes (what the last
///   `WritableFile.sync()` covered). Appends change only the current bytes.
/// - The namespace (which name refers to which file) has a current view and a *durable* view.
///   Creating, renaming and removing a file change the current view only; `syncDirectory(d)`
///   copies the current entries of directory `d` into the durable view. Syncing a file's data
///   does not make its name durable.
/// - Directories are created durably and cannot be removed or renamed.
/// - `crashClone()` returns a new file system holding only the durable state: the durable
///   namespace, each file reverted to its durable bytes. `crash()` does the same to `self` and
///   makes every handle opened before it throw `CairnError.io(errno: EIO, ...)`.
///
/// **Testing hooks.** Each mutating operation (see `Operation.isMutating`) advances
/// `operationCount` and first calls the hook set with `setOperationHook(_:)`; the hook runs
/// without any lock held, so it may call `crashClone()` to capture the durable state just
/// before the operation. `injectFault(_:)` makes operations fail with I/O errors, and
/// `flipBit`, `truncate` and `overwrite` damage stored bytes.
///
/// **Reads** go to the file's live bytes: a `RandomAccessFile` opened while the file is still
/// being appended sees data appended later (its `size` is fixed at open).
///
/// Paths are normalized: repeated and trailing slashes and "." components are ignored, ".."
/// removes the previous component, so `"a//b/"`, `"./a/b"` and `joinPath("a/", "b")` all name
/// the same file. A relative path is relative to a fixed root "." that always exists, as does
/// "/". Thread-safe: all state sits behind one mutex.
public final class MemoryFileSystem: FileSystem {
    /// All mutable state, guarded by `state`.
    let state: CairnMutex<State>

    /// Creates an empty file system whose only directories are "/" and ".".
    public init() {
        state = CairnMutex(State())
    }

    /// Creates a file system from prepared state (used by `crashClone`).
    init(state initial: consuming State) {
        state = CairnMutex(initial)
    }

    // MARK: - Crash simulation and instrumentation

    /// A new file system holding only the durable state of this one: the durable namespace,
    /// each file holding its durable bytes. It has no hook, faults, locks or open handles, and
    /// its operation count starts at zero. `self` is not changed.
    ///
    /// Safe to call from inside the operation hook.
    public func crashClone() -> MemoryFileSystem {
        MemoryFileSystem(state: state.withLock { $0.durableImage() })
    }

    /// A new file system holding everything written so far, synced or not, as durable: what a
    /// process crash (the OS keeps running) leaves. Tests then damage it (`truncate`,
    /// `flipBit`) to model a machine crash that kept some unsynced data but not other.
    ///
    /// Safe to call from inside the operation hook.
    public func processCrashClone() -> MemoryFileSystem {
        MemoryFileSystem(state: state.withLock { $0.currentImage() })
    }

    /// Resets this file system to its durable state, as after a power loss: unsynced data and
    /// unsynced namespace changes are lost, all locks are released, and every handle opened
    /// before the crash throws `CairnError.io(errno: EIO, ...)` from then on. The operation
    /// count, hook and fault rules are kept.
    public func crash() {
        state.withLock { s in
            let image = s.durableImage()
            s.current = image.current
            s.durable = image.durable
            s.locks = [:]
            s.generation &+= 1
        }
    }

    /// Number of mutating operations attempted so far (including ones that failed).
    public var operationCount: Int {
        state.withLock { $0.operationCount }
    }

    /// Number of operations failed by fault rules so far.
    public var injectedFaultCount: Int {
        state.withLock { $0.injectedFaultCount }
    }

    /// Sets (or with nil removes) the hook called before every mutating operation with the
    /// operation's kind, its path (the source path for `rename`) and its zero-based index in
    /// `operationCount`. The hook runs on the caller's thread without the file system's lock
    /// held; it may call any method of the file system, typically `crashClone()`.
    public func setOperationHook(_ hook: (@Sendable (MemoryFileSystem.Operation, String, Int) -> Void)?) {
        state.withLock { $0.hook = hook }
    }

    /// Adds a fault rule. Rules are checked in the order they were added; the first one that
    /// fires decides the error.
    public func injectFault(_ rule: FaultRule) {
        state.withLock { $0.faults.append(ActiveFault(rule: rule)) }
    }

    /// Removes all fault rules.
    public func clearFaults() {
        state.withLock { $0.faults.removeAll() }
    }

    /// Counts a mutating operation and calls the hook, outside the lock.
    func beginMutation(_ op: Operation, _ path: String) {
        let (hook, index) = state.withLock { s -> ((@Sendable (Operation, String, Int) -> Void)?, Int) in
            let index = s.operationCount
            s.operationCount += 1
            return (s.hook, index)
        }
        hook?(op, path, index)
    }

    // MARK: - FileSystem

    /// Creates `path` and missing parents, durably at once. Throws `EEXIST` if a file is in the way.
    public func createDirectory(_ path: String) throws {
        let p = Self.normalize(path)
        try state.withLock { s in
            var partial = p.hasPrefix("/") ? "/" : "."
            for component in Self.components(p) {
                partial = Self.join(partial, component)
                if s.current[partial] != nil {
                    throw CairnError.io(errno: EEXIST, path: partial, operation: "mkdir")
                }
                s.directories.insert(partial)
            }
        }
    }

    /// True if `path` names a file or directory in the current namespace.
    public func fileExists(_ path: String) -> Bool {
        let p = Self.normalize(path)
        return state.withLock { $0.current[p] != nil || $0.directories.contains(p) }
    }

    /// Sorted names of the files and directories in `path` (current namespace).
    public func listDirectory(_ path: String) throws -> [String] {
        let p = Self.normalize(path)
        return try state.withLock { s in
            guard s.directories.contains(p) else {
                throw CairnError.io(errno: s.current[p] != nil ? ENOTDIR : ENOENT, path: p, operation: "opendir")
            }
            var names: [String] = []
            for name in s.current.keys where Self.parent(name) == p {
                names.append(Self.baseName(name))
            }
            for dir in s.directories where dir != p && Self.parent(dir) == p {
                names.append(Self.baseName(dir))
            }
            return names.sorted()
        }
    }

    /// Removes `path` from the current namespace; durable after `syncDirectory` of its parent.
    /// Open handles keep working on the file's storage. Mutating operation `.remove`.
    public func removeFile(_ path: String) throws {
        let p = Self.normalize(path)
        beginMutation(.remove, p)
        try state.withLock { s in
            try s.checkFault(.remove, [p])
            guard s.current.removeValue(forKey: p) != nil else {
                throw CairnError.io(errno: s.directories.contains(p) ? EISDIR : ENOENT, path: p, operation: "unlink")
            }
        }
    }

    /// Points `to` at `from`'s file (replacing any file there) in the current namespace; durable
    /// after `syncDirectory` of each parent. Mutating operation `.rename`.
    public func rename(_ from: String, to: String) throws {
        let source = Self.normalize(from)
        let target = Self.normalize(to)
        beginMutation(.rename, source)
        try state.withLock { s in
            try s.checkFault(.rename, [source, target])
            guard let inode = s.current[source] else {
                throw CairnError.io(errno: s.directories.contains(source) ? EISDIR : ENOENT, path: source, operation: "rename")
            }
            guard s.directories.contains(Self.parent(target)) else {
                throw CairnError.io(errno: ENOENT, path: target, operation: "rename")
            }
            guard !s.directories.contains(target) else {
                throw CairnError.io(errno: EISDIR, path: target, operation: "rename")
            }
            guard source != target else { return }
            s.current[source] = nil
            s.current[target] = inode
        }
    }

    /// Current size of the file at `path`.
    public func fileSize(_ path: String) throws -> Int64 {
        let p = Self.normalize(path)
        return try state.withLock { s in
            guard let inode = s.current[p] else {
                throw CairnError.io(errno: ENOENT, path: p, operation: "stat")
            }
            return Int64(inode.bytes.count)
        }
    }

    /// Makes the current entries of directory `path` (creations, renames, removals) durable.
    /// Mutating operation `.syncDirectory`.
    public func syncDirectory(_ path: String) throws {
        let p = Self.normalize(path)
        beginMutation(.syncDirectory, p)
        try state.withLock { s in
            try s.checkFault(.syncDirectory, [p])
            guard s.directories.contains(p) else {
                throw CairnError.io(errno: s.current[p] != nil ? ENOTDIR : ENOENT, path: p, operation: "open directory")
            }
            for name in s.durable.keys where Self.parent(name) == p {
                s.durable[name] = nil
            }
            for (name, inode) in s.current where Self.parent(name) == p {
                s.durable[name] = inode
            }
        }
    }

    /// Makes the current bytes of the file at `path` durable. Mutating operation `.sync`.
    public func syncFile(_ path: String) throws {
        let p = Self.normalize(path)
        beginMutation(.sync, p)
        try state.withLock { s in
            try s.checkFault(.sync, [p])
            guard let inode = s.current[p] else {
                throw CairnError.io(errno: s.directories.contains(p) ? EISDIR : ENOENT, path: p, operation: "fdatasync")
            }
            inode.markSynced()
        }
    }

    /// Creates `path` (not durable until its directory is synced) or truncates the existing
    /// file (whose durable bytes stay until it is synced). Mutating operation `.create`.
    public func newWritableFile(_ path: String) throws -> any WritableFile {
        let p = Self.normalize(path)
        beginMutation(.create, p)
        return try state.withLock { s in
            try s.checkFault(.create, [p])
            let inode = try s.createOrTruncate(p)
            return MemoryWritableFile(fileSystem: self, inode: inode, path: p, generation: s.generation)
        }
    }

    /// Opens `path` for reads of its live bytes. Fault kind `.open`.
    public func newRandomAccessFile(_ path: String) throws -> any RandomAccessFile {
        let p = Self.normalize(path)
        return try state.withLock { s in
            try s.checkFault(.open, [p])
            guard let inode = s.current[p] else {
                throw CairnError.io(errno: s.directories.contains(p) ? EISDIR : ENOENT, path: p, operation: "open for reading")
            }
            return MemoryRandomAccessFile(
                fileSystem: self, inode: inode, path: p, size: Int64(inode.bytes.count), generation: s.generation)
        }
    }

    /// Locks `path` (creating the file) for one holder at a time; a second call throws
    /// `CairnError.busy` until `unlock()`. Locks vanish on `crash()`. Fault kind `.lock`.
    public func lockFile(_ path: String) throws -> any FileLock {
        let p = Self.normalize(path)
        return try state.withLock { s in
            try s.checkFault(.lock, [p])
            if s.current[p] == nil { _ = try s.createOrTruncate(p) }
            guard s.locks[p] == nil else {
                throw CairnError.busy("\(p) is locked by another process or handle")
            }
            let token = s.nextLockToken
            s.nextLockToken += 1
            s.locks[p] = token
            return MemoryFileLock(fileSystem: self, path: p, token: token)
        }
    }

    // MARK: - Inspection

    /// The current bytes of the file at `path`, or nil if there is none.
    public func contents(of path: String) -> [UInt8]? {
        let p = Self.normalize(path)
        return state.withLock { $0.current[p]?.bytes }
    }

    /// The bytes `path` would hold after a crash now, or nil if the name is not durable.
    public func durableContents(of path: String) -> [UInt8]? {
        let p = Self.normalize(path)
        return state.withLock { $0.durable[p]?.durableBytes }
    }

    // MARK: - Paths

    /// The canonical form of `path` (see the type's documentation).
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            if component == "." { continue }
            if component == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(component)
        }
        if parts.isEmpty { return absolute ? "/" : "." }
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : joined
    }

    /// Components of a normalized path.
    static func components(_ p: String) -> [String] {
        p.split(separator: "/", omittingEmptySubsequences: true).compactMap { $0 == "." ? nil : String($0) }
    }

    /// Directory containing a normalized path ("/" or "." at the top).
    static func parent(_ p: String) -> String {
        guard let slash = p.lastIndex(of: "/") else { return "." }
        if slash == p.startIndex { return "/" }
        return String(p[..<slash])
    }

    /// Last component of a normalized path.
    static func baseName(_ p: String) -> String {
        guard let slash = p.lastIndex(of: "/") else { return p }
        return String(p[p.index(after: slash)...])
    }

    /// Joins a normalized directory and a name.
    static func join(_ dir: String, _ name: String) -> String {
        if dir == "." { return name }
        return dir == "/" ? "/" + name : dir + "/" + name
    }
}

extension MemoryFileSystem {
    /// One file's storage (an inode): several names, in the current and durable namespaces,
    /// and open handles may refer to it.
    ///
    /// `@unchecked Sendable`: every field is read and written only while holding the mutex of
    /// the `MemoryFileSystem` that owns the inode; an inode is never shared between two file
    /// systems (`crashClone` copies).
    final class Inode: @unchecked Sendable {
        /// Current contents.
        var bytes: [UInt8]
        /// While `durableOverride` is nil, the durable contents are `bytes[0..<durableLength]`
        /// (appends do not disturb a prefix, so syncing is O(1) and appending never copies).
        var durableLength: Int
        /// The durable contents when they are not a prefix of `bytes` (after a truncation by
        /// `newWritableFile` that has not been synced yet).
        var durableOverride: [UInt8]?

        /// Creates an inode whose current and durable contents are `bytes`.
        init(bytes: [UInt8]) {
            self.bytes = bytes
            self.durableLength = bytes.count
        }

        /// What a crash would leave in the file.
        var durableBytes: [UInt8] {
            durableOverride ?? Array(bytes[0..<min(durableLength, bytes.count)])
        }

        /// Marks everything currently in the file as durable.
        func markSynced() {
            durableOverride = nil
            durableLength = bytes.count
        }
    }

    /// Everything a `MemoryFileSystem` knows, guarded by its mutex.
    struct State: Sendable {
        /// Current namespace: normalized path to inode.
        var current: [String: Inode] = [:]
        /// Durable namespace: what a crash would leave.
        var durable: [String: Inode] = [:]
        /// Directories (always durable).
        var directories: Set<String> = ["/", "."]
        /// Bumped by `crash()`; handles from an older generation fail.
        var generation = 0
        /// Mutating operations attempted.
        var operationCount = 0
        /// Called before each mutating operation.
        var hook: (@Sendable (MemoryFileSystem.Operation, String, Int) -> Void)?
        /// Installed fault rules.
        var faults: [ActiveFault] = []
        /// Operations failed by fault rules.
        var injectedFaultCount = 0
        /// Held locks: path to the token of the holding `MemoryFileLock`.
        var locks: [String: Int] = [:]
        /// Next lock token.
        var nextLockToken = 1

        /// Throws the error of the first fault rule that fires for this operation, if any.
        mutating func checkFault(_ op: MemoryFileSystem.Operation, _ paths: [String]) throws {
            if let rule = firingFault(op, paths) {
                throw CairnError.io(errno: rule.errno, path: paths.first ?? "", operation: op.systemCall)
            }
        }

        /// The first fault rule that fires for this operation, counting the match.
        mutating func firingFault(_ op: MemoryFileSystem.Operation, _ paths: [String]) -> FaultRule? {
            guard !faults.isEmpty else { return nil }
            for i in faults.indices where faults[i].rule.matches(op, paths) {
                if faults[i].recordMatch() {
                    injectedFaultCount += 1
                    return faults[i].rule
                }
            }
            return nil
        }

        /// Creates an empty file at `p` in the current namespace, or truncates the existing one
        /// (whose durable contents stay until it is synced).
        mutating func createOrTruncate(_ p: String) throws -> Inode {
            guard directories.contains(MemoryFileSystem.parent(p)) else {
                throw CairnError.io(errno: ENOENT, path: p, operation: "open for writing")
            }
            guard !directories.contains(p) else {
                throw CairnError.io(errno: EISDIR, path: p, operation: "open for writing")
            }
            if let inode = current[p] {
                if inode.durableOverride == nil { inode.durableOverride = inode.durableBytes }
                inode.bytes = []
                inode.durableLength = 0
                return inode
            }
            let inode = Inode(bytes: [])
            current[p] = inode
            return inode
        }

        /// The state a machine would come back with after a power loss now: the durable
        /// namespace with fresh inodes holding durable bytes (names that shared an inode still
        /// share one), the same directories, and nothing else.
        func durableImage() -> State { image(of: durable, contents: \.durableBytes) }

        /// What a process crash leaves: the current namespace and bytes, all of it reached
        /// the operating system.
        func currentImage() -> State { image(of: current, contents: \.bytes) }

        /// A fresh state whose namespace is `names` (copying each inode once, so hard links
        /// stay shared) with `contents` of each file, current and durable alike.
        private func image(of names: [String: Inode], contents: KeyPath<Inode, [UInt8]>) -> State {
            var image = State()
            image.directories = directories
            var copies: [ObjectIdentifier: Inode] = [:]
            for (name, inode) in names {
                let id = ObjectIdentifier(inode)
                if let copy = copies[id] {
                    image.durable[name] = copy
                } else {
                    let copy = Inode(bytes: inode[keyPath: contents])
                    copies[id] = copy
                    image.durable[name] = copy
                }
            }
            image.current = image.durable
            return image
        }
    }
}
