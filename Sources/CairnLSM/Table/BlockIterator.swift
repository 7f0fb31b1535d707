/// Reading a block: a cursor over raw memory and the iterator built on it.
extension Block {
    /// The decoding state of a position in a block: the current entry's offsets and its key,
    /// rebuilt from prefix-compressed entries into a caller-provided scratch buffer.
    ///
    /// Keys are rebuilt into `scratch`, which must hold at least `block.restartOffset` bytes:
    /// a key is made of bytes stored in the entry area, so it can never be longer than that
    /// area. The cursor never allocates. Used directly (with a stack buffer) by point lookups,
    /// and wrapped by `Block.Iterator` for scans.
    struct Cursor {
        /// The block being read (kept alive by the cursor).
        let block: Block
        private let base: UnsafeRawPointer
        /// Size of the entry area (`block.restartOffset`); `current == end` means invalid.
        private let end: Int
        /// Restart array (copied from the block so the hot loops do not touch the object).
        private let restarts: UnsafeRawPointer
        private let numRestarts: Int
        private let scratch: UnsafeMutableRawPointer
        private let scratchCapacity: Int
        /// Whether keys are internal keys (>= 8 bytes, `InternalKey.compare` order).
        let internalKeys: Bool
        private var keyLength = 0
        private var current: Int
        private var nextOffset = 0
        private var restartIndex: Int
        private var valueOffset = 0
        private var valueLength = 0

        /// A cursor positioned nowhere (invalid) over `block`.
        init(_ block: Block, scratch: UnsafeMutableRawPointer, scratchCapacity: Int, internalKeys: Bool) {
            self.block = block
            self.base = UnsafeRawPointer(block.base)
            self.end = block.restartOffset
            self.restarts = UnsafeRawPointer(block.base) + block.restartOffset
            self.numRestarts = block.numRestarts
            self.scratch = scratch
            self.scratchCapacity = scratchCapacity
            self.internalKeys = internalKeys
            self.current = block.restartOffset
            self.restartIndex = block.numRestarts
        }

        /// True when positioned on an entry.
        @inline(__always) var isValid: Bool { current < end }

