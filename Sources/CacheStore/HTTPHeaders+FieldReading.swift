import HTTPCaching
import NIOHTTP1

extension HTTPHeaders: HTTPFieldReading {
    @inline(__always)
    public func fieldValues(_ name: String) -> [String] { self[name] }
}
