import CompressNIO
import Foundation
import NIOCore
import NIOHTTP1

extension DemoResponse {
    /// The response gzipped when the request accepts gzip, as the real APIs' front ends do: JSON and text bodies of
    /// 256 bytes or more. `Vary: Accept-Encoding` is added unless `varyOnAcceptEncoding` is false (Gemini's front end
    /// sends `Vary: Origin, X-Origin, Referer` only, which is what a cache must cope with).
    /// `force`: whether or not the client accepts gzip (a misbehaving upstream, for tests).
    func gzipped(for request: HTTPRequestHead, varyOnAcceptEncoding: Bool, force: Bool = false) -> DemoResponse {
        guard case .full(var buffer) = self.body, buffer.readableBytes >= 256,
            !self.headers.contains(name: "content-encoding"),
            let type = self.headers.first(name: "content-type")?.lowercased(),
            type.contains("json") || type.hasPrefix("text/"),
            force || Self.acceptsGzip(request.headers), let compressed = try? buffer.compress(with: .gzip())
        else { return self }
        var copy = self
        copy.body = .full(compressed)
        copy.headers.replaceOrAdd(name: "content-encoding", value: "gzip")
        if varyOnAcceptEncoding { copy.headers.add(name: "vary", value: "Accept-Encoding") }
        return copy
    }

    /// `Accept-Encoding` lists gzip (or `*`) without `q=0`.
    static func acceptsGzip(_ headers: HTTPHeaders) -> Bool {
        for item in headers[canonicalForm: "accept-encoding"] {
            let parts = item.lowercased().split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first, name == "gzip" || name == "x-gzip" || name == "*" else { continue }
            let weight = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if weight > 0 { return true }
        }
        return false
    }
}
