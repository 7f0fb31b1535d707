import Synchronization
import Testing
@testable import CairnLSM
#if canImport(Glibc)
import Glibc
#endif


/// `count` pseudo-random bytes from `seed`.
private func logTestBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SeededRandom(seed: seed)
    var out = [UInt8](repeating: 0, count: count)
    out.withUnsafeMutableBytes { raw in
        var i = 0
        while i < count {
            var word = rng.next()
            let n = min(8, count - i)
            withUnsafeBytes(of: &word) { w in
                for k in 0..<n { raw[i + k] = w[k] }
            }
            i += n
        }
    }
    return out
}

/// One physical record, framed by hand (independently of `LogWriter`).
private func logTestPhysical(type: UInt8, _ payload: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    let crc = payload.withUnsafeBytes { LogFormat.recordChecksum(type: type, payload: $0) }
    Coding.appendFixed32(&out, crc)
    out.append(UInt8(payload.count & 0xff))
    out.append(UInt8(payload.count >> 8))
    out.append(type)
    return out + payload
}

/// A header record payload with arbitrary fields.
private func logTestHeaderPayload(magic: [UInt8] = LogFormat.magic, version: UInt32 = 1, kind: UInt32 = 1, number: UInt64 = 7) -> [UInt8] {
    var out = magic
    Coding.appendFixed32(&out, version)
    Coding.appendFixed32(&out, kind)
    Coding.appendFixed64(&out, number)
    return out
}

/// Physical fragments (offset, length including header) of a record of `length` bytes whose
/// first fragment goes at or after `offset`, computed from the format rules alone.
private func logTestFragments(startingAt offset: Int64, length: Int) -> [(offset: Int64, size: Int)] {
    let bs = Int64(LogFormat.blockSize)
    var pos = offset
    var remaining = length
    var out: [(Int64, Int)] = []
    repeat {
        if bs - pos % bs < 7 { pos += bs - pos % bs }
        let available = Int(bs - pos % bs) - 7
        let n = min(remaining, available)
        out.append((pos, 7 + n))
        pos += Int64(7 + n)
        remaining -= n
    } while remaining > 0
    return out
}

/// One past the last non-zero byte of `bytes` (0 if all are zero).
private func logTestNonZeroEnd(_ bytes: [UInt8]) -> Int64 {
    Int64((bytes.lastIndex { $0 != 0 } ?? -1) + 1)
}

/// What a test wrote: the records and where each one's first fragment starts.
private struct WrittenLog {
    var records: [[UInt8]] = []
    var offsets: [Int64] = []
    var size: Int64 = 0
}

/// Writes `records` as a WAL numbered 7 at `path`, checking one append per record.
private func writeLog(_ fs: any FileSystem, _ path: String, _ records: [[UInt8]], kind: LogKind = .wal) throws -> WrittenLog {
    let writer = try LogWriter(file: fs.newWritableFile(path), fileNumber: 7, kind: kind)
    var log = WrittenLog()
    for record in records {
        let fragments = logTestFragments(startingAt: writer.fileSize, length: record.count)
        try writer.addRecord(record)
        #expect(writer.fileSize == writer.file.size)
        #expect(writer.fileSize == fragments[fragments.count - 1].offset + Int64(fragments[fragments.count - 1].size))
        log.records.append(record)
        log.offsets.append(fragments[0].offset)
    }
    try writer.sync()
    log.size = writer.fileSize
    try writer.close()
    return log
}

/// Reads every record of the log at `path`.
private func readLog(_ fs: any FileSystem, _ path: String, kind: LogKind = .wal, number: UInt64? = 7) throws
    -> (records: [[UInt8]], offsets: [Int64], reader: LogReader)
{
    let reader = try LogReader(file: fs.newRandomAccessFile(path), kind: kind, expectedFileNumber: number)
    var records: [[UInt8]] = []
    var offsets: [Int64] = []
    while let record = try reader.nextRecord() {
        records.append(record.payload)
        offsets.append(record.offset)
    }
    #expect(try reader.readRecord() == nil)
    return (records, offsets, reader)
}

/// The corruption offset and reason thrown by `body`, or nil if it did not throw one.
private func corruptionOf(_ body: () throws -> Void) -> (offset: Int64, reason: String)? {
    do {
        try body()
    } catch let CairnError.corruption(_, offset, reason) {
        return (offset, reason)
    } catch {
        Issue.record("expected corruption, got \(error)")
    }
    return nil
}

