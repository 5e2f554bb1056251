/// Why a single value is invalid. The decoder turns it into a `ConfigProblem` by putting the value
/// as written (never an expanded secret) before `reason`: `"ftp://x" is not an http or https URL.`
struct ValueError: Error, Equatable {
    /// Completes a sentence whose subject is the value, without a final period.
    var reason: String
    /// A full sentence.
    var fix: String
}
