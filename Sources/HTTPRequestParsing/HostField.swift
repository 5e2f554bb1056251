/// The `Host` field's grammar (RFC 9110 §7.2, RFC 3986 §3.2.2): `uri-host [ ":" port ]`, where `uri-host` is an
/// IP literal in brackets, or a reg-name of unreserved characters, percent-encodings and sub-delims. Userinfo
/// (`user@host`), whitespace, a second colon and any other byte are refused: the host is part of the cache key and
/// what Reprise passes on as `X-Forwarded-Host`, so it must mean one thing to every reader.
enum HostField {
    static func isValid(_ value: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = value.count
        if count > 0, value[0] == UInt8(ascii: "[") {
            // IP-literal: IPv6address or IPvFuture, checked for its alphabet (the upstream never sees it as a host).
            index = 1
            while index < count, value[index] != UInt8(ascii: "]") {
                let byte = value[index]
                guard byte.isHexDigit || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".")
                    || byte == UInt8(ascii: "v") || byte == UInt8(ascii: "V")
                else { return false }
                index += 1
            }
            guard index < count, index > 1 else { return false }
            index += 1
        } else {
            while index < count, value[index] != UInt8(ascii: ":") {
                let byte = value[index]
                if byte == UInt8(ascii: "%") {
                    guard index + 2 < count, value[index + 1].isHexDigit, value[index + 2].isHexDigit
                    else { return false }
                    index += 3
                    continue
                }
                guard Self.regNameTable[Int(byte)] else { return false }
                index += 1
            }
        }
        guard index < count else { return true }
        // ":" port, where port is *DIGIT.
        guard value[index] == UInt8(ascii: ":") else { return false }
        index += 1
        while index < count {
            guard value[index].isDigit else { return false }
            index += 1
        }
        return true
    }

    /// unreserved and sub-delims (RFC 3986 §2.2, §2.3).
    private static let regNameTable: [Bool] = (0..<256).map { value in
        let byte = UInt8(value)
        if byte.isDigit { return true }
        if (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") { return true }
        return "-._~!$&'()*+,;=".utf8.contains(byte)
    }
}

extension UInt8 {
    var isHexDigit: Bool { self.hexValue != nil }
}
