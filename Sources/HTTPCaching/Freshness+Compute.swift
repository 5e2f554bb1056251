// MARK: Computing freshness at store time

extension Freshness {
    /// Lifetime and corrected initial age of a response just received.
    ///
    /// Lifetime order: rule ttl if `ttlOverride`; else `s-maxage` > `max-age` > `Expires − Date` >
    /// rule ttl > heuristic (10% of Date − Last-Modified, at most a day, heuristically cacheable
    /// statuses or `public` only). The targeted fields (RFC 9213) replace `Cache-Control`.
    /// - Parameter status: the response status (defaults to 200; pass it so that heuristics are only
    ///   used for heuristically cacheable statuses, RFC 9111 §4.2.2).
    public static func compute(
        requestTime: Double,
        responseTime: Double,
        status: Int = 200,
        responseHeaders: some HTTPFieldReading,
        policy: StoragePolicy
    ) -> Freshness {
        let cacheControl = CacheControl.effective(responseHeaders: responseHeaders)
        let date = responseHeaders.fieldValues("date").first.flatMap(HTTPDate.parse)
        let (lifetime, source) = Self.lifetime(
            cacheControl: cacheControl,
            status: status,
            dateValue: date ?? responseTime,
            responseHeaders: responseHeaders,
            policy: policy
        )
        // RFC 9111 §4.2.3: age calculation.
        let apparentAge = max(0, responseTime - (date ?? responseTime))
        let responseDelay = max(0, responseTime - requestTime)
        let correctedAgeValue = Self.ageValue(responseHeaders.fieldValues("age")) + responseDelay
        let correctedInitialAge = max(apparentAge, correctedAgeValue)
        return Freshness(
            lifetime: lifetime,
            source: source,
            correctedInitialAge: correctedInitialAge,
            responseTime: responseTime
        )
    }

    private static func lifetime(
        cacheControl: CacheControl,
        status: Int,
        dateValue: Double,
        responseHeaders: some HTTPFieldReading,
        policy: StoragePolicy
    ) -> (Double, Source) {
        if let ttl = policy.overridingTTL {
            return (max(0, ttl), .rule)
        }
        // RFC 9111 §4.2.1: a shared cache uses s-maxage first, then max-age. A present but
        // unusable one makes the response stale (see Leniencies).
        if cacheControl.sMaxAge != nil || cacheControl.invalidArguments.contains("s-maxage") {
            return (Double(cacheControl.sMaxAge ?? 0), .sharedMaxAge)
        }
        if cacheControl.maxAge != nil || cacheControl.invalidArguments.contains("max-age") {
            return (Double(cacheControl.maxAge ?? 0), .maxAge)
        }
        // RFC 9111 §4.2.1, §5.3: Expires − Date; an invalid Expires means already expired.
        let expiresLines = responseHeaders.fieldValues("expires")
        if !expiresLines.isEmpty {
            let distinct = Set(expiresLines.map { FieldParsing.trimOWS($0) })
            guard distinct.count == 1, let expires = HTTPDate.parse(expiresLines[0]) else {
                return (0, .expires)
            }
            return (max(0, expires - dateValue), .expires)
        }
        if let ttl = policy.ruleTTL {
            return (max(0, ttl), .rule)
        }
        // RFC 9111 §4.2.2: heuristic freshness, only for heuristically cacheable statuses (or
        // `public`), from Last-Modified.
        if StatusCodes.heuristicallyCacheable.contains(status) || cacheControl.isPublic,
            let lastModified = responseHeaders.fieldValues("last-modified").first.flatMap(HTTPDate.parse)
        {
            let heuristic = (dateValue - lastModified) * Leniencies.heuristicFraction
            return (min(max(0, heuristic), Leniencies.heuristicLimit), .heuristic)
        }
        return (0, .none)
    }

    /// RFC 9111 §5.1: Age is delta-seconds. Of several values (one line `0, 7200` or several lines) the first
    /// is used; parameters after `;` are ignored; an invalid first value means no Age (see Leniencies).
    static func ageValue(_ lines: [String]) -> Double {
        guard let first = FieldParsing.listElements(lines).first else {
            return 0
        }
        let value = first.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return Double(FieldParsing.deltaSeconds(FieldParsing.trimOWS(value)) ?? 0)
    }
}
