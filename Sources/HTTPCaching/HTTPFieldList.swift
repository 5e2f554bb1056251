/// An ordered list of header fields: the simplest ``HTTPFieldReading``, used by tests and by the
/// header-merging functions.
public struct HTTPFieldList: HTTPFieldReading, Sendable, ExpressibleByArrayLiteral, Sequence, Equatable {
    public typealias Element = (name: String, value: String)

    private var names: [String]
    private var values: [String]

    public init(_ fields: [(name: String, value: String)]) {
        self.names = fields.map { $0.name }
        self.values = fields.map { $0.value }
    }

    public init(arrayLiteral elements: (String, String)...) {
        self.names = elements.map { $0.0 }
        self.values = elements.map { $0.1 }
    }

    /// The fields in order, as `(name, value)` pairs.
    public var fields: [(name: String, value: String)] {
        Array(zip(self.names, self.values)).map { (name: $0.0, value: $0.1) }
    }

    public var count: Int {
        self.names.count
    }

    public mutating func append(name: String, value: String) {
        self.names.append(name)
        self.values.append(value)
    }

    public func fieldValues(_ name: String) -> [String] {
        let wanted = name.lowercased()
        var result: [String] = []
        for (index, fieldName) in self.names.enumerated() where fieldName.lowercased() == wanted {
            result.append(self.values[index])
        }
        return result
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        self.fields.makeIterator()
    }
}
