/// HTTP-date (RFC 9110 §5.6.7) to and from seconds since the Unix epoch, without Foundation.
public enum HTTPDate: Sendable {
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let shortDayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    static let longDayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    /// Parses the IMF-fixdate, obsolete RFC 850 and asctime forms; `nil` when invalid.
    public static func parse(_ value: String) -> Double? {
        let parts = value.split(whereSeparator: FieldParsing.isOWS)
        // RFC 9110 §5.6.7: IMF-fixdate and RFC 850 dates separate their parts with exactly one space;
        // only asctime pads a one-digit day with a second space.
        let singleSpaced = FieldParsing.trimOWS(value).split(separator: " ", omittingEmptySubsequences: false).count
        switch parts.count {
        case 6:  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
            guard singleSpaced == 6, parts[0].hasSuffix(","),
                Self.shortDayNames.contains(parts[0].dropLast().lowercased()),
                parts[5].uppercased() == "GMT", parts[3].count == 4
            else {
                return nil
            }
            return Self.seconds(day: parts[1], month: parts[2], year: parts[3], time: parts[4])
        case 4:  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
            guard singleSpaced == 4, parts[0].hasSuffix(","),
                Self.longDayNames.contains(parts[0].dropLast().lowercased()),
                parts[3].uppercased() == "GMT"
            else {
                return nil
            }
            let date = parts[1].split(separator: "-", omittingEmptySubsequences: false)
            guard date.count == 3, date[2].count == 2, let twoDigitYear = Self.digits(date[2]) else {
                return nil
            }
            // RFC 9110 §5.6.7: a two-digit year is in the past 50-ish years (pivot at 70, see Leniencies).
            let year = twoDigitYear < 70 ? 2000 + twoDigitYear : 1900 + twoDigitYear
            return Self.seconds(day: date[0], month: date[1], year: Substring(String(year)), time: parts[2])
        case 5:  // asctime: "Sun Nov  6 08:49:37 1994"
            guard Self.shortDayNames.contains(parts[0].lowercased()), parts[4].count == 4 else {
                return nil
            }
            return Self.seconds(day: parts[2], month: parts[1], year: parts[4], time: parts[3])
        default:
            return nil
        }
    }

    /// Formats as IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (fractions are dropped).
    public static func format(_ seconds: Double) -> String {
        let clamped = seconds.isFinite ? min(max(seconds, -62_135_596_800), 253_402_300_799) : 0
        let whole = Int(clamped.rounded(.down))
        let days = Self.floorDivide(whole, 86_400)
        let secondOfDay = whole - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        let weekday = Self.floorModulo(days + 4, 7)  // 1970-01-01 was a Thursday
        let dayName = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][weekday]
        let monthName = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][month - 1]
        let hour = Self.pad(secondOfDay / 3600, 2)
        let minute = Self.pad(secondOfDay / 60 % 60, 2)
        let second = Self.pad(secondOfDay % 60, 2)
        return "\(dayName), \(Self.pad(day, 2)) \(monthName) \(Self.pad(year, 4)) \(hour):\(minute):\(second) GMT"
    }

    // MARK: Fields

    private static func seconds(day: Substring, month: Substring, year: Substring, time: Substring) -> Double? {
        guard (1...2).contains(day.count), let day = Self.digits(day),
            let monthIndex = Self.monthNames.firstIndex(of: month.lowercased()),
            let year = Self.digits(year), year >= 1
        else {
            return nil
        }
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
            let hour = Self.digits(clock[0]), let minute = Self.digits(clock[1]), let second = Self.digits(clock[2]),
            hour < 24, minute < 60, second <= 60,  // 60: a leap second
            day >= 1, day <= Self.daysInMonth(monthIndex + 1, year: year)
        else {
            return nil
        }
        let days = Self.days(fromCivilYear: year, month: monthIndex + 1, day: day)
        return Double(days * 86_400 + hour * 3600 + minute * 60 + second)
    }

    private static func digits(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 9, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            return nil
        }
        return Int(text)
    }

    private static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }

    // MARK: Proleptic Gregorian calendar arithmetic (400-year eras of 146097 days, March-based years)

    static func days(fromCivilYear year: Int, month: Int, day: Int) -> Int {
        let marchYear = month <= 2 ? year - 1 : year
        let era = Self.floorDivide(marchYear, 400)
        let yearOfEra = marchYear - era * 400
        let marchMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * marchMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Year, month (1-12) and day (1-31) of a day count since 1970-01-01 (the access log's timestamps use it too).
    public static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = Self.floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let marchMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * marchMonth + 2) / 5 + 1
        let month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func floorDivide(_ value: Int, _ divisor: Int) -> Int {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    private static func floorModulo(_ value: Int, _ divisor: Int) -> Int {
        value - Self.floorDivide(value, divisor) * divisor
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
