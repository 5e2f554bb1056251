/// Reprise's version, printed by `reprise --version`.
public enum RepriseVersion {
    public static let current = "0.14.0"
}
