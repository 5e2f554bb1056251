import Foundation

/// The repository's own `proxy.conf`, made runnable in a test: every upstream pointed at the demo upstream
/// (`{UPSTREAM}`), both listeners on port 0, the access log off. Rules, purges and credentials stay exactly as
/// shipped, so these tests fail when the shipped file does not do what the README says.
enum ShippedConfig {
    static let adminToken = "change-me-local-only-token"

    static func text() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var lines: [String] = []
        for line in try String(contentsOf: root.appendingPathComponent("proxy.conf"), encoding: .utf8)
            .components(separatedBy: "\n")
        {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("listen =") {
                lines.append("listen = \"127.0.0.1:0\"")
            } else if trimmed.hasPrefix("admin_listen =") {
                lines.append("admin_listen = \"127.0.0.1:0\"")
            } else if trimmed.hasPrefix("url =") {
                lines.append("url = \"{UPSTREAM}\"")
            } else if trimmed.contains("${KLING_SECRET_KEY:-}") {
                // The demo upstream's Kling secret, as KLING_SECRET_KEY would hold the account's in production.
                lines.append(line.replacingOccurrences(of: "${KLING_SECRET_KEY:-}", with: "demo-secret"))
            } else if trimmed.hasPrefix("access =") {
                lines.append("access = \"off\"")
            } else {
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }
}
