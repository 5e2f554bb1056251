/// Every deliberate leniency (or deliberate strictness) of `HTTPCaching`, in one place.
///
/// Where the RFCs leave a choice, the conservative one is taken: a response is rather considered
/// stale, or not reusable, than served when the origin may not have meant it.
///
/// Parsing (`Cache-Control` and the targeted fields):
/// - Directive names are case-insensitive; whitespace around `,` and `=` is skipped; empty list
///   elements are skipped; unknown directives are ignored (RFC 9111 §5.2.3).
/// - `max-age="5"` (quoted delta-seconds) is accepted (RFC 9111 §5.2 asks senders not to, but
///   recipients to accept). A number that is not only digits (`-1`, `1.5`, `5s`, empty) is ignored
///   and its directive name lands in `CacheControl.invalidArguments`.
/// - A number above 2^31 is clamped to 2147483648 (RFC 9111 §1.2.2).
/// - Conflicting duplicates (RFC 9111 §4.2.1 allows "first" or "stale"; we take the conservative):
///   `max-age` / `s-maxage` with different values → 0 (stale); `min-fresh` → the largest;
///   `max-stale`, `stale-while-revalidate`, `stale-if-error` → the smallest (a value beats
///   "unlimited"). Equal duplicates are harmless.
/// - A response `max-age` / `s-maxage` that is present but invalid makes the response stale
///   (lifetime 0) instead of falling through to `Expires` or a heuristic.
/// - `no-cache=""` / `private=""` (qualified with an empty list) count as unqualified.
/// - Qualified forms also accept a bare token (`private=set-cookie`).
///
/// Dates and numbers:
/// - `HTTPDate` accepts the three RFC 9110 §5.6.7 forms, month and weekday names in any case,
///   no repeated spaces in IMF-fixdate and RFC 850 forms (asctime pads a one-digit day), and does not
///   check that the weekday agrees with the date. `GMT` in any case.
///   Two-digit RFC 850 years: 70–99 → 19xx, 00–69 → 20xx.
/// - An invalid `Expires` (or `Expires: 0`) means "already expired" (RFC 9111 §5.3); several
///   `Expires` lines with different values are treated as invalid.
/// - `Age`: the first list element (of one line or several) is used, parameters after `;` dropped; an
///   invalid first value (negative, fractional, non-numeric) counts as no `Age`.
/// - Entity tags: an unquoted tag (`ETag: abcdef`) is read as a strong tag.
/// - 401, 403, 429 and 5xx are stored only with the upstream's own explicit freshness (or a rule listing the
///   status), never on a rule's ttl or a heuristic.
/// - `Date`: the first line is used; an invalid one counts as absent (response time used).
///
/// Decisions:
/// - `s-maxage` implies `proxy-revalidate` (RFC 9111 §5.2.2.10), which blocks client `max-stale`
///   and configured stale defaults; an explicit `stale-while-revalidate` / `stale-if-error` in the
///   same response still applies (the origin asked for both). `must-revalidate`,
///   `proxy-revalidate` and `no-cache` always block stale serving, including on errors.
/// - A 304 without any validator updates the one stored response it revalidated (§4.3.4 requires
///   that the stored one also lacks a validator; we revalidate exactly one entry, so it matches).
/// - Vary values: lines combined with ", ", runs of whitespace collapsed to one space, whitespace
///   around commas dropped. Everything else (case, order of elements) must match exactly.
/// - Conditionals: a malformed `If-Match` / `If-None-Match` is ignored (proceed); `If-Range` with a
///   date is compared for exact equality with `Last-Modified` without checking that the date is
///   a strong validator; several `If-Range` lines → full response.
/// - `Range`: whitespace around `=`, `-` and `,` is accepted; more than `maxRanges` ranges, an
///   unknown unit, bad syntax or several `Range` lines → the header is ignored; overlapping or
///   adjacent ranges are merged and sorted; a zero-length representation → full.
enum Leniencies {
    /// RFC 9111 §1.2.2: the value a cache must use for a delta-seconds it cannot represent.
    static let deltaSecondsLimit = 2_147_483_648

    /// RFC 9111 §4.2.2: the heuristic lifetime is this fraction of (Date − Last-Modified).
    static let heuristicFraction = 0.1

    /// Cap of the heuristic lifetime: one day.
    static let heuristicLimit = 86_400.0

    /// Requests with more ranges than this get the full representation (RFC 9110 §14.2 lets a
    /// server ignore a Range it thinks abusive).
    static let maxRanges = 64
}
