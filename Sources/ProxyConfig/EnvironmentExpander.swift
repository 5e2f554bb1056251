/// Expands `${NAME}` and `${NAME:-default}` inside proxy.conf strings.
///
/// `${NAME:-default}` uses `default` when NAME is unset or empty, as a POSIX shell does. `$${` is a
/// literal `${`. A lone `$` not followed by `{` is kept as is.
enum EnvironmentExpander {
    struct Expansion: Equatable {
        var value: String
        /// Whether any `${...}` was replaced: the value may then hold a secret.
        var expanded: Bool
    }

    static func expand(_ text: String, environment: [String: String]) throws(ValueError) -> Expansion {
        guard text.contains("${") else {
            return Expansion(value: text, expanded: false)
        }
        var result = ""
        var expanded = false
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("${") {
                result += "${"
                rest = after.dropFirst(2)
                continue
            }
            guard after.hasPrefix("{") else {
                result += "$"
                rest = after
                continue
            }
            guard let close = after.firstIndex(of: "}") else {
                throw ValueError(reason: "has a \"${\" without a closing \"}\"", fix: "write ${NAME}.")
            }
            let inner = after[after.index(after: after.startIndex)..<close]
            let name: Substring
            let fallback: Substring?
            if let marker = inner.firstRange(of: ":-") {
                name = inner[..<marker.lowerBound]
                fallback = inner[marker.upperBound...]
            } else {
                name = inner
                fallback = nil
            }
            guard Self.isValidName(name) else {
                throw ValueError(
                    reason: "has an invalid variable name in \"${\(inner)}\"",
                    fix: "use letters, digits and _ (not starting with a digit), e.g. ${REPRISE_ADMIN_TOKEN}."
                )
            }
            if let value = environment[String(name)], !(fallback != nil && value.isEmpty) {
                result += value
            } else if let fallback {
                result += fallback
            } else {
                throw ValueError(
                    reason: "needs the environment variable \(name), which is not set",
                    fix: "export \(name)=... before starting reprise, or write ${\(name):-default}."
                )
            }
            expanded = true
            rest = after[after.index(after: close)...]
        }
        result += rest
        return Expansion(value: result, expanded: expanded)
    }

    private static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else {
            return false
        }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}
