/// Read access to the header fields of a request or a response.
///
/// `HTTPCaching` has no header type of its own: the proxy conforms NIO's `HTTPHeaders` to this
/// protocol, and tests use ``HTTPFieldList``.
public protocol HTTPFieldReading {
    /// All values of the field with this name (case-insensitive), one element per field line, in order.
    func fieldValues(_ name: String) -> [String]
}

extension HTTPFieldReading {
    /// The field lines of `name` combined into one list value (RFC 9110 §5.3), or `nil` when absent.
    func combinedFieldValue(_ name: String) -> String? {
        let values = self.fieldValues(name)
        if values.isEmpty {
            return nil
        }
        return values.joined(separator: ", ")
    }

    /// Whether at least one field line with this name is present.
    func hasField(_ name: String) -> Bool {
        !self.fieldValues(name).isEmpty
    }
}
