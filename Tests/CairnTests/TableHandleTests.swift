import Foundation
import Testing
@testable import Cairn

@Suite struct TableHandleTests {
    struct Song: Codable, Equatable {
        var artist: String
        var title: String
        var year: Int
        var tags: Set<String>
        var released: Date?
    }

    @Test func codableValuesRoundTripThroughATable() throws {
        let db = try memoryDatabase()
        let songs = try db.createTable("Songs", partitionKey: ("artist", .s), sortKey: ("title", .s))
        let song = Song(artist: "Nina Simone", title: "Sinnerman", year: 1965, tags: ["jazz", "soul"],
                        released: Date(timeIntervalSince1970: 0))
        try songs.put(song)
        #expect(try songs.get(Song.self, key: ["artist": "Nina Simone", "title": "Sinnerman"]) == song)
        let raw = try #require(try songs.get(["artist": "Nina Simone", "title": "Sinnerman"]))
        #expect(raw["year"] == 1965)
        #expect(raw["released"] == "1970-01-01T00:00:00.000Z")
        if case .ss(let tags)? = raw["tags"] { #expect(Set(tags) == ["jazz", "soul"]) } else { Issue.record("tags not SS") }
        #expect(try songs.get(Song.self, key: ["artist": "Nina Simone", "title": "Feeling Good"]) == nil)
        try songs.put(Song(artist: "Nina Simone", title: "Feeling Good", year: 1965, tags: [], released: nil))
        let all = try songs.scan(Song.self)
        #expect(Set(all.map(\.title)) == ["Sinnerman", "Feeling Good"])
        #expect(try songs.scan(limit: 1).count == 1)
        #expect(try songs.delete(["artist": "Nina Simone", "title": "Sinnerman"])?["year"] == 1965)
        #expect(try songs.scan().count == 1)
        // A handle on a table that does not exist fails on use, as DynamoDB does.
        #expect(throws: DynamoDBError.resourceNotFound()) { try db.table("Nope").put(["k": "v"]) }
    }

    @Test func tableHandlesAreUsableFromConcurrentTasks() async throws {
        let db = try memoryDatabase()
        let counters = try db.createTable("Counters", partitionKey: ("id", .n))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask { try counters.put(["id": .n(Number(exactly: i)), "value": .n(Number(exactly: i * i))]) }
            }
            try await group.waitForAll()
        }
        #expect(try counters.scan().count == 8)
        #expect(try counters.get(["id": 7])?["value"] == 49)
    }
}
