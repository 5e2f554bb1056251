import NIOCore
import Testing

@testable import ProxyCore

@Suite("ResponseWire")
struct ResponseWireTests {
    @Test(arguments: [0, 7, 10, 99, 3599, 86_400, -1, -3600, 2_147_483_648, Int.max, Int.min + 1])
    func writesDecimalsInPlace(_ value: Int) {
        var buffer = ByteBuffer(string: "age: ")
        ResponseWire.writeDecimal(value, into: &buffer)
        #expect(String(buffer: buffer) == "age: \(value)")
    }
}
