import Observability

/// The ledger id of one credential value, as `reprise partition-id` prints it.
public enum PartitionID {
    /// The id of the partition a request with this single credential value (a header, a query parameter or a
    /// verified JWT claim: partitions depend on the value, not where it was found) falls in, under `secret`.
    public static func of(key: String, secret: [UInt8]) -> String {
        Ledger.id(of: CredentialHasher(secret: secret).partition([(label: "key", values: [key])]))
    }
}
