// swift-tools-version:6.0
// stencilc: a source-to-source stencil compiler.
// The targets follow the pipeline (front end -> IR -> codegen -> driver -> CLI), so the
// package graph itself keeps backends from reaching back into the AST.
import PackageDescription

let package = Package(
    name: "stencilc",
    products: [
        .executable(name: "stencilc", targets: ["stencilc"]),
        .library(name: "StencilDriver", targets: ["StencilDriver"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(name: "StencilFrontend"),
        .target(name: "StencilIR", dependencies: ["StencilFrontend"]),
        .target(name: "StencilCodegen", dependencies: ["StencilIR"]),
        .target(name: "StencilDriver", dependencies: ["StencilFrontend", "StencilIR", "StencilCodegen"]),
        .executableTarget(
            name: "stencilc",
            dependencies: [
                "StencilDriver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Test inputs and golden files are read through #filePath, so they can be regenerated
        // in place; they are excluded from the targets' sources.
        .testTarget(name: "StencilFrontendTests", dependencies: ["StencilFrontend"],
                    exclude: ["Inputs"]),
        .testTarget(name: "StencilCodegenTests", dependencies: ["StencilDriver"],
                    exclude: ["Golden"]),
        .testTarget(name: "StencilDriverTests", dependencies: ["StencilDriver"],
                    exclude: ["Inputs"]),
    ]
)
