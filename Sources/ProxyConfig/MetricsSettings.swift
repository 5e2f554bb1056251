/// `[metrics]`: whether the proxy keeps request metrics (served on the admin listener).
public struct MetricsSettings: Sendable, Equatable {
    public var enabled: Bool

    public init(enabled: Bool = true) {
        self.enabled = enabled
    }
}
