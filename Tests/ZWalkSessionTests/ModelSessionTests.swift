import Foundation
import Testing
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
import ZWalkLatent
import TestSupport
@testable import ZWalkSession

/// The shipped model, from the source tree.
let shippedModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("assets/vae_decoder.onnx").path

func temporaryFolder() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zwalk-session-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite struct ModelSessionTests {
    @Test func fingerprintIsTheModelHashAloneOrCombinedWithTheWeights() throws {
        let dir = try temporaryFolder()
        let w = dir + "/w.safetensors"
        try writeScaledWeights(of: shippedModel, by: 0.9, to: w)
        let plain = try ModelSession(path: shippedModel)
        let bound = try ModelSession(path: shippedModel, options: SessionOptions(weights: w))
        let modelHash = try SHA256.hash(file: shippedModel)
        #expect(try plain.fingerprint() == modelHash)
        #expect(try plain.hashes().weights == nil)
        let h = try bound.hashes()
        let weightsHash = try SHA256.hash(file: w)
        #expect(h.model == modelHash && h.weights == weightsHash)
        #expect(try bound.fingerprint() == SHA256.hash(Data("\(modelHash)+\(h.weights!)".utf8)))
        #expect(try bound.fingerprint() != plain.fingerprint())
        // A sibling (the explorer's directions thread) records the same fingerprint.
        #expect(try bound.sibling().fingerprint() == bound.fingerprint())
        // And the weights are really bound: the same latent decodes differently.
        let z = try plain.sample(seed: 1)
        #expect(try plain.decode([z]).floatArray != bound.decode([z]).floatArray)
        #expect(try bound.sibling().decode([z]).floatArray == bound.decode([z]).floatArray)
    }

    @Test func directionSetsAreTiedToModelAndWeights() throws {
        let dir = try temporaryFolder()
        let w = dir + "/w.safetensors"
        try writeScaledWeights(of: shippedModel, by: 1.1, to: w)
        let bound = try ModelSession(path: shippedModel, options: SessionOptions(weights: w))
        let set = try bound.directions(.sefa, at: [])
        try set.save(npyPath: dir + "/d.npy", overwrite: false)
        // The same model and weights accept it; the model without the weights refuses it.
        #expect(try bound.sibling().directions(.file(dir + "/d.npy"), at: []).vectors == set.vectors)
        #expect(throws: LatentError.self) { try ModelSession(path: shippedModel).directions(.file(dir + "/d.npy"), at: []) }
        let trusted = try ModelSession(path: shippedModel).directions(.file(dir + "/d.npy"), at: [], DirectionRequest(trustFile: true))
        #expect(trusted.count == set.count)
    }

    @Test func metadataRoundTripsThroughAPNG() throws {
        let dir = try temporaryFolder()
        let session = try ModelSession(path: shippedModel)
        let set = try session.directions(.sefa, at: [])
        let base = try session.base(seed: 7)
        let spec = try session.traversalFigure(base: base, set: set, source: "sefa", rows: [0, 2], steps: 3, range: 1)
        let out = dir + "/t.png"
        try session.write(spec, style: FigureStyle(scale: 2, labels: true), to: out, command: "zwalk traverse x", overwrite: false)
        let text = try PNGCodec.read(path: out).text
        typealias Key = PNGMetadata.Key
        #expect(text[Key.software] == "zwalk" && text[Key.command] == "zwalk traverse x")
        #expect(text[Key.modelSHA256] == (try SHA256.hash(file: shippedModel)) && text[Key.weightsSHA256] == nil)
        #expect(text[Key.latentShape] == "10" && text[Key.baseSeed] == "7")
        // The latents come back bit for bit, and the middle column is the base latent itself.
        let back = try session.readLatents(out)
        #expect(back.rows == spec.latents && back.rows[1] == base.values && back.warning == nil)
        #expect(back.figureColumns == 3)
        // zwalk.direction is JSON naming the rows walked with their vectors; zwalk.step the steps.
        let direction = try JSONSerialization.jsonObject(with: Data(text[Key.direction]!.utf8)) as! [String: Any]
        let rows = direction["rows"] as! [[String: Any]]
        #expect(direction["method"] as? String == set.method && rows.map { $0["index"] as? Int } == [0, 2])
        #expect((rows[1]["vector"] as! [Double]).map(Float.init) == set.vectors[2])
        #expect(try JSONSerialization.jsonObject(with: Data(text[Key.step]!.utf8)) as? [Double] == [-1, 0, 1])
        let figure = try JSONSerialization.jsonObject(with: Data(text[Key.figure]!.utf8)) as! [String: Any]
        #expect(figure["kind"] as? String == "traversal" && figure["scale"] as? Int == 2 && figure["labels"] as? Bool == true)
        // Every key written is one of the documented ones.
        let documented = Set(Key.all.map(\.key))
        #expect(Set(text.keys).isSubset(of: documented), "undocumented: \(Set(text.keys).subtracting(documented))")
    }

    @Test func latentFilesAreValidatedInOnePlace() throws {
        let dir = try temporaryFolder()
        let session = try ModelSession(path: shippedModel)
        func npy(_ name: String, _ t: Tensor) throws -> String {
            let p = dir + "/" + name
            try NPY.write(t, to: p, overwrite: true)
            return p
        }
        // One latent flat, one in its shape with a batch axis, rows of them.
        #expect(try session.readLatents(npy("flat.npy", Tensor(shape: [10], floats: testValues(10)))).rows.count == 1)
        #expect(try session.readLatents(npy("rows.npy", Tensor(shape: [3, 10], floats: testValues(30)))).rows.count == 3)
        struct Bad { let name: String; let tensor: Tensor; let says: String }
        let bad = [
            Bad(name: "wrong.npy", tensor: Tensor(shape: [2, 9], floats: testValues(18)), says: "not a latent"),
            Bad(name: "empty.npy", tensor: Tensor(shape: [0, 10], floats: []), says: "not a latent"),
            Bad(name: "nan.npy", tensor: Tensor(shape: [2, 10], floats: testValues(10) + [.nan] + testValues(9)), says: "latent 1 holds a non-finite"),
        ]
        for b in bad {
            let p = try npy(b.name, b.tensor)
            #expect { try session.readLatents(p) } throws: { e in
                "\(e)".contains(p) && "\(e)".contains(b.says)
            }
        }
        let file = try session.readLatents(npy("two.npy", Tensor(shape: [2, 10], floats: testValues(20))))
        #expect { try file.row(2) } throws: { "\($0)".contains("index 2 is outside 0…1") }
        #expect(file.label(1) == "two.npy[1]")
        // A PNG without zwalk's latents is refused with the way out.
        let plain = dir + "/plain.png"
        try PNGCodec.write(Image(width: 2, height: 2, channels: 3, fill: [1, 2, 3]), to: plain, text: [], overwrite: false)
        #expect { try session.readLatents(plain) } throws: { "\($0)".contains("zwalk encode") }
    }

    @Test func aPNGOfOtherWeightsIsReadWithAWarning() throws {
        let dir = try temporaryFolder()
        let w = dir + "/w.safetensors"
        try writeScaledWeights(of: shippedModel, by: 0.95, to: w)
        let bound = try ModelSession(path: shippedModel, options: SessionOptions(weights: w))
        let out = dir + "/s.png"
        try bound.write(bound.samplesFigure(seeds: [3], rows: 1, cols: 1), style: FigureStyle(), to: out, command: "c", overwrite: false)
        #expect(try bound.readLatents(out).warning == nil)
        let plain = try ModelSession(path: shippedModel).readLatents(out)
        #expect(plain.warning?.contains("with weights") == true && plain.rows.count == 1)
    }

    @Test(arguments: [
        ("axis", DirectionSource.method(.axis)), ("per-axis", .method(.axis)), ("AXES", .method(.axis)),
        ("sefa", .method(.sefa)), ("ganspace", .method(.pca)), ("PCA", .method(.pca)), ("jacobian", .method(.local)),
        ("auto", .method(.auto)), ("attribute", .method(.attribute)), ("dirs/smile.npy", .file("dirs/smile.npy")),
    ])
    func directionSourcesParseOneWay(text: String, want: DirectionSource) {
        #expect(DirectionSource.parse(text, fileExists: { _ in false }) == want)
    }

    @Test func aFileNamedLikeAMethodIsTheFile() {
        #expect(DirectionSource.parse("sefa", fileExists: { $0 == "sefa" }) == .file("sefa"))
    }

    @Test(arguments: [(10, DirectionMethod.axis), (64, .axis), (65, .sefa), (512, .sefa)])
    func autoRanksAxesOfSmallLatentsAndFactorisesBigOnes(latentCount: Int, want: DirectionMethod) {
        #expect(DirectionMethod.auto.resolved(latentCount: latentCount) == want)
        #expect(DirectionMethod.pca.resolved(latentCount: latentCount) == .pca)
    }

    @Test(arguments: [(10, 32), (127, 32), (200, 20), (512, 7), (5000, 4)])
    func axisRankingKeepsNearFourThousandDecodes(latentCount: Int, samples: Int) {
        #expect(DirectionMethod.axis.defaultSamples(latentCount: latentCount) == samples)
        #expect(DirectionMethod.pca.defaultSamples(latentCount: latentCount) == 2048)
    }

    @Test(arguments: [("a.png", OutputKind?.some(.png)), ("A.NPY", .npy), ("x.jpg", nil), ("noext", nil), ("still.gif", nil)])
    func outputKindComesFromTheExtension(path: String, want: OutputKind?) throws {
        if let want {
            #expect(try OutputKind(path: path) == want)
        } else {
            #expect { try OutputKind(path: path) } throws: { "\($0)".contains(".png, .npy") }
        }
    }

    @Test func outputsAreReadiedBeforeTheWork() throws {
        let dir = try temporaryFolder()
        try Outputs.prepare([dir + "/new/deeper/a.png"], overwrite: false)
        var isDir: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: dir + "/new/deeper", isDirectory: &isDir) && isDir.boolValue)
        _ = FileManager.default.createFile(atPath: dir + "/taken.png", contents: Data())
        #expect(throws: FileWriteError.exists(dir + "/taken.png")) { try Outputs.prepare([dir + "/taken.png"], overwrite: false) }
        try Outputs.prepare([dir + "/taken.png"], overwrite: true)
        #expect(throws: SessionError.duplicateOutput(dir + "/./b.png")) { try Outputs.prepare([dir + "/b.png", dir + "/./b.png"], overwrite: true) }
    }

    @Test func theShippedModelIsFoundWhereAnInstallPutsIt() throws {
        let root = try temporaryFolder()
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/share/zwalk", withIntermediateDirectories: true)
        for f in ShippedModel.allFileNames { _ = FileManager.default.createFile(atPath: root + "/share/zwalk/" + f, contents: Data([1])) }
        let env = ["HOME": root + "/home"]
        #expect(try ShippedModel.locate(executable: root + "/bin/zwalk", environment: env) == root + "/share/zwalk/faces_decoder.onnx")
        #expect(try ShippedModel.locate(.sprites, executable: root + "/bin/zwalk", environment: env) == root + "/share/zwalk/vae_decoder.onnx")
        #expect(ShippedModel.installed(executable: root + "/bin/zwalk", environment: env)
                == [root + "/share/zwalk/faces_decoder.onnx", root + "/share/zwalk/vae_decoder.onnx"])
        // ZWALK_ASSETS decides alone; a miss lists every folder searched.
        #expect { try ShippedModel.locate(executable: root + "/bin/zwalk", environment: ["ZWALK_ASSETS": root + "/nowhere"]) } throws: {
            "\($0)".contains(root + "/nowhere") && "\($0)".contains("ZWALK_ASSETS")
        }
        let elsewhere = try temporaryFolder()
        #expect { try ShippedModel.locate(executable: elsewhere + "/zwalk", environment: ["XDG_DATA_HOME": elsewhere + "/data"]) } throws: { e in
            let m = "\(e)"
            return m.contains(elsewhere + "/assets") && m.contains(elsewhere + "/data/zwalk") && m.contains("/usr/share/zwalk")
        }
    }

    @Test func shippedModelsAreNamedAndTheirFilesAreDistinct() throws {
        #expect(ShippedModel.standard == .faces)
        #expect(try ShippedModel.named("Sprites") == .sprites && (try ShippedModel.named("faces")) == .faces)
        #expect(throws: SessionError.invalidOption("no shipped model is called 'cats': faces or sprites")) { try ShippedModel.named("cats") }
        #expect(ShippedModel.allFileNames == ["faces_decoder.onnx", "faces_encoder.onnx", "vae_decoder.onnx", "vae_encoder.onnx"])
        #expect(Set(ShippedModel.allFileNames).count == ShippedModel.allFileNames.count)
    }

    @Test func interpolationStripsFrameTheirKeyframes() throws {
        let session = try ModelSession(path: shippedModel)
        let keys = try [1, 2, 3].map { try session.sample(seed: UInt32($0)) }
        let spec = try session.interpolationFigure(keyframes: keys, keySeeds: [1, 2, 3], source: "seeds 1,2,3", mode: .slerp,
                                                   loop: false, steps: 8)
        for k in keys { #expect(spec.latents.contains(k)) }
        #expect(spec.highlighted.count == 3)
        #expect(spec.highlighted.allSatisfy { keys.contains(spec.latents[$0]) })
    }

    @Test func encodingAPictureOfAnotherShapeWarnsOrCrops() throws {
        let session = try ModelSession(path: shippedModel)
        let wide = Image(width: 128, height: 32, channels: 3, fill: [200, 40, 40])
        let stretched = try session.encode(wide)
        #expect(stretched.warning?.contains("128×32") == true && stretched.latent.count == 10)
        let cropped = try session.encode(wide, fit: .crop)
        #expect(cropped.warning == nil && cropped.summary.contains("centre 32×32"))
        #expect(try session.encode(Image(width: 64, height: 64, channels: 3, fill: [1, 2, 3])).warning == nil)
    }
}

@Suite struct SliceFigureTests {
    @Test func aSliceNamesItsTwoDirections() throws {
        let session = try ModelSession(path: shippedModel)
        let set = try session.directions(.axis, at: [])
        let spec = try session.sliceFigure(base: session.base(seed: 0), set: set, source: "axis", x: 0, y: 1, steps: 3, range: 1)
        #expect(spec.title.contains(set.names[0]) && spec.title.contains(set.names[1]), "\(spec.title)")
    }
}
