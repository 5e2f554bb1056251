/// The canonical text of a JSON number (RFC 8259 §6), computed exactly in decimal: no `Double` is involved, so
/// integers of any length and fractions of any precision keep every digit.
///
/// The value is reduced to `digits × 10^exponent` with no leading or trailing zeros in `digits`, then written:
/// - as an integer when `0 ≤ exponent ≤ 20` (`1.0` → `1`, `1e3` → `1000`, `123456789012345678901234567890` as is);
/// - as a plain decimal when it has a fraction and at most five zeros after the point (`5e-1` → `0.5`,
///   `0.000001` stays);
/// - otherwise in exponent form, one digit before the point, lowercase `e`, no `+` (`1.5e300`, `1e21`, `1e-7`).
///
/// Negative zero is written `0`. These thresholds follow ECMAScript's `Number.prototype.toString`, so small
/// values read the way a JavaScript or Python client would print them; only the value matters for equality.
public enum JSONNumber {
    /// Exponents beyond this magnitude are rejected as invalid JSON (RFC 8259 §9 allows range limits). This keeps
    /// the exponent arithmetic in `Int` without overflow; no real request carries such a number.
    static let maximumExponentMagnitude = 1_000_000_000_000_000

    /// The canonical text of `text` if it matches the RFC 8259 number grammar exactly, else nil.
    public static func canonical(_ text: some Collection<UInt8>) -> String? {
        let bytes = Array(text)
        var index = 0
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }

        // int = zero / ( digit1-9 *DIGIT )
        var digits: [UInt8] = []
        guard index < bytes.count, Self.isDigit(bytes[index]) else { return nil }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, Self.isDigit(bytes[index]) {
                digits.append(bytes[index])
                index += 1
            }
        }

        // frac = decimal-point 1*DIGIT
        var fractionLength = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, Self.isDigit(bytes[index]) else { return nil }
            while index < bytes.count, Self.isDigit(bytes[index]) {
                digits.append(bytes[index])
                fractionLength += 1
                index += 1
            }
        }

        // exp = e [ minus / plus ] 1*DIGIT
        var exponent = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard index < bytes.count, Self.isDigit(bytes[index]) else { return nil }
            while index < bytes.count, Self.isDigit(bytes[index]) {
                exponent = exponent * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                guard exponent <= Self.maximumExponentMagnitude else { return nil }
                index += 1
            }
            if exponentNegative {
                exponent = -exponent
            }
        }
        guard index == bytes.count else { return nil }

        return Self.format(negative: negative, digits: digits, exponent: exponent - fractionLength)
    }

    // MARK: - Formatting

    /// Writes `±digits × 10^exponent` in the canonical layout described on the type.
    private static func format(negative: Bool, digits: [UInt8], exponent: Int) -> String {
        guard let first = digits.firstIndex(where: { $0 != UInt8(ascii: "0") }) else { return "0" }
        let last = digits.lastIndex(where: { $0 != UInt8(ascii: "0") })!
        let significant = digits[first...last]
        let exponent = exponent + (digits.count - 1 - last)
        let count = significant.count
        let point = count + exponent  // digits before the decimal point

        var out: [UInt8] = negative ? [UInt8(ascii: "-")] : []
        if exponent >= 0 && exponent <= 20 {
            out += significant
            out += repeatElement(UInt8(ascii: "0"), count: exponent)
        } else if exponent < 0 && point > 0 {
            out += significant.prefix(point)
            out.append(UInt8(ascii: "."))
            out += significant.dropFirst(point)
        } else if exponent < 0 && point > -6 {
            out += [UInt8(ascii: "0"), UInt8(ascii: ".")]
            out += repeatElement(UInt8(ascii: "0"), count: -point)
            out += significant
        } else {
            out.append(significant.first!)
            if count > 1 {
                out.append(UInt8(ascii: "."))
                out += significant.dropFirst()
            }
            out.append(UInt8(ascii: "e"))
            out += Array(String(point - 1).utf8)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
