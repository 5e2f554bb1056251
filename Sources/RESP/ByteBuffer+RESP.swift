import NIOCore

extension ByteBuffer {
    /// Writes a command as Redis expects it from clients: an array of bulk strings.
    ///
    /// Arguments are written with their length prefixes, so they may hold any bytes
    /// (including NUL, CR and LF).
    public mutating func writeRESPCommand(_ args: [ByteBuffer]) {
        self.writeRESPHeader(UInt8(ascii: "*"), args.count)
        for arg in args {
            self.writeRESPHeader(UInt8(ascii: "$"), arg.readableBytes)
            self.writeImmutableBuffer(arg)
            self.writeRESPCRLF()
        }
    }

    /// Writes a command whose arguments are strings, each sent as its UTF-8 bytes.
    public mutating func writeRESPCommand(_ args: [String]) {
        self.writeRESPHeader(UInt8(ascii: "*"), args.count)
        for arg in args {
            self.writeRESPHeader(UInt8(ascii: "$"), arg.utf8.count)
            self.writeString(arg)
            self.writeRESPCRLF()
        }
    }

    /// Writes a command whose arguments are strings, each sent as its UTF-8 bytes.
    public mutating func writeRESPCommand(_ args: String...) {
        self.writeRESPCommand(args)
    }

    /// Writes any RESP2 value in its wire form (what a server would send).
    ///
    /// Simple strings and errors are written as given; they must not contain CR or LF.
    public mutating func writeRESPValue(_ value: RESPValue) {
        switch value {
        case .simpleString(let text):
            self.writeInteger(UInt8(ascii: "+"))
            self.writeString(text)
            self.writeRESPCRLF()
        case .error(let message):
            self.writeInteger(UInt8(ascii: "-"))
            self.writeString(message)
            self.writeRESPCRLF()
        case .integer(let number):
            self.writeRESPHeader(UInt8(ascii: ":"), number)
        case .bulkString(.none):
            self.writeRESPHeader(UInt8(ascii: "$"), -1)
        case .bulkString(.some(let payload)):
            self.writeRESPHeader(UInt8(ascii: "$"), payload.readableBytes)
            self.writeImmutableBuffer(payload)
            self.writeRESPCRLF()
        case .array(.none):
            self.writeRESPHeader(UInt8(ascii: "*"), -1)
        case .array(.some(let elements)):
            self.writeRESPHeader(UInt8(ascii: "*"), elements.count)
            for element in elements {
                self.writeRESPValue(element)
            }
        }
    }

    /// Writes `marker`, `number` in decimal and CR LF. (`String(number)` fits Swift's small-string
    /// storage, so this does not allocate.)
    private mutating func writeRESPHeader(_ marker: UInt8, _ number: Int) {
        self.writeInteger(marker)
        self.writeString(String(number))
        self.writeRESPCRLF()
    }

    private mutating func writeRESPCRLF() {
        self.writeInteger(UInt16(0x0D0A))
    }
}
