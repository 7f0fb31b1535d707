import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MemoryFileSystem.State {
    /// Throws `EIO` if a handle opened in generation `generation` outlived a `crash()`.
    func checkHandle(_ generation: Int, _ path: String, _ op: MemoryFileSystem.Operation) throws {
        if generation != self.generation {
            throw CairnError.io(errno: EIO, path: path, operation: op.systemCall + " (handle from before a crash)")
        }
    }
}

/// A file of a `MemoryFileSystem` opened for appending. Single owner, like every
/// `WritableFile`; each call takes the file system's lock.
final class MemoryWritableFile: WritableFile {
    /// The normalized path the file was opened with.
    let path: String
    /// The owning file system (its mutex guards `inode`).
    let fileSystem: MemoryFileSystem
    /// The file's storage; touched only under `fileSystem.state`'s lock.
    let inode: MemoryFileSystem.Inode
    /// The file system generation this handle belongs to.
    let generation: Int
    /// Set by `close()`.
    private let closed = Atomic<Bool>(false)

    /// Creates a handle; called by `MemoryFileSystem.newWritableFile`.
    init(fileSystem: MemoryFileSystem, inode: MemoryFileSystem.Inode, path: String, generation: Int) {
        self.fileSystem = fileSystem
        self.inode = inode
        self.path = path
        self.generation = generation
    }

    /// Current size of the file.
    var size: Int64 {
        fileSystem.state.withLock { _ in Int64(inode.bytes.count) }
    }

    /// Throws `EBADF` after `close()`.
    private func checkOpen(_ op: MemoryFileSystem.Operation) throws {
        if closed.load(ordering: .acquiring) {
            throw CairnError.io(errno: EBADF, path: path, operation: op.systemCall + " (file closed)")
        }
    }

    /// Appends to the current bytes (a fault may write only a prefix, then throw).
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        try checkOpen(.append)
        fileSystem.beginMutation(.append, path)
        try fileSystem.state.withLock { s in
            try s.checkHandle(generation, path, .append)
            if let rule = s.firingFault(.append, [path]) {
                let partial = min(max(rule.partialWriteBytes, 0), bytes.count)
                if partial > 0 {
                    inode.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<partial]))
                }
                throw CairnError.io(errno: rule.errno, path: path, operation: MemoryFileSystem.Operation.append.systemCall)
            }
            inode.bytes.append(contentsOf: bytes)
        }
    }

    /// Makes the current bytes durable (not the file's name: see `syncDirectory`).
    func sync() throws {
        try checkOpen(.sync)
        fileSystem.beginMutation(.sync, path)
        try fileSystem.state.withLock { s in
            try s.checkHandle(generation, path, .sync)
            try s.checkFault(.sync, [path])
            inode.markSynced()
        }
    }

    /// Closes the handle; later appends and syncs throw `EBADF`. Idempotent.
    func close() throws {
        closed.store(true, ordering: .releasing)
    }
}

/// A file of a `MemoryFileSystem` opened for reading. Reads see the file's live bytes, so data
/// appended after opening is visible; `size` is the size at open.
final class MemoryRandomAccessFile: RandomAccessFile {
    /// The normalized path the file was opened with.
    let path: String
    /// Size of the file when it was opened.
    let size: Int64
    /// The owning file system (its mutex guards `inode`).
    let fileSystem: MemoryFileSystem
    /// The file's storage; touched only under `fileSystem.state`'s lock.
    let inode: MemoryFileSystem.Inode
    /// The file system generation this handle belongs to.
    let generation: Int

    /// Creates a handle; called by `MemoryFileSystem.newRandomAccessFile`.
    init(fileSystem: MemoryFileSystem, inode: MemoryFileSystem.Inode, path: String, size: Int64, generation: Int) {
        self.fileSystem = fileSystem
        self.inode = inode
        self.path = path
        self.size = size
        self.generation = generation
    }

    /// Copies up to `buffer.count` bytes at `offset` from the file's current bytes.
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try fileSystem.state.withLock { s in
            try s.checkHandle(generation, path, .read)
            try s.checkFault(.read, [path])
            guard offset >= 0 else {
                throw CairnError.io(errno: EINVAL, path: path, operation: "read")
            }
            let available = Int64(inode.bytes.count) - offset
            guard available > 0, buffer.count > 0 else { return 0 }
            let start = Int(offset)
            let n = Int(min(Int64(buffer.count), available))
            inode.bytes.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<(start + n)]))
            }
            return n
        }
    }
}

/// A lock held on a path of a `MemoryFileSystem`.
final class MemoryFileLock: FileLock {
    /// The owning file system (its mutex guards the lock table).
    let fileSystem: MemoryFileSystem
    /// The locked path.
    let path: String
    /// Identifies this holder in the lock table, so a stale handle cannot release a lock
    /// somebody took after a crash.
    let token: Int

    /// Creates a handle; called by `MemoryFileSystem.lockFile`.
    init(fileSystem: MemoryFileSystem, path: String, token: Int) {
        self.fileSystem = fileSystem
        self.path = path
        self.token = token
    }

    /// Releases the lock if the handle is dropped without `unlock()`, like closing a descriptor.
    deinit { unlock() }

    /// Releases the lock if this handle still holds it.
    func unlock() {
        fileSystem.state.withLock { s in
            if s.locks[path] == token { s.locks[path] = nil }
        }
    }
}
