// swift-tools-version:5.4
import Foundation
import PackageDescription

/// libFuzzer targets for Reprise's parsers (fuzz/README.md). A package of its own, so that the repository's normal
/// `swift build` and `swift test` never need the fuzzer runtime: `fuzz/run.sh` and `fuzz/ci.sh` build it with
/// `-sanitize=fuzzer,address` into `fuzz/.build`.
///
/// A target is a folder `Sources/NAME/` holding one file with `@_cdecl("LLVMFuzzerTestOneInput")`, plus one line
/// below naming the modules it needs.
let harnesses: [(name: String, dependencies: [Target.Dependency])] = [
    ("request-parser", [reprise("HTTPRequestParsing"), nio("NIOCore"), nio("NIOHTTP1")]),
    ("http-fields", [reprise("HTTPCaching")]),
    ("canonical-json", [reprise("BodyKeying")]),
    ("resp", [reprise("RESP"), nio("NIOCore")]),
    ("proxy-conf", [reprise("ProxyConfig")]),
    ("upstream-response", [reprise("UpstreamHTTP"), nio("NIOCore"), nio("NIOHTTP1")]),
    ("l2-entry", [reprise("CacheStore"), nio("NIOCore")]),
]

/// A product of the repository, a path dependency whose identity is its folder's name (whatever the checkout is
/// called).
func reprise(_ product: String) -> Target.Dependency {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    return .product(name: product, package: repository.lastPathComponent)
}

func nio(_ product: String) -> Target.Dependency {
    .product(name: product, package: "swift-nio")
}

let package = Package(
    name: "reprise-fuzz",
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // What every harness shares: property checks that stop the run, and fuzzer-chosen split points.
        .target(name: "FuzzSupport")
    ]
        + harnesses.map { harness in
            .executableTarget(
                name: harness.name,
                dependencies: ["FuzzSupport"] + harness.dependencies,
                // libFuzzer brings `main`; the harness only defines LLVMFuzzerTestOneInput.
                swiftSettings: [.unsafeFlags(["-parse-as-library"])]
            )
        }
)
