/// The one door through which CairnLSM touches files.
///
/// Every read, write, sync, rename and directory listing of the engine goes through a
/// `FileSystem`, so tests can swap in `MemoryFileSystem` to simulate crashes (drop whatever was
/// not synced), inject I/O errors and flip bits. `PosixFileSystem` is the production
/// implementation.
///
/// Paths are plain strings joined with `/`. Implementations are safe to call from any thread.
public protocol FileSystem: Sendable {
    /// Creates `path` and any missing parents; succeeds if it already exists.
    func createDirectory(_ path: String) throws
    /// True if a file or directory exists at `path`.
    func fileExists(_ path: String) -> Bool
    /// Names (not paths) of the entries in directory `path`, excluding "." and "..".
    func listDirectory(_ path: String) throws -> [String]
    /// Removes the file at `path`.
    func removeFile(_ path: String) throws
    /// Atomically renames `from` to `to`, replacing `to` if it exists.
    func rename(_ from: String, to: String) throws
    /// Size in bytes of the file at `path`.
    func fileSize(_ path: String) throws -> Int64
    /// Makes directory entries (creations, renames, removals) in `path` durable.
    func syncDirectory(_ path: String) throws
    /// Makes the contents of the existing file at `path` durable (fdatasync), for a file
    /// written by an earlier process (recovery keeps replayed logs instead of rewriting them).
    func syncFile(_ path: String) throws
    /// Creates (or truncates) `path` and opens it for appending.
    func newWritableFile(_ path: String) throws -> any WritableFile
    /// Opens an existing file for positioned reads.
    func newRandomAccessFile(_ path: String) throws -> any RandomAccessFile
    /// Opens an existing file that will never change while open (an SSTable) for reads that
    /// may use a memory mapping (`RandomAccessFile.mappedContents`). Implementations without
    /// mappings return `newRandomAccessFile(path)`, so faults injected there still apply.
    func newMappedFile(_ path: String) throws -> any RandomAccessFile
    /// Takes an exclusive advisory lock on `path` (creating it), held until `unlock()`.
    /// Fails with `CairnError.busy` if another holder has it.
    func lockFile(_ path: String) throws -> any FileLock
}

/// An append-only file being written. Not safe for concurrent use by several threads; the
/// engine gives each writable file a single owner.
public protocol WritableFile: AnyObject, Sendable {
    /// The path this file was opened with.
    var path: String { get }
    /// Bytes appended so far (the file's logical size).
    var size: Int64 { get }
    /// Appends `bytes` at the end of the file. After it returns the bytes are in the operating
    /// system's hands (they survive a process crash) but not necessarily durable.
    func append(_ bytes: UnsafeRawBufferPointer) throws
    /// Makes everything appended so far durable (fdatasync).
    func sync() throws
    /// Closes the file. Does not sync.
    func close() throws
}

extension WritableFile {
    /// Appends the bytes of an array.
    public func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }
}

/// A file opened for positioned reads; safe to read from many threads at once.
public protocol RandomAccessFile: AnyObject, Sendable {
    /// The path this file was opened with.
    var path: String { get }
    /// Size of the file when it was opened.
    var size: Int64 { get }
    /// Reads up to `buffer.count` bytes starting at `offset` into `buffer`; returns how many
    /// were read (fewer only at end of file).
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// The whole file as read-only memory (`size` bytes) when it is memory-mapped, so readers
    /// can checksum and decompress blocks in place without a copy; nil otherwise. Valid as
    /// long as the file object lives.
    var mappedContents: UnsafeRawBufferPointer? { get }
}

extension FileSystem {
    /// No mappings: the plain positioned-read file.
    public func newMappedFile(_ path: String) throws -> any RandomAccessFile {
        try newRandomAccessFile(path)
    }
}

extension RandomAccessFile {
    /// Not mapped.
    public var mappedContents: UnsafeRawBufferPointer? { nil }

    /// Reads exactly `count` bytes at `offset`, or throws `.corruption` if the file is shorter.
    public func readExactly(at offset: Int64, count: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        let got = try result.withUnsafeMutableBytes { try read(at: offset, into: $0) }
        guard got == count else {
            throw CairnError.corruption(
                file: path, offset: offset,
                reason: "file too short: wanted \(count) bytes, found \(got)")
        }
        return result
    }
}

/// An exclusive advisory lock on a file; released by `unlock()`.
public protocol FileLock: AnyObject, Sendable {
    /// Releases the lock. Calling it twice is harmless.
    func unlock()
}

extension FileSystem {
    /// Reads a whole file into memory.
    public func readFile(_ path: String) throws -> [UInt8] {
        let file = try newRandomAccessFile(path)
        return try file.readExactly(at: 0, count: Int(file.size))
    }

    /// Writes `bytes` to a temporary file, syncs it, renames it over `path` and syncs the
    /// directory: afterwards `path` holds either its old contents or `bytes`, never a mix.
    public func writeFileAtomically(_ path: String, _ bytes: [UInt8], directory: String) throws {
        let temp = path + ".tmp"
        let file = try newWritableFile(temp)
        do {
            try file.append(bytes)
            try file.sync()
            try file.close()
        } catch {
            try? file.close()
            try? removeFile(temp)
            throw error
        }
        try rename(temp, to: path)
        try syncDirectory(directory)
    }
}

/// Joins path components with "/".
@inlinable
public func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
