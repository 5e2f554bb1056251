import NIOCore
import RedisClient
import Testing

/// A URL and the configuration fields it must give.
struct ValidURLCase: Sendable, CustomTestStringConvertible {
    let url: String
    let host: String
    let port: Int
    var username: String? = nil
    var password: String? = nil
    var database = 0

    var testDescription: String { self.url }
}

/// A URL and the message of the error it must give.
struct InvalidURLCase: Sendable, CustomTestStringConvertible {
    let url: String
    let message: String

    var testDescription: String { self.url }
}

let validURLs: [ValidURLCase] = [
    ValidURLCase(url: "redis://localhost", host: "localhost", port: 6379),
    ValidURLCase(url: "REDIS://cache.internal:6380", host: "cache.internal", port: 6380),
    ValidURLCase(url: "redis://127.0.0.1:7000/3", host: "127.0.0.1", port: 7000, database: 3),
    ValidURLCase(url: "redis://host/", host: "host", port: 6379),
    ValidURLCase(url: "redis://:secret@host", host: "host", port: 6379, password: "secret"),
    ValidURLCase(url: "redis://app:secret@host:1/15", host: "host", port: 1, username: "app", password: "secret", database: 15),
    ValidURLCase(url: "redis://app:p%40ss%3Aw@host", host: "host", port: 6379, username: "app", password: "p@ss:w"),
    ValidURLCase(url: "redis://app:p@ss@host", host: "host", port: 6379, username: "app", password: "p@ss"),
    ValidURLCase(url: "redis://[::1]:6390/2", host: "::1", port: 6390, database: 2),
    ValidURLCase(url: "redis://[::1]", host: "::1", port: 6379),
]

let invalidURLs: [InvalidURLCase] = [
    InvalidURLCase(url: "http://localhost", message: "scheme must be redis://"),
    InvalidURLCase(url: "rediss://localhost", message: "scheme must be redis://"),
    InvalidURLCase(url: "localhost:6379", message: "scheme must be redis://"),
    InvalidURLCase(url: "redis://", message: "host must not be empty"),
    InvalidURLCase(url: "redis://:6379", message: "host must not be empty"),
    InvalidURLCase(url: "redis://host:0", message: "port must be 1-65535"),
    InvalidURLCase(url: "redis://host:65536", message: "port must be 1-65535"),
    InvalidURLCase(url: "redis://host:http", message: "port must be 1-65535"),
    InvalidURLCase(url: "redis://host:", message: "port must be 1-65535"),
    InvalidURLCase(url: "redis://host:-1", message: "port must be 1-65535"),
    InvalidURLCase(url: "redis://host/zero", message: "database must be a number"),
    InvalidURLCase(url: "redis://host/-1", message: "database must be a number"),
    InvalidURLCase(url: "redis://host/1/2", message: "database must be a number"),
    InvalidURLCase(url: "redis://secret@host", message: "credentials must be written [user]:password@"),
    InvalidURLCase(url: "redis://user:@host", message: "password must not be empty"),
    InvalidURLCase(url: "redis://user:%zz@host", message: "password has an invalid percent-escape"),
    InvalidURLCase(url: "redis://::1:6379", message: "an IPv6 host must be written in brackets"),
    InvalidURLCase(url: "redis://[::1", message: "an IPv6 host must end with ]"),
    InvalidURLCase(url: "redis://host?timeout=1", message: "query strings and fragments are not supported"),
]

@Suite("RedisConfiguration")
struct RedisConfigurationTests {
    @Test("parses", arguments: validURLs)
    func parses(_ testCase: ValidURLCase) throws {
        let configuration = try RedisConfiguration.parse(url: testCase.url)
        #expect(configuration.host == testCase.host)
        #expect(configuration.port == testCase.port)
        #expect(configuration.username == testCase.username)
        #expect(configuration.password == testCase.password)
        #expect(configuration.database == testCase.database)
    }

    @Test("rejects with a clear message", arguments: invalidURLs)
    func rejects(_ testCase: InvalidURLCase) {
        #expect(throws: RedisURLError(testCase.message)) {
            try RedisConfiguration.parse(url: testCase.url)
        }
    }

    @Test("the error message never repeats the URL, which may hold a password")
    func errorHidesURL() {
        let error = RedisURLError("port must be 1-65535")
        #expect(error.description == "invalid Redis URL: port must be 1-65535")
    }

    @Test("defaults")
    func defaults() throws {
        let configuration = try RedisConfiguration.parse(url: "redis://localhost")
        #expect(configuration.connectTimeout == .milliseconds(250))
        #expect(configuration.commandTimeout == .milliseconds(250))
        #expect(configuration.reconnectBackoff == RedisConfiguration.Backoff(initial: .milliseconds(50), max: .seconds(2)))
    }

    @Test("backoff doubles from initial up to max")
    func backoff() {
        let backoff = RedisConfiguration.Backoff()
        let delays = (0..<9).map { backoff.delay(afterFailures: $0) }
        #expect(delays == [50, 100, 200, 400, 800, 1600, 2000, 2000, 2000].map { TimeAmount.milliseconds($0) })
        #expect(backoff.delay(afterFailures: 10_000) == .seconds(2))
    }
}
