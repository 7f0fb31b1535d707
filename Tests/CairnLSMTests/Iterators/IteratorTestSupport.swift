import Testing
@testable import CairnLSM

/// Drives `it` through `operations` random moves — seekToFirst, seekToLast, seek,
/// seekForPrev, and runs of next/prev that change direction often — checking every landing
/// against `model` (sorted internal keys, as `sortedModel` returns). `targets` draws seek
/// targets (internal keys). Stops at the first mismatch and records it with the recent moves.
func checkRandomMoves(
    _ it: any InternalIterator, _ model: [ModelEntry], operations: Int, _ rng: inout SeededRandom,
    targets: (inout SeededRandom) -> [UInt8], sourceLocation: SourceLocation = #_sourceLocation
) throws {
    var position = -1
    var history: [String] = []
    func note(_ s: String) {
        history.append(s)
        if history.count > 8 { history.removeFirst() }
    }
    for step in 0..<operations {
        let valid = position >= 0 && position < model.count
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<5:
            try it.seekToFirst()
            position = 0
            note("seekToFirst")
        case 5..<10:
            try it.seekToLast()
            position = model.count - 1
            note("seekToLast")
        case 10..<22:
            let target = targets(&rng)
            try it.seek(target)
            position = lowerBound(model, target)
            note("seek \(target)")
        case 22..<34:
            let target = targets(&rng)
            try target.withUnsafeBytes { try it.seekForPrev($0) }
            // The last entry <= target.
            var lo = 0, hi = model.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if internalCompare(model[mid].key, target) <= 0 { lo = mid + 1 } else { hi = mid }
            }
            position = lo - 1
            note("seekForPrev \(target)")
        case 34..<67 where valid:
            try it.next()
            position += 1
            note("next")
        case 67..<100 where valid:
            try it.prev()
            position -= 1
            note("prev")
        default:
            continue
        }
        if position < 0 || position >= model.count {
            position = -1
            guard !it.isValid else {
                Issue.record("step \(step): expected the end, iterator is valid; moves: \(history)", sourceLocation: sourceLocation)
                return
            }
            continue
        }
        guard it.isValid, Array(it.key) == model[position].key, Array(it.value) == model[position].value else {
            let got = it.isValid ? "\(Array(it.key))" : "invalid"
            Issue.record(
                "step \(step): expected entry \(position) \(model[position].key), got \(got); moves: \(history)",
                sourceLocation: sourceLocation)
            return
        }
    }
}
