import NIOHTTP1

/// A failure a client asks the demo upstream for, per request, with the `x-demo-fault` request header (it passes
/// through a proxy like any end-to-end header). The soak (`bench/soak.sh`) injects faults this way so that it knows
/// which answers were meant to fail; `DemoUpstream.failNext` injects them by path instead.
///
/// - `status=NNN`: answer NNN with the body that upstream would send (as `failNext`).
/// - `reset`: reset the connection (RST) once the request was read, before any byte of the response.
/// - `reset-body`: send the response head and about half of the body, then reset the connection.
enum DemoFault: Equatable {
    case status(Int)
    case resetBeforeHead
    case resetMidBody

    static let headerName = "x-demo-fault"

    /// The fault the request asks for; nil without the header or with a value this list does not name.
    init?(headers: HTTPHeaders) {
        guard let value = headers.first(name: Self.headerName)?.lowercased() else { return nil }
        switch value {
        case "reset": self = .resetBeforeHead
        case "reset-body": self = .resetMidBody
        default:
            guard value.hasPrefix("status="), let code = Int(value.dropFirst(7)), (100...599).contains(code) else {
                return nil
            }
            self = .status(code)
        }
    }
}
