import NIOCore
import RESP
import Testing

@Suite("RESPValue accessors")
struct RESPValueAccessorTests {
    @Test("int")
    func int() {
        #expect(RESPValue.integer(-3).int == -3)
        #expect(bulk("42").int == 42)
        #expect(RESPValue.simpleString("7").int == 7)
        #expect(bulk("4x").int == nil)
        #expect(RESPValue.error("1").int == nil)
        #expect(RESPValue.bulkString(nil).int == nil)
    }

    @Test("bytes")
    func bytes() {
        #expect(bulk("abc").bytes == buffer("abc"))
        #expect(RESPValue.simpleString("OK").bytes == buffer("OK"))
        #expect(RESPValue.bulkString(nil).bytes == nil)
        #expect(RESPValue.error("ERR").bytes == nil)
        #expect(RESPValue.integer(1).bytes == nil)
    }

    @Test("string")
    func string() {
        #expect(bulk("héllo").string == "héllo")
        #expect(RESPValue.simpleString("OK").string == "OK")
        #expect(RESPValue.error("ERR x").string == nil)
        #expect(RESPValue.error("ERR x").errorMessage == "ERR x")
        #expect(RESPValue.array([]).string == nil)
    }

    @Test("array and isNull")
    func arrayAndNull() {
        #expect(RESPValue.array([.integer(1)]).array == [.integer(1)])
        #expect(RESPValue.array(nil).array == nil)
        #expect(RESPValue.array(nil).isNull)
        #expect(RESPValue.bulkString(nil).isNull)
        #expect(!RESPValue.array([]).isNull)
        #expect(!bulk("").isNull)
        #expect(!RESPValue.simpleString("").isNull)
    }
}
