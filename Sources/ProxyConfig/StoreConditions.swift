/// One test on a field of a JSON document (`store_if_json`, `store_if_last_event`): a response is stored only
/// when every test of its rule passes.
public struct JSONCondition: Sendable, Equatable {
    public enum Test: Sendable, Equatable {
        /// `in = [...]`: the field is a string or number whose text is one of these.
        case oneOf([String])
        /// `absent = true`: the field is missing or null (e.g. no `/error`, no `/promptFeedback/blockReason`).
        case absent
        /// `present = true`: the field exists and is not null, `""`, `[]` or `{}` (e.g. the candidate's text).
        case present
    }

    /// The `Cache-Status` detail of a response that fails a test without a `detail` of its own.
    public static let defaultDetail = "store-condition"

    /// An RFC 6901 JSON Pointer: "" (the whole document) or "/member/0/...", with "~0" and "~1" escapes.
    public var pointer: String
    public var test: Test
    /// The `Cache-Status` detail (and access-log `detail`) when this test fails: a token such as "finish-reason".
    public var detail: String

    public init(pointer: String, test: Test, detail: String = JSONCondition.defaultDetail) {
        self.pointer = pointer
        self.test = test
        self.detail = detail
    }

    /// `{ pointer = "/data/task_status", in = ["succeed", "failed"] }`.
    public init(pointer: String, values: [String], detail: String = JSONCondition.defaultDetail) {
        self.init(pointer: pointer, test: .oneOf(values), detail: detail)
    }
}

/// What a response must be for a rule to store it (`store_if_*`): only good generations are kept. A response that
/// fails is served all the same, never stored, and its `Cache-Status` detail says which condition failed.
public struct StoreConditions: Sendable, Equatable {
    /// `store_if_content_type`: lower-cased media ranges, "audio/*" or "application/json"; empty: any type.
    public var contentTypes: [String]
    /// `store_if_min_size`: the body (as the upstream sent it) has at least this many bytes.
    public var minSize: Int?
    /// `store_if_json`: tests on the JSON body (of a top-level array, its last element), for any response that is
    /// not `text/event-stream` or that `lastEvent` does not judge.
    public var json: [JSONCondition]
    /// `store_if_last_event`: tests on the JSON `data` of the last event of a `text/event-stream` response.
    public var lastEvent: [JSONCondition]

    public init(
        contentTypes: [String] = [],
        minSize: Int? = nil,
        json: [JSONCondition] = [],
        lastEvent: [JSONCondition] = []
    ) {
        self.contentTypes = contentTypes
        self.minSize = minSize
        self.json = json
        self.lastEvent = lastEvent
    }

    public var isEmpty: Bool {
        self.contentTypes.isEmpty && self.minSize == nil && self.json.isEmpty && self.lastEvent.isEmpty
    }

    /// Whether the decision needs the whole body (not only the head).
    public var needsBody: Bool {
        self.minSize != nil || !self.json.isEmpty || !self.lastEvent.isEmpty
    }
}

/// How a rule reads what one generation cost upstream (`cost_*`), in the upstream's units (characters, tokens,
/// tasks), and optionally what a unit costs (`cost_price`).
public struct CostSettings: Sendable, Equatable {
    /// `cost_header`: a lower-cased response header holding a whole number ("character-cost").
    public var header: String?
    /// `cost_json`: JSON Pointers into the JSON body (of a top-level array, its last element), summed.
    public var jsonPointers: [String]
    /// `cost_last_event`: JSON Pointers into the last event of a `text/event-stream` body, summed.
    public var lastEventPointers: [String]
    /// `cost_fixed`: units per call, whatever the response says (a Kling task).
    public var fixed: Int?
    /// `cost_price`: money per unit; nil: units only.
    public var price: Double?

    public init(
        header: String? = nil,
        jsonPointers: [String] = [],
        lastEventPointers: [String] = [],
        fixed: Int? = nil,
        price: Double? = nil
    ) {
        self.header = header
        self.jsonPointers = jsonPointers
        self.lastEventPointers = lastEventPointers
        self.fixed = fixed
        self.price = price
    }

    /// Whether any source is configured.
    public var isConfigured: Bool {
        self.header != nil || !self.jsonPointers.isEmpty || !self.lastEventPointers.isEmpty || self.fixed != nil
    }

    /// Whether the cost is read from the body (so it is known only once the body is complete).
    public var needsBody: Bool {
        !self.jsonPointers.isEmpty || !self.lastEventPointers.isEmpty
    }
}
