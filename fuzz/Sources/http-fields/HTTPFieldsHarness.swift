import FuzzSupport
import HTTPCaching

/// The field parsers of `HTTPCaching`, each run on every input. The input is a field value; `\n` separates field
/// lines (a value cannot hold LF, so it stands for "another line of the same field"); for the header lists
/// (`Vary`, `Freshness.compute`, conditionals) each line is `name: value`.
///
/// Properties, beyond not crashing:
/// - Cache-Control: the same lines read twice give the same directives (the second from `CacheControlMemo`);
///   writing the parsed directives back and parsing that gives the same directives; ASCII case of the input changes
///   nothing; several lines without quotes read as one line joined with commas.
/// - Targeted fields (RFC 9213, Structured Fields dictionaries): a dictionary written from the input (any RFC 8941
///   member syntax) is accepted and read member by member; a valid dictionary stays valid after leading spaces.
/// - HTTP dates: a parsed date, formatted as IMF-fixdate, parses back to the same instant; so does any instant
///   between the years 1 and 9999 made from the input.
/// - Entity tags: a parsed tag, written back, parses to the same tag; a list parses to tags that do the same.
/// - Ranges: the resolved ranges are sorted, disjoint, not adjacent, inside the representation, and cover exactly
///   the bytes the satisfiable specs name; written back, the specs parse to the same specs.
/// - Vary: a key made from a request matches that request; its names are lower-case, distinct and sorted.
/// - Freshness: lifetime and age are finite and never negative; `Cache-Status` values are valid structured fields.
@_cdecl("LLVMFuzzerTestOneInput")
public func httpFieldsTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: input, as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var random = SplitMix64(seed: fnv1a(input))
    // HTTPCaching reads fields as Swift Characters (grapheme clusters), so a delimiter followed by a combining scalar
    // (`,\u{301}`) is not a delimiter to it (fuzz/README.md, "Known, not changed"). Inputs holding a scalar that can
    // merge with an ASCII neighbour are only checked for crashes; every other input also for the properties.
    let checked = !text.unicodeScalars.contains { scalar in
        !scalar.isASCII && ((String("\"") + String(scalar)).count == 1 || (String(scalar) + "\"").count == 1)
    }

    checkCacheControl(lines, checked)
    checkTargeted(lines, &random, checked)
    checkDate(text, &random, checked)
    checkEntityTags(text, lines, checked)
    checkRange(text, checked)
    checkHeaderLists(lines, checked)
    return 0
}

func checkCacheControl(_ lines: [String], _ checked: Bool) {
    let parsed = CacheControl(fieldValues: lines)
    // A one-line field now comes from the memo of parsed lines: it must read as it did the first time.
    Property.equal(CacheControl(fieldValues: lines), parsed, "Cache-Control \(lines) read a second time")
    guard checked else { return }
    let written = CacheControlText.write(parsed)
    let reparsed = CacheControl(fieldValues: [written])
    Property.equal(CacheControlText.directives(reparsed), CacheControlText.directives(parsed), "Cache-Control \(lines) written as \(written.debugDescription)")
    Property.equal(CacheControlText.write(reparsed), written, "Cache-Control writing is not stable")

    let upper = lines.map { String(decoding: $0.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self) }
    Property.equal(CacheControl(fieldValues: upper), parsed, "Cache-Control \(lines) in upper case")

    if lines.count > 1, !lines.contains(where: { $0.contains("\"") || $0.contains("\\") }) {
        Property.equal(CacheControl(fieldValues: [lines.joined(separator: ", ")]), parsed, "Cache-Control lines \(lines) joined")
    }
}

func checkTargeted(_ lines: [String], _ random: inout SplitMix64, _ checked: Bool) {
    if CacheControl.targeted(fieldValues: lines) != nil, checked {
        Property.require(
            CacheControl.targeted(fieldValues: ["  " + lines.joined(separator: ", ")]) != nil,
            "a valid dictionary \(lines) is refused after leading spaces"
        )
    }
    let dictionary = StructuredDictionaryText(&random)
    guard dictionary.valid else {
        Property.require(
            CacheControl.targeted(fieldValues: [dictionary.text]) == nil,
            "a dictionary with a time directive of the wrong type was accepted: \(dictionary.text.debugDescription)"
        )
        return
    }
    guard let targeted = CacheControl.targeted(fieldValues: [dictionary.text]) else {
        Property.require(false, "a valid dictionary was refused: \(dictionary.text.debugDescription)")
        return
    }
    Property.equal(
        targeted, CacheControl(fieldValues: [dictionary.expected]),
        "dictionary \(dictionary.text.debugDescription), read as \(dictionary.expected.debugDescription)"
    )
}

