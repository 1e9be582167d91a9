// swift-tools-version:6.0
import PackageDescription

// A pure core (engine, formats, latent math, imaging) and a thin front (TUI, CLI).
// Each C library is reached through one system-library target and touched in one Swift file.
let package = Package(
    name: "zwalk",
    products: [
        .executable(name: "zwalk", targets: ["zwalk"]),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng16"),
        // zlib (libpng's own dependency): inflating deflated entries of PyTorch's zip checkpoints.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // libsixel: the palette and encoding of sixel pictures for terminals that draw them.
        .systemLibrary(name: "CSixel", path: "Sources/CSixel"),

        // Hand-written kernels (Winograd transforms, activations), portable and AVX2/FMA variants
        // chosen at load from cpuid; the Swift targets build for baseline x86-64.
        .target(name: "CZWalkKernels"),
        .target(name: "ZWalkEngine", dependencies: ["COpenBLAS", "CZWalkKernels"]),
        .target(name: "ZWalkFormats", dependencies: ["ZWalkEngine", "CZlib"]),
        .target(name: "ZWalkLatent", dependencies: ["ZWalkEngine", "ZWalkFormats"]),
        // libpng's classic API (needed for tEXt chunks) reports errors by longjmp, which Swift cannot
        // catch: a few lines of C turn it into return codes.
        .target(name: "CPNGText", dependencies: ["CPNG"]),
        .target(name: "ZWalkImage", dependencies: ["CPNGText", "ZWalkEngine"]),
        // Decoders served by an inference server over the Open Inference Protocol (HTTP/REST,
        // binary tensors), through Foundation's URLSession.
        .target(name: "ZWalkRemote", dependencies: ["ZWalkEngine", "ZWalkFormats", "ZWalkLatent"]),
        // A model opened for exploring: what the commands and the explorer share.
        .target(name: "ZWalkSession", dependencies: ["ZWalkEngine", "ZWalkFormats", "ZWalkLatent", "ZWalkImage", "ZWalkRemote"]),
        .target(name: "ZWalkTUI", dependencies: ["ZWalkEngine", "ZWalkLatent", "ZWalkImage", "CNcursesw", "CSixel"]),
        .executableTarget(name: "zwalk", dependencies: ["ZWalkEngine", "ZWalkFormats", "ZWalkLatent", "ZWalkImage", "ZWalkSession", "ZWalkTUI", "ZWalkRemote"]),

        .target(name: "TestSupport", dependencies: ["ZWalkEngine", "ZWalkFormats"], path: "Tests/TestSupport"),
        .testTarget(name: "ZWalkEngineTests", dependencies: ["ZWalkEngine", "TestSupport"]),
        .testTarget(name: "ZWalkFormatsTests", dependencies: ["ZWalkFormats", "ZWalkEngine", "TestSupport"]),
        .testTarget(name: "ConformanceTests", dependencies: ["ZWalkFormats", "ZWalkEngine", "TestSupport"]),
        .testTarget(name: "ZWalkLatentTests", dependencies: ["ZWalkLatent", "ZWalkFormats", "ZWalkEngine", "TestSupport"]),
        .testTarget(name: "ZWalkImageTests", dependencies: ["ZWalkImage", "ZWalkEngine"]),
        .testTarget(name: "ModelTests", dependencies: ["ZWalkFormats", "ZWalkEngine", "ZWalkLatent", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["ZWalkFormats", "ZWalkEngine", "ZWalkImage", "ZWalkLatent", "TestSupport"]),
        .testTarget(name: "ZWalkSessionTests", dependencies: ["ZWalkSession", "ZWalkLatent", "ZWalkImage", "ZWalkFormats", "ZWalkEngine", "TestSupport"]),
        .testTarget(name: "ZWalkTUITests", dependencies: ["ZWalkTUI", "ZWalkImage"]),
        .testTarget(name: "ZWalkRemoteTests", dependencies: ["ZWalkRemote"]),
    ],
    // Swift 5 mode: the engine shares raw buffers across DispatchQueue.concurrentPerform workers,
    // which strict Sendable checking cannot express without unsafe wrappers everywhere.
    swiftLanguageModes: [.v5]
)
