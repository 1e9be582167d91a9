import Foundation
import Testing

/// The binary finds the shipped model wherever it is installed, and says where it looked when it
/// cannot. Every layout is built under the system's temporary folder, which is outside the source
/// tree, so the "assets/ in a parent folder" rule cannot find the checkout's model by accident.
@Suite(.serialized) final class InstallTests {
    private var scratchDirectories: [String] = []
    deinit { for d in scratchDirectories { try? FileManager.default.removeItem(atPath: d) } }

    static let assets = repoRoot.appendingPathComponent("assets").path
    /// What `make install` copies (its MODEL_FILES): both shipped models, faces the default.
    static let modelFiles = ["faces_decoder.onnx", "faces_encoder.onnx", "vae_decoder.onnx", "vae_encoder.onnx"]

    /// A system-wide install would be found before the failure this suite expects.
    static let installedSystemWide = ["/usr/local/share/zwalk", "/usr/share/zwalk"]
        .contains { FileManager.default.fileExists(atPath: $0 + "/faces_decoder.onnx") }

    /// A temporary directory with symlinks resolved (the binary reports resolved paths), removed
    /// when the test ends.
    func scratch() throws -> String {
        let d = URL(fileURLWithPath: try temporaryDirectory()).resolvingSymlinksInPath().path
        scratchDirectories.append(d)
        return d
    }

    func makeDirectory(_ path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A copy of the binary under test, alone in `dir`.
    func copyBinary(into dir: String) throws -> String {
        let dest = try makeDirectory(dir) + "/zwalk"
        try FileManager.default.copyItem(atPath: zwalkBinary, toPath: dest)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dest)
        return dest
    }

    /// What `make install PREFIX=prefix` lays out: bin/zwalk, and share/zwalk/ with the model,
    /// its encoder, the model card and the themes.
    func install(prefix: String) throws -> String {
        let binary = try copyBinary(into: prefix + "/bin")
        let share = try makeDirectory(prefix + "/share/zwalk")
        for f in Self.modelFiles { try FileManager.default.copyItem(atPath: Self.assets + "/" + f, toPath: share + "/" + f) }
        try FileManager.default.copyItem(atPath: Self.assets + "/README.md", toPath: share + "/README.md")
        let themes = try makeDirectory(share + "/themes")
        let themeSource = repoRoot.appendingPathComponent("themes").path
        for t in try FileManager.default.contentsOfDirectory(atPath: themeSource) where t.hasSuffix(".theme") {
            try FileManager.default.copyItem(atPath: themeSource + "/" + t, toPath: themes + "/" + t)
        }
        return binary
    }

    @Test func anInstalledBinaryFindsTheModelInShareZwalk() throws {
        let root = try scratch()
        let zwalk = try install(prefix: root + "/prefix")
        let cwd = try makeDirectory(root + "/elsewhere")
        let env = userEnvironment(home: try makeDirectory(root + "/home"))
        let info = try runProcess(zwalk, ["info"], cwd: cwd, environment: env)
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("model        \(root)/prefix/share/zwalk/faces_decoder.onnx"), "\(info.stdout)")
        // The other shipped model is one flag away, found in the same folder.
        let sprites = try runProcess(zwalk, ["info", "--model", "sprites"], cwd: cwd, environment: env)
        #expect(sprites.status == 0, "\(sprites.stderr)")
        #expect(sprites.stdout.contains("model        \(root)/prefix/share/zwalk/vae_decoder.onnx"), "\(sprites.stdout)")
        // The encoder is found beside the installed decoder, through its zwalk.encoder metadata.
        for (model, encoder) in [("faces", "faces_encoder.onnx"), ("sprites", "vae_encoder.onnx")] {
            let sample = try runProcess(zwalk, ["sample", "--model", model, "--seed", "5", "--out", "\(model).png"], cwd: cwd, environment: env)
            #expect(sample.status == 0, "\(sample.stderr)")
            let encode = try runProcess(zwalk, ["encode", "--model", model, "--image", "\(model).png", "--out", "\(model).npy"],
                                        cwd: cwd, environment: env)
            #expect(encode.status == 0, "\(encode.stderr)")
            #expect(encode.stderr.contains("\(root)/prefix/share/zwalk/\(encoder)"), "\(encode.stderr)")
        }
    }

    @Test(.enabled(if: !installedSystemWide, "zwalk's model is installed in /usr/local/share or /usr/share"))
    func aBinaryWithNothingInstalledListsWhereItLooked() throws {
        let root = try scratch()
        let bin = root + "/bin"
        let zwalk = try copyBinary(into: bin)
        let xdg = try makeDirectory(root + "/xdg-data")
        var env = userEnvironment(home: try makeDirectory(root + "/home"))
        env["XDG_DATA_HOME"] = xdg
        let r = try runProcess(zwalk, ["info"], cwd: try makeDirectory(root + "/elsewhere"), environment: env)
        #expect(r.status == 1, "exit \(r.status): \(r.stderr)")
        #expect(r.stderr.contains("is not installed; looked in:"), "\(r.stderr)")
        for dir in [bin + "/assets", root + "/share/zwalk", xdg + "/zwalk", "/usr/local/share/zwalk", "/usr/share/zwalk"] {
            #expect(r.stderr.contains("\n  \(dir)\n"), "the message does not list \(dir):\n\(r.stderr)")
        }
        #expect(r.stderr.contains("ZWALK_ASSETS"), "\(r.stderr)")
    }

    @Test func zwalkAssetsNamesTheModelsFolder() throws {
        let root = try scratch()
        let zwalk = try copyBinary(into: root + "/bin")
        let models = try makeDirectory(root + "/models")
        for f in Self.modelFiles { try FileManager.default.copyItem(atPath: Self.assets + "/" + f, toPath: models + "/" + f) }
        var env = userEnvironment(home: try makeDirectory(root + "/home"))
        env["ZWALK_ASSETS"] = models
        let cwd = try makeDirectory(root + "/elsewhere")
        let r = try runProcess(zwalk, ["info"], cwd: cwd, environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("model        \(models)/faces_decoder.onnx"), "\(r.stdout)")

        // A set ZWALK_ASSETS is the only place looked in, even when the binary has assets/ beside it.
        let beside = try makeDirectory(root + "/bin/assets")
        try FileManager.default.copyItem(atPath: models + "/faces_decoder.onnx", toPath: beside + "/faces_decoder.onnx")
        env["ZWALK_ASSETS"] = try makeDirectory(root + "/empty")
        let empty = try runProcess(zwalk, ["info"], cwd: cwd, environment: env)
        #expect(empty.status == 1 && empty.stderr.contains("looked in:\n  \(root)/empty\nset ZWALK_ASSETS"), "\(empty.stderr)")
    }
}
