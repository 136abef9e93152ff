// swift-tools-version:6.0
// Fuzz/: a libFuzzer harness for stencilc's front end, kept out of the main package because it
// only builds with the sanitizer flags (libFuzzer brings its own main). See README.md.
import PackageDescription

let package = Package(
    name: "StencilFuzz",
    dependencies: [.package(name: "stencilc", path: "..")],
    targets: [
        .executableTarget(
            name: "FrontendFuzzer",
            dependencies: [.product(name: "StencilDriver", package: "stencilc")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ]
)
