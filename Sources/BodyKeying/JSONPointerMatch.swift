/// The `store_if_json` condition: store a response only when a field of its JSON body has one of some values,
/// e.g. a Kling task poll only once `/data/task_status` is `succeed` or `failed`.
public enum JSONPointerMatch {
    /// Whether the JSON `body` has, at `pointer` (RFC 6901), a string or number whose canonical text is one of
    /// `values`.
    ///
    /// A string matches a value with the same UTF-8 bytes. A number matches a value that is its canonical text or
    /// any spelling of the same number (`"0"` matches `0` and `0.0`). Other kinds (bool, null, array, object), a
    /// missing field, an invalid pointer and a body that is not valid JSON never match. With duplicate member names
    /// the last one counts.
    public static func matches(body: some Collection<UInt8>, pointer: String, values: [String]) -> Bool {
        guard let tokens = JSONPointer.tokens(pointer), let document = JSONParser.parse(body),
            let found = document.value(at: tokens)
        else { return false }
        return found.matches(oneOf: values)
    }
}
