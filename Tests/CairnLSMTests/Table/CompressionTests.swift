import Testing
@testable import CairnLSM

@Suite("CompressionTests")
struct CompressionTests {
    @Test(arguments: [CompressionType.lz4, .zstd])
    func roundTrip(type: CompressionType) throws {
        var rng = SeededRandom(seed: 1)
        for size in [1, 100, 4096, 70_000] {
            let input = compressibleBytes(size, &rng)
            let out = ByteBuffer()
            let compressed = input.withUnsafeBytes { Compression.compress(type, $0, zstdLevel: 1, into: out) }
            if size < 100 { continue }  // tiny inputs may not compress
            #expect(compressed)
            #expect(out.count < size - size / 8)
            let decoded = try Compression.decompress(type, out.bytes, file: "f", offset: 7)
            defer { decoded.deallocate() }
            #expect(Array(decoded) == input)
        }
    }

    @Test(arguments: [CompressionType.lz4, .zstd])
    func incompressibleInputIsNotCompressed(type: CompressionType) {
        var rng = SeededRandom(seed: 2)
        let input = randomBytes(4096, &rng)
        let out = ByteBuffer()
        out.append([9, 9])
        let compressed = input.withUnsafeBytes { Compression.compress(type, $0, zstdLevel: 1, into: out) }
        #expect(!compressed)
        #expect(out.toArray() == [9, 9])
    }

    @Test func workspaceIsReusable() throws {
        var rng = SeededRandom(seed: 3)
        let workspace = CompressionWorkspace()
        for size in [5000, 200, 100_000, 3000] {
            let input = compressibleBytes(size, &rng)
            for type in [CompressionType.lz4, .zstd] {
                let out = ByteBuffer()
                #expect(input.withUnsafeBytes { Compression.compress(type, $0, zstdLevel: 3, into: out, workspace: workspace) })
                let decoded = try Compression.decompress(type, out.bytes, file: "f", offset: 0)
                defer { decoded.deallocate() }
                #expect(Array(decoded) == input)
            }
        }
    }

    @Test(arguments: [CompressionType.lz4, .zstd])
    func damagedInputIsCorruption(type: CompressionType) throws {
        var rng = SeededRandom(seed: 4)
        let input = compressibleBytes(4096, &rng)
        let out = ByteBuffer()
        #expect(input.withUnsafeBytes { Compression.compress(type, $0, zstdLevel: 1, into: out) })
        let good = out.toArray()

        func decode(_ bytes: [UInt8]) throws {
            let d = try bytes.withUnsafeBytes { try Compression.decompress(type, $0, file: "t.sst", offset: 123) }
            d.deallocate()
        }
        // Wrong declared length (one more than the real size).
        var wrongLength: [UInt8] = []
        Coding.appendVarint(&wrongLength, 4097)
        wrongLength += good.dropFirst(Coding.varintLength(4096))
        let e = expectCorruption("wrong length") { try decode(wrongLength) }
        #expect(e?.offset == 123)
        #expect(e?.file == "t.sst")
        // Length above the cap.
        var huge: [UInt8] = []
        Coding.appendVarint(&huge, UInt64(Compression.maxUncompressedLength + 1))
        huge += good.dropFirst(Coding.varintLength(4096))
        expectCorruption("over the cap") { try decode(huge) }
        // Truncated varint and truncated payload.
        expectCorruption("no length") { try decode([0x80]) }
        expectCorruption("truncated payload") { try decode(Array(good.prefix(good.count / 2))) }
        // Garbage payloads never crash.
        for i in stride(from: 2, to: good.count, by: 3) {
            var b = good
            b[i] ^= 0x5a
            do { try decode(b) } catch let error as CairnError { #expect(error.isCorruption) }
        }
    }
}
