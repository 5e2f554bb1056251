import NIOCore
import RedisClient
import Testing

/// Defaults and reconnect backoff. (Redis URLs are parsed once, by proxy.conf's `[redis]` decoder, which reports
/// problems with line, key and fix: see `RedisConfigTests`.)
@Suite("RedisConfiguration")
struct RedisConfigurationTests {
    @Test("defaults")
    func defaults() {
        let configuration = RedisConfiguration(host: "localhost")
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
