import Foundation
import Testing
@testable import CairnLSM

/// A database is opened for writing by one handle at a time (LevelDB's LOCK file): a second
/// open gets `CairnError.busy` with a message that names the database and says it is locked by
/// another process, and writes nothing.
@Suite struct DatabaseLockTests {
    func expectLocked(_ path: String, _ options: Options) {
        do {
            let second = try Database.open(path, options: options)
            try? second.close()
            Issue.record("a second open of \(path) succeeded")
        } catch CairnError.busy(let message) {
            #expect(message.contains("the database at \(path) is locked by another process"), "\(message)")
            #expect(message.contains("LOCK") && !message.contains("\n"), "\(message)")
        } catch {
            Issue.record("expected busy, got \(error)")
        }
    }

    @Test func aSecondOpenIsBusyOnDiskAndInMemory() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/db"
        let db = try Database.open(path)
        _ = try db.put(bytes("k"), bytes("v"), sync: true)
        expectLocked(path, Options())
        // The holder is unaffected, and a read-only open still reads.
        _ = try db.put(bytes("k2"), bytes("v2"), sync: true)
        let reader = try Database.openReadOnly(path)
        #expect(try reader.get(bytes("k")) == bytes("v"))
        try reader.close()
        try db.close()
        let reopened = try Database.open(path)
        #expect(try reopened.get(bytes("k2")) == bytes("v2"))
        try reopened.close()

        let fs = MemoryFileSystem()
        let memory = try Database.open("/db", options: memoryOptions(fs))
        expectLocked("/db", memoryOptions(fs))
        try memory.close()
    }
}
