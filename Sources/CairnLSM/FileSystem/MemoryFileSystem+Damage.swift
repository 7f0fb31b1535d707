#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Damage to stored bytes, for corruption tests.
///
/// These model faults of the medium, so they change the file's current bytes *and* its durable
/// bytes (as far as the durable bytes reach), without counting as operations, calling the hook
/// or honouring fault rules. They address the file named `path` in the current namespace, or in
/// the durable namespace if the current one has no such name.
extension MemoryFileSystem {
    /// The bits the bit-flip harnesses flip in a file of `size` bytes (Docs/reliability.md,
    /// "Every bit"): by default every bit of the first and last 64 bytes (headers, footers,
    /// trailers) and every 11th bit between (11 is prime to 8, so every position in a byte is
    /// hit); with `everyBit`, every bit of a file up to 4 KiB and, above that, every bit of the
    /// first and last 512 bytes and every 7th bit between.
    public static func bitFlipSample(size: Int, everyBit: Bool) -> [Int] {
        let (edge, stride) = everyBit ? (size <= 4096 ? size : 512, 7) : (64, 11)
        return (0..<(size * 8)).filter { bit in bit / 8 < edge || bit / 8 >= size - edge || bit % stride == 0 }
    }

    /// Flips bit `bit` (0 = least significant) of the byte at `byteOffset`.
    public func flipBit(path: String, byteOffset: Int, bit: Int) throws {
        guard (0..<8).contains(bit) else {
            throw CairnError.invalidArgument("flipBit: bit \(bit) is not in 0..<8")
        }
        let mask = UInt8(1) << UInt8(bit)
        try damage(path, "flipBit") { inode in
            let inCurrent = byteOffset >= 0 && byteOffset < inode.bytes.count
            let inOverride = byteOffset >= 0 && byteOffset < (inode.durableOverride?.count ?? 0)
            guard inCurrent || inOverride else {
                throw CairnError.invalidArgument(
                    "flipBit: offset \(byteOffset) is outside \(path) (\(inode.bytes.count) bytes)")
            }
            if inCurrent { inode.bytes[byteOffset] ^= mask }
            if inOverride { inode.durableOverride?[byteOffset] ^= mask }
        }
    }

    /// Cuts the file to `length` bytes, or extends it with zeros. The durable bytes are cut
    /// likewise; they are extended only if the whole file was durable.
    public func truncate(path: String, to length: Int) throws {
        guard length >= 0 else {
            throw CairnError.invalidArgument("truncate: negative length \(length)")
        }
        try damage(path, "truncate") { inode in
            let oldCount = inode.bytes.count
            let fullySynced = inode.durableOverride == nil && inode.durableLength >= oldCount
            if length < oldCount {
                inode.bytes.removeSubrange(length...)
            } else if length > oldCount {
                inode.bytes.append(contentsOf: repeatElement(0, count: length - oldCount))
            }
            if fullySynced {
                inode.durableLength = length
            } else {
                inode.durableLength = min(inode.durableLength, length)
                if let override = inode.durableOverride, override.count > length {
                    inode.durableOverride = Array(override[0..<length])
                }
            }
        }
    }

    /// Replaces the bytes at `offset` with `bytes`, extending the file with zeros if `offset`
    /// is past its end. Durable bytes are replaced where they exist; they grow only if the
    /// whole file was durable.
    public func overwrite(path: String, at offset: Int, bytes: [UInt8]) throws {
        guard offset >= 0 else {
            throw CairnError.invalidArgument("overwrite: negative offset \(offset)")
        }
        try damage(path, "overwrite") { inode in
            let oldCount = inode.bytes.count
            let fullySynced = inode.durableOverride == nil && inode.durableLength >= oldCount
            let end = offset + bytes.count
            if end > oldCount {
                inode.bytes.append(contentsOf: repeatElement(0, count: end - oldCount))
            }
            inode.bytes.replaceSubrange(offset..<end, with: bytes)
            if fullySynced {
                inode.durableLength = inode.bytes.count
            } else if var override = inode.durableOverride {
                let stop = min(end, override.count)
                if offset < stop {
                    override.replaceSubrange(offset..<stop, with: bytes[0..<(stop - offset)])
                }
                inode.durableOverride = override
            }
        }
    }

    /// Runs `body` on the inode named `path`, under the lock.
    private func damage(_ path: String, _ operation: String, _ body: (Inode) throws -> Void) throws {
        let p = Self.normalize(path)
        try state.withLock { s in
            guard let inode = s.current[p] ?? s.durable[p] else {
                throw CairnError.io(errno: ENOENT, path: p, operation: operation)
            }
            try body(inode)
        }
    }
}
