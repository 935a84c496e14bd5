// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ingate-otel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ingate-otel", targets: ["ingate-otel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // C libraries, each behind a module map with a small shim header.
        .systemLibrary(name: "CFastCGI", path: "Sources/CFastCGI", pkgConfig: "fcgi",
                       providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),

        // The domain values every layer shares, with no dependencies: LLMLogRecord, content
        // events, hex ids, and the one JSON value with its parser and writer.
        .target(name: "LLMLog"),
        // The form of API keys and their one hash, for the stores and for ingestion
        .target(name: "APIKeys", dependencies: ["LLMLog", .product(name: "Crypto", package: "swift-crypto")]),
        // OTLP/HTTP bodies: request decoding (protobuf, OTLP/JSON, gzip) and response encoding
        .target(name: "OTLPCodec", dependencies: [
            "CZlib", "LLMLog",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], exclude: ["Generated/README.md"]),
        // Client text made safe for one line of a log or a terminal
        .target(name: "SafeText"),
        // ExportTraceServiceRequest -> [LLMLogRecord]
        .target(name: "GenAIMapping", dependencies: ["LLMLog", "OTLPCodec"]),
        // LogStore in SQLite: the LLM log, content events and API keys
        .target(name: "Storage", dependencies: [
            "CSQLite", "LLMLog", "APIKeys",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // HTTP request value -> HTTP response value: routing, auth, errors -> statuses
        .target(name: "Ingest", dependencies: [
            "LLMLog", "APIKeys", "OTLPCodec", "GenAIMapping", "SafeText",
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // libfcgi accept loop: FastCGI requests in HTTP terms to a FastCGIResponder, whatever it serves
        .target(name: "FastCGIServer", dependencies: [
            "CFastCGI",
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The receiver's HTTP endpoint (Ingest) behind the FastCGI server: the one place they meet
        .target(name: "FastCGIEndpoint", dependencies: ["FastCGIServer", "Ingest"]),
        .executableTarget(name: "ingate-otel", dependencies: [
            "FastCGIServer", "FastCGIEndpoint", "Ingest", "Storage", "GenAIMapping", "LLMLog", "APIKeys", "SafeText",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The libFuzzer target (`make fuzz`); without -DFUZZING it builds as a stub.
        .executableTarget(name: "FuzzExport", dependencies: ["OTLPCodec", "GenAIMapping"], path: "Fuzz/FuzzExport"),

        .testTarget(name: "SafeTextTests", dependencies: ["SafeText"]),
        .testTarget(name: "LLMLogTests", dependencies: ["LLMLog"]),
        .testTarget(name: "OTLPCodecTests", dependencies: ["OTLPCodec", "LLMLog", "TestSupport"]),
        .testTarget(name: "GenAIMappingTests", dependencies: ["GenAIMapping", "LLMLog", "OTLPCodec", "TestSupport"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "LLMLog", "APIKeys", "GenAIMapping", "TestSupport"]),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "LLMLog", "APIKeys", "Storage", "GenAIMapping", "TestSupport"]),
        .testTarget(name: "FastCGIServerTests", dependencies: [
            "FastCGIServer", "FastCGIEndpoint", "Ingest", "Storage", "GenAIMapping", "LLMLog", "TestSupport",
            .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "Logging", package: "swift-log"),
        ]),
        // Small builders for OTLP exports shared by the test targets.
        .target(name: "TestSupport", dependencies: [
            "OTLPCodec", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], path: "Tests/TestSupport"),
    ]
)
