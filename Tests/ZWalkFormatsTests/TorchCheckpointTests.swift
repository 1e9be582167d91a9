import Foundation
import Testing
import ZWalkEngine
@testable import ZWalkFormats

/// PyTorch checkpoints written by torch.save (tools/checkpoint_fixtures.py), bound onto the
/// decoder exported from another state, must decode as onnxruntime decodes the graph exported from
/// their own state.
@Suite struct TorchCheckpointTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/checkpoints").path
    static func path(_ name: String) -> String { dir + "/" + name }
    static let tolerance: Float = 1e-5

    static let checkpoints = [
        "decoder_zip.pt", "decoder_deflated.pt", "decoder_legacy.pt", "vae_full.pth", "vae_lightning.ckpt",
        "vae_dataparallel.pth", "decoder_fp16.pt", "decoder_strided.pt", "decoder_strided_legacy.pt",
        "run/epoch_1.pth", "run/epoch_2.pth", "run/epoch_10.pth",
    ]

    /// The decode of z.npy by `graph` with the checkpoint bound.
    static func decode(_ checkpoint: String, graph: String) throws -> (Tensor, BindReport) {
        let model = try ONNXLoader.load(path: path(graph))
        let (bound, report) = try WeightBinder.bind(WeightFile.open(path(checkpoint)), onto: model)
        let z = try NPY.read(path: path("z.npy"))
        return (try InferenceSession(model: bound).run([z])[0], report)
    }

    @Test(arguments: checkpoints, ["decoder.onnx", "decoder_dynamo.onnx"])
    func bindsAndDecodesAsOnnxruntime(checkpoint: String, graph: String) throws {
        let (y, report) = try Self.decode(checkpoint, graph: graph)
        let expected = try NPY.read(path: Self.path("expected/" + URL(fileURLWithPath: checkpoint).lastPathComponent + ".npy"))
        #expect(y.shape == expected.shape)
        let diffs = zip(y.floatArray, expected.floatArray).map { abs($0 - $1) }
        let worst = diffs.indices.max { diffs[$0] < diffs[$1] }!
        #expect(diffs[worst] <= Self.tolerance,
                "\(checkpoint) on \(graph): max |diff| \(diffs[worst]) at \(worst): \(y.floatArray[worst]) vs \(expected.floatArray[worst])")
        // Every weight came from the file (the dynamo graph keeps its int64 reshape constant); the
        // BatchNorm was folded into the convolution.
        let weights = try ONNXLoader.load(path: Self.path(graph)).graph.initializers.filter { $0.value.dtype == .float32 }
        #expect(Set(report.bound) == Set(weights.keys) && report.bound.count == report.mappings.count)
        #expect(report.mappings.filter { $0.rule == .batchNormFold }.count == 2, "\(report.mappings)")
    }

    @Test func theRulesAndTheSkippedEntriesAreReported() throws {
        let (_, full) = try Self.decode("vae_full.pth", graph: "decoder.onnx")
        // decoder.fc3.weight → fc3.weight by suffix; onnx::Conv_25 ← decoder.conv.weight ⊗ decoder.bn.
        #expect(full.mappings.first { $0.initializer == "fc3.weight" } == .init(initializer: "fc3.weight", tensor: "decoder.fc3.weight", rule: .suffix))
        #expect(full.mappings.first { $0.initializer == "onnx::Conv_25" }?.tensor == "decoder.conv.weight")
        #expect(full.unusedInFile == ["encoder.conv.weight", "encoder.conv.bias", "encoder.fc.weight", "encoder.fc.bias"])
        #expect(full.description.contains("4 tensor(s) in the file unused (encoder.* 4)"))
        let (_, lightning) = try Self.decode("vae_lightning.ckpt", graph: "decoder.onnx")
        #expect(lightning.unusedGroups.map(\.prefix) == ["state_dict.*", "optimizer_states.*", "callbacks.*"])
        let (_, dp) = try Self.decode("vae_dataparallel.pth", graph: "decoder_dynamo.onnx")
        // The dynamo exporter keeps the name conv.weight for the folded weight: folded all the same.
        #expect(dp.mappings.first { $0.initializer == "conv.weight" }?.rule == .batchNormFold)
        #expect(dp.mappings.first { $0.initializer == "conv.weight_bias" }?.rule == .batchNormFold)
    }

    @Test func readsTheLightningEntriesAndTensors() throws {
        let c = try TorchCheckpoint(path: Self.path("vae_lightning.ckpt"))
        #expect(c.format == .zip)
        #expect(c.scalars.map(\.key) == ["epoch", "global_step", "pytorch-lightning_version"])
        #expect(c.scalars.first?.value == "7")
        #expect(c.names.contains("state_dict.decoder.bn.num_batches_tracked"))
        #expect(try c.tensor("state_dict.decoder.bn.num_batches_tracked").intArray == [104])
        #expect(c.shape("optimizer_states.0.state.4.exp_avg") == [128, 4])
        #expect(c.storedType("state_dict.decoder.fc3.weight") == .f32)
        let legacy = try TorchCheckpoint(path: Self.path("decoder_legacy.pt"))
        #expect(legacy.format == .legacy && legacy.names.first == "fc3.weight")
        #expect(try TorchCheckpoint(path: Self.path("decoder_fp16.pt")).storedType("fc3.weight") == .f16)
    }

    /// The transposed and offset views of decoder_strided.pt gather the same values as the
    /// contiguous copies of the same state in its legacy twin.
    @Test func stridedViewsGather() throws {
        let zipped = try TorchCheckpoint(path: Self.path("decoder_strided.pt"))
        let legacy = try TorchCheckpoint(path: Self.path("decoder_strided_legacy.pt"))
        for name in ["fc3.weight", "fc3.bias", "out.weight"] {
            #expect(try zipped.tensor(name).floatArray == legacy.tensor(name).floatArray, "\(name)")
        }
    }

    @Test func aForbiddenGlobalIsRefusedByName() throws {
        #expect { _ = try TorchCheckpoint(path: Self.path("evil.pt")) } throws: { e in
            let s = "\(e)"
            return s.contains("evil.pt: evil/data.pkl at byte") && s.contains("refuses global 'posix.system'") && s.contains("hint:")
        }
    }

    // MARK: hostile and broken files

    /// A legacy checkpoint around `object` (one pickle), with no storages.
    static func legacy(_ object: [UInt8], keys: [UInt8] = [0x80, 0x02, 0x5D, 0x2E]) -> Data {
        var d: [UInt8] = [0x80, 0x02, 0x8A, 0x0A] + TorchCheckpoint.legacyMagic + [0x2E]
        d += [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]   // 1001
        d += [0x80, 0x02, 0x7D, 0x2E]               // {}
        return Data(d + object + keys)
    }

    static func unpickle(_ bytes: [UInt8]) throws -> PickleValue {
        try bytes.withUnsafeBytes { b in
            let u = Unpickler(b, file: "x.pkl", place: "pickle", allowed: ["collections.OrderedDict"],
                              call: { g, _ in throw PickleCallError("'\(g)' cannot be called") },
                              persistentLoad: { _ in throw PickleCallError("no persistent ids") })
            defer { u.release() }
            return try u.load()
        }
    }

    @Test(arguments: [
        ("global os.system", [0x80, 0x02] + Array("cos\nsystem\n".utf8) + [0x71, 0x00, 0x2E], 2, "refuses global 'os.system'"),
        ("stack global", [0x80, 0x04, 0x8C, 0x08] + Array("builtins".utf8) + [0x8C, 0x04] + Array("eval".utf8) + [0x93, 0x2E], 18,
         "refuses global 'builtins.eval'"),
        ("truncated string", [0x80, 0x02, 0x58, 0x05, 0, 0, 0, 0x61, 0x62], 3, "runs past the end"),
        ("huge BINUNICODE", [0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E], 3, "4294967295 bytes runs past the end"),
        ("huge BINBYTES8", [0x80, 0x04, 0x8E, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E], 3, "runs past the end"),
        ("negative BINSTRING", [0x80, 0x02, 0x54, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E], 3, "runs past the end"),
        ("memo never stored", [0x80, 0x02, 0x68, 0x07, 0x2E], 2, "memo entry 7 was never stored"),
        ("empty stack", [0x80, 0x02, 0x2E], 2, "STOP on an empty stack"),
        ("no STOP", [0x80, 0x02, 0x4E], 3, "without a STOP opcode"),
        ("empty", [], 0, "without a STOP opcode"),
        ("NEWOBJ", [0x80, 0x02, 0x29, 0x29, 0x81, 0x2E], 4, "refuses opcode NEWOBJ"),
        ("INST", Array("(ios\nsystem\n.".utf8), 1, "refuses opcode INST"),
        ("unknown opcode", [0x80, 0x02, 0xFF], 2, "unknown pickle opcode 0xff"),
        ("APPEND to a dict", [0x80, 0x02, 0x7D, 0x4E, 0x61, 0x2E], 4, "APPEND to a dict"),
        ("REDUCE of a string", [0x80, 0x02, 0x55, 0x01, 0x61, 0x29, 0x52, 0x2E], 6, "REDUCE calls a str"),
        ("protocol 6", [0x80, 0x06, 0x4E, 0x2E], 0, "protocol 6 is newer than 5"),
        ("SETITEMS odd", [0x80, 0x02, 0x7D, 0x28, 0x4E, 0x75, 0x2E], 5, "odd number of items"),
    ] as [(String, [UInt8], Int, String)])
    func hostilePicklesAreErrorsNotCrashes(row: String, bytes: [UInt8], offset: Int, message: String) throws {
        #expect(throws: FormatError.self, "\(row)") { _ = try Self.unpickle(bytes) }
        do { _ = try Self.unpickle(bytes) } catch let e as FormatError {
            #expect(e.offset == offset && e.message.contains(message), "\(row): \(e)")
        }
    }

    @Test func deepNestingAndCyclesAreRefusedAndFreed() throws {
        // 200,000 nested lists: built without recursion, freed without recursion.
        let n = 200_000
        let deep: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x5D, count: n) + [UInt8](repeating: 0x61, count: n - 1) + [0x2E]
        _ = try Self.unpickle(deep)
        #expect { _ = try TorchCheckpoint(data: Self.legacy(deep), source: "deep.pt") } throws: { e in
            "\(e)".contains("nests deeper than 64 levels")
        }
        // A list that contains itself.
        let cycle: [UInt8] = [0x80, 0x02, 0x7D, 0x55, 0x01, 0x61, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x73, 0x2E]
        #expect { _ = try TorchCheckpoint(data: Self.legacy(cycle), source: "cycle.pt") } throws: { e in
            "\(e)".contains("nests deeper than 64 levels (or contains itself)")
        }
    }

    @Test func brokenFilesAreErrorsNamingTheFile() throws {
        let good = try Data(contentsOf: URL(fileURLWithPath: Self.path("decoder_zip.pt")))
        // Cut anywhere: the end record, the central directory, a storage.
        for cut in [0, 10, 100, good.count / 2, good.count - 30, good.count - 1] {
            #expect(throws: FormatError.self, "cut at \(cut)") {
                let c = try TorchCheckpoint(data: good.prefix(cut), source: "cut.pt")
                for n in c.names { _ = try c.tensor(n) }
            }
        }
        // A flipped byte inside a storage: the entry's CRC-32 says so.
        let zip = try ZipArchive(data: good, source: "flip.pt")
        let storage = zip.entries.first { $0.name.hasSuffix("/data/0") }!
        var flipped = good
        flipped[try zip.dataOffset(storage) + 3] ^= 0x40
        let c = try TorchCheckpoint(data: flipped, source: "flip.pt")
        #expect { for n in c.names { _ = try c.tensor(n) } } throws: { e in
            "\(e)".contains("flip.pt: zip entry 'decoder_zip/data/0'") && "\(e)".contains("CRC-32")
        }
        // A tensor that reaches past its storage (legacy: a FloatStorage of 2 elements, size (3,)).
        func object(size: UInt8) -> [UInt8] {
            var obj: [UInt8] = [0x80, 0x02, 0x7D, 0x55, 0x01, 0x77]
            obj += Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8)
            obj += [0x28, 0x28, 0x55, 0x07] + Array("storage".utf8) + Array("ctorch\nFloatStorage\n".utf8)
            obj += [0x55, 0x01, 0x30, 0x55, 0x03] + Array("cpu".utf8) + [0x4B, 0x02, 0x4E, 0x74, 0x51]
            return obj + [0x4B, 0x00, 0x4B, size, 0x85, 0x4B, 0x01, 0x85, 0x89, 0x4E, 0x74, 0x52, 0x73, 0x2E]
        }
        let keys: [UInt8] = [0x80, 0x02, 0x5D, 0x55, 0x01, 0x30, 0x61, 0x2E] + [2, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 8)
        #expect { _ = try TorchCheckpoint(data: Self.legacy(object(size: 3), keys: keys), source: "over.pt") } throws: { e in
            "\(e)".contains("over.pt: object pickle at byte") && "\(e)".contains("reach element 2 of storage '0', which has 2")
        }
        // The same with size (2,) reads.
        let ok = try TorchCheckpoint(data: Self.legacy(object(size: 2), keys: keys), source: "fits.pt")
        #expect(try ok.tensor("w").floatArray == [0, 0])
        // Not a checkpoint at all.
        #expect { _ = try TorchCheckpoint(data: Data("hello".utf8), source: "x.pt") } throws: { e in
            "\(e)".contains("x.pt at byte 0: is neither a zip archive nor a pickle")
        }
    }

    // MARK: binding errors

    @Test func bindingErrorsListEveryProblemAndBindNothing() throws {
        let model = try ONNXLoader.load(path: Self.path("decoder.onnx"))
        let t = { (s: [Int]) in Tensor(dtype: .float32, shape: s) }
        // fc3.weight of the wrong shape, fc3.bias twice (ambiguous), the rest missing.
        let file = WeightSource(tensors: ["fc3.weight": t([4, 128]), "a.fc3.bias": t([128]), "b.fc3.bias": t([128])], file: "bad.pt")
        #expect { _ = try WeightBinder.bind(file, onto: model) } throws: { e in
            let s = "\(e)"
            return s.contains("bad.pt: cannot bind onto") && s.contains("'fc3.weight': the file's tensor has shape [4, 128] but the model's initializer has shape [128, 4]")
                && s.contains("'fc3.bias' [128]: ambiguous, the file has 'a.fc3.bias', 'b.fc3.bias'")
                && s.contains("lacks 6 weight(s) of the model: 'deconv.weight' [8, 6, 4, 4]")
        }
    }
}