        /// The current key; valid until the cursor moves.
        @inline(__always) var key: UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: scratch, count: keyLength)
        }

        /// The current value, a view into the block.
        @inline(__always) var value: UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: base + valueOffset, count: valueLength)
        }

        /// Block-relative offset of the current entry (for error messages and tools).
        var entryOffset: Int { current }

        /// Key order of this block: internal-key order or plain bytes.
        @inline(__always)
        private func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
            internalKeys ? InternalKey.compare(a, b) : compareBytes(a, b)
        }

        /// Offset of restart point `i` (validated when the block was made).
        @inline(__always)
        private func restartPoint(_ i: Int) -> Int {
            Int(UInt32(littleEndian: restarts.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }

        /// Moves past the end (invalid).
        private mutating func invalidate() {
            current = end
            restartIndex = numRestarts
            keyLength = 0
        }

        /// Invalidates the cursor and returns a corruption error naming the entry offset.
        private mutating func fail(_ reason: String, at offset: Int) -> CairnError {
            invalidate()
            return block.corruption("\(reason) at block offset \(offset)")
        }

        /// Prepares to decode the entry at restart point `index` (with an empty previous key).
        private mutating func seekToRestartPoint(_ index: Int) {
            keyLength = 0
            restartIndex = index
            nextOffset = restartPoint(index)
        }

        /// Reads the three varint32 lengths of the entry at `p`, advancing `p`.
        @inline(__always)
        private func decodeHeader(_ p: inout Int) -> (shared: Int, unshared: Int, valueLength: Int)? {
            if p + 3 <= end {
                let a = base.load(fromByteOffset: p, as: UInt8.self)
                let b = base.load(fromByteOffset: p + 1, as: UInt8.self)
                let c = base.load(fromByteOffset: p + 2, as: UInt8.self)
                if (a | b | c) < 0x80 {
                    p += 3
                    return (Int(a), Int(b), Int(c))
                }
            }
            let area = UnsafeRawBufferPointer(start: base, count: end)
            guard let s = Coding.readVarint32(area, &p),
                let u = Coding.readVarint32(area, &p),
                let v = Coding.readVarint32(area, &p)
            else { return nil }
            return (Int(s), Int(u), Int(v))
        }

        /// Decodes the entry at `nextOffset`; returns false (invalid) at the end of the block.
        @discardableResult
        private mutating func parseNextKey() throws -> Bool {
            current = nextOffset
            guard current < end else {
                invalidate()
                return false
            }
            var p = current
            guard let (shared, unshared, vlen) = decodeHeader(&p) else {
                throw fail("truncated entry header", at: current)
            }
            guard shared <= keyLength, unshared <= end - p, vlen <= end - p - unshared,
                shared + unshared <= scratchCapacity
            else {
                throw fail("bad entry lengths (shared \(shared), unshared \(unshared), value \(vlen))", at: current)
            }
            if internalKeys && shared + unshared < InternalKey.trailerSize {
                throw fail("key shorter than an internal-key trailer", at: current)
            }
            if unshared > 0 {
                (scratch + shared).copyMemory(from: base + p, byteCount: unshared)
            }
            keyLength = shared + unshared
            valueOffset = p + unshared
            valueLength = vlen
            nextOffset = valueOffset + vlen
            while restartIndex + 1 < numRestarts && restartPoint(restartIndex + 1) < current {
                restartIndex += 1
            }
            return true
        }

        /// The full key stored at restart point `index` (a view into the block).
        private mutating func restartKey(_ index: Int) throws -> UnsafeRawBufferPointer {
            let offset = restartPoint(index)
            var p = offset
            guard let (shared, unshared, vlen) = decodeHeader(&p), shared == 0,
                unshared <= end - p, vlen <= end - p - unshared
            else {
                throw fail("bad entry at restart point \(index)", at: offset)
            }
            if internalKeys && unshared < InternalKey.trailerSize {
                throw fail("key shorter than an internal-key trailer", at: offset)
            }
            return UnsafeRawBufferPointer(start: base + p, count: unshared)
        }

        /// Moves to the first entry.
        mutating func seekToFirst() throws {
            seekToRestartPoint(0)
            try parseNextKey()
        }

        /// Moves to the last entry.
        mutating func seekToLast() throws {
            seekToRestartPoint(numRestarts - 1)
            while try parseNextKey() && nextOffset < end {}
        }

        /// Moves to the first entry with key >= `target`.
        mutating func seek(_ target: UnsafeRawBufferPointer) throws {
            if internalKeys && target.count < InternalKey.trailerSize {
                invalidate()
                throw CairnError.invalidArgument("seek target of \(target.count) bytes is not an internal key")
            }
            var left = 0
            var right = numRestarts - 1
            var currentCompare = 0
            if isValid {
                // Already positioned: narrow the search with the current position.
                currentCompare = compare(key, target)
                if currentCompare < 0 {
                    left = restartIndex
                } else if currentCompare > 0 {
                    right = restartIndex
                } else {
                    return
                }
            }
            while left < right {
                let mid = (left + right + 1) / 2
                let midKey = try restartKey(mid)
                if compare(midKey, target) < 0 {
                    left = mid
                } else {
                    right = mid - 1
                }
            }
            // If we are already in the left restart interval before the target, keep scanning
            // from here rather than re-decoding from the restart point.
            let skip = left == restartIndex && currentCompare < 0 && isValid
            if !skip { seekToRestartPoint(left) }
            while true {
                guard try parseNextKey() else { return }
                if compare(key, target) >= 0 { return }
            }
        }

        /// Moves to the next entry (requires `isValid`).
        mutating func next() throws {
            guard isValid else { return }
            try parseNextKey()
        }

        /// Moves to the previous entry by rescanning from the preceding restart point
        /// (requires `isValid`).
        mutating func prev() throws {
            guard isValid else { return }
            let original = current
            while restartPoint(restartIndex) >= original {
                if restartIndex == 0 {
                    invalidate()
                    return
                }
                restartIndex -= 1
            }
            seekToRestartPoint(restartIndex)
            while try parseNextKey() && nextOffset < original {}
        }
    }

    /// An `InternalIterator` over one block. Keeps the current key in a reusable buffer sized
    /// to the block, so stepping and seeking never allocate; `attach` points it at another
    /// block (the table iterator reuses one iterator for all data blocks).
    final class Iterator: InternalIterator {
        // Exclusivity checks are disabled on these hot fields: the iterator is used by one
        // thread at a time and no method holds an access across a call that re-enters it.
        @exclusivity(unchecked) private var cursor: Cursor
        @exclusivity(unchecked) private var scratch: UnsafeMutableRawPointer
        @exclusivity(unchecked) private var capacity: Int

        /// An unpositioned iterator over `block`. `keyCapacity`, when known (the longest key
        /// of the block), sizes the key buffer; by default it is the block's entry-area size,
        /// which bounds every key.
        init(_ block: Block, internalKeys: Bool = true, keyCapacity: Int? = nil) {
            capacity = max(min(keyCapacity ?? block.restartOffset, block.restartOffset), 64)
            scratch = .allocate(byteCount: capacity, alignment: 8)
            cursor = Cursor(block, scratch: scratch, scratchCapacity: capacity, internalKeys: internalKeys)
        }

        deinit { scratch.deallocate() }

        /// Switches to `block` (unpositioned), growing the key buffer only if needed.
        func attach(_ block: Block) {
            if block.restartOffset > capacity {
                scratch.deallocate()
                capacity = max(block.restartOffset, capacity * 2)
                scratch = .allocate(byteCount: capacity, alignment: 8)
            }
            cursor = Cursor(block, scratch: scratch, scratchCapacity: capacity, internalKeys: cursor.internalKeys)
        }

        /// The block being iterated.
        var block: Block { cursor.block }
        /// Block-relative offset of the current entry.
        var entryOffset: Int { cursor.entryOffset }

        /// True when positioned on an entry.
        var isValid: Bool { cursor.isValid }
        /// Moves to the first entry.
        func seekToFirst() throws { try cursor.seekToFirst() }
        /// Moves to the last entry.
        func seekToLast() throws { try cursor.seekToLast() }
        /// Moves to the first entry with key >= `target` (binary search over the restarts,
        /// then a linear scan).
        func seek(_ target: UnsafeRawBufferPointer) throws { try cursor.seek(target) }
        /// Moves to the next entry.
        func next() throws { try cursor.next() }
        /// Moves to the previous entry (rescans from the preceding restart point).
        func prev() throws { try cursor.prev() }
        /// The current key, valid until the iterator moves.
        var key: UnsafeRawBufferPointer { cursor.key }
        /// The current value, a view into the block.
        var value: UnsafeRawBufferPointer { cursor.value }
    }

    /// Runs `body` with a cursor over this block whose key buffer lives on the stack (or in a
    /// temporary allocation for very large blocks), for one-shot lookups. `keyCapacity`, when
    /// known (the longest key of the block), sizes that buffer; by default it is the block's
    /// entry-area size, which bounds every key.
    func withCursor<R>(internalKeys: Bool = true, keyCapacity: Int? = nil, _ body: (inout Cursor) throws -> R) rethrows -> R {
        let capacity = max(min(keyCapacity ?? restartOffset, restartOffset), 16)
        return try withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 8) { buffer in
            // The allocation is never empty (capacity >= 16), so baseAddress is non-nil.
            var cursor = Cursor(
                self, scratch: buffer.baseAddress ?? UnsafeMutableRawPointer(base),
                scratchCapacity: buffer.baseAddress == nil ? 0 : capacity, internalKeys: internalKeys)
            return try body(&cursor)
        }
    }
}
