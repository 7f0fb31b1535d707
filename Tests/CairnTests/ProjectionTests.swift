import Testing
@testable import Cairn

/// Projection expressions, with the cases the Alternator project recorded against DynamoDB
/// (test_projection_expression.py).
@Suite struct ProjectionTests: ExpressionTreeBuilding {
    func project(_ paths: String..., from item: Item) -> Item {
        Projection(paths: paths.map { path($0) }).apply(to: item)
    }

    let document: Item = ["p": "key", "a": ["b": [2, 4, ["x": "hi", "y": "yo"]], "c": 5], "b": "hello"]

    @Test func topLevelAttributes() {
        let item: Item = ["p": "k", "c": "s", "a": "hello", "b": "hi"]
        #expect(project("a", from: item) == ["a": "hello"])
        #expect(project("c", "a", from: item) == ["c": "s", "a": "hello"])
        #expect(project("p", "c", from: item) == ["p": "k", "c": "s"])
        #expect(project("nonexistent", from: item) == [:])
        #expect(project("a", "nonexistent", "b", from: item) == ["a": "hello", "b": "hi"])
        #expect(Projection(paths: []).apply(to: item) == [:])
    }

    @Test func nestedPathsKeepTheirNesting() {
        #expect(project("a", from: document) == ["a": ["b": [2, 4, ["x": "hi", "y": "yo"]], "c": 5]])
        #expect(project("a.b", from: document) == ["a": ["b": [2, 4, ["x": "hi", "y": "yo"]]]])
        #expect(project("a.b[0]", from: document) == ["a": ["b": [2]]])
        #expect(project("a.b[2]", from: document) == ["a": ["b": [["x": "hi", "y": "yo"]]]])
        #expect(project("a.b[2].y", from: document) == ["a": ["b": [["y": "yo"]]]])
    }

    /// Missing parts, indexes past the end and steps through values of the wrong type select
    /// nothing, and leave no empty container behind.
    @Test func missingPathsSelectNothing() {
        for text in ["x", "a.b[3]", "a.x", "a.x.y", "a.b[3].x", "a.b.x", "a[0]", "a.b[0].x", "a.b[0][0]", "b.x", "b[0]", "a.c.d"] {
            #expect(project(text, from: document) == [:], "\(text)")
        }
        #expect(project("a.x", "a.b[0]", "x", "a.b[3].x", from: document) == ["a": ["b": [2]]])
        #expect(project("a.x", from: [:]) == [:])
    }

    @Test func severalPathsMergeIntoOneStructure() {
        #expect(project("a.b[0]", "a.b[1]", from: document) == ["a": ["b": [2, 4]]])
        #expect(project("a.b[0]", "a.c", from: document) == ["a": ["b": [2], "c": 5]])
        #expect(project("a.c", "b", from: document) == ["a": ["c": 5], "b": "hello"])
        #expect(project("a.b[2].x", "a.b[2].y", from: document) == ["a": ["b": [["x": "hi", "y": "yo"]]]])
        #expect(project("a.b[2].x", "a.b[0]", "a.c", "p", from: document)
            == ["p": "key", "a": ["b": [2, ["x": "hi"]], "c": 5]])
    }

    /// A projected list holds the selected elements only, in index order whatever the order
    /// of the paths.
    @Test func listElementsComeInIndexOrder() {
        let item: Item = ["l": [0, 1, 2, 3, 4, 5], "m": [["k": 1, "j": 2], ["k": 3]]]
        #expect(project("l[4]", "l[1]", "l[3]", from: item) == ["l": [1, 3, 4]])
        #expect(project("l[5]", "l[9]", "l[0]", from: item) == ["l": [0, 5]])
        #expect(project("l[9]", from: item) == [:])
        #expect(project("m[1].k", "m[0].j", from: item) == ["m": [["j": 2], ["k": 3]]])
        #expect(project("m[1].j", "m[0].j", from: item) == ["m": [["j": 2]]])
    }

    /// Selected values are returned whole, including empty maps, lists and strings.
    @Test func emptyValuesAreStillSelected() {
        let item: Item = ["a": ["b": [:], "c": [], "d": ""], "e": .null]
        #expect(project("a.b", "a.c", "a.d", "e", from: item) == ["a": ["b": [:], "c": [], "d": ""], "e": .null])
    }

    /// A name holding a dot is one attribute, not a path.
    @Test func dotsInNamesAreLiteral() {
        let item: Item = ["a.b": "hi", "a": ["b": "yo", "c": "jo"]]
        #expect(project("a.b", from: item) == ["a": ["b": "yo"]])
        #expect(Projection(paths: [DocumentPath([.name("a.b")])]).apply(to: item) == ["a.b": "hi"])
    }

    /// Overlapping paths are refused by the parser; in a tree built by hand the whole value wins.
    @Test func overlappingPathsReturnTheWholeValue() {
        #expect(project("a", "a.b[0]", from: document) == project("a", from: document))
        #expect(project("a.b[0]", "a", from: document) == project("a", from: document))
    }

    /// UpdateItem's UPDATED_OLD / UPDATED_NEW are projections of the updated paths.
    @Test func projectingUpdatedPaths() {
        let item: Item = ["p": "k", "a": ["x": 1, "y": 2], "l": [1, 2, 3], "z": 0]
        #expect(project("a.x", "l[1]", "q", from: item) == ["a": ["x": 1], "l": [2]])
    }
}
