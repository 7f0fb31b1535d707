#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The production `FileSystem`: POSIX calls (open, pwrite, pread, fdatasync, rename, flock)
/// with errors mapped to `CairnError.io`.
public struct PosixFileSystem: FileSystem {
    /// Creates the file system.
    public init() {}

    public func createDirectory(_ path: String) throws {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            partial += "/" + component
            if mkdir(partial, 0o755) != 0 && errno != EEXIST {
                throw CairnError.io(errno: errno, path: partial, operation: "mkdir")
            }
        }
    }

    public func fileExists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            throw CairnError.io(errno: errno, path: path, operation: "opendir")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func removeFile(_ path: String) throws {
        if unlink(path) != 0 { throw CairnError.io(errno: errno, path: path, operation: "unlink") }
    }

    public func rename(_ from: String, to: String) throws {
        if Glibc.rename(from, to) != 0 { throw CairnError.io(errno: errno, path: from, operation: "rename") }
    }

    public func fileSize(_ path: String) throws -> Int64 {
        var st = stat()
        if stat(path, &st) != 0 { throw CairnError.io(errno: errno, path: path, operation: "stat") }
        return Int64(st.st_size)
    }

    public func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECTORY)
        if fd < 0 { throw CairnError.io(errno: errno, path: path, operation: "open directory") }
        defer { close(fd) }
        if fsync(fd) != 0 { throw CairnError.io(errno: errno, path: path, operation: "fsync directory") }
    }

    public func syncFile(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw CairnError.io(errno: errno, path: path, operation: "open for reading") }
        defer { close(fd) }
        if fdatasync(fd) != 0 { throw CairnError.io(errno: errno, path: path, operation: "fdatasync") }
    }

    public func newWritableFile(_ path: String) throws -> any WritableFile {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw CairnError.io(errno: errno, path: path, operation: "open for writing") }
        return PosixWritableFile(path: path, fd: fd)
    }

    public func newRandomAccessFile(_ path: String) throws -> any RandomAccessFile {
        let (fd, size) = try openForReading(path)
        return PosixRandomAccessFile(path: path, fd: fd, size: size, mapping: nil)
    }

    /// Maps the whole file read-only (shared with the page cache, so a block read is a memory
    /// access instead of a `pread` and a copy); an empty file, or one `mmap` refuses, is read
    /// with `pread`.
    ///
    /// The engine maps only SSTables, which are written once, renamed into place and never
    /// modified or truncated while open (deleting one keeps the mapping valid). A file
    /// truncated by another process under a live mapping would fault on access, as with
    /// LevelDB's and LMDB's mappings.
    public func newMappedFile(_ path: String) throws -> any RandomAccessFile {
        let (fd, size) = try openForReading(path)
        var mapping: UnsafeRawBufferPointer?
        if size > 0, let length = Int(exactly: size) {
            let address = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0)
            if let address, address != MAP_FAILED {
                mapping = UnsafeRawBufferPointer(start: address, count: length)
            }
        }
        return PosixRandomAccessFile(path: path, fd: fd, size: size, mapping: mapping)
    }

    /// Opens `path` read-only; returns the descriptor and the file's size.
    private func openForReading(_ path: String) throws -> (Int32, Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw CairnError.io(errno: errno, path: path, operation: "open for reading") }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let e = errno
            close(fd)
            throw CairnError.io(errno: e, path: path, operation: "fstat")
        }
        return (fd, Int64(st.st_size))
    }

    public func lockFile(_ path: String) throws -> any FileLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw CairnError.io(errno: errno, path: path, operation: "open lock file") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            close(fd)
            if e == EWOULDBLOCK {
                throw CairnError.busy("\(path) is locked by another process or handle")
            }
            throw CairnError.io(errno: e, path: path, operation: "flock")
        }
        return PosixFileLock(fd: fd)
    }
}

/// An append-only POSIX file. Single owner; `size` is only touched by that owner.
final class PosixWritableFile: WritableFile, @unchecked Sendable {
    let path: String
    private var fd: Int32
    private(set) var size: Int64 = 0

    init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard var p = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let n = pwrite(fd, p, remaining, off_t(size))
            if n < 0 {
                if errno == EINTR { continue }
                throw CairnError.io(errno: errno, path: path, operation: "write")
            }
            p += n
            remaining -= n
            size += Int64(n)
        }
    }

    func sync() throws {
        if fdatasync(fd) != 0 { throw CairnError.io(errno: errno, path: path, operation: "fdatasync") }
    }

    func close() throws {
        guard fd >= 0 else { return }
        let r = Glibc.close(fd)
        fd = -1
        if r != 0 { throw CairnError.io(errno: errno, path: path, operation: "close") }
    }
}

/// A POSIX file opened for `pread`; immutable after init, so safe to share.
final class PosixRandomAccessFile: RandomAccessFile, @unchecked Sendable {
    // @unchecked: `mappedContents` is a read-only view fixed at init and unmapped in deinit.
    let path: String
    let fd: Int32
    let size: Int64
    let mappedContents: UnsafeRawBufferPointer?

    init(path: String, fd: Int32, size: Int64, mapping: UnsafeRawBufferPointer?) {
        self.path = path
        self.fd = fd
        self.size = size
        self.mappedContents = mapping
    }

    deinit {
        if let mapping = mappedContents, let base = mapping.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), mapping.count)
        }
        Glibc.close(fd)
    }

    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        if let mapping = mappedContents, let source = mapping.baseAddress {
            guard offset >= 0, offset < Int64(mapping.count) else { return 0 }
            let n = min(buffer.count, mapping.count - Int(offset))
            base.copyMemory(from: source + Int(offset), byteCount: n)
            return n
        }
        var total = 0
        while total < buffer.count {
            let n = pread(fd, base + total, buffer.count - total, off_t(offset) + off_t(total))
            if n < 0 {
                if errno == EINTR { continue }
                throw CairnError.io(errno: errno, path: path, operation: "read")
            }
            if n == 0 { break }
            total += n
        }
        return total
    }
}

/// An `flock` held on an open descriptor.
final class PosixFileLock: FileLock, @unchecked Sendable {
    private var fd: Int32
    private let lock = SpinGuard()

    init(fd: Int32) { self.fd = fd }

    deinit { unlock() }

    func unlock() {
        lock.withLock {
            if fd >= 0 {
                flock(fd, LOCK_UN)
                Glibc.close(fd)
                fd = -1
            }
        }
    }
}
