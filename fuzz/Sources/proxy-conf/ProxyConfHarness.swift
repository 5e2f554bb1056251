import FuzzSupport
import ProxyConfig

/// proxy.conf decoding (`ProxyConfig.ConfigLoader.parse`): TOML syntax (TOMLKit), `${NAME}` expansion, every
/// section's validation and the line locator. The input is the file's text.
///
/// Properties, beyond not crashing:
/// - A refused file has at least one problem; every problem names the file, is on a line inside the file (or on
///   none, for file-wide problems), and problems are ordered by line with line-less ones last. A problem with a
///   key (not a TOML syntax error) is never put on a blank or comment-only line.
/// - No message and no summary shows the value of an environment variable (the environment holds secrets) unless
///   the file itself contains that text.
/// - Decoding is deterministic: the same text gives the same configuration or the same problems.
@_cdecl("LLVMFuzzerTestOneInput")
public func proxyConfTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let secrets = ["FUZZ_SECRET": "s3cr3t-Value-42", "REPRISE_ADMIN_TOKEN": "t0ken-Value-17", "EMPTY": ""]
    let first = Result { () throws(ConfigError) in try ConfigLoader.parse(text, environment: secrets) }
    let second = Result { () throws(ConfigError) in try ConfigLoader.parse(text, environment: secrets) }
    let visible: String
    switch (first, second) {
    case (.success(let configuration), .success(let again)):
        Property.equal(configuration, again, "the same text decoded twice")
        visible = configuration.summary
    case (.failure(let error), .failure(let again)):
        Property.equal(error.description, again.description, "the same text refused twice")
        checkProblems(error, text)
        visible = error.description
    default:
        Property.require(false, "the same text was accepted once and refused once")
        return 0
    }
    for secret in secrets.values where !secret.isEmpty && !text.contains(secret) {
        Property.require(!visible.contains(secret), "a secret shows in: \(visible)")
    }
    return 0
}

func checkProblems(_ error: ConfigError, _ text: String) {
    Property.require(!error.problems.isEmpty, "a ConfigError without problems")
    // Lines as toml++ and `LineLocator` count them: CRLF is one `Character`, not "\n".
    let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
    var previous = 0
    for problem in error.problems {
        Property.equal(problem.file, "proxy.conf", "the file a problem names")
        guard let line = problem.line else {
            previous = Int.max
            continue
        }
        Property.require(line >= 1 && line <= lines.count, "\(problem) is on line \(line) of \(lines.count)")
        Property.require(line >= previous, "problems out of order: line \(line) after \(previous)")
        previous = line
        if !problem.key.isEmpty {
            let written = lines[line - 1].drop { $0 == " " || $0 == "\t" }
            Property.require(!written.isEmpty && !written.hasPrefix("#"), "\(problem) is on a blank or comment line")
        }
    }
}
