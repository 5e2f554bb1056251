/// Connection-specific fields a proxy must not forward (RFC 9110 §7.6.1).
public enum HopByHop: Sendable {
    /// Always removed, whether or not `Connection` lists them.
    public static let alwaysRemoved: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization",
    ]

    /// The lower-cased names to remove: the fixed set plus every name listed in `Connection`.
    public static func fieldNamesToRemove(connectionValues: [String]) -> Set<String> {
        var names = Self.alwaysRemoved
        for element in FieldParsing.listElements(connectionValues) where FieldParsing.isToken(element) {
            names.insert(element.lowercased())
        }
        return names
    }
}
