/// Durations ("500ms", "30s", "10m", "1h", "30d"; a bare integer is seconds) and sizes ("512B",
/// "32KiB", "64MiB", "1GiB"; a bare integer is bytes) as written in proxy.conf.
enum ConfigUnits {
    static let durationFix =
        "write an integer and a unit (ms, s, m, h or d), e.g. \"500ms\", \"30s\", \"10m\" or \"1h\"."
    static let sizeFix = "write an integer and a unit (B, KiB, MiB or GiB), e.g. \"32KiB\" or \"64MiB\"."

    private static let durationUnits: [String: Int64] = [
        "ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "": 1000,
    ]
    private static let sizeUnits: [String: Int] = ["B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "": 1]
    /// Units people write by habit, mapped to the binary unit they almost certainly mean.
    private static let sizeLookalikes: [String: String] = [
        "b": "B", "k": "KiB", "kib": "KiB", "m": "MiB", "mib": "MiB", "g": "GiB", "gib": "GiB",
    ]
    private static let decimalSizeUnits: [String: String] = ["kb": "KiB", "mb": "MiB", "gb": "GiB"]

    static func duration(_ text: String) throws(ValueError) -> Duration {
        let (digits, unit) = Self.split(text)
        if unit.hasPrefix(".") || unit.hasPrefix(",") {
            throw ValueError(
                reason: "is not a whole number",
                fix: "use a smaller unit instead of a fraction, e.g. \"90m\" rather than \"1.5h\"."
            )
        }
        guard !digits.isEmpty, let multiplier = Self.durationUnits[unit] else {
            throw ValueError(reason: "is not a duration", fix: Self.durationFix)
        }
        guard digits.count <= 18, let number = Int64(digits) else {
            throw ValueError(reason: "is too long a duration", fix: Self.durationFix)
        }
        let (milliseconds, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow, milliseconds / 86_400_000 <= 365_000 else {
            throw ValueError(reason: "is too long a duration", fix: Self.durationFix)
        }
        return .milliseconds(milliseconds)
    }

    /// A size as written in proxy.conf: the largest binary unit that divides it ("64KiB", "1536KiB", "100B").
    static func sizeText(_ bytes: Int) -> String {
        for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] where bytes > 0 && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(unit)"
        }
        return "\(bytes)B"
    }

    static func size(_ text: String) throws(ValueError) -> Int {
        let (digits, unit) = Self.split(text)
        if unit.hasPrefix(".") || unit.hasPrefix(",") {
            throw ValueError(
                reason: "is not a whole number",
                fix: "use a smaller unit instead of a fraction, e.g. \"1536KiB\" rather than \"1.5MiB\"."
            )
        }
        guard !digits.isEmpty else {
            throw ValueError(reason: "is not a size", fix: Self.sizeFix)
        }
        guard let multiplier = Self.sizeUnits[unit] else {
            let lower = unit.lowercased()
            if let binary = Self.decimalSizeUnits[lower] {
                throw ValueError(
                    reason: "uses the decimal unit \(unit)",
                    fix: "write \"\(digits)\(binary)\"; sizes use the binary units B, KiB, MiB and GiB."
                )
            }
            if let binary = Self.sizeLookalikes[lower] {
                throw ValueError(reason: "has an unknown unit \"\(unit)\"", fix: "write \"\(digits)\(binary)\".")
            }
            throw ValueError(reason: "is not a size", fix: Self.sizeFix)
        }
        guard digits.count <= 18, let number = Int(digits) else {
            throw ValueError(reason: "is too large", fix: Self.sizeFix)
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow, bytes <= 1 << 50 else {
            throw ValueError(reason: "is too large", fix: Self.sizeFix)
        }
        return bytes
    }

    /// "30s" → ("30", "s"); leading ASCII digits, then the rest.
    private static func split(_ text: String) -> (digits: String, unit: String) {
        let digits = text.prefix(while: \.isASCIIDigit)
        return (String(digits), String(text[digits.endIndex...]))
    }
}