/// Record sizes that exercise block boundaries.
private func boundarySizes() -> [Int] {
    let bs = LogFormat.blockSize
    var sizes = [0, 1, 100, bs - 7 - 31, 0, bs - 7, bs - 7 - 5, 3, bs, bs + 1, 0, 3 * bs + 17, 2 * bs - 14]
    var rng = SeededRandom(seed: 42)
    for _ in 0..<150 { sizes.append(Int.random(in: 0..<3000, using: &rng)) }
    for _ in 0..<12 { sizes.append(Int.random(in: 0..<100_000, using: &rng)) }
    sizes.append(1 << 20)
    sizes.append(5)
    return sizes
}

@Suite struct LogTests {
    private func makeFS() throws -> MemoryFileSystem {
        let fs = MemoryFileSystem()
        try fs.createDirectory("/db")
        return fs
    }

    // MARK: Round trips

    @Test func roundTripOnMemoryFileSystem() throws {
        let fs = try makeFS()
        let records = boundarySizes().enumerated().map { logTestBytes($0.element, seed: UInt64($0.offset)) }
        let written = try writeLog(fs, "/db/000007.log", records)
        let read = try readLog(fs, "/db/000007.log")
        #expect(read.records == written.records)
        #expect(read.offsets == written.offsets)
        #expect(read.reader.header == LogFileHeader(kind: .wal, fileNumber: 7))
        #expect(read.reader.droppedTailBytes == 0)
        #expect(read.reader.lastRecordOffset == written.offsets.last)
        #expect(try fs.fileSize("/db/000007.log") == written.size)
    }

    @Test func roundTripOnPosixFileSystem() throws {
        var template = Array("/tmp/cairn-log-test-XXXXXX".utf8CString)
        let dir = try template.withUnsafeMutableBufferPointer { buffer -> String in
            guard let base = buffer.baseAddress, let p = mkdtemp(base) else {
                throw CairnError.io(errno: errno, path: "/tmp", operation: "mkdtemp")
            }
            return String(cString: p)
        }
        let fs = PosixFileSystem()
        let path = joinPath(dir, "MANIFEST-000007")
        defer {
            try? fs.removeFile(path)
            rmdir(dir)
        }
        let records = boundarySizes().enumerated().map { logTestBytes($0.element, seed: UInt64($0.offset) + 1000) }
        let written = try writeLog(fs, path, records, kind: .manifest)
        let read = try readLog(fs, path, kind: .manifest)
        #expect(read.records == written.records)
        #expect(read.offsets == written.offsets)
        #expect(try fs.fileSize(path) == written.size)
        // A manifest is not a WAL.
        let mismatch = corruptionOf { _ = try readLog(fs, path, kind: .wal) }
        #expect(mismatch?.offset == 19)
        #expect(mismatch?.reason.contains("expected a WAL") == true)
    }

    @Test func blockTailsShorterThanAHeaderArePadded() throws {
        let bs = LogFormat.blockSize
        for leftover in 0...8 {
            let fs = try makeFS()
            let first = logTestBytes(bs - 31 - 7 - leftover, seed: UInt64(leftover))
            let written = try writeLog(fs, "/db/a.log", [first, [1, 2, 3], []])
            let expectedSecond = leftover < 7 ? Int64(bs) : Int64(bs - leftover)
            #expect(written.offsets[0] == 31 && written.offsets[1] == expectedSecond)
            if leftover < 7 {
                let bytes = fs.contents(of: "/db/a.log") ?? []
                #expect(bytes[(bs - leftover)..<bs].allSatisfy { $0 == 0 })
            }
            let read = try readLog(fs, "/db/a.log")
            #expect(read.records == written.records)
            #expect(read.offsets == written.offsets)
        }
    }

    @Test func writerIssuesOneAppendPerRecordAndFailuresAreSticky() throws {
        let fs = try makeFS()
        let appends = CairnMutex(0)
        fs.setOperationHook { op, _, _ in
            if op == .append { appends.withLock { $0 += 1 } }
        }
        let writer = try LogWriter(file: fs.newWritableFile("/db/w.log"), fileNumber: 7, kind: .wal)
        try writer.addRecord(logTestBytes(200_000, seed: 1))
        try writer.addRecord([])
        try writer.addRecord(logTestBytes(10, seed: 2))
        #expect(appends.withLock { $0 } == 4)  // header + 3 records

        let sizeBefore = writer.fileSize
        fs.injectFault(FaultRule(.append, errno: ENOSPC, partialWriteBytes: 5))
        #expect(throws: CairnError.io(errno: ENOSPC, path: "/db/w.log", operation: "write")) {
            try writer.addRecord(logTestBytes(100, seed: 3))
        }
        fs.clearFaults()
        #expect(throws: CairnError.self) { try writer.addRecord([1]) }
        #expect(throws: CairnError.self) { try writer.sync() }
        #expect(writer.fileSize == sizeBefore)
        // The partial write is a torn tail: the earlier records are intact.
        let read = try readLog(fs, "/db/w.log")
        #expect(read.records.count == 3)
        #expect(read.reader.droppedTailBytes > 0)

