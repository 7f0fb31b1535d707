// Fuzz target: aws-cli's shorthand syntax as the `cairn` tool parses it (AWSShorthand.swift,
// with JSONValue.swift, AWSShapes.swift and AWSRequest.swift of the `cairn` executable,
// compiled into this target through symlinks).
//
// Input: one byte choosing the parameter's shape (byte % shapes.count), then the flag's text.
// The text goes through `ShorthandParser`, the model's typing (`typeShorthand`) and botocore's
// parameter validation, and through `AWSRequest.complexValue` (JSON or shorthand, as a flag
// value is read). Every thrown error is fine; only a crash, trap, hang or sanitizer report
// is a finding.
import Cairn
import CairnLSM
import Foundation
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

let shapes: [(flag: String, shape: Shape)] = [
    ("--item", DynamoDBShapes.attributeMap),
    ("--key-schema", DynamoDBShapes.keySchema),
    ("--attribute-definitions", DynamoDBShapes.attributeDefinitions),
    ("--provisioned-throughput", DynamoDBShapes.provisionedThroughput),
    ("--stream-specification", DynamoDBShapes.streamSpecification),
    ("--global-secondary-indexes", DynamoDBShapes.globalSecondaryIndexes),
    ("--local-secondary-indexes", DynamoDBShapes.localSecondaryIndexes),
    ("--global-secondary-index-updates", DynamoDBShapes.globalSecondaryIndexUpdates),
    ("--expression-attribute-names", DynamoDBShapes.names),
    ("--time-to-live-specification", DynamoDBShapes.timeToLiveSpecification),
    ("--transact-items", .list(DynamoDBShapes.transactWriteItem)),
    ("--request-items", .map(.list(DynamoDBShapes.writeRequest))),
]

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        func index(_ flag: String) -> UInt8 { UInt8(shapes.firstIndex { $0.flag == flag }!) }
        let cases: [(String, String)] = [
            ("--item", "pk={S=user#1},n={N=5},l={L=[{S=a},{N=1}]},m={M={k={SS=[a,b]}}},z={NULL=true}"),
            ("--item", "a='x,y',b={S=\"p=q\"},c={S=x\\,y}"),
            ("--key-schema", "AttributeName=pk,KeyType=HASH"),
            ("--attribute-definitions", "AttributeName=pk,AttributeType=S"),
            ("--provisioned-throughput", "ReadCapacityUnits=5,WriteCapacityUnits=5"),
            ("--stream-specification", "StreamEnabled=true,StreamViewType=NEW_IMAGE"),
            ("--global-secondary-indexes", "IndexName=g,KeySchema=[{AttributeName=sk,KeyType=HASH}],Projection={ProjectionType=INCLUDE,NonKeyAttributes=[x,y]}"),
            ("--expression-attribute-names", "#a=attr,#b=other"),
            ("--time-to-live-specification", "Enabled=true,AttributeName=exp"),
            ("--key-schema", "[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]"),
            ("--request-items", "T=[{PutRequest={Item={pk={S=a}}}}]"),
            ("--item", "a=b,c"),
        ]
        return cases.enumerated().map { ("shorthand-\($0.offset)", [index($0.element.0)] + bytes($0.element.1)) }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = input(data, size)
    guard let first = raw.first else { return 0 }
    let (flag, shape) = shapes[Int(first) % shapes.count]
    let value = text(raw.dropFirst())

    var parser = ShorthandParser()
    parser.loadFile = { _ in nil }
    if let parsed = try? parser.parse(value), let typed = try? shape.typeShorthand(parsed, path: "") {
        var validation = ParameterValidation()
        validation.check(typed, shape, "")
        _ = typed.compactText
    }
    // complexValue reads `file://` values (and `key@=file://...`) from disk: not fuzzed.
    if !value.contains("file") && !value.contains("@=") {
        _ = try? AWSRequest.complexValue([value], flag: flag, shape: shape)
    }
    return 0
}
