/// A `Range: bytes=…` request (RFC 9110 §14.1.2, §14.2).
public struct ByteRangeRequest: Sendable, Equatable {
    /// One range-spec before the representation length is known.
    public enum Spec: Sendable, Equatable {
        /// `first-last`, or `first-` (last = nil).
        case fromStart(first: Int, last: Int?)
        /// `-length`: the final `length` bytes.
        case suffix(length: Int)
    }

    public enum Resolution: Sendable, Equatable {
        /// Serve the whole representation (200): no Range, an ignored one, or nothing to slice.
        case full
        /// Serve these ranges (206), sorted, overlapping and adjacent ones merged.
        case ranges([ClosedRange<Int>])
        /// Answer 416 with `Content-Range: bytes */length`.
        case unsatisfiable
    }

    public var specs: [Spec]

    public init(specs: [Spec]) {
        self.specs = specs
    }

    /// Parses the request's `Range`; `nil` when absent or ignored (RFC 9110 §14.2: an invalid
    /// Range, an unknown unit or several `Range` lines are ignored).
    public init?(requestHeaders: some HTTPFieldReading) {
        let lines = requestHeaders.fieldValues("range")
        guard lines.count == 1 else {
            return nil
        }
        self.init(fieldValue: lines[0])
    }

    /// Parses `bytes=0-99, 200-, -50` (any case of `bytes`, whitespace around elements).
    public init?(fieldValue: String) {
        let value = FieldParsing.trimOWS(fieldValue)
        guard let equals = value.firstIndex(of: "="),
            FieldParsing.trimOWS(value[..<equals]).lowercased() == "bytes"
        else {
            return nil
        }
        var specs: [Spec] = []
        for element in value[value.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false) {
            let element = FieldParsing.trimOWS(element)
            if element.isEmpty {
                continue  // RFC 9110 §5.6.1: empty list elements are allowed
            }
            guard let spec = Self.parseSpec(element) else {
                return nil
            }
            specs.append(spec)
        }
        guard !specs.isEmpty, specs.count <= Leniencies.maxRanges else {
            return nil
        }
        self.specs = specs
    }

    /// RFC 9110 §14.1.2: int-range = first-pos "-" [ last-pos ], suffix-range = "-" suffix-length.
    private static func parseSpec(_ element: Substring) -> Spec? {
        guard let dash = element.firstIndex(of: "-") else {
            return nil
        }
        let first = FieldParsing.trimOWS(element[..<dash])
        let last = FieldParsing.trimOWS(element[element.index(after: dash)...])
        if first.isEmpty {
            return Self.number(last).map { .suffix(length: $0) }
        }
        guard let start = Self.number(first) else {
            return nil
        }
        if last.isEmpty {
            return .fromStart(first: start, last: nil)
        }
        guard let end = Self.number(last), end >= start else {  // last < first: invalid
            return nil
        }
        return .fromStart(first: start, last: end)
    }

    /// 1*DIGIT; values beyond Int clamp to Int.max (they are past any real length anyway).
    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            return nil
        }
        return Int(text) ?? Int.max
    }

    /// RFC 9110 §14.1.2: the satisfiable ranges for a representation of `length` bytes.
    public func resolve(length: Int) -> Resolution {
        guard length > 0 else {
            return .full
        }
        var ranges: [ClosedRange<Int>] = []
        for spec in self.specs {
            switch spec {
            case .fromStart(let first, let last):
                guard first < length else {
                    continue  // unsatisfiable on its own
                }
                ranges.append(first...min(last ?? (length - 1), length - 1))
            case .suffix(let suffixLength):
                guard suffixLength > 0 else {
                    continue
                }
                ranges.append(max(0, length - suffixLength)...(length - 1))
            }
        }
        guard !ranges.isEmpty else {
            return .unsatisfiable
        }
        // RFC 9110 §14.2: a server may coalesce overlapping or adjacent ranges.
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<Int>] = [ranges[0]]
        for range in ranges.dropFirst() {
            let previous = merged[merged.count - 1]
            if range.lowerBound <= previous.upperBound + 1 {
                merged[merged.count - 1] = previous.lowerBound...max(previous.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        if merged.count == 1 && merged[0] == 0...(length - 1) {
            return .full
        }
        return .ranges(merged)
    }
}
