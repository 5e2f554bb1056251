import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// IMF-fixdate (RFC 9110 §5.6.7) formatting and parsing without Foundation's formatters.
enum HTTPDate {
    // MARK: Constants

    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let cache = Mutex<(seconds: Int64, text: String)>((0, ""))
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    // MARK: Clock

    /// Seconds since the epoch, from the real-time clock.
    static func nowSeconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec)
    }

    static func nowMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// The current time as IMF-fixdate, formatted once per second.
    static func now() -> String {
        let seconds = self.nowSeconds()
        if let cached = self.cache.withLock({ $0.seconds == seconds ? $0.text : nil }) { return cached }
        let text = self.format(seconds)
        self.cache.withLock { $0 = (seconds, text) }
        return text
    }

    // MARK: Formatting

    /// "Sun, 06 Nov 1994 08:49:37 GMT"
    static func format(_ epochSeconds: Int64) -> String {
        let days = Int(epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400)
        let secondsOfDay = Int(epochSeconds - Int64(days) * 86_400)
        let (year, month, day) = self.civil(fromDays: days)
        let weekday = self.weekdays[((days % 7) + 7) % 7]
        let (hour, minute, second) = (secondsOfDay / 3600, secondsOfDay / 60 % 60, secondsOfDay % 60)
        let clock = "\(self.pad2(hour)):\(self.pad2(minute)):\(self.pad2(second))"
        return "\(weekday), \(self.pad2(day)) \(self.months[month - 1]) \(year) \(clock) GMT"
    }

    // MARK: Parsing

    /// Parses an IMF-fixdate; nil for anything else (obsolete formats are not needed by the tests).
    static func parse(_ text: String) -> Int64? {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 6, fields[5] == "GMT",
            let day = Int(fields[1]),
            let monthIndex = self.months.firstIndex(of: String(fields[2])),
            let year = Int(fields[3])
        else { return nil }
        let clock = fields[4].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]) else {
            return nil
        }
        let days = self.days(fromCivil: year, monthIndex + 1, day)
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    // MARK: Calendar arithmetic (proleptic Gregorian, H. Hinnant's algorithms)

    private static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad2(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
