/// A CIDR block of `[server] trusted_proxies`: `"10.0.0.0/8"`, `"192.168.1.7"` (one address), `"fd00::/8"`.
///
/// Addresses are compared as bytes: 4 for IPv4, 16 for IPv6. An IPv4-mapped IPv6 peer (`::ffff:10.1.2.3`, what a
/// dual-stack listener reports for an IPv4 client) matches the IPv4 block as well.
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    /// The network's address bytes, with the bits past `prefixLength` cleared.
    public let network: [UInt8]
    public let prefixLength: Int

    public init(network: [UInt8], prefixLength: Int) {
        precondition(network.count == 4 || network.count == 16)
        precondition(prefixLength >= 0 && prefixLength <= network.count * 8)
        self.network = Self.masked(network, prefixLength)
        self.prefixLength = prefixLength
    }

    /// Whether `address` (4 or 16 bytes) lies in this block.
    public func contains(_ address: [UInt8]) -> Bool {
        var address = address
        if address.count == 16, self.network.count == 4, Self.isIPv4Mapped(address) {
            address = Array(address[12..<16])
        }
        guard address.count == self.network.count else { return false }
        return Self.masked(address, self.prefixLength) == self.network
    }

    public var description: String {
        let address = self.network.count == 4 ? IPAddressText.ipv4(self.network) : IPAddressText.ipv6(self.network)
        return "\(address)/\(self.prefixLength)"
    }

    static let formatFix =
        "write an address or a CIDR block, e.g. \"10.0.0.0/8\", \"192.168.1.7\" or \"fd00::/8\"."

    /// Parses `address[/prefix]`.
    static func parse(_ text: String) throws(ValueError) -> AddressRange {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddressText.parse(String(parts[0])) else {
            throw ValueError(reason: "is not an IP address or CIDR block", fix: Self.formatFix)
        }
        let bits = address.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy(\.isASCIIDigit), let number = Int(parts[1]),
                number <= bits
            else {
                throw ValueError(
                    reason: "has a prefix length that is not 0...\(bits)",
                    fix: "write the block as address/length with a length from 0 to \(bits), e.g. \"10.0.0.0/8\"."
                )
            }
            prefix = number
        }
        let range = AddressRange(network: address, prefixLength: prefix)
        guard range.network == address else {
            throw ValueError(
                reason: "has bits set past its prefix length",
                fix: "write the network address, \"\(range.description)\"."
            )
        }
        return range
    }

    private static func masked(_ bytes: [UInt8], _ prefixLength: Int) -> [UInt8] {
        var result = bytes
        for index in 0..<result.count {
            let kept = min(8, max(0, prefixLength - index * 8))
            result[index] &= kept == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - kept))
        }
        return result
    }

    static func isIPv4Mapped(_ address: [UInt8]) -> Bool {
        address.count == 16 && address[0..<10].allSatisfy { $0 == 0 } && address[10] == 0xFF && address[11] == 0xFF
    }
}

/// Textual IP addresses (RFC 791 dotted quads, RFC 4291 §2.2 IPv6 text) to bytes and back.
public enum IPAddressText {
    /// 4 bytes for a dotted quad, 16 for an IPv6 address (with `::` compression and an optional trailing dotted
    /// quad); nil otherwise. Zone ids (`%eth0`) are not accepted.
    public static func parse(_ text: String) -> [UInt8]? {
        if !text.contains(":") { return self.parseIPv4(Substring(text)) }
        return self.parseIPv6(text)
    }

    static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            // No leading zeros (they read as octal elsewhere), 0...255.
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCIIDigit), part.count == 1 || part.first != "0",
                let value = Int(part), value <= 255
            else { return nil }
            bytes.append(UInt8(value))
        }
        return bytes
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        // At most one `::`, which stands for one or more zero groups.
        var doubleColon: Int?
        var index = 0
        while index + 1 < utf8.count {
            if utf8[index] == UInt8(ascii: ":") && utf8[index + 1] == UInt8(ascii: ":") {
                guard doubleColon == nil else { return nil }
                doubleColon = index
                index += 2
            } else {
                index += 1
            }
        }
        func groups(_ part: ArraySlice<UInt8>, allowIPv4: Bool) -> [UInt8]? {
            guard !part.isEmpty else { return [] }
            let pieces = part.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            var bytes: [UInt8] = []
            for (position, piece) in pieces.enumerated() {
                if allowIPv4, position == pieces.count - 1, piece.contains(UInt8(ascii: ".")) {
                    guard let v4 = self.parseIPv4(Substring(decoding: piece, as: UTF8.self)) else { return nil }
                    bytes += v4
                    continue
                }
                guard (1...4).contains(piece.count), let value = UInt16(String(decoding: piece, as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(UInt8(value >> 8))
                bytes.append(UInt8(value & 0xFF))
            }
            return bytes
        }
        if let doubleColon {
            guard let head = groups(utf8[0..<doubleColon], allowIPv4: false),
                let tail = groups(utf8[(doubleColon + 2)...], allowIPv4: true),
                head.count + tail.count <= 14
            else { return nil }
            return head + Array(repeating: 0, count: 16 - head.count - tail.count) + tail
        }
        guard let all = groups(utf8[...], allowIPv4: true), all.count == 16 else { return nil }
        return all
    }

    public static func ipv4(_ bytes: [UInt8]) -> String {
        bytes.map(String.init).joined(separator: ".")
    }

    /// Lower-case groups without leading zeros; the longest run of two or more zero groups as `::`.
    public static func ipv6(_ bytes: [UInt8]) -> String {
        let words = stride(from: 0, to: 16, by: 2).map { Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]) }
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            if words[index] == 0 {
                var end = index
                while end < 8, words[end] == 0 { end += 1 }
                if end - index > bestLength {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            } else {
                index += 1
            }
        }
        func text(_ range: Range<Int>) -> String {
            words[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return text(0..<8) }
        return text(0..<bestStart) + "::" + text((bestStart + bestLength)..<8)
    }
}