func checkDate(_ text: String, _ random: inout SplitMix64, _ checked: Bool) {
    let range = -62_135_596_800.0...253_402_300_799.0  // 0001-01-01T00:00:00Z ... 9999-12-31T23:59:59Z
    if let instant = HTTPDate.parse(text), checked {
        Property.require(instant == instant.rounded(.down), "\(text.debugDescription) parsed to a fraction \(instant)")
        if range.contains(instant) {
            let formatted = HTTPDate.format(instant)
            Property.equal(HTTPDate.parse(formatted), instant, "\(text.debugDescription) formatted as \(formatted)")
        }
    }
    let instant = Double(Int64(bitPattern: random.next()) % 253_402_300_800) + Double(random.next() % 1000) / 1000
    if range.contains(instant) {
        let formatted = HTTPDate.format(instant)
        Property.equal(HTTPDate.parse(formatted), instant.rounded(.down), "\(instant) formatted as \(formatted)")
        Property.equal(formatted.utf8.count, 29, "IMF-fixdate \(formatted) has 29 bytes")
    }
}

func checkEntityTags(_ text: String, _ lines: [String], _ checked: Bool) {
    let tag = EntityTag(text)
    let condition = EntityTag.parseCondition(lines)
    guard checked else { return }
    if let tag {
        Property.equal(EntityTag(tag.description), tag, "entity tag \(text.debugDescription) written as \(tag.description)")
    }
    if case .tags(let tags)? = condition {
        Property.equal(
            EntityTag.parseCondition([tags.map(\.description).joined(separator: ", ")]), .tags(tags),
            "entity-tag list \(lines) written back"
        )
    }
}

func checkRange(_ text: String, _ checked: Bool) {
    guard let request = ByteRangeRequest(fieldValue: text) else { return }
    for length in [0, 1, 2, 7, 64, 1000] {
        checkResolution(request, length: length)
    }
    guard checked else { return }
    let written = "bytes=" + request.specs.map { spec -> String in
        switch spec {
        case .fromStart(let first, let last): "\(first)-\(last.map(String.init) ?? "")"
        case .suffix(let length): "-\(length)"
        }
    }.joined(separator: ",")
    Property.equal(ByteRangeRequest(fieldValue: written), request, "Range \(text.debugDescription) written as \(written)")
}

/// The resolved ranges against the bytes the specs name, one by one.
func checkResolution(_ request: ByteRangeRequest, length: Int) {
    var named = [Bool](repeating: false, count: length)
    for spec in request.specs {
        switch spec {
        case .fromStart(let first, let last):
            if first < length { named.replaceSubrange(first...min(last ?? (length - 1), length - 1), with: repeatElement(true, count: min(last ?? (length - 1), length - 1) - first + 1)) }
        case .suffix(let suffix):
            if suffix > 0 && length > 0 { named.replaceSubrange(max(0, length - suffix)..<length, with: repeatElement(true, count: min(suffix, length))) }
        }
    }
    let namedCount = named.count { $0 }
    switch request.resolve(length: length) {
    case .full:
        Property.require(length == 0 || namedCount == length, "\(request) of \(length) bytes served whole")
    case .unsatisfiable:
        Property.require(length > 0 && namedCount == 0, "\(request) of \(length) bytes unsatisfiable")
    case .ranges(let ranges):
        for (previous, next) in zip(ranges, ranges.dropFirst()) {
            Property.require(previous.upperBound + 1 < next.lowerBound, "\(ranges) not sorted, disjoint, apart")
        }
        Property.require(ranges.allSatisfy { $0.lowerBound >= 0 && $0.upperBound < length }, "\(ranges) of \(length)")
        var served = [Bool](repeating: false, count: length)
        for range in ranges { served.replaceSubrange(range, with: repeatElement(true, count: range.count)) }
        Property.equal(served, named, "\(request) of \(length) bytes")
        Property.require(namedCount < length, "\(request) of \(length) bytes: ranges for the whole")
    }
}

func checkHeaderLists(_ lines: [String], _ checked: Bool) {
    let fields = HTTPFieldList(lines.map { line in
        guard let colon = line.firstIndex(of: ":") else { return (name: line, value: "") }
        return (name: String(line[..<colon]), value: String(line[line.index(after: colon)...]))
    })
    let vary = fields.fieldValues("vary")
    if let key = VaryKey(varyFieldValues: vary.isEmpty ? lines : vary, requestHeaders: fields) {
        Property.require(key.matches(fields), "the Vary key of \(lines) does not match its own request: \(key)")
        let names = key.fieldNames
        Property.require(zip(names, names.dropFirst()).allSatisfy { $0 < $1 }, "Vary names \(names) not sorted and distinct")
    }
    let freshness = Freshness.compute(requestTime: 1_000_000, responseTime: 1_000_010, responseHeaders: fields, policy: .default)
    Property.require(
        freshness.lifetime.isFinite && freshness.lifetime >= 0 && freshness.correctedInitialAge.isFinite
            && freshness.correctedInitialAge >= 0,
        "freshness of \(lines): \(freshness)"
    )
    _ = Conditional.evaluate(method: "GET", requestHeaders: fields, etag: lines.first, lastModified: lines.last)
    _ = ContentRange.ifRangeAllowsRange(requestHeaders: fields, etag: lines.first, lastModified: lines.last)
    for line in lines.prefix(4) {
        let status = CacheStatus(hit: true, ttl: -3, detail: line).headerValue
        guard let detail = status.firstRange(of: "; detail=") else { continue }
        let member = "a;detail=" + status[detail.upperBound...]
        Property.require(CacheControl.targeted(fieldValues: [member]) != nil, "Cache-Status \(status.debugDescription) is not a structured field")
    }
}

func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
}
