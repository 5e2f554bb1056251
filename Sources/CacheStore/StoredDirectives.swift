import HTTPCaching

/// The stored response directives that reuse decisions read (RFC 9111 §4.2.4, §5.2.2; RFC 5861), kept in 16 bytes
/// instead of a whole parsed `CacheControl`: the field names of `private="…"` and `no-cache="…"` are not needed once
/// stored (those fields were not stored), nor are the request directives.
public struct StoredDirectives: Sendable, Equatable {
    private var flags: UInt8
    private var sharedMaxAgeValue: Int32
    private var staleWhileRevalidateValue: Int32
    private var staleIfErrorValue: Int32

    private static let noCacheFlag: UInt8 = 1
    private static let mustRevalidateFlag: UInt8 = 2
    private static let proxyRevalidateFlag: UInt8 = 4
    private static let immutableFlag: UInt8 = 8
    private static let publicFlag: UInt8 = 16

    public init(_ cacheControl: CacheControl) {
        var flags: UInt8 = 0
        if cacheControl.noCache { flags |= Self.noCacheFlag }
        if cacheControl.mustRevalidate { flags |= Self.mustRevalidateFlag }
        if cacheControl.proxyRevalidate { flags |= Self.proxyRevalidateFlag }
        if cacheControl.immutable { flags |= Self.immutableFlag }
        if cacheControl.isPublic { flags |= Self.publicFlag }
        self.flags = flags
        self.sharedMaxAgeValue = Self.stored(cacheControl.sMaxAge)
        self.staleWhileRevalidateValue = Self.stored(cacheControl.staleWhileRevalidate)
        self.staleIfErrorValue = Self.stored(cacheControl.staleIfError)
    }

    /// The directives as they are kept: flags, then `s-maxage`, `stale-while-revalidate` and `stale-if-error` (-1:
    /// absent). For an encoded entry (`CachedResponse+Encoding`).
    var stored: (flags: UInt8, sharedMaxAge: Int32, staleWhileRevalidate: Int32, staleIfError: Int32) {
        (self.flags, self.sharedMaxAgeValue, self.staleWhileRevalidateValue, self.staleIfErrorValue)
    }

    /// The directives from what `stored` gave; values below -1 read as absent.
    init(flags: UInt8, sharedMaxAge: Int32, staleWhileRevalidate: Int32, staleIfError: Int32) {
        self.flags = flags & 0x1F
        self.sharedMaxAgeValue = max(-1, sharedMaxAge)
        self.staleWhileRevalidateValue = max(-1, staleWhileRevalidate)
        self.staleIfErrorValue = max(-1, staleIfError)
    }

    /// `no-cache` without field names: never used without revalidation (RFC 9111 §5.2.2.4).
    public var noCache: Bool { self.flags & Self.noCacheFlag != 0 }
    public var staleWhileRevalidate: Int? { Self.value(self.staleWhileRevalidateValue) }
    public var staleIfError: Int? { Self.value(self.staleIfErrorValue) }

    /// The directives as a `CacheControl` (for `Reuse` and `Revalidation`, which read these members only).
    public var cacheControl: CacheControl {
        var cacheControl = CacheControl()
        cacheControl.noCache = self.noCache
        cacheControl.mustRevalidate = self.flags & Self.mustRevalidateFlag != 0
        cacheControl.proxyRevalidate = self.flags & Self.proxyRevalidateFlag != 0
        cacheControl.immutable = self.flags & Self.immutableFlag != 0
        cacheControl.isPublic = self.flags & Self.publicFlag != 0
        cacheControl.sMaxAge = Self.value(self.sharedMaxAgeValue)
        cacheControl.staleWhileRevalidate = self.staleWhileRevalidate
        cacheControl.staleIfError = self.staleIfError
        cacheControl.isEmpty = self.flags == 0 && self.sharedMaxAgeValue < 0 && self.staleWhileRevalidateValue < 0
            && self.staleIfErrorValue < 0
        return cacheControl
    }

    /// -1 stands for "absent"; delta-seconds beyond Int32 are kept as its maximum (68 years).
    private static func stored(_ value: Int?) -> Int32 {
        guard let value else { return -1 }
        return Int32(clamping: max(0, value))
    }

    private static func value(_ stored: Int32) -> Int? {
        stored < 0 ? nil : Int(stored)
    }
}
