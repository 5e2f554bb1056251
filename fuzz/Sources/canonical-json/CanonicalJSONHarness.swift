import BodyKeying
import FuzzSupport

/// Canonical JSON, JSON Pointers and body keys (`BodyKeying`). The input is a request body.
///
/// Properties, beyond not crashing:
/// - Canonical JSON is idempotent: the canonical bytes of a body parse, and their canonical bytes are the same
///   bytes; a body and its canonical form get the same body key.
/// - Every member and element of a parsed body has a pointer (RFC 6901, `~0` and `~1` escapes) that is valid and
///   finds it: `JSONPointerMatch` matches its string or number.
/// - Removing a pointer through objects only removes that member (all its duplicates): it no longer matches, and
///   removing it again changes nothing. Whatever the pointers, the result serializes to JSON that parses.
/// - The input read as a pointer (or query string) is handled without crashing.
@_cdecl("LLVMFuzzerTestOneInput")
public func canonicalJSONTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: input, as: UTF8.self)
    // Whatever the input is, as a pointer and as a request target with a credential.
    _ = CanonicalJSON.isValidPointer(text)
    _ = JSONPointerMatch.matches(body: Array("{\"a\":[1,{\"b\":\"c\"}]}".utf8), pointer: text, values: ["c", "1"])
    let split = QueryCredentials.split(target: "/p?" + text, names: ["key"])
    Property.require(split.credentials.allSatisfy { $0.name == "key" }, "credentials \(split.credentials)")

    guard let value = JSONParser.parse(input) else { return 0 }
    let canonical = CanonicalJSON.serialize(value)
    guard let reparsed = JSONParser.parse(canonical) else {
        Property.require(false, "canonical bytes do not parse: \(String(decoding: canonical, as: UTF8.self))")
        return 0
    }
    Property.equal(CanonicalJSON.serialize(reparsed), canonical, "canonical JSON is not idempotent")
    Property.equal(
        BodyKey.digest(body: canonical, contentType: "application/json", ignoredFields: []),
        BodyKey.digest(body: input, contentType: nil, ignoredFields: []),
        "a body and its canonical form have different keys"
    )

    var leaves: [Leaf] = []
    collect(value, path: [], into: &leaves)
    for leaf in leaves.prefix(32) {
        let pointer = leaf.pointer
        Property.require(CanonicalJSON.isValidPointer(pointer), "pointer \(pointer.debugDescription) is not valid")
        if let text = leaf.text, leaf.isLastDuplicate {
            Property.require(
                JSONPointerMatch.matches(body: input, pointer: pointer, values: [text]),
                "\(pointer.debugDescription) does not find \(text.debugDescription)"
            )
        }
        let removed = CanonicalJSON.removing([pointer], from: value)
        let written = CanonicalJSON.serialize(removed)
        Property.require(JSONParser.parse(written) != nil, "removing \(pointer.debugDescription) gives invalid JSON")
        guard leaf.throughObjectsOnly else { continue }
        Property.equal(CanonicalJSON.removing([pointer], from: removed), removed, "removing \(pointer.debugDescription) twice")
        if let text = leaf.text {
            Property.require(
                !JSONPointerMatch.matches(body: written, pointer: pointer, values: [text]),
                "\(pointer.debugDescription) still finds \(text.debugDescription) after its removal"
            )
        }
    }
    // All pointers at once refer to the original document.
    let all = leaves.prefix(32).map(\.pointer) + [text, "", "/"]
    Property.require(JSONParser.parse(CanonicalJSON.serialize(CanonicalJSON.removing(all, from: value))) != nil, "removing all")
    return 0
}

/// A member or element of the document, with its path.
struct Leaf {
    var tokens: [String]
    /// Each step names an object member (never an array index).
    var throughObjectsOnly: Bool
    /// No later member of the same object, on any step, has the same name (lookups take the last one).
    var isLastDuplicate: Bool
    /// The string, or the canonical text of the number; nil for other kinds.
    var text: String?

    /// RFC 6901: `~` as `~0`, `/` as `~1`.
    var pointer: String {
        self.tokens.map { "/" + $0.replacingTildeAndSlash() }.joined()
    }
}

func collect(_ value: JSONValue, path: [String], objectsOnly: Bool = true, last: Bool = true, into leaves: inout [Leaf]) {
    guard leaves.count < 64 else { return }
    switch value {
    case .object(let members):
        for (index, (name, member)) in members.enumerated() {
            let isLast = !members[(index + 1)...].contains { $0.0.utf8.elementsEqual(name.utf8) }
            leaves.append(Leaf(tokens: path + [name], throughObjectsOnly: objectsOnly, isLastDuplicate: last && isLast, text: scalarText(member)))
            collect(member, path: path + [name], objectsOnly: objectsOnly, last: last && isLast, into: &leaves)
        }
    case .array(let elements):
        for (index, element) in elements.enumerated() {
            leaves.append(Leaf(tokens: path + [String(index)], throughObjectsOnly: false, isLastDuplicate: last, text: scalarText(element)))
            collect(element, path: path + [String(index)], objectsOnly: false, last: last, into: &leaves)
        }
    default:
        break
    }
}

func scalarText(_ value: JSONValue) -> String? {
    switch value {
    case .string(let text), .number(let text): text
    default: nil
    }
}

extension String {
    fileprivate func replacingTildeAndSlash() -> String {
        var out: [UInt8] = []
        for byte in self.utf8 {
            switch byte {
            case UInt8(ascii: "~"): out += [UInt8(ascii: "~"), UInt8(ascii: "0")]
            case UInt8(ascii: "/"): out += [UInt8(ascii: "~"), UInt8(ascii: "1")]
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
