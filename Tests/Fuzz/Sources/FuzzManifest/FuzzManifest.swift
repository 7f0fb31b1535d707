// Fuzz target: the manifest (version-edit log) decoder and version recovery.
//
// Input: one flags byte, then the bytes of a MANIFEST file. The file replaces the current
// manifest of a small template database (one table, one live WAL) in a MemoryFileSystem; the
// database is then opened (manifest framing, version-edit decoding, version building and its
// consistency checks, table and log checks) and read back. The file is also read with
// `LogReader(kind: .manifest, policy: .skipDamage)`.
// Flags: bit 0 recomputes every record checksum first (so mutated edits reach the decoder),
// bit 1 opens read-only, bit 2 opens with `absoluteConsistency`.
// Every thrown error is fine; only a crash, trap, hang or sanitizer report is a finding.
import Cairn
import CairnLSM
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) var template: (fs: MemoryFileSystem, manifest: String)?

func loadTemplate() -> (fs: MemoryFileSystem, manifest: String) {
    if let template { return template }
    let fs = try! makeTemplateDatabase()
    let current = String(decoding: fs.contents(of: databasePath + "/CURRENT")!, as: UTF8.self)
    let name = current.split(whereSeparator: { $0 == "\n" }).first.map(String.init) ?? ""
    let manifest = databasePath + "/" + name
    precondition(fs.fileExists(manifest), "CURRENT names \(name), which does not exist")
    template = (fs, manifest)
    return (fs, manifest)
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        let (fs, manifest) = loadTemplate()
        let bytes = fs.contents(of: manifest)!
        return [
            ("template-manifest", [0] + bytes),
            ("template-manifest-fixed", [1] + bytes),
            ("template-manifest-readonly", [3] + bytes),
            ("template-manifest-strict", [5] + bytes),
            ("header-only", [1] + Array(bytes.prefix(LogFormat.fileHeaderRecordSize))),
        ]
    }
    _ = loadTemplate()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = input(data, size)
    guard let flags = raw.first else { return 0 }
    let (templateFS, manifest) = loadTemplate()
    let fs = image(of: templateFS, replacing: manifest, with: raw.dropFirst(), fixChecksums: flags & 1 != 0)
    openAndReadBack(fs, readOnly: flags & 2 != 0, strict: flags & 4 != 0)
    readLogRecords(fs, manifest, kind: .manifest)
    return 0
}
