import Testing

@testable import BodyKeying

/// A request body and the key part it must get: JSON keys equal the digest of an expected canonical text.
struct BodyKeyCase: CustomTestStringConvertible, Sendable {
    enum Expected: Sendable {
        /// "json:" + SHA-256 of this canonical text.
        case json(String)
        /// "bytes:" + SHA-256 of the raw body.
        case bytes
    }

    var id: String
    var body: String
    var contentType: String?
    var ignoredFields: [String] = []
    var expected: Expected
    var testDescription: String { self.id }
}

let ttsCanonical = #"{"model_id":"m","text":"hi"}"#

let bodyKeyCases: [BodyKeyCase] = [
    .init(
        id: "json-content-type", body: #"{"text":"hi","model_id":"m"}"#, contentType: "application/json",
        expected: .json(ttsCanonical)),
    .init(
        id: "json-key-order-swapped", body: #"{ "model_id": "m", "text": "hi" }"#, contentType: "application/json",
        expected: .json(ttsCanonical)),
    .init(
        id: "content-type-absent", body: #"{"text":"hi","model_id":"m"}"#, contentType: nil,
        expected: .json(ttsCanonical)),
    .init(
        id: "charset-parameter", body: #"{"text":"hi","model_id":"m"}"#,
        contentType: "Application/JSON; charset=UTF-8", expected: .json(ttsCanonical)),
    .init(
        id: "plus-json-suffix", body: #"{"text":"hi","model_id":"m"}"#, contentType: "application/vnd.api+json",
        expected: .json(ttsCanonical)),
    .init(
        id: "ignored-user", body: #"{"text":"hi","user":"u9","model_id":"m"}"#, contentType: "application/json",
        ignoredFields: ["/user"], expected: .json(ttsCanonical)),
    .init(
        id: "ignored-nested-seed", body: #"{"generationConfig":{"seed":1,"topK":3}}"#,
        contentType: "application/json", ignoredFields: ["/generationConfig/seed"],
        expected: .json(#"{"generationConfig":{"topK":3}}"#)),
    .init(
        id: "ignored-escaped-name", body: #"{"a/b":1,"c":2}"#, contentType: nil, ignoredFields: ["/a~1b"],
        expected: .json(#"{"c":2}"#)),
    .init(
        id: "ignored-missing", body: #"{"c":2}"#, contentType: nil, ignoredFields: ["/nope/deeper"],
        expected: .json(#"{"c":2}"#)),
    .init(
        id: "number-forms", body: #"{"seed":10e-1,"speed":0.50}"#, contentType: nil,
        expected: .json(#"{"seed":1,"speed":0.5}"#)),
    .init(
        id: "multipart", body: "--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n{}\r\n--b--\r\n",
        contentType: "multipart/form-data; boundary=b", expected: .bytes),
    .init(
        id: "json-text-as-multipart", body: ttsCanonical, contentType: "multipart/form-data; boundary=b",
        expected: .bytes),
    .init(id: "text-plain", body: "{}", contentType: "text/plain", expected: .bytes),
    .init(id: "json-suffix-without-plus", body: "{}", contentType: "application/notjson", expected: .bytes),
    .init(id: "invalid-trailing-comma", body: #"{"text":"hi",}"#, contentType: "application/json", expected: .bytes),
    .init(id: "invalid-single-quotes", body: "{'text':'hi'}", contentType: "application/json", expected: .bytes),
    .init(id: "invalid-nan", body: #"{"seed":NaN}"#, contentType: "application/json", expected: .bytes),
    .init(id: "invalid-unterminated", body: #"{"text":"hi"#, contentType: nil, expected: .bytes),
    .init(id: "invalid-trailing-garbage", body: #"{"text":"hi"} x"#, contentType: nil, expected: .bytes),
    .init(id: "empty-body", body: "", contentType: nil, expected: .bytes),
]

@Suite("Body key")
struct BodyKeyTests {
    @Test("digest kinds", arguments: bodyKeyCases)
    func digest(_ testCase: BodyKeyCase) {
        let key = BodyKey.digest(
            body: bytes(testCase.body), contentType: testCase.contentType, ignoredFields: testCase.ignoredFields)
        switch testCase.expected {
        case .json(let canonical):
            #expect(key == "json:" + BodyKey.sha256Hex(bytes(canonical)))
        case .bytes:
            #expect(key == "bytes:" + BodyKey.sha256Hex(bytes(testCase.body)))
        }
    }

    /// Golden values: a change here changes every stored key.
    @Test("golden digests")
    func golden() {
        #expect(
            BodyKey.digest(body: bytes(#"{ "text": "hi", "model_id": "m" }"#), contentType: nil, ignoredFields: [])
                == "json:7ad56479a2f379e08072c97ff1635850ad43f2adb32538fc9163846605497ef9")
        #expect(
            BodyKey.digest(body: bytes("abc"), contentType: "text/plain", ignoredFields: [])
                == "bytes:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            BodyKey.digest(body: [UInt8](), contentType: nil, ignoredFields: [])
                == "bytes:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