        // A writer needs an empty file.
        let used = try fs.newWritableFile("/db/used.log")
        try used.append([1])
        #expect(throws: CairnError.self) { _ = try LogWriter(file: used, fileNumber: 1, kind: .wal) }
    }

    // MARK: Torn tails

    @Test func truncationAnywhereInTheLastRecordIsATornTail() throws {
        let fs = try makeFS()
        for lastSize in [300, 70_000] {
            let records = [10, 0, 500, 3, 40_000, lastSize].enumerated().map { logTestBytes($0.element, seed: UInt64($0.offset)) }
            let written = try writeLog(fs, "/db/full.log", records)
            let bytes = fs.contents(of: "/db/full.log") ?? []
            let lastStart = Int(written.offsets[5])
            var cuts = Array(lastStart..<bytes.count)
            if lastSize > 1000 {
                // Every offset near a fragment boundary, and a sample in between.
                var boundaries: Set<Int> = [lastStart, bytes.count]
                for fragment in logTestFragments(startingAt: Int64(lastStart), length: lastSize) {
                    boundaries.insert(Int(fragment.offset))
                }
                cuts = Array(stride(from: lastStart, to: bytes.count, by: 97))
                for b in boundaries { cuts += Array(max(lastStart, b - 9)..<min(bytes.count, b + 9)) }
            }
            for cut in cuts {
                let file = try fs.newWritableFile("/db/cut.log")
                try bytes.withUnsafeBytes { try file.append(UnsafeRawBufferPointer(rebasing: $0[0..<cut])) }
                let read = try readLog(fs, "/db/cut.log")
                #expect(read.records == Array(records[0..<5]), "cut at \(cut)")
                #expect(read.reader.droppedTailBytes <= Int64(cut - lastStart))
                if bytes[cut - 1] != 0 { #expect(read.reader.droppedTailBytes == Int64(cut - lastStart)) }
            }
        }
    }

    @Test func emptyFileAndTornHeaderReadAsEmptyLog() throws {
        let fs = try makeFS()
        let written = try writeLog(fs, "/db/full.log", [[1, 2, 3]])
        let bytes = fs.contents(of: "/db/full.log") ?? []
        for cut in 0...LogFormat.fileHeaderRecordSize {
            let file = try fs.newWritableFile("/db/cut.log")
            try file.append(Array(bytes[0..<cut]))
            let read = try readLog(fs, "/db/cut.log")
            #expect(read.records.isEmpty)
            #expect((read.reader.header == nil) == (cut < LogFormat.fileHeaderRecordSize))
        }
        // A header whose data never reached the disk (zeros) is torn too.
        let zeros = try fs.newWritableFile("/db/zeros.log")
        try zeros.append([UInt8](repeating: 0, count: 4096))
        let read = try readLog(fs, "/db/zeros.log")
        #expect(read.records.isEmpty && read.reader.header == nil && read.reader.droppedTailBytes == 0)
        #expect(written.records.count == 1)
    }

    @Test func crashAtEveryOperationKeepsASyncedPrefix() throws {
        let fs = try makeFS()
        var rng = SeededRandom(seed: 99)
        let records = (0..<40).map { i in logTestBytes(Int.random(in: 0..<40_000, using: &rng), seed: UInt64(i)) }
        let synced = CairnMutex(0)
        let clones = CairnMutex<[(MemoryFileSystem, Int)]>([])
        fs.setOperationHook { _, _, _ in
            let clone = fs.crashClone()
            let count = synced.withLock { $0 }
            clones.withLock { $0.append((clone, count)) }
        }
        let writer = try LogWriter(file: fs.newWritableFile("/db/000007.log"), fileNumber: 7, kind: .wal)
        try fs.syncDirectory("/db")
        for (i, record) in records.enumerated() {
            try writer.addRecord(record)
            if i % 3 == 2 {
                try writer.sync()
                synced.withLock { $0 = i + 1 }
            }
        }
        fs.setOperationHook(nil)
        let states = clones.withLock { $0 }
        #expect(states.count > 50)
        for (clone, syncedCount) in states {
            guard clone.fileExists("/db/000007.log") else {
                #expect(syncedCount == 0)
                continue
            }
            let read = try readLog(clone, "/db/000007.log")
            #expect(read.records.count >= syncedCount)
            #expect(read.records == Array(records[0..<read.records.count]))
        }
    }

    @Test func partialAppendsAtAnyPointAreTornTails() throws {
        var rng = SeededRandom(seed: 5)
        let records = (0..<12).map { i in logTestBytes(Int.random(in: 0..<50_000, using: &rng), seed: UInt64(i)) }
        for failing in [1, 4, 11] {
            for partial in [1, 6, 7, 8, 100, 32_000, 33_000, 60_000] {
                let fs = try makeFS()
                // Append 0 is the header; append `failing` carries records[failing - 1].
                fs.injectFault(FaultRule(.append, trigger: .onceAfter(failing), errno: ENOSPC, partialWriteBytes: partial))
                let writer = try LogWriter(file: fs.newWritableFile("/db/1.log"), fileNumber: 7, kind: .wal)
                var framedSize = 0
                for record in records {
                    let fragments = logTestFragments(startingAt: writer.fileSize, length: record.count)
                    framedSize = Int(fragments[fragments.count - 1].offset) + fragments[fragments.count - 1].size - Int(writer.fileSize)
                    do { try writer.addRecord(record) } catch { break }
                }
                try writer.file.sync()
                try fs.syncDirectory("/db")
                // A "partial" write as long as the whole record wrote all of it.
                let expected = partial >= framedSize ? failing : failing - 1
                let read = try readLog(fs.crashClone(), "/db/1.log")
                #expect(read.records == Array(records[0..<expected]), "failing \(failing) partial \(partial)")
            }
        }
    }

    @Test func zeroFilledTailIsNotCorruption() throws {
        let fs = try makeFS()
        let records = [100, 40_000, 7].map { logTestBytes($0, seed: UInt64($0)) }
        let written = try writeLog(fs, "/db/z.log", records)
        try fs.truncate(path: "/db/z.log", to: Int(written.size) + 100_000)  // preallocated space
        let read = try readLog(fs, "/db/z.log")
        #expect(read.records == records)
        #expect(read.reader.droppedTailBytes == 0)
    }

    @Test func lostMiddlePageOfTheLastRecordIsATornTail() throws {
        // One append of a record spanning three blocks; the page holding its middle never
        // reached the disk but later pages did (unsynced data written back out of order).
        let fs = try makeFS()
        let records = [logTestBytes(50, seed: 1), logTestBytes(80_000, seed: 2)]
        let written = try writeLog(fs, "/db/t.log", records)
        let fragments = logTestFragments(startingAt: written.offsets[1], length: 80_000)
        #expect(fragments.count == 3)
        try fs.overwrite(path: "/db/t.log", at: Int(fragments[1].offset), bytes: [UInt8](repeating: 0, count: 4096))
        let read = try readLog(fs, "/db/t.log")
        #expect(read.records == [records[0]])
        #expect(read.reader.droppedTailBytes == logTestNonZeroEnd(fs.contents(of: "/db/t.log") ?? []) - written.offsets[1])
    }

    // MARK: Mid-file corruption

    @Test func bitFlipInAMiddleRecordIsCorruptionAtThatRecord() throws {
        let fs = try makeFS()
        var rng = SeededRandom(seed: 3)
        let sizes = [20, 1000, 70_000, 0, 5, 40_000, 300, 12, 33_000, 64]
        let records = sizes.enumerated().map { logTestBytes($0.element, seed: UInt64($0.offset)) }
        let written = try writeLog(fs, "/db/m.log", records)
        let original = fs.contents(of: "/db/m.log") ?? []
        var fragments: [(offset: Int64, size: Int)] = []
        for (i, record) in records.enumerated() {
            fragments += logTestFragments(startingAt: written.offsets[i], length: record.count)
        }
        // Every fragment but those of the last record, at header bytes and random payload bytes.
        let lastRecordFragments = logTestFragments(startingAt: written.offsets.last ?? 0, length: records.last?.count ?? 0).count
        for fragment in fragments.dropLast(lastRecordFragments) {
            var positions = Array(0..<7)
            if fragment.size > 7 {
                for _ in 0..<3 { positions.append(Int.random(in: 7..<fragment.size, using: &rng)) }
            }
            for position in positions {
                let byte = Int(fragment.offset) + position
                let bit = Int.random(in: 0..<8, using: &rng)
                let file = try fs.newWritableFile("/db/flip.log")
                try file.append(original)
                try fs.flipBit(path: "/db/flip.log", byteOffset: byte, bit: bit)
                let damage = corruptionOf { _ = try readLog(fs, "/db/flip.log") }
                #expect(damage?.offset == fragment.offset, "flip at byte \(byte) bit \(bit): \(String(describing: damage))")
            }
        }
    }

    @Test func damagedLengthFieldInTheLastBlockIsStillDetected() throws {
        let fs = try makeFS()
        let records = (0..<10).map { logTestBytes(100, seed: UInt64($0)) }
        let written = try writeLog(fs, "/db/l.log", records)
        for bit in 0..<8 {
            for lengthByte in 4...5 {
                _ = try writeLog(fs, "/db/l2.log", records)
                try fs.flipBit(path: "/db/l2.log", byteOffset: Int(written.offsets[3]) + lengthByte, bit: bit)
                let damage = corruptionOf { _ = try readLog(fs, "/db/l2.log") }
                #expect(damage?.offset == written.offsets[3])
            }
        }
    }

    @Test func bitFlipInTheLastRecordIsDropped() throws {
        let fs = try makeFS()
        for lastSize in [400, 50_000] {
            let records = [30, 2000, lastSize].map { logTestBytes($0, seed: UInt64($0)) }
            let written = try writeLog(fs, "/db/last.log", records)
            let original = fs.contents(of: "/db/last.log") ?? []
            for byte in stride(from: Int(written.offsets[2]), to: original.count, by: 331) {
                let file = try fs.newWritableFile("/db/flip.log")
                try file.append(original)
                try fs.flipBit(path: "/db/flip.log", byteOffset: byte, bit: byte % 8)
                let read = try readLog(fs, "/db/flip.log")
                #expect(read.records == Array(records[0..<2]), "flip at \(byte)")
                #expect(read.reader.droppedTailBytes == logTestNonZeroEnd(fs.contents(of: "/db/flip.log") ?? []) - written.offsets[2])
                #expect(written.size == Int64(original.count))
            }
        }
    }

    @Test func zeroedBlockInTheMiddleIsCorruption() throws {
        let fs = try makeFS()
        let records = (0..<12).map { logTestBytes(10_000, seed: UInt64($0)) }
        _ = try writeLog(fs, "/db/zb.log", records)
        try fs.overwrite(path: "/db/zb.log", at: LogFormat.blockSize, bytes: [UInt8](repeating: 0, count: LogFormat.blockSize))
        let damage = corruptionOf { _ = try readLog(fs, "/db/zb.log") }
        #expect(damage?.offset == Int64(LogFormat.blockSize))
        #expect(damage?.reason.contains("a valid record follows") == true)
        // The error is sticky: the reader never goes on past the damage.
        let reader = try LogReader(file: fs.newRandomAccessFile("/db/zb.log"), kind: .wal, expectedFileNumber: 7)
        var failures = 0
        for _ in 0..<20 {
            do {
                _ = try reader.readRecord()
            } catch {
                failures += 1
            }
        }
        #expect(failures == 20 - 3)  // three records sit wholly in block 0
    }

    @Test func brokenFragmentSequences() throws {
        let fs = try makeFS()
        let header = logTestPhysical(type: 1, logTestHeaderPayload())
        func check(_ body: [UInt8]) throws -> (records: [[UInt8]], error: (offset: Int64, reason: String)?) {
            let file = try fs.newWritableFile("/db/seq.log")
            try file.append(header + body)
            var records: [[UInt8]] = []
            let error = corruptionOf {
                let read = try readLog(fs, "/db/seq.log")
                records = read.records
            }
            return (records, error)
        }
        let full = logTestPhysical(type: 1, [1, 1])
        let first = logTestPhysical(type: 2, [2])
        let middle = logTestPhysical(type: 3, [3])
        let last = logTestPhysical(type: 4, [4])

        // FIRST, MIDDLE, LAST reassemble.
        var r = try check(full + first + middle + last)
        #expect(r.records == [[1, 1], [2, 3, 4]] && r.error == nil)
        // FIRST then FULL: the first record lost its end, yet a record follows.
        r = try check(full + first + full)
        #expect(r.error?.offset == Int64(31 + 9))
        // MIDDLE without FIRST, followed by a record.
        r = try check(full + middle + full)
        #expect(r.error?.offset == Int64(31 + 9))
        // A lone LAST or an unfinished FIRST at the end is a torn tail.
        for tail in [last, first, first + middle] {
            let file = try fs.newWritableFile("/db/seq.log")
            try file.append(header + full + tail)
            let read = try readLog(fs, "/db/seq.log")
            #expect(read.records == [[1, 1]])
            #expect(read.reader.droppedTailBytes == Int64(tail.count))
        }
        // Unknown record type with a valid checksum, followed by a record.
        r = try check(full + logTestPhysical(type: 9, [9]) + full)
        #expect(r.error?.offset == Int64(31 + 9))
        #expect(r.error?.reason.contains("unknown record type 9") == true)
    }

    // MARK: Header

    @Test func headerValidation() throws {
        let fs = try makeFS()
        func reading(_ bytes: [UInt8], kind: LogKind = .wal, number: UInt64? = 7) throws -> LogReader {
            let file = try fs.newWritableFile("/db/h.log")
            try file.append(bytes)
            return try LogReader(file: fs.newRandomAccessFile("/db/h.log"), kind: kind, expectedFileNumber: number)
        }
        let record = logTestPhysical(type: 1, [5, 5, 5])

        // Good header; nil expected number accepts any.
        let reader = try reading(logTestPhysical(type: 1, logTestHeaderPayload(number: 12)) + record, number: nil)
        #expect(reader.header?.fileNumber == 12)
        #expect(try reader.readRecord() == [5, 5, 5])

        var damage = corruptionOf { _ = try reading(logTestPhysical(type: 1, logTestHeaderPayload(magic: Array("LEVELDB!".utf8))) + record) }
        #expect(damage?.reason.contains("not a Cairn log") == true)

        #expect(throws: CairnError.notSupported("/db/h.log: log format version 3; this build reads versions 1 to 2")) {
            _ = try reading(logTestPhysical(type: 1, logTestHeaderPayload(version: 3)) + record)
        }
        damage = corruptionOf { _ = try reading(logTestPhysical(type: 1, logTestHeaderPayload(kind: 2)) + record) }
        #expect(damage?.reason.contains("expected a WAL") == true)
        damage = corruptionOf { _ = try reading(logTestPhysical(type: 1, logTestHeaderPayload(kind: 77)) + record) }
        #expect(damage?.reason.contains("unknown kind 77") == true)
        damage = corruptionOf { _ = try reading(logTestPhysical(type: 1, logTestHeaderPayload(number: 8)) + record) }
        #expect(damage?.offset == 23)
        damage = corruptionOf { _ = try reading(logTestPhysical(type: 1, logTestHeaderPayload() + [0]) + record) }
        #expect(damage?.reason.contains("expected 24") == true)
        // Some other framed log whose first record is not our header.
        damage = corruptionOf { _ = try reading(logTestPhysical(type: 1, Array("hello, world".utf8)) + record) }
        #expect(damage?.reason.contains("not a Cairn log") == true)
        // Arbitrary bytes.
        damage = corruptionOf { _ = try reading(Array("This is a text file, not a log at all.\n".utf8)) }
        #expect(damage?.reason.contains("not a Cairn log") == true)
        // Two bytes could be the start of a torn header (its checksum): an empty log.
        #expect(try reading(Array("hi".utf8)).header == nil)
    }

    @Test func damagedHeaderIsCorruptionIfRecordsFollow() throws {
        let fs = try makeFS()
        _ = try writeLog(fs, "/db/h.log", [[1, 2, 3], [4]])
        let original = fs.contents(of: "/db/h.log") ?? []
        for byte in 0..<LogFormat.fileHeaderRecordSize {
            let file = try fs.newWritableFile("/db/h2.log")
            try file.append(original)
            try fs.flipBit(path: "/db/h2.log", byteOffset: byte, bit: 2)
            let damage = corruptionOf { _ = try readLog(fs, "/db/h2.log") }
            #expect(damage?.offset == 0, "flip at \(byte)")
        }
        // With nothing after it, a damaged header is a torn header: an empty log.
        let file = try fs.newWritableFile("/db/h3.log")
        try file.append(Array(original[0..<LogFormat.fileHeaderRecordSize]))
        try fs.flipBit(path: "/db/h3.log", byteOffset: 20, bit: 0)
        let read = try readLog(fs, "/db/h3.log")
        #expect(read.records.isEmpty && read.reader.header == nil)
        // The header ends in the zero high bytes of file number 7, which are not counted.
        #expect(read.reader.droppedTailBytes == 24)
    }
}
