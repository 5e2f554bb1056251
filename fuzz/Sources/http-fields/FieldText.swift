import FuzzSupport
import HTTPCaching

/// Writes parsed `Cache-Control` directives back as one field value, in a fixed order.
enum CacheControlText {
    static func write(_ directives: CacheControl) -> String {
        var parts: [String] = []
        let numbers: [(String, Int?)] = [
            ("max-age", directives.maxAge), ("s-maxage", directives.sMaxAge), ("min-fresh", directives.minFresh),
            ("stale-while-revalidate", directives.staleWhileRevalidate), ("stale-if-error", directives.staleIfError),
        ]
        for (name, value) in numbers {
            if let value { parts.append("\(name)=\(value)") }
        }
        switch directives.maxStale {
        case .unlimited?: parts.append("max-stale")
        case .seconds(let value)?: parts.append("max-stale=\(value)")
        case nil: break
        }
        if directives.noCache { parts.append("no-cache") }
        if !directives.noCacheFields.isEmpty { parts.append("no-cache=" + Self.quoted(directives.noCacheFields)) }
        if directives.isPrivate { parts.append("private") }
        if !directives.privateFields.isEmpty { parts.append("private=" + Self.quoted(directives.privateFields)) }
        let flags: [(String, Bool)] = [
            ("no-store", directives.noStore), ("no-transform", directives.noTransform), ("public", directives.isPublic),
            ("must-revalidate", directives.mustRevalidate), ("proxy-revalidate", directives.proxyRevalidate),
            ("must-understand", directives.mustUnderstand), ("immutable", directives.immutable),
            ("only-if-cached", directives.onlyIfCached),
        ]
        parts += flags.filter(\.1).map(\.0)
        return parts.joined(separator: ", ")
    }

    /// The directives without the diagnostics (`invalidArguments`, `isEmpty`), which writing drops.
    static func directives(_ parsed: CacheControl) -> String {
        Self.write(parsed)
    }

    /// A quoted-string of a field-name list (RFC 9110 §5.6.4).
    static func quoted(_ names: [String]) -> String {
        var text = "\""
        for character in names.joined(separator: ", ").unicodeScalars {
            if character == "\"" || character == "\\" { text += "\\" }
            text.unicodeScalars.append(character)
        }
        return text + "\""
    }
}

/// A Structured Fields dictionary (RFC 8941 §3.2) made from the fuzzer's bytes: every member form the grammar has
/// (booleans, integers, decimals, strings, tokens, byte sequences, inner lists, parameters, spaces where allowed),
/// with keys that are mostly cache directives, and the `Cache-Control` line it stands for.
struct StructuredDictionaryText {
    var text = ""
    /// What `CacheControl.targeted` must read: the classic parse of the same members, duplicates resolved (the last
    /// one wins) and `?0` members dropped.
    var expected = ""
    /// False when a time directive (`max-age`, `s-maxage`, `stale-while-revalidate`, `stale-if-error`) that is not
    /// `?0` has a value that is not an Integer: RFC 9213 §2.1's wrong type, and the whole field is ignored.
    var valid = true

    static let keys = [
        "max-age", "s-maxage", "no-store", "no-cache", "private", "public", "must-revalidate", "proxy-revalidate",
        "stale-while-revalidate", "stale-if-error", "immutable", "x", "*", "a1.b_c-d*",
    ]

    init(_ random: inout SplitMix64) {
        var members: [(key: String, raw: String?, isFalse: Bool)] = []
        let count = Int(random.next() % 6) + 1
        for index in 0..<count {
            let key = Self.keys[Int(random.next() % UInt64(Self.keys.count))]
            // The value: none (true), `?1`, `?0` (false), an inner list or a bare item; the raw text is what
            // `CacheControl` is handed as the directive's argument.
            var raw: String?
            var isFalse = false
            switch random.next() % 8 {
            case 0: raw = nil
            case 1: raw = "?1"
            case 2: raw = "?0"
            case 3: raw = Self.innerList(&random)
            default: raw = Self.bareItem(&random)
            }
            var member = key + (raw.map { "=" + $0 } ?? "")
            if raw == "?1" { raw = nil }
            if raw == "?0" {
                raw = nil
                isFalse = true
            }
            member += Self.parameters(&random)
            if index > 0 { member = "," + Self.ows(&random) + member }
            self.text += member + Self.ows(&random)
            members.removeAll { $0.key == key }
            members.append((key, raw, isFalse))
        }
        let timeDirectives: Set<String> = ["max-age", "s-maxage", "stale-while-revalidate", "stale-if-error"]
        self.valid = members.allSatisfy { member in
            guard !member.isFalse, timeDirectives.contains(member.key) else { return true }
            guard var digits = member.raw?.utf8[...] else { return false }
            if digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
            return (1...15).contains(digits.count) && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        }
        self.text = String(repeating: " ", count: Int(random.next() % 3)) + self.text
        self.expected = members.filter { !$0.isFalse }.map { $0.key + ($0.raw.map { "=" + $0 } ?? "") }
            .joined(separator: ", ")
    }

    static func bareItem(_ random: inout SplitMix64) -> String {
        switch random.next() % 7 {
        case 0, 1:
            let digits = Int(random.next() % 15) + 1
            let number = String((0..<digits).map { _ in Character(String(random.next() % 10)) })
            return (random.next() % 4 == 0 ? "-" : "") + number
        case 2:
            let whole = String(random.next() % 1_000_000_000_000)
            return whole + "." + String(random.next() % 1000)
        case 3:
            var string = "\""
            for _ in 0..<(random.next() % 12) {
                let scalar = Unicode.Scalar(UInt8(0x20 + random.next() % 95))
                if scalar == "\"" || scalar == "\\" { string += "\\" }
                string.unicodeScalars.append(scalar)
            }
            return string + "\""
        case 4:
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
            let length = Int(random.next() % 6) * 4
            return ":" + String((0..<length).map { _ in alphabet[Int(random.next() % 64)] }) + ":"
        case 5:
            return "?" + String(random.next() % 2)
        default:
            let first = Array("abcXYZ*")
            let rest = Array("abz09!#$%&'*+-.^_`|~:/")
            return String(first[Int(random.next() % 7)])
                + String((0..<(random.next() % 6)).map { _ in rest[Int(random.next() % UInt64(rest.count))] })
        }
    }

    static func innerList(_ random: inout SplitMix64) -> String {
        let items = (0..<(random.next() % 4)).map { _ in Self.bareItem(&random) + Self.parameters(&random) }
        return "(" + String(repeating: " ", count: Int(random.next() % 2)) + items.joined(separator: " ") + ")"
    }

    static func parameters(_ random: inout SplitMix64) -> String {
        var text = ""
        for _ in 0..<(random.next() % 3 == 0 ? random.next() % 3 : 0) {
            text += ";" + String(repeating: " ", count: Int(random.next() % 2)) + Self.keys[Int(random.next() % 14)]
            if random.next() % 2 == 0 { text += "=" + Self.bareItem(&random) }
        }
        return text
    }

    static func ows(_ random: inout SplitMix64) -> String {
        ["", "", " ", "\t", "  "][Int(random.next() % 5)]
    }
}
