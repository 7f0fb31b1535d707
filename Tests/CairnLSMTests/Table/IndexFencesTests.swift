import Testing
@testable import CairnLSM

@Suite("IndexFencesTests")
struct IndexFencesTests {
    /// User keys chosen to stress fences: a long shared prefix, suffixes of 0 to 12 bytes over
    /// an alphabet with 0x00 and 0xff (so "a" and "a\0" share a zero-padded fence, and keys
    /// are prefixes of others), several versions per key.
    static func model(seed: UInt64, prefix: [UInt8]) -> [ModelEntry] {
        var rng = SeededRandom(seed: seed)
        let alphabet: [UInt8] = [0x00, 0x01, 0x61, 0xfe, 0xff]
        var entries: [ModelEntry] = []
        var sequence: UInt64 = 1
        for _ in 0..<1_500 {
            let suffix = (0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng) ?? 0 }
            let user = prefix + suffix
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                sequence += 1
                let deletion = Int.random(in: 0..<8, using: &rng) == 0
                entries.append(ModelEntry(
                    key: InternalKey.make(user, sequence: sequence, type: deletion ? .deletion : .value),
                    value: deletion ? [] : randomBytes(Int.random(in: 0...40, using: &rng), &rng)))
            }
        }
        return sortedModel(entries)
    }

    /// What a point lookup must return: the first entry >= the seek target, if it has the
    /// target's user key.
    static func expected(_ model: [ModelEntry], _ user: [UInt8], sequence: SequenceNumber) -> TableLookup? {
        let i = lowerBound(model, InternalKey.seekTarget(user, sequence: sequence))
        guard i < model.count else { return nil }
        let key = model[i].key
        guard Array(key.dropLast(InternalKey.trailerSize)) == user else { return nil }
        return key.withUnsafeBytes { k in
            TableLookup(
                type: ValueType(rawValue: InternalKey.typeByte(k)) ?? .value, sequence: InternalKey.sequence(k),
                value: model[i].value)
        }
    }

    @Test(arguments: [[UInt8](), Array("tenant/0042/orders/".utf8), [0xff, 0xff, 0xff]])
    func lookupsThroughFencesMatchTheModel(prefix: [UInt8]) throws {
        let model = Self.model(seed: 77 + UInt64(prefix.count), prefix: prefix)
        var options = TableBuilderOptions()
        options.blockSize = 128  // many index entries; versions of one key span blocks
        options.compression = .none
        let (bytes, _) = try buildTable(model, options: options)
        let reader = try openTable(bytes, verify: true)
        let fences = try #require(reader.indexFences, "index blocks are written one entry per restart")
        #expect(fences.count > 100)

        var rng = SeededRandom(seed: 5)
        var users = Set(model.map { Array($0.key.dropLast(InternalKey.trailerSize)) })
        // Absent keys around and outside the range, including proper prefixes of the shared prefix.
        for _ in 0..<500 {
            let base = Array(users.randomElement(using: &rng) ?? [])
            var probe = base
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: probe.append(UInt8.random(in: 0...255, using: &rng))
            case 1: if !probe.isEmpty { probe.removeLast() }
            case 2: if !probe.isEmpty { probe[probe.count - 1] &+= 1 }
            default: probe = Array(probe.prefix(Int.random(in: 0...probe.count, using: &rng)))
            }
            users.insert(probe)
        }
        users.insert([])
        users.insert([0xff, 0xff, 0xff, 0xff, 0xff])
        users.insert([0x00])
        var checked = 0
        for user in users {
            for sequence in [maxSequenceNumber, UInt64.random(in: 1...5_000, using: &rng), 1] {
                let got = try reader.get(InternalKey.seekTarget(user, sequence: sequence))
                #expect(got == Self.expected(model, user, sequence: sequence), "user key \(user) at \(sequence)")
                checked += 1
            }
        }
        #expect(checked > 3_000)
    }

    @Test func candidateRangesBracketTheAnswer() throws {
        // Keys whose fences collide: the same 8 bytes after the prefix, then different tails.
        var entries: [ModelEntry] = []
        for i in 0..<400 {
            let user = Array("p/".utf8) + [UInt8(i / 100), 0, 0, 0, 0, 0, 0, 0, 0] + [UInt8(i % 100)]
            entries.append(ModelEntry(key: InternalKey.make(user, sequence: UInt64(i + 1), type: .value), value: [UInt8(i % 256)]))
        }
        let model = sortedModel(entries)
        var options = TableBuilderOptions()
        options.blockSize = 64
        let (bytes, _) = try buildTable(model, options: options)
        let reader = try openTable(bytes)
        let fences = try #require(reader.indexFences)
        for (i, entry) in model.enumerated() {
            let user = Array(entry.key.dropLast(InternalKey.trailerSize))
            let range = user.withUnsafeBytes { fences.candidates(for: $0) }
            // Runs of equal fences span many blocks here; the range holds all of them.
            #expect(range.count > 1)
            #expect(try reader.get(InternalKey.seekTarget(user, sequence: maxSequenceNumber))?.value == [UInt8(i % 256)])
        }
        // Outside the common prefix: before everything, after everything.
        #expect(Array("a".utf8).withUnsafeBytes { fences.candidates(for: $0) } == 0..<0)
        #expect(Array("p".utf8).withUnsafeBytes { fences.candidates(for: $0) } == 0..<0)
        // The last separator is a short successor of the last key ("q"), so "z" is past it.
        #expect(Array("z".utf8).withUnsafeBytes { fences.candidates(for: $0) } == fences.count..<fences.count)
        #expect(try reader.get(InternalKey.seekTarget(Array("q".utf8), sequence: maxSequenceNumber)) == nil)
    }
}
