/// The `Reprise-Cost` response field on a costed rule (`cost_*`): an RFC 8941 Item whose token says whether this
/// call was `billed` (it went upstream) or `saved` (answered from the cache, or from another request's fetch), with
/// the generation's cost upstream: `billed; units=1234; amount="0.00037"` or `saved; units=16`. `units` is absent
/// when it is not known when the head is sent (a stream whose cost is in its last event); `amount` (units times
/// `cost_price`, a decimal string) only with a price.
public enum RepriseCost {
    public static let field = "reprise-cost"

    /// The field for a call in `phase`: `saved` when the phase answered without a paid call of its own.
    public static func value(_ phase: CachePhase, units: Int?, price: Double?) -> String {
        var text = phase.savesTheCall ? "saved" : "billed"
        guard let units else { return text }
        text += "; units=\(units)"
        if let price { text += "; amount=\"\(self.amount(units: units, price: price))\"" }
        return text
    }

    /// `units × price` in fixed-point decimal, at most 9 fractional digits, no trailing zeros ("0.00037", "12").
    public static func amount(units: Int, price: Double) -> String {
        self.decimal(Double(units) * price)
    }

    public static func decimal(_ value: Double) -> String {
        guard value.isFinite, value > 0 else { return "0" }
        let scaled = (value * 1e9).rounded()
        guard scaled < 9e18 else { return String(Int(value.rounded())) }
        let nanos = Int(scaled)
        let whole = nanos / 1_000_000_000
        var fraction = String(nanos % 1_000_000_000)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.last == "0" { fraction.removeLast() }
        return fraction.isEmpty ? String(whole) : "\(whole).\(fraction)"
    }
}
